/**
 * Where agents live: their meta (owner, name, model, settings), their steps
 * (append-only, workflow snapshots stored once per distinct content), HEAD,
 * and the lease of the run each one is in. One interface, three stores:
 * memory (tests), file (the embedded default, one process) and PostgreSQL
 * (any number of replicas). One contract suite (tests/store-contract.ts)
 * runs against all three.
 *
 * Nothing here ever rewrites a whole history: appending a step writes that
 * step, moving HEAD writes HEAD.
 *
 * Usage: each user's totals per UTC day and model, kept apart from the
 * agents (deleting or clearing an agent does not give spend back), added to
 * in the same write as the model step they come from.
 *
 * @module
 */
import type { AgentMeta, AgentSettings, ReActStep, RunInfo, StoredAgent } from "../agents/types.ts";
import type { DailyUsageQuery, DailyUsageRow, StepUsageRecord, UsageCharge } from "../usage/totals.ts";

/** The ids a store accepts: they double as file names, so nothing that can name a path. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Whether `id` is an id a store accepts. */
export function isValidAgentId(id: unknown): id is string {
  return typeof id === "string" && AGENT_ID_PATTERN.test(id);
}

/** The store cannot be reached (the database is down): a 503, and the caller may retry. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/** Which agents a list shows, and which page. */
export interface AgentQuery {
  /** Only this owner's agents; undefined lists every owner's (ADMIN). */
  readonly ownerUid?: number;
  /** Page size. */
  readonly limit: number;
  /** Agents after this position (oldest first, ties by id): the last agent of the previous page. */
  readonly after?: AgentCursor;
}

/** A position in the creation order. */
export interface AgentCursor {
  readonly createdAt: string;
  readonly id: string;
}

export interface AgentPage {
  readonly agents: StoredAgent[];
  /** The position after the last agent of this page, when there may be more. */
  readonly next: AgentCursor | null;
}

export interface AgentPatch {
  readonly name?: string;
  readonly modelType?: string;
  readonly settings?: AgentSettings;
}

/** A run another replica left behind: its lease expired, and this replica claimed it to end it. */
export interface OrphanedRun extends RunInfo {
  readonly agentId: string;
  readonly ownerUid: number;
}

export interface RenewResult {
  /** Runs this replica no longer holds (their lease expired and another replica claimed them, or the agent is gone). */
  readonly lost: string[];
  /** Runs a stop was requested for (a replica that missed the stop message still learns of it here). */
  readonly stopping: string[];
}

export type StartRunResult =
  | { readonly ok: true; readonly run: RunInfo; readonly orphan?: OrphanedRun }
  | { readonly ok: false; readonly reason: "busy" | "quota" | "missing" };

/** What `moveHead` did; `busy` when a run holds the agent (checkout and clear wait for it to end). */
export type MoveHeadResult = "ok" | "busy" | "missing" | "unknown_step";

export interface AppendStepOptions {
  /** Write only while this run still holds the agent. */
  readonly runId?: string;
  /** Adds the step's usage to a user's day, in the same write: both are stored or neither. */
  readonly charge?: UsageCharge;
}

export interface OpenSocket {
  readonly id: string;
  readonly ownerUid: number;
  readonly replicaId: string;
  readonly leaseMs: number;
}

export interface StartRun {
  readonly runId: string;
  readonly replicaId: string;
  readonly messageId: string;
  /** The lease's length; the run's replica renews it while the run lives. */
  readonly leaseMs: number;
  /** Live runs the owner may have at once, across the fleet (undefined: no bound). */
  readonly maxRunsPerOwner?: number;
}

export interface AgentStore {
  /** `memory`, `file` or `postgres`. */
  readonly kind: string;
  /** Resolves when the store can serve; rejects with StoreUnavailableError otherwise (the readiness probe). */
  ping(): Promise<void>;

  /** Stores a new agent; false when the owner already has `maxPerOwner` agents (checked atomically). */
  createAgent(meta: AgentMeta, options?: { readonly maxPerOwner?: number }): Promise<boolean>;
  getAgent(id: string): Promise<StoredAgent | undefined>;
  /** One page of agents, oldest first. */
  listAgents(query: AgentQuery): Promise<AgentPage>;
  countAgents(ownerUid: number): Promise<number>;
  /** Applies a patch to the meta; undefined when the agent does not exist. */
  updateAgent(id: string, patch: AgentPatch): Promise<StoredAgent | undefined>;
  /** Removes the agent, its steps and its run; false when it did not exist. */
  deleteAgent(id: string): Promise<boolean>;

  /**
   * Appends a step as the new HEAD. With `runId`, only while that run still
   * holds the agent (a replica that lost its lease cannot write).
   * Resolves false when the agent is gone or the run no longer holds it
   * (and then charges nothing).
   */
  appendStep(agentId: string, step: ReActStep, options?: AppendStepOptions): Promise<boolean>;
  /** Moves HEAD to a stored step (checkout), or to nothing while dropping every step (`clear`). Refused while a run holds the agent. */
  moveHead(agentId: string, target: { readonly stepId: string } | { readonly clear: true }): Promise<MoveHeadResult>;
  /** Every step, in insertion order. */
  steps(agentId: string): Promise<ReActStep[]>;
  /**
   * The conversation as it is now: the path from the root to HEAD (or to
   * `headId`), oldest first; with `limit`, only its last `limit` steps.
   */
  path(agentId: string, options?: { readonly headId?: string; readonly limit?: number }): Promise<ReActStep[]>;
  step(agentId: string, stepId: string): Promise<ReActStep | undefined>;
  /** The usage fields of every step (no content, no workflows), in insertion order. */
  stepUsage(agentId: string): Promise<StepUsageRecord[]>;

  /** Users' totals per day and model between two UTC days (inclusive), by day, model and user. */
  dailyUsage(query: DailyUsageQuery): Promise<DailyUsageRow[]>;

  /** Starts a run unless one holds the agent (or, with maxRunsPerOwner, the owner has that many). An expired run is claimed and returned as `orphan`. */
  startRun(agentId: string, run: StartRun): Promise<StartRunResult>;
  /** Extends the leases of these runs of `replicaId`: which it no longer holds, and which were asked to stop. */
  renewRuns(replicaId: string, runIds: readonly string[], leaseMs: number): Promise<RenewResult>;
  /** Ends the run (a no-op when it no longer holds the agent). */
  endRun(agentId: string, runId: string): Promise<void>;
  /** Marks the live run as stopping; false when there is none. */
  requestStop(agentId: string): Promise<boolean>;
  /** Claims runs whose lease expired (their replica died) so that this replica can end them. */
  claimOrphanedRuns(replicaId: string, leaseMs: number): Promise<OrphanedRun[]>;
  /** How many live runs the owner has. */
  countRuns(ownerUid: number): Promise<number>;

  /** Counts an open socket of its owner, held by a replica; false (not counted) when the owner already has `max` open, across replicas. */
  openSocket(socket: OpenSocket, max?: number): Promise<boolean>;
  /** Stops counting a socket (closing one that is not counted is not an error). */
  closeSocket(id: string): Promise<void>;
  /** Keeps this replica's sockets counted: a replica that stops renewing them (it died) stops counting after a lease. */
  renewSockets(replicaId: string, leaseMs: number): Promise<void>;
  /** How many sockets the owner has open. */
  countSockets(ownerUid: number): Promise<number>;

  /** Resolves when every write issued so far has reached the store. */
  flush(): Promise<void>;
  /** Flushes and releases what the store holds (locks, connections). */
  close(): Promise<void>;
}
