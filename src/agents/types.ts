/**
 * The shapes of agents and their steps, kept wire-compatible with the
 * reference service (Apache Texera's agent-service) so its frontend can read
 * them, plus the fields we add (owner, token usage, errors).
 *
 * @module
 */

export type AgentState = "AVAILABLE" | "GENERATING" | "STOPPING" | "UNAVAILABLE";

/** Per-agent settings (the reference's `AgentSettingsDto`). */
export interface AgentSettings {
  maxOperatorResultCharLimit: number;
  maxOperatorResultCellCharLimit: number;
  operatorResultSerializationMode: "tsv";
  /** Bound on one tool call. */
  toolTimeoutSeconds: number;
  executionTimeoutMinutes: number;
  /** Tools the model is not offered. */
  disabledTools: string[];
  /** Model calls per run. */
  maxSteps: number;
  /** Operator types the agent may add. */
  allowedOperatorTypes: string[];
}

export interface ToolCallRecord {
  toolName: string;
  toolCallId: string;
  input: unknown;
}

export interface ToolResultRecord {
  toolCallId: string;
  output: string;
  isError?: boolean;
}

export interface StepUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Prompt tokens read from the provider's cache (absent in steps saved before it was recorded). */
  cachedInputTokens?: number;
}

/**
 * What one model call cost in USD, and who said so: `litellm` is LiteLLM's
 * own figure, `model_prices` the model's prices from `/model/info` times the
 * usage. A call whose cost is unknown has no cost at all: never a guess.
 */
export interface StepCost {
  usd: number;
  source: "litellm" | "model_prices";
}

/** One step of a conversation: the user's message, or one model call with its tool calls. */
export interface ReActStep {
  id: string;
  /** The HEAD this step was added on; absent for the root. */
  parentId?: string;
  /** Groups the steps of one user message and its run. */
  messageId: string;
  /** 0 for the user's message, then 1, 2, ... per model call. */
  stepId: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  role: "user" | "agent";
  content: string;
  isBegin: boolean;
  isEnd: boolean;
  toolCalls?: ToolCallRecord[];
  toolResults?: ToolResultRecord[];
  /** Tokens the model call used, as LiteLLM reported them; absent when it reported none. */
  usage?: StepUsage;
  /** What the model call cost; absent when unknown. */
  cost?: StepCost;
  /** The model the call went to: set on every step that made a model call (and only those). */
  model?: string;
  /** LiteLLM's id for the call (`x-litellm-call-id`), on a model step or on the error step of a failed call. */
  requestId?: string;
  messageSource?: "chat" | "feedback";
  /** Set on the step that ended a run by `stop`. */
  stopped?: boolean;
  /** Set on the step that ended a run whose replica died mid-turn. */
  interrupted?: boolean;
  /** A user-facing description of the failure that ended the run. */
  error?: string;
  /** The stable code of that failure (`upstream_unavailable`, `interrupted`, ...). */
  errorCode?: string;
  /** With `rate_limited` or `quota_exceeded`: how long until trying again may work, in ms (when known). */
  retryAfterMs?: number;
  /** Tool-owned state before/after the step (the workflow, for the copilot); restored by checkout. */
  beforeWorkflowContent?: unknown;
  afterWorkflowContent?: unknown;
}

/** What the store keeps about an agent besides its steps. Never contains a user token. */
export interface AgentMeta {
  id: string;
  ownerUid: number;
  ownerName: string;
  name: string;
  modelType: string;
  /** ISO timestamp. */
  createdAt: string;
  settings: AgentSettings;
}

/** The run an agent is in, as the store records it (its lease is held by `replicaId`). */
export interface RunInfo {
  readonly runId: string;
  /** The replica executing the run; it renews the lease while the run lives. */
  readonly replicaId: string;
  /** The user message the run answers. */
  readonly messageId: string;
  /** A stop was requested and has not finished yet. */
  readonly stopping: boolean;
}

/** An agent as the store has it now: its meta, where its conversation stands, and its run, if any. */
export interface StoredAgent extends AgentMeta {
  /** The step new messages branch from; null before the first message and after `clear`. */
  headId: string | null;
  /** Steps stored (every branch). */
  stepCount: number;
  /** The live run (lease not expired), or null. */
  run: RunInfo | null;
}

/**
 * An agent with every step, in the shape of the first round's agent files
 * (`<id>.agent.json`): what the file store migrates from, and a convenient
 * whole-agent form for tests.
 */
export interface AgentRecord extends AgentMeta {
  /** Format version of the legacy file. */
  version: 1;
  /** Every step ever added, in insertion order; `parentId` links make the tree. */
  steps: ReActStep[];
  headId?: string;
}
