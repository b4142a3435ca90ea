/**
 * Where agents live between restarts. Async and keyed by agent id, so a
 * store backed by a database (several replicas) fits the same interface as
 * the file store.
 *
 * @module
 */
import type { AgentRecord } from "../agents/types.ts";

export interface AgentStore {
  /** Every stored agent. Records that cannot be read are skipped (and logged), never thrown. */
  loadAll(): Promise<AgentRecord[]>;
  /** One agent, or undefined. */
  load(id: string): Promise<AgentRecord | undefined>;
  /** Creates or replaces the agent's record. Concurrent saves of one id are applied in call order. */
  save(record: AgentRecord): Promise<void>;
  /** Removes the agent; removing a missing one is not an error. */
  delete(id: string): Promise<void>;
  /** Resolves when every save and delete issued so far has reached the store. */
  flush(): Promise<void>;
}
