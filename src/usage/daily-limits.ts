/**
 * The platform's own daily limits per user (`USER_DAILY_TOKEN_LIMIT`,
 * `USER_DAILY_COST_LIMIT_USD`), for deployments whose LiteLLM keeps no
 * budgets. A user's day is a UTC day; the totals are the store's, so every
 * replica sees the same ones.
 *
 * A limit is reached when the day's total is at or above it: a message sent
 * then is refused before any model call, and a run that reaches it finishes
 * the model call it is in and stops. Calls whose cost is unknown count for
 * tokens but not for cost.
 *
 * @module
 */
import { addCounts, type DailyUsageQuery, type DailyUsageRow, dayOf, NANO_PER_USD, nextDayStart, zeroCounts } from "./totals.ts";
import type { DailyLimitState } from "./types.ts";

/** The limits; an absent one is unlimited. */
export interface DailyLimits {
  /** Total tokens per user per UTC day. */
  readonly tokens?: number;
  /** USD per user per UTC day (calls of known cost). */
  readonly costUsd?: number;
}

/** A refusal: which limit, and when it resets. */
export interface LimitReached {
  readonly limit: "tokens" | "cost";
  /** What the user sees: the limit, what was used, when it resets. */
  readonly message: string;
  /** The next UTC midnight (ISO). */
  readonly resetsAt: string;
  readonly retryAfterMs: number;
}

export class DailyLimiter {
  readonly #read: (query: DailyUsageQuery) => Promise<DailyUsageRow[]>;
  readonly #limits: DailyLimits;
  readonly #now: () => number;

  constructor(read: (query: DailyUsageQuery) => Promise<DailyUsageRow[]>, limits: DailyLimits, now: () => number = Date.now) {
    this.#read = read;
    this.#limits = limits;
    this.#now = now;
  }

  /** Whether any limit is set (with none, nothing needs checking). */
  get active(): boolean {
    return this.#limits.tokens !== undefined || this.#limits.costUsd !== undefined;
  }

  /** Where `uid` stands today. */
  async state(uid: number): Promise<DailyLimitState> {
    const now = this.#now();
    const day = dayOf(now);
    const used = zeroCounts();
    for (const row of await this.#read({ uid, from: day, to: day })) addCounts(used, row.counts);
    const tokens = this.#limits.tokens;
    const costUsd = this.#limits.costUsd;
    const usedUsd = used.costNanoUsd / NANO_PER_USD;
    return {
      day,
      ...(tokens !== undefined ? { tokens: { limit: tokens, used: used.totalTokens } } : {}),
      ...(costUsd !== undefined ? { costUsd: { limit: costUsd, used: usedUsd } } : {}),
      exceeded: (tokens !== undefined && used.totalTokens >= tokens) ||
        (costUsd !== undefined && used.costNanoUsd >= Math.round(costUsd * NANO_PER_USD)),
      resetsAt: new Date(nextDayStart(now)).toISOString(),
    };
  }

  /** Undefined while `uid` is under every limit; else which one is reached. */
  async check(uid: number): Promise<LimitReached | undefined> {
    if (!this.active) return undefined;
    const state = await this.state(uid);
    if (!state.exceeded) return undefined;
    const retryAfterMs = Math.max(0, Date.parse(state.resetsAt) - this.#now());
    const resets = `it resets at ${state.resetsAt.slice(11, 16)} UTC (${state.resetsAt})`;
    if (state.tokens && state.tokens.used >= state.tokens.limit) {
      return {
        limit: "tokens",
        message: `You have used your daily token limit (${state.tokens.used} of ${state.tokens.limit} tokens today); ${resets}.`,
        resetsAt: state.resetsAt,
        retryAfterMs,
      };
    }
    const cost = state.costUsd!;
    return {
      limit: "cost",
      message: `You have used your daily cost limit ($${cost.used.toFixed(6)} of $${cost.limit} today); ${resets}.`,
      resetsAt: state.resetsAt,
      retryAfterMs,
    };
  }
}
