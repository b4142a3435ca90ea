/**
 * The platform's own daily limits per user: `USER_DAILY_TOKEN_LIMIT` (total
 * tokens) and `USER_DAILY_COST_LIMIT_USD` (USD of calls whose cost is known),
 * per UTC day, for deployments whose LiteLLM keeps no budgets. Unset means
 * unlimited; 0 or a malformed value stops the start with one message.
 *
 * @module
 */

/** The usage part of the service's Config. */
export interface UsageLimitsConfig {
  /** `USER_DAILY_TOKEN_LIMIT`: total tokens per user per UTC day; absent when unlimited. */
  readonly dailyTokenLimit?: number;
  /** `USER_DAILY_COST_LIMIT_USD`: USD per user per UTC day; absent when unlimited. */
  readonly dailyCostLimitUsd?: number;
}

const MAX_TOKENS = 1e15;
const MAX_USD = 1e9;

/** The limits, or a message for a ConfigError naming the variable. */
export function parseUsageLimits(get: (name: string) => string | undefined): UsageLimitsConfig | string {
  const limits: { dailyTokenLimit?: number; dailyCostLimitUsd?: number } = {};
  const tokens = get("USER_DAILY_TOKEN_LIMIT")?.trim();
  if (tokens !== undefined) {
    const value = /^\d{1,16}$/.test(tokens) ? Number(tokens) : NaN;
    if (!(value >= 1 && value <= MAX_TOKENS)) {
      return `USER_DAILY_TOKEN_LIMIT must be a whole number of tokens from 1 to ${MAX_TOKENS} (unset it for no limit) (got ${JSON.stringify(tokens.slice(0, 40))})`;
    }
    limits.dailyTokenLimit = value;
  }
  const usd = get("USER_DAILY_COST_LIMIT_USD")?.trim();
  if (usd !== undefined) {
    const value = /^\d{1,10}(\.\d{1,9})?$/.test(usd) ? Number(usd) : NaN;
    if (!(value > 0 && value <= MAX_USD)) {
      return `USER_DAILY_COST_LIMIT_USD must be an amount of US dollars above 0, like 5 or 0.25 (unset it for no limit) (got ${JSON.stringify(usd.slice(0, 40))})`;
    }
    limits.dailyCostLimitUsd = value;
  }
  return limits;
}

/** The banner's words for the limits, or undefined when there are none. */
export function describeUsageLimits(limits: UsageLimitsConfig): string | undefined {
  const parts = [
    ...(limits.dailyTokenLimit !== undefined ? [`${limits.dailyTokenLimit} tokens`] : []),
    ...(limits.dailyCostLimitUsd !== undefined ? [`$${limits.dailyCostLimitUsd}`] : []),
  ];
  return parts.length > 0 ? `daily limits per user ${parts.join(" and ")}` : undefined;
}
