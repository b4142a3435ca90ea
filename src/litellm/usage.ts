/**
 * Token usage and cost of one model call, from what LiteLLM streamed.
 *
 * The cost has a source or is absent, never guessed:
 * 1. `litellm`: the `cost` LiteLLM adds to the streamed usage (1.108.7 does
 *    for every model it has prices for: the same figure its spend tracking
 *    records). Its `x-litellm-response-cost*` headers are no help on a
 *    stream: they are sent before the answer and read 0.0.
 * 2. `model_prices`: the deployment's prices from `/model/info` times the
 *    usage (cached prompt tokens at the cache-read price, reasoning tokens at
 *    theirs when the model prices them apart).
 * 3. Unknown. A LiteLLM `cost` of 0 for a call that used tokens counts as
 *    unknown (LiteLLM reports 0 for models it has no prices for) and falls
 *    through to 2, which prices a free model at 0 when its prices say so.
 *
 * @module
 */
import type { ChatCost, ModelDetails, TokenUsage } from "./types.ts";

/** A streamed `usage` object, read: the tokens, and LiteLLM's own cost when it sent one. */
export interface ReportedUsage {
  readonly usage: TokenUsage;
  readonly reasoningTokens: number;
  readonly litellmCostUsd?: number;
}

/** Reads an OpenAI/LiteLLM `usage` object; undefined when it holds no token counts. */
export function readUsage(raw: Record<string, unknown>): ReportedUsage | undefined {
  const input = count(raw.prompt_tokens);
  const output = count(raw.completion_tokens);
  if (input === undefined && output === undefined) return undefined;
  const inputTokens = input ?? 0;
  const outputTokens = output ?? 0;
  const promptDetails = record(raw.prompt_tokens_details);
  const completionDetails = record(raw.completion_tokens_details);
  const cachedInputTokens = count(promptDetails?.cached_tokens) ?? count(raw.cache_read_input_tokens) ?? 0;
  const cost = typeof raw.cost === "number" && Number.isFinite(raw.cost) && raw.cost >= 0 ? raw.cost : undefined;
  return {
    usage: { inputTokens, outputTokens, totalTokens: count(raw.total_tokens) ?? inputTokens + outputTokens, cachedInputTokens },
    reasoningTokens: count(completionDetails?.reasoning_tokens) ?? 0,
    ...(cost !== undefined ? { litellmCostUsd: cost } : {}),
  };
}

/** LiteLLM's own cost when it is a real figure (see the module notes on 0). */
export function litellmCost(reported: ReportedUsage): ChatCost | undefined {
  const usd = reported.litellmCostUsd;
  if (usd === undefined) return undefined;
  if (usd === 0 && reported.usage.totalTokens > 0) return undefined;
  return { usd, source: "litellm" };
}

/**
 * The call's cost from the deployment's prices, or undefined when the prices
 * do not cover it (no input or output price, or an input past a price tier).
 */
export function costFromPrices(reported: ReportedUsage, prices: ModelDetails): ChatCost | undefined {
  const { inputCostPerToken, outputCostPerToken } = prices;
  if (inputCostPerToken === undefined || outputCostPerToken === undefined) return undefined;
  const { inputTokens, outputTokens, cachedInputTokens } = reported.usage;
  if (prices.tieredPriceFromTokens !== undefined && inputTokens > prices.tieredPriceFromTokens) return undefined;
  const cached = Math.min(cachedInputTokens, inputTokens);
  const reasoning = prices.outputCostPerReasoningToken === undefined ? 0 : Math.min(reported.reasoningTokens, outputTokens);
  const usd = (inputTokens - cached) * inputCostPerToken +
    cached * (prices.cacheReadInputTokenCost ?? inputCostPerToken) +
    (outputTokens - reasoning) * outputCostPerToken +
    reasoning * (prices.outputCostPerReasoningToken ?? outputCostPerToken);
  return { usd, source: "model_prices" };
}

/**
 * The prices that applied to a call: the deployment LiteLLM named in
 * `x-litellm-model-id` when listed, else the model's entries if they all
 * agree (one deployment, or several priced alike); else none.
 */
export function pricesFor(details: readonly ModelDetails[], model: string, deploymentId: string | undefined): ModelDetails | undefined {
  if (deploymentId !== undefined) {
    const exact = details.find((d) => d.deploymentId === deploymentId);
    if (exact) return exact;
  }
  const candidates = details.filter((d) => d.id === model);
  const first = candidates[0];
  if (!first) return undefined;
  const key = (d: ModelDetails) =>
    [d.inputCostPerToken, d.outputCostPerToken, d.cacheReadInputTokenCost, d.outputCostPerReasoningToken, d.tieredPriceFromTokens].join("|");
  return candidates.every((d) => key(d) === key(first)) ? first : undefined;
}

const count = (value: unknown) => (typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined);
const record = (value: unknown) =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
