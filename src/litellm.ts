/**
 * The LiteLLM client: this service is a trusted backend that holds the
 * master key and calls LiteLLM itself, for the model list and for streamed
 * chat completions.
 *
 * Built on the `openai` package (auth, base URL, timeouts, status-typed
 * errors); the SSE stream is read with `eventsource-parser` rather than the
 * package's iterator, because LiteLLM can end a stream early with no error
 * and no `[DONE]`, and we must tell that apart from a finished answer.
 *
 * @module
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { createParser } from "eventsource-parser";
import { type Logger, redact, silentLogger } from "./log.ts";

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** What went wrong talking to LiteLLM. */
export type LiteLLMErrorKind =
  /** No connection (refused, reset before an answer, DNS). */
  | "unreachable"
  /** No answer, or no first token, within the configured time. */
  | "timeout"
  /** LiteLLM refused our credentials (401/403): a server misconfiguration. */
  | "auth"
  /** 429 from LiteLLM or a provider behind it. */
  | "rate_limited"
  /** 400/404/422: the request itself was refused (e.g. an unknown model). */
  | "bad_request"
  /** 5xx, or an error sent inside the stream. */
  | "upstream"
  /** An answer we cannot use: malformed JSON, a stream without `[DONE]` or `finish_reason`. */
  | "protocol"
  /** The caller aborted (stop). Not a failure of LiteLLM. */
  | "aborted";

/** One typed error for every LiteLLM failure. Its message never contains the master key. */
export class LiteLLMError extends Error {
  readonly kind: LiteLLMErrorKind;
  /** HTTP status, when LiteLLM answered with one. */
  readonly status?: number;
  /** LiteLLM's own `error.message`, when it sent one (keys masked). */
  readonly upstreamMessage?: string;

  constructor(kind: LiteLLMErrorKind, message: string, details: { status?: number; upstreamMessage?: string } = {}) {
    super(message);
    this.name = "LiteLLMError";
    this.kind = kind;
    if (details.status !== undefined) this.status = details.status;
    if (details.upstreamMessage !== undefined) this.upstreamMessage = details.upstreamMessage;
  }
}

// ---------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------

/** One entry of LiteLLM's `GET /models` (OpenAI list shape); extra fields are kept as sent. */
export interface ModelEntry {
  readonly id: string;
  readonly object?: string;
  readonly created?: number;
  readonly owned_by?: string;
  readonly [key: string]: unknown;
}

/** LiteLLM's `GET /models` body, as it was sent. */
export interface ModelList {
  readonly object?: string;
  readonly data: readonly ModelEntry[];
  readonly [key: string]: unknown;
}

/** What `GET /model/info` knows about one model; every field is optional. */
export interface ModelDetails {
  readonly id: string;
  readonly provider?: string;
  readonly mode?: string;
  readonly maxInputTokens?: number;
  readonly maxOutputTokens?: number;
  readonly supportsFunctionCalling?: boolean;
  readonly supportsParallelFunctionCalling?: boolean;
  readonly supportsVision?: boolean;
}

export type ChatRole = "system" | "user" | "assistant" | "tool";

/** An OpenAI chat message (the subset the agents send). */
export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: ChatToolCallMessage[] }
  | { role: "tool"; tool_call_id: string; content: string };

export interface ChatToolCallMessage {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A tool offered to the model (OpenAI function-calling format). */
export interface ChatTool {
  type: "function";
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ChatTool[];
  /** Aborts the upstream request at once. */
  readonly signal?: AbortSignal;
  /** The caller's uid: LiteLLM attributes spend per `user` (the master key alone cannot). */
  readonly user?: string;
  readonly temperature?: number;
}

/** A complete tool call, assembled from its streamed pieces. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** The arguments text exactly as streamed. */
  readonly rawArguments: string;
  /** The parsed arguments, or undefined when they were not valid JSON (see `argumentsError`). */
  readonly input: unknown;
  readonly argumentsError?: string;
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
}

/** What a streamed chat yields, in order: text deltas, then the tool calls, then `finish`. */
export type ChatEvent =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "tool_call"; readonly call: ToolCall }
  | { readonly type: "finish"; readonly finishReason: string; readonly usage?: TokenUsage };

// ---------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------

export interface LiteLLMClientOptions {
  /** LiteLLM's address, with or without a trailing `/v1` or `/`. */
  readonly baseUrl: string;
  readonly masterKey?: string;
  /** Bound on a whole call, stream included. Default 10 min. */
  readonly requestTimeoutMs?: number;
  /** Bound from sending a chat request to its first token. Default 60 s. */
  readonly firstTokenTimeoutMs?: number;
  /** How long a fetched model list is served from memory. Default 60 s. */
  readonly modelCacheTtlMs?: number;
  /** 0 or 1: LiteLLM already retries and falls back. Default 0. */
  readonly maxRetries?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Injected for tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

/** Strips a trailing `/` and `/v1`: `http://h:4000/v1/` -> `http://h:4000`. */
export function liteLLMRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
}

interface CachedModels {
  readonly list: ModelList;
  readonly fetchedAt: number;
}

/**
 * Talks to LiteLLM with the master key.
 *
 * @example
 * ```ts
 * const llm = new LiteLLMClient({ baseUrl: "http://localhost:4000", masterKey: "sk-..." });
 * const models = await llm.listModels();
 * for await (const event of llm.chat({ model: models.data[0]!.id, messages: [{ role: "user", content: "hi" }] })) {
 *   if (event.type === "text") process.stdout.write(event.text);
 * }
 * ```
 */
export class LiteLLMClient {
  readonly root: string;
  readonly #openai: OpenAI;
  readonly #masterKey: string | undefined;
  readonly #requestTimeoutMs: number;
  readonly #firstTokenTimeoutMs: number;
  readonly #modelCacheTtlMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  #models?: CachedModels;
  #modelsInFlight?: Promise<ModelList>;

  constructor(options: LiteLLMClientOptions) {
    this.root = liteLLMRoot(options.baseUrl);
    this.#masterKey = options.masterKey;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 600_000;
    this.#firstTokenTimeoutMs = options.firstTokenTimeoutMs ?? 60_000;
    this.#modelCacheTtlMs = options.modelCacheTtlMs ?? 60_000;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#openai = new OpenAI({
      baseURL: `${this.root}/v1`,
      // The package insists on a key; an unset master key sends a placeholder LiteLLM will refuse if it needs one.
      apiKey: options.masterKey ?? "no-master-key-configured",
      maxRetries: Math.min(Math.max(options.maxRetries ?? 0, 0), 1),
      timeout: this.#requestTimeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /**
   * `GET /models`, as LiteLLM sent it. Served from memory for the cache TTL;
   * concurrent callers share one upstream request; when LiteLLM fails and a
   * list was fetched before, that list is served (and the failure logged).
   */
  async listModels(): Promise<ModelList> {
    const cached = this.#models;
    if (cached && this.#now() - cached.fetchedAt < this.#modelCacheTtlMs) return cached.list;
    this.#modelsInFlight ??= this.#fetchModels().finally(() => {
      this.#modelsInFlight = undefined;
    });
    try {
      return await this.#modelsInFlight;
    } catch (error) {
      if (cached && error instanceof LiteLLMError) {
        this.#logger.warn("LiteLLM model list failed; serving the last list fetched", {
          kind: error.kind,
          status: error.status,
          ageMs: this.#now() - cached.fetchedAt,
        });
        return cached.list;
      }
      throw error;
    }
  }

  /** Forgets the cached model list. */
  invalidateModels(): void {
    this.#models = undefined;
  }

  async #fetchModels(): Promise<ModelList> {
    const body = await this.#getJson("/models");
    if (!isObject(body) || !Array.isArray(body.data) || !body.data.every((m) => isObject(m) && typeof m.id === "string")) {
      throw new LiteLLMError("protocol", "LiteLLM's model list is not an OpenAI list ({data:[{id}]})");
    }
    const list = body as unknown as ModelList;
    this.#models = { list, fetchedAt: this.#now() };
    return list;
  }

  /** `GET /model/info`, parsed leniently: every `model_info` field is optional. */
  async modelInfo(): Promise<ModelDetails[]> {
    const body = await this.#getJson("/model/info");
    const data = isObject(body) && Array.isArray(body.data) ? body.data : [];
    const details: ModelDetails[] = [];
    for (const entry of data) {
      if (!isObject(entry) || typeof entry.model_name !== "string") continue;
      const info = isObject(entry.model_info) ? entry.model_info : {};
      details.push(
        dropUndefined({
          id: entry.model_name,
          provider: str(info.litellm_provider),
          mode: str(info.mode),
          maxInputTokens: num(info.max_input_tokens) ?? num(info.max_tokens),
          maxOutputTokens: num(info.max_output_tokens),
          supportsFunctionCalling: bool(info.supports_function_calling),
          supportsParallelFunctionCalling: bool(info.supports_parallel_function_calling),
          supportsVision: bool(info.supports_vision),
        }) as ModelDetails,
      );
    }
    return details;
  }

  async #getJson(path: string): Promise<unknown> {
    try {
      return await this.#openai.get(path);
    } catch (error) {
      throw this.#toError(error, undefined);
    }
  }

  /**
   * `POST /chat/completions` with `stream: true`. Yields text deltas as they
   * arrive, then every tool call (assembled by `index`), then `finish`.
   * Throws {@link LiteLLMError} for every failure, including a stream that
   * ends without `[DONE]` or without a `finish_reason`.
   */
  async *chat(request: ChatRequest): AsyncGenerator<ChatEvent, void, undefined> {
    const controller = new AbortController();
    const onCallerAbort = () => controller.abort();
    if (request.signal?.aborted) throw new LiteLLMError("aborted", "The request was stopped");
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
    const failure = (error: unknown) =>
      timedOut
        ? new LiteLLMError(
          "timeout",
          timedOut === "first-token"
            ? `LiteLLM sent no token within ${this.#firstTokenTimeoutMs} ms`
            : `LiteLLM did not finish within ${this.#requestTimeoutMs} ms`,
        )
        : this.#toError(error, request.signal);

    try {
      let response: Response;
      try {
        response = await this.#openai.chat.completions
          .create(
            {
              model: request.model,
              messages: request.messages as OpenAI.Chat.ChatCompletionMessageParam[],
              stream: true,
              stream_options: { include_usage: true },
              temperature: request.temperature ?? 0.2,
              ...(request.tools && request.tools.length > 0
                ? { tools: request.tools as OpenAI.Chat.ChatCompletionTool[], parallel_tool_calls: false }
                : {}),
              ...(request.user ? { user: request.user } : {}),
            },
            { signal: controller.signal },
          )
          .asResponse();
      } catch (error) {
        throw failure(error);
      }
      if (!response.body) throw new LiteLLMError("protocol", "LiteLLM answered without a body");
      yield* this.#readStream(response.body, firstToken, failure);
    } finally {
      firstToken();
      clearTimeout(totalTimer);
      request.signal?.removeEventListener("abort", onCallerAbort);
      // Ends the upstream request if the consumer stopped early.
      controller.abort();
    }
  }

  async *#readStream(
    body: ReadableStream<Uint8Array>,
    firstToken: () => void,
    failure: (error: unknown) => LiteLLMError,
  ): AsyncGenerator<ChatEvent, void, undefined> {
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    let finishReason: string | undefined;
    let usage: TokenUsage | undefined;
    let done = false;

    try {
      for await (const data of sseData(body, failure)) {
        if (data === "[DONE]") {
          done = true;
          break;
        }
        let chunk: unknown;
        try {
          chunk = JSON.parse(data);
        } catch {
          throw new LiteLLMError("protocol", "LiteLLM sent a stream chunk that is not JSON");
        }
        if (!isObject(chunk)) throw new LiteLLMError("protocol", "LiteLLM sent a stream chunk that is not an object");
        if (chunk.error !== undefined) {
          const message = isObject(chunk.error) ? str(chunk.error.message) : str(chunk.error);
          throw new LiteLLMError("upstream", "LiteLLM reported an error during the stream", {
            ...(message ? { upstreamMessage: this.#clean(message) } : {}),
          });
        }
        if (isObject(chunk.usage)) usage = toUsage(chunk.usage);
        const choice = Array.isArray(chunk.choices) && isObject(chunk.choices[0]) ? chunk.choices[0] : undefined;
        if (!choice) continue;
        const delta = isObject(choice.delta) ? choice.delta : {};
        if (typeof delta.content === "string" && delta.content.length > 0) {
          firstToken();
          yield { type: "text", text: delta.content };
        }
        if (Array.isArray(delta.tool_calls)) {
          firstToken();
          for (const piece of delta.tool_calls) {
            if (!isObject(piece)) continue;
            const index = typeof piece.index === "number" ? piece.index : 0;
            const call = calls.get(index) ?? { args: "" };
            // LiteLLM may repeat `id` on every chunk or send it late (#20480, #39796): take it from whichever has it.
            if (typeof piece.id === "string" && piece.id) call.id = piece.id;
            const fn = isObject(piece.function) ? piece.function : {};
            if (typeof fn.name === "string" && fn.name) call.name = fn.name;
            if (typeof fn.arguments === "string") call.args += fn.arguments;
            calls.set(index, call);
          }
        }
        if (typeof choice.finish_reason === "string" && choice.finish_reason) finishReason = choice.finish_reason;
      }
    } catch (error) {
      throw error instanceof LiteLLMError ? error : failure(error);
    }

    if (!done) throw new LiteLLMError("protocol", "LiteLLM's stream ended before [DONE]: the answer is incomplete");
    if (!finishReason) throw new LiteLLMError("protocol", "LiteLLM's stream ended without a finish_reason");

    for (const index of [...calls.keys()].sort((a, b) => a - b)) {
      const call = calls.get(index)!;
      if (!call.name) throw new LiteLLMError("protocol", `LiteLLM streamed a tool call (index ${index}) without a name`);
      yield { type: "tool_call", call: assembleToolCall(call.id ?? `call_${crypto.randomUUID()}`, call.name, call.args) };
    }
    yield usage ? { type: "finish", finishReason, usage } : { type: "finish", finishReason };
  }

  /** Maps any failure to a LiteLLMError; the master key is masked from every message. */
  #toError(error: unknown, callerSignal: AbortSignal | undefined): LiteLLMError {
    if (error instanceof LiteLLMError) return error;
    if (error instanceof APIUserAbortError || callerSignal?.aborted || (error as Error)?.name === "AbortError") {
      return new LiteLLMError("aborted", "The request was stopped");
    }
    if (error instanceof APIConnectionTimeoutError) {
      return new LiteLLMError("timeout", `LiteLLM did not answer within ${this.#requestTimeoutMs} ms`);
    }
    if (error instanceof APIConnectionError) {
      return new LiteLLMError("unreachable", `LiteLLM is unreachable at ${this.root}`);
    }
    if (error instanceof APIError && error.status !== undefined) {
      const status = error.status;
      const upstream = upstreamMessage(error.error);
      const details = { status, ...(upstream ? { upstreamMessage: this.#clean(upstream) } : {}) };
      // Without a database, LiteLLM answers a wrong master key with 400 "no_db_connection"
      // (it tried to look the key up as a virtual key): that is our credentials too.
      const type = typeof error.type === "string" ? error.type : "";
      if (status === 401 || status === 403 || type === "auth_error" || type === "no_db_connection") {
        return new LiteLLMError("auth", `LiteLLM refused the service's credentials (HTTP ${status}); check LITELLM_MASTER_KEY`, details);
      }
      if (status === 429) return new LiteLLMError("rate_limited", "LiteLLM is rate limiting requests (HTTP 429)", details);
      if (status === 408 || status === 504) return new LiteLLMError("timeout", `LiteLLM timed out (HTTP ${status})`, details);
      if (status >= 400 && status < 500) return new LiteLLMError("bad_request", `LiteLLM refused the request (HTTP ${status})`, details);
      return new LiteLLMError("upstream", `LiteLLM failed (HTTP ${status})`, details);
    }
    if (error instanceof SyntaxError) return new LiteLLMError("protocol", "LiteLLM sent a body that is not JSON");
    // Node's undici: "TypeError: terminated" when the connection drops mid-body.
    return new LiteLLMError("unreachable", "The connection to LiteLLM was lost");
  }

  /**
   * LiteLLM's own text, safe to log and show: the master key is masked whole
   * and in any 8-character piece (LiteLLM echoes keys cut short, e.g.
   * "Received API Key = sk-...abcd"), then the generic token/key patterns.
   */
  #clean(message: string): string {
    let masked = message;
    const key = this.#masterKey;
    if (key) {
      masked = masked.split(key).join("[redacted]");
      for (let i = 0; i + 8 <= key.length; i++) {
        const piece = key.slice(i, i + 8);
        if (masked.includes(piece)) masked = masked.split(piece).join("[redacted]");
      }
    }
    return redact(masked).slice(0, 500);
  }
}

/** A reason for the client that never carries the key or LiteLLM's raw text about our credentials. */
export function describeLiteLLMFailure(error: LiteLLMError): string {
  switch (error.kind) {
    case "auth":
      return "LiteLLM refused the service's credentials (a server misconfiguration)";
    case "unreachable":
      return "LiteLLM is unreachable";
    case "timeout":
      return "LiteLLM did not answer in time";
    case "rate_limited":
      return "LiteLLM is rate limiting requests (HTTP 429)";
    case "bad_request":
    case "upstream":
      return `LiteLLM answered HTTP ${error.status ?? "error"}${error.upstreamMessage ? `: ${error.upstreamMessage}` : ""}`;
    case "protocol":
      return error.message;
    case "aborted":
      return "the request was stopped";
  }
}

/**
 * The `data` of each SSE event in `body`, in order. A reader and the parser
 * fed directly: two pipeThrough TransformStreams cost ~27% more per chunk
 * (measured), and Deno's fetch yields one body chunk per upstream chunk.
 * Comment lines (`: ping`) are dropped by the parser.
 */
async function* sseData(body: ReadableStream<Uint8Array>, failure: (error: unknown) => LiteLLMError): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const queue: string[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event.data) });
  try {
    while (true) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        throw failure(error);
      }
      parser.feed(next.done ? decoder.decode() : decoder.decode(next.value, { stream: true }));
      for (let i = 0; i < queue.length; i++) yield queue[i]!;
      queue.length = 0;
      if (next.done) return;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function assembleToolCall(id: string, name: string, rawArguments: string): ToolCall {
  if (rawArguments.trim() === "") return { id, name, rawArguments, input: {} };
  try {
    return { id, name, rawArguments, input: JSON.parse(rawArguments) };
  } catch {
    return { id, name, rawArguments, input: undefined, argumentsError: "the arguments are not valid JSON" };
  }
}

function upstreamMessage(body: unknown): string | undefined {
  if (!isObject(body)) return typeof body === "string" ? body : undefined;
  if (typeof body.message === "string") return body.message;
  if (isObject(body.error) && typeof body.error.message === "string") return body.error.message;
  if (typeof body.error === "string") return body.error;
  return undefined;
}

function toUsage(usage: Record<string, unknown>): TokenUsage {
  const inputTokens = num(usage.prompt_tokens) ?? 0;
  const outputTokens = num(usage.completion_tokens) ?? 0;
  return { inputTokens, outputTokens, totalTokens: num(usage.total_tokens) ?? inputTokens + outputTokens };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
const str = (value: unknown) => (typeof value === "string" ? value : undefined);
const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
const bool = (value: unknown) => (typeof value === "boolean" ? value : undefined);

function dropUndefined<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}
