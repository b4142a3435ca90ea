/**
 * An in-memory agent store for tests. It keeps deep copies (structuredClone)
 * in both directions, so neither a caller changing a value after handing it
 * over nor one changing a value it read alters what is stored, just as with
 * the file and PostgreSQL stores. It refuses what they refuse.
 *
 * @module
 */
import type { AgentMeta, ReActStep, StoredAgent } from "../agents/types.ts";
import { checkCharge, type DailyUsageQuery, type DailyUsageRow, type StepUsageRecord, usageRecordOf } from "../usage/totals.ts";
import {
  type AgentPage,
  type AgentPatch,
  type AgentQuery,
  type AgentStore,
  type AppendStepOptions,
  isValidAgentId,
  type MoveHeadResult,
  type StartRun,
  type StartRunResult,
} from "./agent-store.ts";
import { compareAgents, pageOf } from "./paging.ts";
import { DayTotals, sortRows } from "./day-totals.ts";
import { InProcessLeases } from "./in-process-leases.ts";
import { readMeta, readStep } from "./records.ts";
import { StepTree } from "./step-tree.ts";

interface Entry {
  meta: AgentMeta;
  tree: StepTree;
}

export class MemoryAgentStore extends InProcessLeases implements AgentStore {
  readonly kind = "memory";
  readonly #agents = new Map<string, Entry>();
  readonly #days = new Map<string, DayTotals>();

  constructor(options: { now?: () => number } = {}) {
    super(options.now);
  }

  /** How many agents are stored. */
  get size(): number {
    return this.#agents.size;
  }

  // Every method is async so that every failure (a refused value, an uncloneable one) is a rejection.

  async ping(): Promise<void> {}

  async createAgent(meta: AgentMeta, options: { maxPerOwner?: number } = {}): Promise<boolean> {
    const checked = readMeta(structuredClone(meta));
    if (this.#agents.has(checked.id)) throw new Error(`agent ${checked.id} already exists`);
    if (options.maxPerOwner !== undefined && this.#count(checked.ownerUid) >= options.maxPerOwner) return false;
    this.#agents.set(checked.id, { meta: checked, tree: new StepTree() });
    return true;
  }

  async getAgent(id: string): Promise<StoredAgent | undefined> {
    const entry = isValidAgentId(id) ? this.#agents.get(id) : undefined;
    return entry && this.#stored(id, entry);
  }

  async listAgents(query: AgentQuery): Promise<AgentPage> {
    const entries = [...this.#agents.entries()]
      .filter(([, entry]) => query.ownerUid === undefined || entry.meta.ownerUid === query.ownerUid)
      .map(([id, entry]) => this.#stored(id, entry))
      .sort(compareAgents);
    const { items, next } = pageOf(entries, query);
    return { agents: items, next };
  }

  async countAgents(ownerUid: number): Promise<number> {
    return this.#count(ownerUid);
  }

  #count(ownerUid: number): number {
    let n = 0;
    for (const entry of this.#agents.values()) if (entry.meta.ownerUid === ownerUid) n++;
    return n;
  }

  async updateAgent(id: string, patch: AgentPatch): Promise<StoredAgent | undefined> {
    const entry = this.#agents.get(id);
    if (!entry) return undefined;
    entry.meta = readMeta(structuredClone({ ...entry.meta, ...patch }));
    return this.#stored(id, entry);
  }

  async deleteAgent(id: string): Promise<boolean> {
    this.runs.forget(id);
    return this.#agents.delete(id);
  }

  async appendStep(agentId: string, step: ReActStep, options: AppendStepOptions = {}): Promise<boolean> {
    const copy = readStep(structuredClone(step));
    const charge = options.charge;
    if (charge) checkCharge(charge);
    const entry = this.#agents.get(agentId);
    if (!entry) return false;
    if (options.runId !== undefined && !this.runs.holds(agentId, options.runId)) return false;
    if (entry.tree.has(copy.id)) throw new Error(`step ${copy.id} already exists`);
    entry.tree.append(copy);
    if (charge) {
      let day = this.#days.get(charge.day);
      if (!day) this.#days.set(charge.day, (day = new DayTotals(charge.day)));
      day.add(charge.uid, charge.model, charge.counts);
    }
    return true;
  }

  async moveHead(agentId: string, target: { stepId: string } | { clear: true }): Promise<MoveHeadResult> {
    const entry = this.#agents.get(agentId);
    if (!entry) return "missing";
    if (this.runs.get(agentId)) return "busy";
    if ("clear" in target) {
      entry.tree.clear();
      return "ok";
    }
    if (!entry.tree.has(target.stepId)) return "unknown_step";
    entry.tree.headId = target.stepId;
    return "ok";
  }

  async steps(agentId: string): Promise<ReActStep[]> {
    return structuredClone(this.#agents.get(agentId)?.tree.all() ?? []);
  }

  async path(agentId: string, options: { headId?: string; limit?: number } = {}): Promise<ReActStep[]> {
    const tree = this.#agents.get(agentId)?.tree;
    if (!tree) return [];
    return structuredClone(tree.path(options.headId ?? tree.headId, options.limit));
  }

  async step(agentId: string, stepId: string): Promise<ReActStep | undefined> {
    const found = this.#agents.get(agentId)?.tree.get(stepId);
    return found && structuredClone(found);
  }

  async stepUsage(agentId: string): Promise<StepUsageRecord[]> {
    return (this.#agents.get(agentId)?.tree.all() ?? []).map(usageRecordOf);
  }

  async dailyUsage(query: DailyUsageQuery): Promise<DailyUsageRow[]> {
    const rows: DailyUsageRow[] = [];
    for (const [day, totals] of this.#days) if (day >= query.from && day <= query.to) rows.push(...totals.rows(query.uid));
    return sortRows(rows);
  }

  async startRun(agentId: string, run: StartRun): Promise<StartRunResult> {
    const entry = this.#agents.get(agentId);
    if (!entry) return { ok: false, reason: "missing" };
    return this.runs.start(agentId, entry.meta.ownerUid, run);
  }










  async flush(): Promise<void> {}

  async close(): Promise<void> {}

  #stored(id: string, entry: Entry): StoredAgent {
    return { ...structuredClone(entry.meta), headId: entry.tree.headId, stepCount: entry.tree.size, run: this.runs.get(id) };
  }
}
