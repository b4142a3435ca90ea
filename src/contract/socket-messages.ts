/**
 * Every message of the `/api/agents/:id/react` WebSocket, once, as zod
 * schemas: what the client sends (`message`, `prompt`, `stop`) and every
 * frame the service sends (`init`, `state`, `delta`, `step`, `complete`,
 * `error`, `headChange`, `agent`, and with `?protocol=2` the newer
 * reference's `snapshot` and `status`).
 *
 * The AsyncAPI document (asyncapi.ts) is generated from these schemas, and
 * the test suite checks every frame it sends and receives against them. The
 * TypeScript types the client library exports (`ReActStep`, `AgentEvent`,
 * `InitEvent`, ...) are asserted equal to `z.infer` of these schemas at
 * compile time (tests/socket-contract.test.ts), so neither can drift.
 *
 * The agent, step, settings and usage schemas are the REST answers' too
 * (rest-schemas.ts re-exports them): one definition of each, strict (no
 * field the document does not name), for both documents.
 *
 * Nothing on the hot path imports this module: the service validates client
 * frames by hand (react-socket.ts) and the document is built on first request.
 *
 * @example
 * ```ts
 * import { serverFrameSchema } from "./socket-messages.ts";
 * serverFrameSchema.parse({ type: "state", state: "GENERATING", seq: 3 });
 * ```
 *
 * @module
 */
import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../error-codes.ts";
import { usageTotalsSchema as usageTotals } from "../usage/schemas.ts";

const count = z.number().int().nonnegative();

/**
 * The named schemas of the socket protocol (each becomes one
 * `components.schemas` entry of the AsyncAPI document). A registry of its
 * own, not zod's global one, so other documents may reuse the names.
 */
export const socketSchemas = z.registry<{ id: string; description?: string }>();

/** A stable error code (error-codes.ts). */
export const errorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]).register(socketSchemas, {
  id: "ErrorCode",
  description: "A stable, machine-readable error code (the same table as the REST API's `{error, code}` bodies). Messages may change; codes do not.",
});

export const agentStateSchema = z.enum(["AVAILABLE", "GENERATING", "STOPPING", "UNAVAILABLE"]).register(socketSchemas, {
  id: "AgentState",
  description: "Whether the agent takes a message (`AVAILABLE`), is running (`GENERATING`), is ending a run by `stop` (`STOPPING`).",
});

export const agentSettingsSchema = z.strictObject({
  maxOperatorResultCharLimit: count,
  maxOperatorResultCellCharLimit: count,
  operatorResultSerializationMode: z.literal("tsv"),
  toolTimeoutSeconds: count.describe("Bound on one tool call."),
  executionTimeoutMinutes: count,
  disabledTools: z.array(z.string()).describe("Tools the model is not offered."),
  maxSteps: count.describe("Model calls per run."),
  allowedOperatorTypes: z.array(z.string()).describe("Operator types the agent may add."),
}).register(socketSchemas, { id: "AgentSettings", description: "Per-agent settings (the reference's `AgentSettingsDto`)." });

export const toolCallRecordSchema = z.strictObject({
  toolName: z.string(),
  toolCallId: z.string(),
  input: z.unknown(),
}).register(socketSchemas, { id: "ToolCallRecord" });

export const toolResultRecordSchema = z.strictObject({
  toolCallId: z.string(),
  output: z.string(),
  isError: z.boolean().optional(),
}).register(socketSchemas, { id: "ToolResultRecord" });

export const stepUsageSchema = z.strictObject({
  inputTokens: count,
  outputTokens: count,
  totalTokens: count,
  cachedInputTokens: count.optional().describe("Prompt tokens read from the provider's cache."),
}).register(socketSchemas, { id: "StepUsage", description: "Tokens one model call used, as LiteLLM reported them." });

export const stepCostSchema = z.strictObject({
  usd: z.number().nonnegative(),
  source: z.enum(["litellm", "model_prices"]),
}).register(socketSchemas, { id: "StepCost", description: "What one model call cost in USD, and who said so." });

export const reactStepSchema = z.strictObject({
  id: z.string(),
  parentId: z.string().optional().describe("The HEAD this step was added on; absent for the root."),
  messageId: z.string().describe("Groups the steps of one user message and its run."),
  stepId: count.describe("0 for the user's message, then 1, 2, ... per model call."),
  timestamp: z.number().describe("Milliseconds since the epoch."),
  role: z.enum(["user", "agent"]),
  content: z.string(),
  isBegin: z.boolean(),
  isEnd: z.boolean(),
  toolCalls: z.array(toolCallRecordSchema).optional(),
  toolResults: z.array(toolResultRecordSchema).optional(),
  usage: stepUsageSchema.optional(),
  cost: stepCostSchema.optional(),
  model: z.string().optional().describe("The model the call went to, on every step that made a model call."),
  requestId: z.string().optional().describe("LiteLLM's id for the call (`x-litellm-call-id`)."),
  messageSource: z.enum(["chat", "feedback"]).optional(),
  stopped: z.boolean().optional().describe("Set on the step that ended a run by `stop`."),
  interrupted: z.boolean().optional().describe("Set on the step that ended a run whose replica died mid-turn."),
  error: z.string().optional().describe("A user-facing description of the failure that ended the run."),
  errorCode: z.string().optional().describe("The stable code of that failure (an ErrorCode)."),
  retryAfterMs: z.number().optional().describe("With `rate_limited` or `quota_exceeded`: how long until trying again may work, in ms."),
  beforeWorkflowContent: z.unknown().optional().describe("Tool-owned state before the step (the workflow, for the copilot)."),
  afterWorkflowContent: z.unknown().optional().describe("Tool-owned state after the step."),
}).register(socketSchemas, { id: "ReActStep", description: "One step of a conversation: the user's message, or one model call with its tool calls." });

export const usageTotalsSchema = usageTotals.register(socketSchemas, { id: "UsageTotals", description: "Tokens and cost of some model calls." });

export const agentInfoSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  modelType: z.string(),
  state: agentStateSchema,
  createdAt: z.iso.datetime().describe("ISO timestamp."),
  owner: z.strictObject({ uid: z.number().int().positive(), name: z.string() }),
  settings: agentSettingsSchema,
}).register(socketSchemas, { id: "AgentInfo", description: "An agent as the API shows it." });

const seq = z.number().int().min(0).describe("The agent's event sequence number: per agent, increasing, no gaps. Reconnect with `?after=<seq>` to miss nothing.");

// ---- client -> server -------------------------------------------------------

const content = z.string().min(1).describe("The user's message: not blank, at most the service's MAX_MESSAGE_CHARS (default 100000) characters.");
const messageSource = z.enum(["chat", "feedback"]).optional().describe("Where the message came from; default `chat`.");

export const messageMessageSchema = z.object({ type: z.literal("message"), content, messageSource }).register(socketSchemas, {
  id: "MessageMessage",
  description: "Send a user message: starts a run (the reference's name).",
});
export const promptMessageSchema = z.object({ type: z.literal("prompt"), content, messageSource }).register(socketSchemas, {
  id: "PromptMessage",
  description: "Send a user message: starts a run (the newer reference's name; the same as `message`).",
});
export const stopMessageSchema = z.object({ type: z.literal("stop") }).register(socketSchemas, {
  id: "StopMessage",
  description: "Stop the agent's run, if any.",
});

/** Everything a client may send. */
export const clientMessageSchema = z.discriminatedUnion("type", [messageMessageSchema, promptMessageSchema, stopMessageSchema]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

// ---- server -> client: the events, as the server's types have them ----------

export const initEventSchema = z.object({
  type: z.literal("init"),
  state: agentStateSchema,
  steps: z.array(reactStepSchema).describe("The latest steps of the conversation (root to HEAD), oldest first."),
  headId: z.string().nullable(),
  seq,
  more: z.boolean().describe("Older steps exist before the first of `steps` (GET /api/agents/{id}/conversation?before=<id>)."),
});

export const stateEventSchema = z.object({ type: z.literal("state"), state: agentStateSchema });
export const deltaEventSchema = z.object({
  type: z.literal("delta"),
  messageId: z.string(),
  stepId: z.number().int(),
  text: z.string().describe("The next piece of the model's answer, streamed."),
});
export const stepEventSchema = z.object({ type: z.literal("step"), step: reactStepSchema });
export const completeEventSchema = z.object({
  type: z.literal("complete"),
  state: agentStateSchema,
  usage: usageTotalsSchema.optional().describe("The run's model calls summed (absent for a run another replica left behind)."),
});
export const errorEventSchema = z.object({
  type: z.literal("error"),
  error: z.string().describe("For people; may change."),
  code: errorCodeSchema,
  resetsAt: z.string().optional().describe("With `quota_exceeded` (a daily limit): when the day's totals start from zero (ISO)."),
  retryAfterMs: z.number().optional().describe("With `quota_exceeded`: how long until trying again may work, in ms."),
});
export const headChangeEventSchema = z.object({
  type: z.literal("headChange"),
  headId: z.string().nullable(),
  steps: z.array(reactStepSchema),
  more: z.boolean().optional().describe("Older steps exist before the first of `steps` (the window is bounded in steps and in bytes; GET /api/agents/{id}/conversation?before=<id>)."),
  workflowContent: z.unknown().optional(),
});
export const agentEventSchema = z.object({ type: z.literal("agent"), agent: agentInfoSchema });

/** Every event of `AgentEvent` (agents/events.ts), without its `seq`. */
export const agentEventUnionSchema = z.discriminatedUnion("type", [
  stateEventSchema,
  deltaEventSchema,
  stepEventSchema,
  completeEventSchema,
  errorEventSchema,
  headChangeEventSchema,
  agentEventSchema,
]);

// ---- server -> client: the frames on the wire --------------------------------

/** The frames, by name: each one message of the document. */
export const SERVER_FRAMES = {
  init: initEventSchema.register(socketSchemas, {
    id: "InitFrame",
    description: "The first frame of every socket (and after `?after=` when the missed events are no longer kept): the agent as it is now.",
  }),
  state: stateEventSchema.extend({ seq }).register(socketSchemas, { id: "StateFrame", description: "The agent's state changed." }),
  delta: deltaEventSchema.extend({ seq }).register(socketSchemas, { id: "DeltaFrame", description: "Streamed text of the model call in progress." }),
  step: stepEventSchema.extend({ seq }).register(socketSchemas, { id: "StepFrame", description: "A step was added to the conversation." }),
  complete: completeEventSchema.extend({ seq }).register(socketSchemas, { id: "CompleteFrame", description: "A run ended." }),
  error: errorEventSchema.extend({
    seq: seq.optional().describe("Present when the error is an event of the agent (sent to every socket); absent when it answers this socket's frame."),
  }).register(socketSchemas, {
    id: "ErrorFrame",
    description: "Something failed: an answer to a bad or refused client frame (the socket stays open), or an event of the agent.",
  }),
  headChange: headChangeEventSchema.extend({ seq }).register(socketSchemas, {
    id: "HeadChangeFrame",
    description: "HEAD moved (checkout, clear): the conversation as it now is.",
  }),
  agent: agentEventSchema.extend({ seq }).register(socketSchemas, { id: "AgentFrame", description: "The agent was renamed or its settings changed." }),
  snapshot: z.object({
    type: z.literal("snapshot"),
    state: agentStateSchema.optional().describe("Present when it stands for `init`."),
    steps: z.array(reactStepSchema),
    headId: z.string().nullable(),
    seq,
    more: z.boolean().optional().describe("Older steps exist before the first of `steps` (as in `init` and `headChange`)."),
  }).register(socketSchemas, {
    id: "SnapshotFrame",
    description: "With `?protocol=2` only: the newer reference's name for `init` and for `headChange`.",
  }),
  status: z.object({ type: z.literal("status"), state: agentStateSchema, seq }).register(socketSchemas, {
    id: "StatusFrame",
    description: "With `?protocol=2` only: the newer reference's name for `state`.",
  }),
} as const;

/** Every frame the service sends. */
export const serverFrameSchema = z.discriminatedUnion("type", [
  SERVER_FRAMES.init,
  SERVER_FRAMES.state,
  SERVER_FRAMES.delta,
  SERVER_FRAMES.step,
  SERVER_FRAMES.complete,
  SERVER_FRAMES.error,
  SERVER_FRAMES.headChange,
  SERVER_FRAMES.agent,
  SERVER_FRAMES.snapshot,
  SERVER_FRAMES.status,
]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;

/** The client messages, by name. */
export const CLIENT_MESSAGES = {
  message: messageMessageSchema,
  prompt: promptMessageSchema,
  stop: stopMessageSchema,
} as const;
