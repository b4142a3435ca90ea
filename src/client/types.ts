/**
 * The shapes the client reads and writes. Agent, step and event shapes are
 * the server's own types (type-only imports: nothing of the server is bundled
 * into the browser module), so the two cannot drift apart unnoticed.
 *
 * @module
 */
import type { AgentEvent, AgentInfo } from "../agents/agent.ts";
import type { AgentSettings, AgentState, ReActStep, StepCost, StepUsage, ToolCallRecord, ToolResultRecord } from "../agents/types.ts";
import type {
  AgentUsage,
  DailyLimitState,
  DayUsage,
  ModelUsage,
  RunUsage,
  UsageTotals,
  UserTotals,
  UserUsage,
  UserUsageQuery,
} from "../usage/types.ts";

export type { AgentEvent, AgentInfo, AgentSettings, AgentState, ReActStep, StepCost, StepUsage, ToolCallRecord, ToolResultRecord };
export type { AgentUsage, DailyLimitState, DayUsage, ModelUsage, RunUsage, UsageTotals, UserTotals, UserUsage, UserUsageQuery };

/** The verified caller, as `GET /api/agents/whoami` shows it. */
export interface CallerInfo {
  uid: number;
  name: string;
  email: string;
  role: string;
}

/** One operator of a Texera workflow (workflow-content JSON). */
export interface WorkflowOperator {
  operatorID: string;
  operatorType: string;
  operatorProperties?: Record<string, unknown>;
  customDisplayName?: string;
  [key: string]: unknown;
}

/** One edge of a Texera workflow: an output port to an input port. */
export interface WorkflowLink {
  linkID: string;
  source: { operatorID: string; portID: string };
  target: { operatorID: string; portID: string };
}

/** Texera's workflow-content JSON: what the copilot agent builds. */
export interface WorkflowContent {
  operators: WorkflowOperator[];
  operatorPositions: Record<string, { x: number; y: number }>;
  links: WorkflowLink[];
  [key: string]: unknown;
}

/** `GET /api/agents/:id`: the agent, its step count and HEAD, and what its toolkit adds (`workflow`). */
export interface AgentDetails extends AgentInfo {
  stepCount: number;
  headId: string | null;
  /** The agent's workflow; absent for agents without the workflow copilot. */
  workflow?: WorkflowContent;
  [key: string]: unknown;
}

/** One entry of `GET /api/agents/models` (LiteLLM's OpenAI-shaped list). */
export interface ModelEntry {
  id: string;
  object?: string;
  created?: number;
  owned_by?: string;
  /** With `details: true`: what LiteLLM's `/model/info` knows. */
  details?: {
    provider?: string;
    mode?: string;
    maxInputTokens?: number;
    maxOutputTokens?: number;
    supportsFunctionCalling?: boolean;
    supportsParallelFunctionCalling?: boolean;
    supportsVision?: boolean;
    /** USD per input token. */
    inputCostPerToken?: number;
    /** USD per output token. */
    outputCostPerToken?: number;
    /** USD per input token read from the provider's prompt cache. */
    cacheReadInputTokenCost?: number;
    /** USD per reasoning token, when priced apart. */
    outputCostPerReasoningToken?: number;
    /** Input size (tokens) from which other prices apply: a call past it has no known cost. */
    tieredPriceFromTokens?: number;
  };
  [key: string]: unknown;
}

export interface ModelList {
  object?: string;
  data: ModelEntry[];
  /** Set when the list came back but the details could not be fetched. */
  details_error?: string;
  /** The stable code of why the details are missing. */
  details_error_code?: string;
  [key: string]: unknown;
}

/** `POST /api/agents`. Identity comes from the token, never from the body. */
export interface CreateAgentInput {
  modelType: string;
  name?: string;
  settings?: Partial<AgentSettings>;
}

/** `PATCH /api/agents/:id`: at least one field. */
export interface UpdateAgentInput {
  name?: string;
  modelType?: string;
}

/** One page of `GET /api/agents`. */
export interface AgentPage {
  agents: AgentInfo[];
  /** Pass it back as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

/** `GET /api/agents/:id/conversation`: steps of the conversation, newest last. */
export interface ConversationPage {
  steps: ReActStep[];
  /** Older steps exist before the first of `steps`. */
  more: boolean;
}

/** `GET /api/agents/:id/react-steps`. */
export interface ReactSteps {
  steps: ReActStep[];
  state: AgentState;
  headId: string | null;
}

/** `GET /api/agents/:id/system-info`. */
/** One operator type the copilot may use (`GET /agents/:id/operator-types`). */
export interface OperatorTypeInfo {
  type: string;
  displayName: string;
  group?: string;
  description: string;
  inputPorts: { displayName?: string; allowMultiLinks?: boolean }[];
  outputPorts: { displayName?: string }[];
  propertiesSchema: Record<string, unknown>;
  version?: string;
}

export interface SystemInfo {
  systemPrompt: string;
  tools: { name: string; description: string; inputSchema: Record<string, unknown>; enabled: boolean }[];
}

/** The first event of every `/react` socket: the agent as it is now (sent again after each reconnect). */
export interface InitEvent {
  type: "init";
  state: AgentState;
  /** The latest steps of the conversation (root to HEAD), oldest first. */
  steps: ReActStep[];
  headId: string | null;
  /** The last event this reflects: reconnect with `?after=<seq>` to miss nothing. */
  seq: number;
  /** Older steps exist before the first of `steps` (`AgentClient.conversation`). */
  more: boolean;
}

/** Every event the `/react` socket sends. */
export type ReactEvent = InitEvent | AgentEvent;

export type ReactEventType = ReactEvent["type"];

/** The event of one type, e.g. `ReactEventOf<"step">` is `{ type: "step"; step: ReActStep }`. */
export type ReactEventOf<T extends ReactEventType> = Extract<ReactEvent, { type: T }>;
