/**
 * The ReAct loop: the user's message becomes a step; then, up to `maxSteps`
 * model calls, the model streams text (sent out as `delta` events), its tool
 * calls run, and their results feed the next call. The run ends when the
 * model answers without tool calls, on `maxSteps`, on stop, or on an error.
 *
 * The loop only decides what happens; where steps are kept and how events
 * reach sockets is the caller's (`RunContext`), so the same loop serves one
 * process and a fleet of replicas.
 *
 * The first model request is sent before anything is kept or published: the
 * run's `begin` (its state and event log) and the user step's save and event
 * follow while the model thinks, and the model's first delta waits for them,
 * so sockets still see the state, the user step, then the deltas.
 *
 * @module
 */
import {
  type ChatEvent,
  type ChatMessage,
  type ChatToolCallMessage,
  describeLiteLLMFailure,
  type LiteLLMClient,
  LiteLLMError,
  type ToolCall,
} from "../litellm.ts";
import type { Logger } from "../log.ts";
import type { RunTelemetry } from "../observability/run-telemetry.ts";
import type { AgentEvent, LoadedAgent } from "./agent.ts";
import { DeltaCoalescer } from "./delta-coalescer.ts";
import { runTool, toChatTool, type Tool } from "./tool.ts";
import type { ReActStep, ToolCallRecord, ToolResultRecord } from "./types.ts";
import { randomUuid } from "../ids.ts";

/** What a run needs from the service around it. */
export interface RunContext {
  readonly agent: LoadedAgent;
  readonly messageId: string;
  readonly uid: number;
  /** Aborted on stop, on shutdown past the grace period, and when the run loses its agent. */
  readonly signal: AbortSignal;
  readonly llm: Pick<LiteLLMClient, "chat">;
  readonly logger: Logger;
  readonly now: () => number;
  /** Sends an event to every socket of the agent. Never throws. */
  emit(event: AgentEvent): void;
  /** Keeps a step and sends it to every socket. Never throws. */
  record(step: ReActStep): void;
  /**
   * The run's setup before its first event (the registry publishes the
   * GENERATING state and truncates the event log). Called once the first
   * model request is on its way, so the store and the bus work while the
   * model thinks instead of before the request; no event of the run (its
   * user step first) is sent before it settles. If it rejects, the model
   * request is aborted and the run ends with an error step. Absent: none.
   */
  begin?(): Promise<void>;
  /**
   * Asked after a model call that another is to follow: why the run must
   * stop there (the user's daily limit is reached), or undefined to go on.
   * Absent: nothing limits the run. Never rejects.
   */
  limitReached?(): Promise<RunStop | undefined>;
  /** Bounds of this run (each absent: none). */
  readonly limits?: RunLimits;
  /** Records the run's model and tool calls (metrics, spans); none in tests that do not look. */
  readonly telemetry?: RunTelemetry;
}

/** Why a run stops between two model calls, as its last step says. */
export interface RunStop {
  readonly message: string;
  readonly code: string;
  readonly retryAfterMs?: number;
}

/** What a run may grow to. */
export interface RunLimits {
  /** Characters of one model answer's text. */
  readonly maxStepChars?: number;
  /** Characters of one tool call's arguments as the model wrote them. */
  readonly maxToolArgumentChars?: number;
  /** Steps the agent's history still has room for. */
  readonly stepRoom?: number;
}

/** A bound of the run was reached; the run ends with a step that says which. */
export class RunLimitError extends Error {
  override name = "RunLimitError";
  readonly code: "answer_too_long" | "history_full";
  constructor(code: "answer_too_long" | "history_full", message: string) {
    super(message);
    this.code = code;
  }
}

/** How a run ended. */
export type RunOutcome = "completed" | "stopped" | "error";

export const STOPPED_MESSAGE = "Generation stopped by user.";
const UNEXPECTED_MESSAGE = "The agent failed unexpectedly; the details are in the service log.";

/** The tools the model is offered now: all of the toolkit's, minus `disabledTools`. */
export function enabledTools(agent: Pick<LoadedAgent, "settings" | "toolkit">): Tool[] {
  const disabled = new Set(agent.settings.disabledTools);
  return agent.toolkit.tools().filter((tool) => !disabled.has(tool.name));
}

/** The chat messages for the next model call: the system prompt (with the current context) and the visible conversation. */
export function buildMessages(agent: LoadedAgent): ChatMessage[] {
  const context = agent.toolkit.context?.();
  const system = agent.toolkit.systemPrompt(agent.settings) + (context ? `\n\n${context}` : "");
  const messages: ChatMessage[] = [{ role: "system", content: system }];
  for (const step of agent.visibleSteps()) {
    if (step.role === "user") {
      messages.push({ role: "user", content: step.content });
      continue;
    }
    // Markers of a stopped, interrupted or failed run are for the user, not things the model said.
    if (step.stopped || step.interrupted || step.error !== undefined) continue;
    const calls = step.toolCalls ?? [];
    const toolCalls: ChatToolCallMessage[] = calls.map((call) => ({
      id: call.toolCallId,
      type: "function",
      function: { name: call.toolName, arguments: JSON.stringify(call.input ?? {}) },
    }));
    messages.push(
      toolCalls.length > 0
        ? { role: "assistant", content: step.content || null, tool_calls: toolCalls }
        : { role: "assistant", content: step.content },
    );
    for (const call of calls) {
      const result = step.toolResults?.find((r) => r.toolCallId === call.toolCallId);
      messages.push({ role: "tool", tool_call_id: call.toolCallId, content: result?.output ?? "[ERROR] the tool did not run" });
    }
  }
  return messages;
}

export const newId = (prefix: string) => [prefix, randomUuid()].join("-");

/** A failure that ends the run, with what the user sees. */
interface RunFailure {
  readonly message: string;
  readonly code: string;
  /** LiteLLM's id for the failed call. */
  readonly requestId?: string;
  /** A rate limit's retry time, when LiteLLM gave one. */
  readonly retryAfterMs?: number;
}

/** The fields of a step that ends a run on a failure or a limit. */
function failureFields(failure: RunFailure | RunStop): Partial<ReActStep> {
  return {
    error: failure.message,
    errorCode: failure.code,
    ...("requestId" in failure && failure.requestId !== undefined ? { requestId: failure.requestId } : {}),
    ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
  };
}

function failureOf(error: unknown, ctx: RunContext): RunFailure {
  if (error instanceof RunLimitError) return { message: error.message, code: error.code };
  if (error instanceof LiteLLMError) {
    ctx.logger.warn("a run ended on a LiteLLM failure", {
      agentId: ctx.agent.id,
      code: error.code,
      status: error.status,
      requestId: error.requestId,
      upstream: error.upstreamMessage,
    });
    return {
      message: `The model service failed: ${describeLiteLLMFailure(error)}.`,
      code: error.code,
      ...(error.requestId !== undefined ? { requestId: error.requestId } : {}),
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: Math.round(error.retryAfterMs) } : {}),
    };
  }
  ctx.logger.error("a run failed unexpectedly", { agentId: ctx.agent.id, error });
  return { message: UNEXPECTED_MESSAGE, code: "internal_error" };
}


/**
 * Runs one turn for `content`. Never rejects: whatever a tool, the toolkit,
 * the model service or a listener throws, the run ends with a step that
 * says what happened (unless the agent itself is gone).
 */
export async function runTurn(ctx: RunContext, content: string, messageSource: "chat" | "feedback" = "chat"): Promise<RunOutcome> {
  const { agent, messageId, signal } = ctx;
  const deltas = new DeltaCoalescer((stepId, text) => ctx.emit({ type: "delta", messageId, stepId, text }));
  // The toolkit's state before/after each step. Where it fails, the run ends
  // with an error step; the user's message and that step are recorded without
  // a snapshot (so a toolkit that throws cannot leave a run without its end).
  const snapshot = (): unknown => agent.toolkit.snapshot?.();
  let snapshotFailure: { error: unknown } | undefined;
  const safeSnapshot = (): unknown => {
    try {
      return snapshot();
    } catch (error) {
      snapshotFailure ??= { error };
      return undefined;
    }
  };
  let recorded = 0;
  const record = (step: Omit<ReActStep, "parentId">) => {
    deltas.flush();
    recorded++;
    ctx.record(agent.addStep(step));
  };

  let stepNo = 0;
  let outcome: RunOutcome = "completed";
  // The user's step joins the conversation at once (the first model call
  // reads it) but is kept and sent only after `begin`: see RunContext.begin.
  let userStep: ReActStep | undefined;
  let begun: Promise<void> | undefined;
  const begin = (): Promise<void> =>
    (begun ??= (async () => {
      try {
        await ctx.begin?.();
      } finally {
        if (userStep) ctx.record(userStep);
      }
    })());
  try {
    const state = safeSnapshot();
    recorded++;
    userStep = agent.addStep({
      id: newId("step"),
      messageId,
      stepId: 0,
      timestamp: ctx.now(),
      role: "user",
      content,
      isBegin: true,
      isEnd: true,
      messageSource,
      beforeWorkflowContent: state,
      afterWorkflowContent: state,
    });
    if (snapshotFailure) throw snapshotFailure.error;
    outcome = await modelCalls(ctx, deltas, snapshot, record, (n) => (stepNo = n), () => recorded, begin);
  } catch (error) {
    // A failure before the first model call (or of `begin` itself): the run's
    // state and user step still go out before the step that ends it.
    await begin().catch((beginError) => {
      if (beginError !== error) ctx.logger.error("a run failed to begin", { agentId: agent.id, error: beginError });
    });
    const stopped = signal.aborted || (error instanceof LiteLLMError && error.kind === "aborted");
    outcome = stopped ? "stopped" : "error";
    const failure = stopped ? undefined : failureOf(error, ctx);
    const state = safeSnapshot();
    try {
      record({
        id: newId("step"),
        messageId,
        stepId: stepNo,
        timestamp: ctx.now(),
        role: "agent",
        content: failure ? `Error: ${failure.message}` : STOPPED_MESSAGE,
        isBegin: false,
        isEnd: true,
        ...(failure ? failureFields(failure) : { stopped: true }),
        beforeWorkflowContent: state,
        afterWorkflowContent: state,
      });
    } catch (recordError) {
      ctx.logger.error("could not record the end of a run", { agentId: agent.id, error: recordError });
    }
  } finally {
    deltas.flush();
  }
  return outcome;
}

async function modelCalls(
  ctx: RunContext,
  deltas: DeltaCoalescer,
  snapshot: () => unknown,
  record: (step: Omit<ReActStep, "parentId">) => void,
  setStepNo: (n: number) => void,
  recorded: () => number,
  begin: () => Promise<void>,
): Promise<RunOutcome> {
  const { agent, messageId, signal } = ctx;
  const settings = agent.settings;
  const { maxStepChars = Infinity, maxToolArgumentChars = Infinity, stepRoom = Infinity } = ctx.limits ?? {};
  const tools = enabledTools(agent);
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const chatTools = tools.map(toChatTool);
  /** The step that ends a run between model calls (no call of its own; the tool state unchanged). */
  const closingStep = (stepId: number, content: string, extra: Partial<ReActStep> = {}) => {
    const state = snapshot();
    record({
      id: newId("step"),
      messageId,
      stepId,
      timestamp: ctx.now(),
      role: "agent",
      content,
      isBegin: false,
      isEnd: true,
      ...extra,
      beforeWorkflowContent: state,
      afterWorkflowContent: state,
    });
  };
  for (let stepNo = 1; ; stepNo++) {
    setStepNo(stepNo);
    // Room for this call's step and for the step that would end the run.
    if (recorded() + 2 > stepRoom) {
      throw new RunLimitError("history_full", "This conversation is full: clear it (or check out an earlier step) or start a new agent to go on.");
    }
    let text = "";
    const calls: ToolCall[] = [];
    let finish: Extract<ChatEvent, { type: "finish" }> | undefined;
    // The model as it is now: a PATCH during the call changes the next call's.
    const model = agent.meta.modelType;
    // The first call goes out before the run's `begin`, with a signal of its
    // own so that a failed `begin` aborts it.
    const messages = buildMessages(agent);
    const first = stepNo === 1 ? new AbortController() : undefined;
    const onStop = () => first?.abort();
    if (first) {
      if (signal.aborted) first.abort();
      else signal.addEventListener("abort", onStop, { once: true });
    }
    const request = { model, messages, tools: chatTools, signal: first?.signal ?? signal, user: String(ctx.uid) };
    const events = (ctx.telemetry ? ctx.telemetry.chat(ctx.llm, request) : ctx.llm.chat(request))[Symbol.asyncIterator]();
    try {
      // Starts the generator: the request is sent in this turn.
      const pending = events.next();
      if (first) {
        // Settled below; until then an early upstream failure is no unhandled rejection.
        pending.catch(() => {});
        try {
          await begin();
        } catch (error) {
          first.abort();
          throw error;
        }
      }
      for (let next = await pending; !next.done; next = await events.next()) {
        const event = next.value;
        if (event.type === "text") {
          text += event.text;
          if (text.length > maxStepChars) {
            throw new RunLimitError("answer_too_long", `The model's answer was longer than ${maxStepChars} characters; it was cut off.`);
          }
          deltas.push(stepNo, event.text);
        } else if (event.type === "tool_call") {
          calls.push(event.call);
        } else {
          finish = event;
        }
      }
    } finally {
      signal.removeEventListener("abort", onStop);
      // Ends the upstream request when the loop left early (a limit, a failed
      // `begin`: then after the aborted request settled); a no-op once done.
      await events.return?.().catch(() => {});
    }

    const before = snapshot();
    const toolCalls: ToolCallRecord[] = [];
    const toolResults: ToolResultRecord[] = [];
    for (const call of calls) {
      // Arguments over the bound are neither run, kept, sent to sockets nor sent back upstream.
      const oversized = call.rawArguments.length > maxToolArgumentChars;
      toolCalls.push({
        toolName: call.name,
        toolCallId: call.id,
        input: oversized ? { truncated: true, chars: call.rawArguments.length } : call.input ?? call.rawArguments,
      });
      const result = oversized
        ? { output: `[ERROR] The arguments for ${call.name} are ${call.rawArguments.length} characters, over the limit of ${maxToolArgumentChars}; not run.`, isError: true }
        : await callTool(ctx, byName, call, settings.toolTimeoutSeconds * 1000);
      toolResults.push(result.isError ? { toolCallId: call.id, output: result.output, isError: true } : { toolCallId: call.id, output: result.output });
    }

    const finished = calls.length === 0;
    record({
      id: newId("step"),
      messageId,
      stepId: stepNo,
      timestamp: ctx.now(),
      role: "agent",
      content: text,
      isBegin: stepNo === 1,
      isEnd: finished,
      ...(calls.length > 0 ? { toolCalls, toolResults } : {}),
      model,
      ...(finish?.usage ? { usage: finish.usage } : {}),
      ...(finish?.cost ? { cost: finish.cost } : {}),
      ...(finish?.requestId !== undefined ? { requestId: finish.requestId } : {}),
      beforeWorkflowContent: before,
      afterWorkflowContent: snapshot(),
    });
    if (signal.aborted) throw new LiteLLMError("aborted", "stopped");
    if (finished) return "completed";
    if (stepNo >= settings.maxSteps) {
      closingStep(stepNo + 1, `Stopped after ${settings.maxSteps} model calls (the maxSteps setting).`);
      return "completed";
    }
    const limit = await ctx.limitReached?.();
    if (limit) {
      closingStep(stepNo + 1, `Stopped: ${limit.message}`, failureFields(limit));
      return "error";
    }
  }
}

function callTool(ctx: RunContext, byName: Map<string, Tool>, call: ToolCall, timeoutMs: number) {
  const run = () => runCall(ctx, byName, call, timeoutMs);
  return ctx.telemetry ? ctx.telemetry.tool(call.name, byName.has(call.name), call.id, run) : run();
}

function runCall(ctx: RunContext, byName: Map<string, Tool>, call: ToolCall, timeoutMs: number) {
  const tool = byName.get(call.name);
  if (!tool) {
    return { output: `[ERROR] Unknown tool "${call.name}". Available tools: ${[...byName.keys()].join(", ") || "none"}`, isError: true };
  }
  if (call.argumentsError !== undefined) {
    return { output: `[ERROR] The arguments for ${call.name} are not valid JSON: ${call.rawArguments.slice(0, 200)}`, isError: true };
  }
  const agentId = ctx.agent.id;
  return runTool(
    tool,
    call.input,
    { agentId, uid: ctx.uid },
    ctx.signal,
    timeoutMs,
    (error) => ctx.logger.error("a tool failed", { agentId, tool: call.name, error }),
    () => ctx.logger.warn("a tool finished after its run was stopped; its result was discarded", { agentId, tool: call.name }),
  );
}
