/**
 * An in-memory agent store for tests. It keeps deep copies (structuredClone)
 * in both directions, so neither a caller changing a record after `save` nor
 * one changing a loaded record alters what is stored, just as with the file
 * store. It refuses the same ids and records the file store refuses.
 *
 * @module
 */
import type { AgentRecord } from "../agents/types.ts";
import type { AgentStore } from "./agent-store.ts";
import { agentRecordProblem, isValidAgentId } from "./file-store.ts";

export class MemoryAgentStore implements AgentStore {
  readonly #records = new Map<string, AgentRecord>();

  /** How many agents are stored. */
  get size(): number {
    return this.#records.size;
  }

  // The methods are async so that every failure (a refused record, an uncloneable value) is a rejection.

  async loadAll(): Promise<AgentRecord[]> {
    return [...this.#records.values()].map((record) => structuredClone(record));
  }

  async load(id: string): Promise<AgentRecord | undefined> {
    const record = isValidAgentId(id) ? this.#records.get(id) : undefined;
    return record === undefined ? undefined : structuredClone(record);
  }

  async save(record: AgentRecord): Promise<void> {
    const problem = agentRecordProblem(record);
    if (problem !== undefined) throw new Error(`cannot save an agent: ${problem}`);
    // Copied synchronously, at call time: later changes to `record` must not reach the store.
    this.#records.set(record.id, structuredClone(record));
  }

  async delete(id: string): Promise<void> {
    this.#records.delete(id);
  }

  async flush(): Promise<void> {}
}
