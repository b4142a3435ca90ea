/**
 * What the sockets of an agent receive: the reference's events (`state`,
 * `step`, `complete`, `error`, `headChange`) plus `delta` (streamed text) and
 * `agent` (the agent was renamed or its settings changed). On the wire every
 * event also carries `seq`, the agent's event sequence number.
 *
 * @module
 */
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
  | { type: "complete"; state: AgentState }
  | { type: "error"; error: string; code: string }
  | { type: "headChange"; headId: string | null; steps: ReActStep[]; workflowContent?: unknown }
  | { type: "agent"; agent: AgentInfo };

/** An event with its place in the agent's sequence (per agent, increasing, no gaps). */
export interface SeqEvent {
  readonly seq: number;
  readonly event: AgentEvent;
}
