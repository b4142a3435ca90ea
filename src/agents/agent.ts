/**
 * An agent as the service works with it: its toolkit (tools, prompt,
 * tool-owned state), what the REST API shows of it, and the agent loaded
 * for a run (its meta, the conversation from the root to HEAD, and the
 * toolkit restored to HEAD's state).
 *
 * @module
 */
import type { AgentInfo } from "./events.ts";
import type { Tool } from "./tool.ts";
import type { AgentMeta, AgentSettings, AgentState, ReActStep, RunInfo, StoredAgent } from "./types.ts";

export type { AgentEvent, AgentInfo } from "./events.ts";

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

/** What a toolkit may read of its agent, at call time (settings change with PATCH, the path with every step). */
export interface ToolkitHost {
  readonly settings: AgentSettings;
  /** The conversation now: the steps from the root to HEAD. */
  visibleSteps(): readonly ReActStep[];
}

/** Builds an agent's toolkit. */
export type ToolkitFactory = (host: ToolkitHost) => AgentToolkit;

/** The state the API shows for a run (or none). */
export function stateOf(run: RunInfo | null): AgentState {
  return run === null ? "AVAILABLE" : run.stopping ? "STOPPING" : "GENERATING";
}

/** What the REST API shows of an agent. */
export function agentInfo(agent: StoredAgent): AgentInfo {
  return {
    id: agent.id,
    name: agent.name,
    modelType: agent.modelType,
    state: stateOf(agent.run),
    createdAt: agent.createdAt,
    owner: { uid: agent.ownerUid, name: agent.ownerName },
    // Settings are flat (numbers, strings, two string arrays): a shallow copy
    // with fresh arrays is a full copy, at a fraction of structuredClone's cost.
    settings: {
      ...agent.settings,
      disabledTools: [...agent.settings.disabledTools],
      allowedOperatorTypes: [...agent.settings.allowedOperatorTypes],
    },
  };
}

/**
 * An agent loaded to run a turn (or to describe its tool state): the meta,
 * the path from the root to HEAD, and its toolkit restored to HEAD's state.
 * Steps added here are the run's; the registry persists them.
 */
export class LoadedAgent implements ToolkitHost {
  meta: AgentMeta;
  readonly toolkit: AgentToolkit;
  readonly #path: ReActStep[];

  constructor(meta: AgentMeta, path: ReActStep[], toolkits: ToolkitFactory) {
    this.meta = meta;
    this.#path = path;
    this.toolkit = toolkits(this);
    // The tool state is HEAD's, as at checkout; with no HEAD it is the toolkit's initial state.
    const head = path.at(-1);
    if (head?.afterWorkflowContent !== undefined) this.toolkit.restore?.(head.afterWorkflowContent);
  }

  get id(): string {
    return this.meta.id;
  }

  get settings(): AgentSettings {
    return this.meta.settings;
  }

  get head(): ReActStep | undefined {
    return this.#path.at(-1);
  }

  visibleSteps(): readonly ReActStep[] {
    return this.#path;
  }

  /** Appends a step as a child of HEAD (which it becomes); returns the step with its `parentId`. */
  addStep(step: Omit<ReActStep, "parentId">): ReActStep {
    const parent = this.head;
    const full: ReActStep = parent ? { ...step, parentId: parent.id } : { ...step };
    this.#path.push(full);
    return full;
  }
}
