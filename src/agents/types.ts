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
  usage?: StepUsage;
  messageSource?: "chat" | "feedback";
  /** Set on the step that ended a run by `stop`. */
  stopped?: boolean;
  /** A user-facing description of the failure that ended the run. */
  error?: string;
  /** Tool-owned state before/after the step (the workflow, for the copilot); restored by checkout. */
  beforeWorkflowContent?: unknown;
  afterWorkflowContent?: unknown;
}

/** Everything persisted about one agent. Never contains a user token. */
export interface AgentRecord {
  /** Format version; a store skips records of another version. */
  version: 1;
  id: string;
  ownerUid: number;
  ownerName: string;
  name: string;
  modelType: string;
  /** ISO timestamp. */
  createdAt: string;
  settings: AgentSettings;
  /** Every step ever added, in insertion order; `parentId` links make the tree. */
  steps: ReActStep[];
  /** The step new messages branch from; undefined before the first message or after `clear`. */
  headId?: string;
}
