/**
 * What the usage endpoints answer: token and cost totals of model calls, per
 * run, per agent, per day and per model. Plain data, shared with the client
 * library (type-only), so the two cannot drift apart.
 *
 * @module
 */

/** Tokens and cost of some model calls (a run, an agent, a user's day, a model). */
export interface UsageTotals {
  /** Prompt tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Prompt tokens read from the provider's cache. */
  cachedInputTokens: number;
  /**
   * USD of the calls whose cost is known, to the billionth of a dollar; a
   * lower bound when `callsWithoutCost` is above 0.
   */
  costUsd: number;
  /** Model calls counted. */
  calls: number;
  /** Calls LiteLLM reported no usage for: their tokens are unknown and not in the sums. */
  callsWithoutUsage: number;
  /** Calls whose cost is unknown (no LiteLLM figure, no model prices): not in `costUsd`. */
  callsWithoutCost: number;
}

/** One run (one user message and the model calls that answered it). */
export interface RunUsage extends UsageTotals {
  messageId: string;
  /** When the message was sent (ISO). */
  startedAt: string;
  /** The models its calls went to, in order of first use. */
  models: string[];
}

/** `GET /api/agents/:id/usage`: the agent's stored steps, summed, in total and per run, oldest run first. */
export interface AgentUsage {
  agentId: string;
  total: UsageTotals;
  runs: RunUsage[];
}

export interface ModelUsage extends UsageTotals {
  model: string;
}

export interface DayUsage extends UsageTotals {
  /** A UTC day, `YYYY-MM-DD`. */
  day: string;
  models: ModelUsage[];
}

export interface UserTotals extends UsageTotals {
  uid: number;
}

/** Where a user stands against the platform's daily limits (`USER_DAILY_TOKEN_LIMIT`, `USER_DAILY_COST_LIMIT_USD`). */
export interface DailyLimitState {
  /** Today, UTC. */
  day: string;
  tokens?: { limit: number; used: number };
  costUsd?: { limit: number; used: number };
  /** No new message is accepted until `resetsAt`. */
  exceeded: boolean;
  /** The next UTC midnight, when the day's totals start from zero (ISO). */
  resetsAt: string;
}

/** `GET /api/agents/usage`: totals of one user (or, for an ADMIN, every user) between two UTC days, inclusive. */
export interface UserUsage {
  /** The user the totals are of; null for every user. */
  uid: number | null;
  from: string;
  to: string;
  total: UsageTotals;
  /** Days with usage, oldest first, each with its models. */
  days: DayUsage[];
  /** The whole range per model. */
  models: ModelUsage[];
  /** For every user (`uid=all`): the range per user. */
  users?: UserTotals[];
  /** For one user, when the platform sets daily limits: where they stand today. */
  limits?: DailyLimitState;
}

/** The query of `GET /api/agents/usage`: days default to today (UTC); `uid` to the caller. */
export interface UserUsageQuery {
  from?: string;
  to?: string;
  /** Another user, or `"all"`: ADMIN only. */
  uid?: number | "all";
}
