/**
 * The shapes the LiteLLM client reads and produces: LiteLLM's model list and
 * model details, the chat request we send, and the events a streamed chat
 * yields. Data only; no I/O.
 *
 * @module
 */

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

/**
 * What `GET /model/info` knows about one deployment of a model; every field
 * but `id` is optional. LiteLLM lists one entry per deployment, so a model
 * name served by two deployments appears twice (with their own `deploymentId`).
 */
export interface ModelDetails {
  /** The model name clients ask for (LiteLLM's `model_name`, the alias). */
  readonly id: string;
  /** LiteLLM's `model_info.id`: the deployment, as in the `x-litellm-model-id` response header. */
  readonly deploymentId?: string;
  readonly provider?: string;
  readonly mode?: string;
  readonly maxInputTokens?: number;
  readonly maxOutputTokens?: number;
  readonly supportsFunctionCalling?: boolean;
  readonly supportsParallelFunctionCalling?: boolean;
  readonly supportsVision?: boolean;
  /** USD per input token (`input_cost_per_token`). */
  readonly inputCostPerToken?: number;
  /** USD per output token (`output_cost_per_token`). */
  readonly outputCostPerToken?: number;
  /** USD per input token read from the provider's prompt cache (`cache_read_input_token_cost`). */
  readonly cacheReadInputTokenCost?: number;
  /** USD per reasoning token, when the provider prices them apart (`output_cost_per_reasoning_token`). */
  readonly outputCostPerReasoningToken?: number;
  /**
   * Input sizes from which other prices apply (from `input_cost_per_token_above_<n>k_tokens`),
   * in tokens: we cannot price a call past one of these, so its cost is unknown.
   */
  readonly tieredPriceFromTokens?: number;
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
  /**
   * The end user (the caller's uid). The master key alone is one caller to
   * LiteLLM: this is what its spend tracking and end-user budgets count. Sent
   * as the `x-litellm-end-user-id` header and the `user` field.
   */
  readonly user?: string;
  readonly temperature?: number;
  /**
   * Headers that tie the call to what caused it: `traceparent` (W3C trace
   * context) and `x-request-id`. Others are not sent.
   */
  readonly headers?: Readonly<Record<string, string>>;
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

/** Tokens one model call used, as LiteLLM reported them. */
export interface TokenUsage {
  /** Prompt tokens, cached ones included (`prompt_tokens`). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
  /**
   * Prompt tokens read from the provider's cache (`prompt_tokens_details.cached_tokens`,
   * or LiteLLM's `cache_read_input_tokens`); 0 when LiteLLM reported none.
   */
  readonly cachedInputTokens: number;
}

/**
 * What one model call cost, and who said so: `litellm` is LiteLLM's own
 * figure (the `cost` it puts in the streamed usage); `model_prices` is the
 * model's prices from `/model/info` times the usage. No figure at all when
 * neither is known: never a guess.
 */
export interface ChatCost {
  readonly usd: number;
  readonly source: "litellm" | "model_prices";
}

/** What a streamed chat yields, in order: text deltas, then the tool calls, then `finish`. */
export type ChatEvent =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "tool_call"; readonly call: ToolCall }
  | {
    readonly type: "finish";
    readonly finishReason: string;
    /** Absent when LiteLLM sent no usage for the call. */
    readonly usage?: TokenUsage;
    /** Absent when the cost is unknown. */
    readonly cost?: ChatCost;
    /** LiteLLM's id for the call (`x-litellm-call-id`), to find it in LiteLLM's logs and spend records. */
    readonly requestId?: string;
  };
