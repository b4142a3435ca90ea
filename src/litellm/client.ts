/**
 * The LiteLLM client: this service is a trusted backend that holds the
 * master key and calls LiteLLM itself, for the model list, the model details
 * (and their prices) and streamed chat completions.
 *
 * Plain HTTP (transport.ts) and our own SSE reading (stream.ts), without
 * the `openai` package: its stream added 0.5 to 0.8 ms before the first token
 * (BENCHMARKS.md), and we map LiteLLM's errors ourselves anyway (errors.ts),
 * because LiteLLM's answers need more than the status (a budget refusal is
 * 400, 422 or 429 by version; a wrong key without a database is a 400).
 *
 * @module
 */
import { type Logger, silentLogger } from "../log.ts";
import { CachedFetch } from "./cache.ts";
import { errorFromAnswer, type HeaderReader, LiteLLMError, maskSecret, requestIdOf } from "./errors.ts";
import { readChatStream } from "./stream.ts";
import { defaultTransport, type Transport, type TransportResponse } from "./transport.ts";
import type { ChatCost, ChatEvent, ChatRequest, ModelDetails, ModelList } from "./types.ts";
import { costFromPrices, litellmCost, pricesFor, type ReportedUsage } from "./usage.ts";

export interface LiteLLMClientOptions {
  /** LiteLLM's address, with or without a trailing `/v1` or `/`. */
  readonly baseUrl: string;
  readonly masterKey?: string;
  /** Bound on a whole call, stream included. Default 10 min. */
  readonly requestTimeoutMs?: number;
  /** Bound from sending a chat request to its first token, and on a model-list request. Default 60 s. */
  readonly firstTokenTimeoutMs?: number;
  /** How long the model list and the model details are served from memory. Default 60 s. */
  readonly modelCacheTtlMs?: number;
  /** 0 or 1 retries of a request that reached no LiteLLM (LiteLLM itself retries and falls back). Default 0. */
  readonly maxRetries?: number;
  /** Bound on the characters of one streamed answer. Default 16 Mi. */
  readonly maxAnswerChars?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
  /** How requests are sent. Default `defaultTransport()`: `node:http`, or `fetch` on Bun. */
  readonly transport?: Transport;
}

/** Strips a trailing `/` and `/v1`: `http://h:4000/v1/` -> `http://h:4000`. */
export function liteLLMRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
}

/** A header value we may send: visible ASCII, bounded. */
const HEADER_SAFE = /^[\x21-\x7e]{1,128}$/;
const MAX_ERROR_BODY_CHARS = 64 * 1024;
/** The headers a chat request may carry on from what caused it (ChatRequest.headers). */
const CONTEXT_HEADERS = ["traceparent", "x-request-id"] as const;
const MAX_JSON_BODY_CHARS = 32 * 1024 * 1024;

/**
 * Talks to LiteLLM with the master key.
 *
 * @example
 * ```ts
 * const llm = new LiteLLMClient({ baseUrl: "http://localhost:4000", masterKey: "sk-..." });
 * const models = await llm.listModels();
 * for await (const event of llm.chat({ model: models.data[0]!.id, messages: [{ role: "user", content: "hi" }], user: "42" })) {
 *   if (event.type === "text") process.stdout.write(event.text);
 *   if (event.type === "finish") console.log(event.usage, event.cost);
 * }
 * llm.close();
 * ```
 */
export class LiteLLMClient {
  readonly root: string;
  readonly #masterKey: string | undefined;
  readonly #requestTimeoutMs: number;
  readonly #firstTokenTimeoutMs: number;
  readonly #maxRetries: number;
  readonly #maxAnswerChars: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #transport: Transport;
  readonly #models: CachedFetch<ModelList>;
  readonly #details: CachedFetch<ModelDetails[]>;

  constructor(options: LiteLLMClientOptions) {
    this.root = liteLLMRoot(options.baseUrl);
    this.#masterKey = options.masterKey;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 600_000;
    this.#firstTokenTimeoutMs = options.firstTokenTimeoutMs ?? 60_000;
    this.#maxRetries = Math.min(Math.max(options.maxRetries ?? 0, 0), 1);
    this.#maxAnswerChars = options.maxAnswerChars ?? 16 * 1024 * 1024;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#transport = options.transport ?? defaultTransport();
    const cacheOptions = (what: string) => ({
      ttlMs: options.modelCacheTtlMs ?? 60_000,
      now: this.#now,
      onStale: (error: LiteLLMError, ageMs: number) =>
        this.#logger.warn(`LiteLLM ${what} failed; serving the last one fetched`, { code: error.code, status: error.status, ageMs }),
    });
    this.#models = new CachedFetch(() => this.#fetchModels(), cacheOptions("model list"));
    this.#details = new CachedFetch(() => this.#fetchDetails(), cacheOptions("model details"));
  }

  /**
   * `GET /v1/models`, as LiteLLM sent it. Served from memory for the cache
   * TTL; concurrent callers share one upstream request; when LiteLLM fails and
   * a list was fetched before, that list is served (and the failure logged).
   */
  listModels(): Promise<ModelList> {
    return this.#models.get();
  }

  /** Forgets the cached model list and details. */
  invalidateModels(): void {
    this.#models.invalidate();
    this.#details.invalidate();
  }

  /**
   * `GET /v1/model/info`, one entry per deployment, parsed leniently (every
   * `model_info` field is optional; LiteLLM's `null` is absent). Cached like
   * the list.
   */
  modelInfo(): Promise<ModelDetails[]> {
    return this.#details.get();
  }

  /** Closes idle pooled connections (the process can then exit without waiting for them). */
  close(): void {
    this.#transport.close();
  }

  async #fetchModels(): Promise<ModelList> {
    const body = await this.#getJson("/v1/models");
    if (!isRecord(body) || !Array.isArray(body.data) || !body.data.every((m) => isRecord(m) && typeof m.id === "string")) {
      throw new LiteLLMError("protocol", "LiteLLM's model list is not an OpenAI list ({data:[{id}]})");
    }
    return body as unknown as ModelList;
  }

  async #fetchDetails(): Promise<ModelDetails[]> {
    const body = await this.#getJson("/v1/model/info");
    const data = isRecord(body) && Array.isArray(body.data) ? body.data : [];
    const details: ModelDetails[] = [];
    for (const entry of data) {
      if (!isRecord(entry) || typeof entry.model_name !== "string") continue;
      const info = isRecord(entry.model_info) ? entry.model_info : {};
      details.push(dropUndefined({
        id: entry.model_name,
        deploymentId: str(info.id),
        provider: str(info.litellm_provider),
        mode: str(info.mode),
        maxInputTokens: num(info.max_input_tokens) ?? num(info.max_tokens),
        maxOutputTokens: num(info.max_output_tokens),
        supportsFunctionCalling: bool(info.supports_function_calling),
        supportsParallelFunctionCalling: bool(info.supports_parallel_function_calling),
        supportsVision: bool(info.supports_vision),
        inputCostPerToken: price(info.input_cost_per_token),
        outputCostPerToken: price(info.output_cost_per_token),
        cacheReadInputTokenCost: price(info.cache_read_input_token_cost),
        outputCostPerReasoningToken: price(info.output_cost_per_reasoning_token),
        tieredPriceFromTokens: tierStart(info),
      }) as unknown as ModelDetails);
    }
    return details;
  }

  async #getJson(path: string): Promise<unknown> {
    const controller = new AbortController();
    const timeoutMs = Math.min(this.#requestTimeoutMs, this.#firstTokenTimeoutMs);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const failure = (error: unknown, headers?: HeaderReader) =>
      timedOut ? new LiteLLMError("timeout", `LiteLLM did not answer within ${timeoutMs} ms`) : this.#failure(error, undefined, headers);
    let response: TransportResponse | undefined;
    try {
      try {
        response = await this.#send({ method: "GET", path, signal: controller.signal });
      } catch (error) {
        throw failure(error);
      }
      if (response.status !== 200) throw await this.#answerError(response);
      let text: string;
      try {
        text = await readText(response.body, MAX_JSON_BODY_CHARS);
      } catch (error) {
        throw failure(error, response.headers);
      }
      try {
        return JSON.parse(text);
      } catch {
        throw new LiteLLMError("protocol", "LiteLLM sent a body that is not JSON", withRequestId(response.headers));
      }
    } finally {
      clearTimeout(timer);
      response?.cancel();
    }
  }

  /**
   * `POST /v1/chat/completions` with `stream: true`. Yields text deltas as
   * they arrive, then every tool call (assembled by `index`), then `finish`
   * with the usage and cost when known. Throws {@link LiteLLMError} for every
   * failure, including a stream that ends without `[DONE]` or without a
   * `finish_reason`.
   */
  async *chat(request: ChatRequest): AsyncGenerator<ChatEvent, void, undefined> {
    if (request.signal?.aborted) throw new LiteLLMError("aborted", "The request was stopped");
    const controller = new AbortController();
    const onCallerAbort = () => controller.abort();
    request.signal?.addEventListener("abort", onCallerAbort, { once: true });
    let timedOut: "first-token" | "total" | undefined;
    const totalTimer = setTimeout(() => {
      timedOut = "total";
      controller.abort();
    }, this.#requestTimeoutMs);
    let firstTokenTimer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
      timedOut = "first-token";
      controller.abort();
    }, this.#firstTokenTimeoutMs);
    const firstToken = () => {
      if (firstTokenTimer !== undefined) clearTimeout(firstTokenTimer);
      firstTokenTimer = undefined;
    };
    const failure = (error: unknown, headers?: HeaderReader) =>
      timedOut
        ? new LiteLLMError(
          "timeout",
          timedOut === "first-token"
            ? `LiteLLM sent no token within ${this.#firstTokenTimeoutMs} ms`
            : `LiteLLM did not finish within ${this.#requestTimeoutMs} ms`,
          withRequestId(headers),
        )
        : this.#failure(error, request.signal, headers);

    let response: TransportResponse | undefined;
    try {
      try {
        response = await this.#send({
          method: "POST",
          path: "/v1/chat/completions",
          body: chatBody(request),
          user: request.user,
          signal: controller.signal,
          ...(request.headers ? { context: request.headers } : {}),
        });
      } catch (error) {
        throw failure(error);
      }
      if (response.status !== 200) throw await this.#answerError(response);
      const headers = response.headers;
      const requestId = requestIdOf(headers);
      let end;
      try {
        end = yield* readChatStream(response.body, {
          onFirstToken: firstToken,
          maxChars: this.#maxAnswerChars,
          errorFrame: (frame) => errorFromAnswer({ body: frame, headers, inStream: true }, (text) => maskSecret(text, this.#masterKey), this.#now()),
        });
      } catch (error) {
        throw error instanceof LiteLLMError ? error.withDetails(withRequestId(headers)) : failure(error, headers);
      }
      for (const call of end.toolCalls) yield { type: "tool_call", call };
      const cost = await this.#costOf(end.usage, request.model, headers.get("x-litellm-model-id") ?? undefined);
      yield {
        type: "finish",
        finishReason: end.finishReason,
        ...(end.usage ? { usage: end.usage.usage } : {}),
        ...(cost ? { cost } : {}),
        ...(requestId ? { requestId } : {}),
      };
    } finally {
      firstToken();
      clearTimeout(totalTimer);
      request.signal?.removeEventListener("abort", onCallerAbort);
      // Ends the upstream request if the consumer stopped early.
      response?.cancel();
      controller.abort();
    }
  }

  /** LiteLLM's own cost, else the deployment's prices times the usage, else unknown. */
  async #costOf(reported: ReportedUsage | undefined, model: string, deploymentId: string | undefined): Promise<ChatCost | undefined> {
    if (!reported) return undefined;
    const own = litellmCost(reported);
    if (own) return own;
    let details: ModelDetails[];
    try {
      details = await this.modelInfo();
    } catch (error) {
      this.#logger.warn("no model prices to cost a call with; its cost is unknown", {
        model,
        code: error instanceof LiteLLMError ? error.code : "unexpected",
      });
      return undefined;
    }
    const prices = pricesFor(details, model, deploymentId);
    return prices ? costFromPrices(reported, prices) : undefined;
  }

  /** Sends one request with the master key; retries once (if configured) when no LiteLLM answered. */
  async #send(
    options: { method: "GET" | "POST"; path: string; body?: string; user?: string | undefined; signal: AbortSignal; context?: Readonly<Record<string, string>> },
  ): Promise<TransportResponse> {
    const headers: Record<string, string> = { accept: options.method === "POST" ? "text/event-stream" : "application/json" };
    // Trace context and request id, when sane: never a way to set another header.
    for (const name of CONTEXT_HEADERS) {
      const value = options.context?.[name];
      if (value !== undefined && HEADER_SAFE.test(value)) headers[name] = value;
    }
    if (this.#masterKey) headers.authorization = `Bearer ${this.#masterKey}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    // LiteLLM 1.108.7 reads the end user from this header before the `user` field (both are sent).
    if (options.user !== undefined && HEADER_SAFE.test(options.user)) headers["x-litellm-end-user-id"] = options.user;
    const request = {
      method: options.method,
      url: `${this.root}${options.path}`,
      headers,
      ...(options.body !== undefined ? { body: options.body } : {}),
      signal: options.signal,
    };
    for (let attempt = 0;; attempt++) {
      try {
        return await this.#transport.request(request);
      } catch (error) {
        if (attempt >= this.#maxRetries || options.signal.aborted) throw error;
        this.#logger.debug("LiteLLM did not answer; retrying once", { path: options.path });
      }
    }
  }

  /** A non-200 answer as a typed error; its body is read (bounded) for LiteLLM's error. */
  async #answerError(response: TransportResponse): Promise<LiteLLMError> {
    let text = "";
    try {
      text = await readText(response.body, MAX_ERROR_BODY_CHARS, true);
    } catch {
      // The status says enough.
    }
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (a proxy's HTML page): kept as text for the log.
    }
    return errorFromAnswer({ status: response.status, body, headers: response.headers }, (t) => maskSecret(t, this.#masterKey), this.#now());
  }

  /** A failure without an answer (or with a body cut short) as a typed error. */
  #failure(error: unknown, callerSignal: AbortSignal | undefined, headers: HeaderReader | undefined): LiteLLMError {
    if (error instanceof LiteLLMError) return error;
    const details = withRequestId(headers);
    if (callerSignal?.aborted) return new LiteLLMError("aborted", "The request was stopped", details);
    return headers
      ? new LiteLLMError("unreachable", "The connection to LiteLLM was lost mid-answer", details)
      : new LiteLLMError("unreachable", `LiteLLM is unreachable at ${this.root}`);
  }
}

function chatBody(request: ChatRequest): string {
  return JSON.stringify({
    model: request.model,
    messages: request.messages,
    stream: true,
    stream_options: { include_usage: true },
    temperature: request.temperature ?? 0.2,
    ...(request.tools && request.tools.length > 0 ? { tools: request.tools, parallel_tool_calls: false } : {}),
    ...(request.user ? { user: request.user } : {}),
  });
}

/** The whole body as text; past `maxChars` it fails, or with `truncate` stops there. */
async function readText(body: AsyncIterable<string>, maxChars: number, truncate = false): Promise<string> {
  let text = "";
  for await (const batch of body) {
    text += batch;
    if (text.length > maxChars) {
      if (truncate) return text.slice(0, maxChars);
      throw new LiteLLMError("protocol", `LiteLLM's answer is longer than ${maxChars} characters`);
    }
  }
  return text;
}

function withRequestId(headers: HeaderReader | undefined): { requestId?: string } {
  const requestId = headers ? requestIdOf(headers) : undefined;
  return requestId ? { requestId } : {};
}

/** The smallest `input_cost_per_token_above_<n>k_tokens` threshold, in tokens. */
function tierStart(info: Record<string, unknown>): number | undefined {
  let start: number | undefined;
  for (const [key, value] of Object.entries(info)) {
    const match = /^input_cost_per_token_above_(\d+)k_tokens$/.exec(key);
    if (match && price(value) !== undefined) start = Math.min(start ?? Infinity, Number(match[1]) * 1000);
  }
  return start;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
const str = (value: unknown) => (typeof value === "string" ? value : undefined);
const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
const price = (value: unknown) => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined);
const bool = (value: unknown) => (typeof value === "boolean" ? value : undefined);

function dropUndefined<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}
