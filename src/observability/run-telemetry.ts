/**
 * What is recorded of one agent run: the run's span (`invoke_agent`) under
 * the request or socket message that started it, a `chat` span per model
 * call and an `execute_tool` span per tool call under it (OpenTelemetry
 * GenAI semantic conventions), and the run, model and tool metrics. The
 * model calls carry the trace (`traceparent`) and the request id
 * (`X-Request-Id`) on to LiteLLM.
 *
 * Prompt and completion text go into spans only when the tracing settings
 * say so (`captureContent`); ids, model names, token counts and outcomes
 * always do. Never a token, a key or a user's name.
 *
 * @module
 */
import type { ChatEvent, ChatRequest, TokenUsage } from "../litellm/types.ts";
import { LiteLLMError } from "../litellm/errors.ts";
import { type Metrics, NO_METRICS, type RunEnd } from "./metrics.ts";
import { REQUEST_ID_HEADER } from "./request-id.ts";
import { NO_SPAN, NO_TRACING, type RequestOrigin, type SpanHandle, type Tracing } from "./tracing.ts";

/** The metrics and traces a service records to; both off by default. */
export interface Telemetry {
  readonly metrics: Metrics;
  readonly tracing: Tracing;
}

/** What a chat call needs from a client. */
export interface ChatClient {
  chat(request: ChatRequest): AsyncIterable<ChatEvent>;
}

/** A tool call's result, as the ReAct loop's `runTool` gives it. */
export interface ToolOutcome {
  readonly output: string;
  readonly isError?: boolean;
}

/** The GenAI provider name we report: the service talks to LiteLLM, which picks the provider. */
const PROVIDER = "litellm";

export class RunTelemetry {
  readonly #metrics: Metrics;
  readonly #tracing: Tracing;
  readonly #requestId: string | undefined;
  readonly #span: SpanHandle;
  readonly #started = performance.now();
  #ended = false;

  constructor(telemetry: Telemetry, run: { agentId: string; agentName: string; model: string; origin?: RequestOrigin }) {
    this.#metrics = telemetry.metrics;
    this.#tracing = telemetry.tracing;
    this.#requestId = run.origin?.requestId;
    this.#span = this.#tracing.childSpan(run.origin?.span ?? NO_SPAN, `invoke_agent ${run.agentName}`, "internal", {
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.provider.name": PROVIDER,
      "gen_ai.agent.id": run.agentId,
      "gen_ai.agent.name": run.agentName,
      "gen_ai.conversation.id": run.agentId,
      "gen_ai.request.model": run.model,
    });
    this.#metrics.runStarted();
  }

  /** The request id the run carries (the request or socket that started it), for its log lines. */
  get requestId(): string | undefined {
    return this.#requestId;
  }

  /** Streams one model call through `client`, recording it; the request goes with the trace and request id headers. */
  async *chat(client: ChatClient, request: ChatRequest): AsyncGenerator<ChatEvent, void, undefined> {
    const span = this.#tracing.childSpan(this.#span, `chat ${request.model}`, "client", {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": PROVIDER,
      "gen_ai.request.model": request.model,
      "gen_ai.request.temperature": request.temperature,
      ...(this.#tracing.captureContent ? { "gen_ai.input.messages": JSON.stringify(request.messages) } : {}),
    });
    const headers: Record<string, string> = { ...request.headers };
    const traceparent = span.traceparent();
    if (traceparent) headers.traceparent = traceparent;
    if (this.#requestId) headers[REQUEST_ID_HEADER] = this.#requestId;

    const started = performance.now();
    let firstToken: number | undefined;
    let usage: TokenUsage | undefined;
    let outcome = "ok";
    let text = "";
    try {
      for await (const event of client.chat({ ...request, headers })) {
        if (firstToken === undefined && event.type !== "finish") firstToken = performance.now();
        if (event.type === "text" && this.#tracing.captureContent) text += event.text;
        if (event.type === "finish") {
          usage = event.usage;
          span.set({
            "gen_ai.response.finish_reasons": [event.finishReason],
            "gen_ai.response.id": event.requestId,
            "gen_ai.usage.input_tokens": usage?.inputTokens,
            "gen_ai.usage.output_tokens": usage?.outputTokens,
            ...(this.#tracing.captureContent ? { "gen_ai.output.messages": JSON.stringify([{ role: "assistant", content: text }]) } : {}),
          });
        }
        yield event;
      }
    } catch (error) {
      outcome = error instanceof LiteLLMError ? error.code : "internal_error";
      span.fail(outcome);
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const firstTokenSeconds = firstToken === undefined ? undefined : (firstToken - started) / 1000;
      this.#metrics.modelCall(request.model, outcome, seconds, firstTokenSeconds, usage ? { input: usage.inputTokens, output: usage.outputTokens } : undefined);
      span.end();
    }
  }

  /**
   * Runs one tool call, recording it. `known` is false when the model named
   * a tool the toolkit does not have: it is counted as `unknown`, so a made-up
   * name never becomes a label value.
   */
  async tool(name: string, known: boolean, callId: string, run: () => ToolOutcome | Promise<ToolOutcome>): Promise<ToolOutcome> {
    const label = known ? name : "unknown";
    const span = this.#tracing.childSpan(this.#span, `execute_tool ${label}`, "internal", {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": label,
      "gen_ai.tool.call.id": callId,
      "gen_ai.tool.type": "function",
    });
    const started = performance.now();
    let outcome = "error";
    try {
      const result = await run();
      if (!result.isError) outcome = "ok";
      else span.fail("tool_error");
      return result;
    } catch (error) {
      span.fail("tool_error");
      throw error;
    } finally {
      this.#metrics.toolCall(label, outcome, (performance.now() - started) / 1000);
      span.end();
    }
  }

  /** The run ended (once; later calls do nothing). */
  end(outcome: RunEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#metrics.runEnded(outcome, (performance.now() - this.#started) / 1000);
    this.#span.set({ "agent_service.run.outcome": outcome });
    if (outcome === "error") this.#span.fail("run_error");
    this.#span.end();
  }
}

/** Telemetry off. */
export const NO_TELEMETRY: Telemetry = { metrics: NO_METRICS, tracing: NO_TRACING };
