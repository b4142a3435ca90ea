/**
 * What the sockets of an agent receive: the reference's events (`state`,
 * `step`, `complete`, `error`, `headChange`) plus `delta` (streamed text) and
 * `agent` (the agent was renamed or its settings changed). On the wire every
 * event also carries `seq`, the agent's event sequence number.
 *
 * @module
 */
import type { ErrorCode } from "../error-codes.ts";
import type { UsageTotals } from "../usage/types.ts";
import type { AgentSettings, AgentState, ReActStep } from "./types.ts";

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

export type AgentEvent =
  | { type: "state"; state: AgentState }
  | { type: "delta"; messageId: string; stepId: number; text: string }
  | { type: "step"; step: ReActStep }
  /** A run ended; `usage` sums its model calls (absent for a run another replica left behind). */
  | { type: "complete"; state: AgentState; usage?: UsageTotals }
  /** `resetsAt` and `retryAfterMs` come with `quota_exceeded` (a daily limit) when known. */
  | { type: "error"; error: string; code: ErrorCode; resetsAt?: string; retryAfterMs?: number }
  | { type: "headChange"; headId: string | null; steps: ReActStep[]; more?: boolean; workflowContent?: unknown }
  | { type: "agent"; agent: AgentInfo };

/** An event with its place in the agent's sequence (per agent, increasing, no gaps). */
export interface SeqEvent {
  readonly seq: number;
  readonly event: AgentEvent;
}
