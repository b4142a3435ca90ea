/**
 * One agent: its persisted record (settings, step tree, HEAD), its live state,
 * its toolkit, and the listeners (sockets) that see its events.
 *
 * @module
 */
import type { Tool } from "./tool.ts";
import type { AgentRecord, AgentSettings, AgentState, ReActStep } from "./types.ts";

/** Per-agent tools and prompt. The workflow copilot is one; tests define their own. */
export interface AgentToolkit {
  /** Every tool the agent has (disabled ones are filtered by the loop). */
  tools(): readonly Tool[];
  /** The system prompt, given the current settings. */
  systemPrompt(settings: AgentSettings): string;
  /** State the model sees before each call (e.g. the current workflow), or undefined. */
  context?(): string | undefined;
  /** Tool-owned state to record before/after each step, restored by checkout. */
  snapshot?(): unknown;
  restore?(snapshot: unknown): void;
  /** Extra fields for `GET /api/agents/:id` (e.g. `workflow`). */
  describe?(): Record<string, unknown>;
}

/** Builds an agent's toolkit; called on create and on load after a restart. */
export type ToolkitFactory = (record: AgentRecord) => AgentToolkit;

/** Events every socket of the agent receives (the reference's shapes, plus `delta`). */
export type AgentEvent =
  | { type: "state"; state: AgentState }
  | { type: "delta"; messageId: string; stepId: number; text: string }
  | { type: "step"; step: ReActStep }
  | { type: "complete"; state: AgentState }
  | { type: "error"; error: string }
  | { type: "headChange"; headId: string | null; steps: ReActStep[]; workflowContent?: unknown };

/** What the REST API shows of an agent. */
export interface AgentInfo {
  id: string;
  name: string;
  modelType: string;
  state: AgentState;
  createdAt: string;
  owner: { uid: number; name: string };
  settings: AgentSettings;
}

export class Agent {
  readonly record: AgentRecord;
  readonly toolkit: AgentToolkit;
  state: AgentState = "AVAILABLE";
  /** Aborts the running turn; set while a run is going. */
  runController: AbortController | undefined;
  readonly #listeners = new Set<(event: AgentEvent) => void>();
  readonly #byId = new Map<string, ReActStep>();

  constructor(record: AgentRecord, toolkit: AgentToolkit) {
    this.record = record;
    this.toolkit = toolkit;
    for (const step of record.steps) this.#byId.set(step.id, step);
    // After a restart the tool state is the HEAD's, as at checkout.
    const head = this.head;
    if (head?.afterWorkflowContent !== undefined) toolkit.restore?.(head.afterWorkflowContent);
  }

  get id(): string {
    return this.record.id;
  }

  get busy(): boolean {
    return this.runController !== undefined;
  }

  get head(): ReActStep | undefined {
    return this.record.headId ? this.#byId.get(this.record.headId) : undefined;
  }

  step(id: string): ReActStep | undefined {
    return this.#byId.get(id);
  }

  /** Appends a step as a child of HEAD and moves HEAD to it. */
  addStep(step: Omit<ReActStep, "parentId">): ReActStep {
    const full: ReActStep = this.record.headId ? { ...step, parentId: this.record.headId } : { ...step };
    this.record.steps.push(full);
    this.#byId.set(full.id, full);
    this.record.headId = full.id;
    return full;
  }

  /** Replaces a step in place (e.g. to mark the last step of a run `isEnd`). */
  updateStep(step: ReActStep): void {
    const index = this.record.steps.findIndex((s) => s.id === step.id);
    if (index >= 0) this.record.steps[index] = step;
    this.#byId.set(step.id, step);
  }

  /** The path from the root to HEAD: what the conversation is now. */
  visibleSteps(): ReActStep[] {
    const path: ReActStep[] = [];
    let current = this.head;
    const seen = new Set<string>();
    while (current && !seen.has(current.id)) {
      seen.add(current.id);
      path.push(current);
      current = current.parentId ? this.#byId.get(current.parentId) : undefined;
    }
    return path.reverse();
  }

  /** Moves HEAD to `stepId` and restores the tool state recorded there. */
  checkout(stepId: string): boolean {
    const step = this.#byId.get(stepId);
    if (!step) return false;
    this.record.headId = step.id;
    if (step.afterWorkflowContent !== undefined) this.toolkit.restore?.(step.afterWorkflowContent);
    return true;
  }

  /** Drops the step tree; HEAD returns to the start and the tool state to its initial value. */
  clear(initialSnapshot: unknown): void {
    this.record.steps = [];
    this.#byId.clear();
    delete this.record.headId;
    if (initialSnapshot !== undefined) this.toolkit.restore?.(initialSnapshot);
  }

  subscribe(listener: (event: AgentEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  emit(event: AgentEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A failing socket must not stop the others from getting the event.
      }
    }
  }

  info(): AgentInfo {
    const { record } = this;
    return {
      id: record.id,
      name: record.name,
      modelType: record.modelType,
      state: this.state,
      createdAt: record.createdAt,
      owner: { uid: record.ownerUid, name: record.ownerName },
      // Settings are flat (numbers, strings, two string arrays): a shallow copy
      // with fresh arrays is a full copy, at a fraction of structuredClone's cost.
      settings: {
        ...record.settings,
        disabledTools: [...record.settings.disabledTools],
        allowedOperatorTypes: [...record.settings.allowedOperatorTypes],
      },
    };
  }
}
