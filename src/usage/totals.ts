/**
 * Usage arithmetic shared by the stores, the run loop and the reports: what
 * one model step counts for, sums that are exact whatever their order (cost
 * in integer nano-dollars), and the UTC day a step is charged to.
 *
 * @module
 */
import type { ReActStep } from "../agents/types.ts";
import type { UsageTotals } from "./types.ts";

/** Totals as the stores keep them: like {@link UsageTotals}, with the cost in integer nano-USD so sums are exact in any order. */
export interface UsageCounts {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens: number;
  costNanoUsd: number;
  calls: number;
  callsWithoutUsage: number;
  callsWithoutCost: number;
}

/** What one model call adds to a user's day: charged in the same store write as its step. */
export interface UsageCharge {
  readonly uid: number;
  /** The UTC day of the step, `YYYY-MM-DD`. */
  readonly day: string;
  readonly model: string;
  readonly counts: UsageCounts;
}

/** A user's totals for one model on one day, as a store reads them back. */
export interface DailyUsageRow {
  readonly uid: number;
  readonly day: string;
  readonly model: string;
  readonly counts: UsageCounts;
}

/** Which daily rows to read: one user's or everyone's, between two UTC days inclusive. */
export interface DailyUsageQuery {
  readonly uid?: number;
  readonly from: string;
  readonly to: string;
}

/** The fields of a step its usage is made of (what `AgentStore.stepUsage` reads: no content, no workflows). */
export type StepUsageRecord = Pick<ReActStep, "messageId" | "stepId" | "timestamp" | "role" | "model" | "usage" | "cost">;

export const NANO_PER_USD = 1_000_000_000;
export const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** The counters of {@link UsageCounts}, in a fixed order (file lines and SQL columns use it). */
export const COUNT_FIELDS = [
  "inputTokens",
  "outputTokens",
  "totalTokens",
  "cachedInputTokens",
  "costNanoUsd",
  "calls",
  "callsWithoutUsage",
  "callsWithoutCost",
] as const satisfies readonly (keyof UsageCounts)[];

export function zeroCounts(): UsageCounts {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0, cachedInputTokens: 0, costNanoUsd: 0, calls: 0, callsWithoutUsage: 0, callsWithoutCost: 0 };
}

/** Adds `more` into `into` (changing it) and returns it. */
export function addCounts(into: UsageCounts, more: UsageCounts): UsageCounts {
  for (const field of COUNT_FIELDS) into[field] += more[field];
  return into;
}

/** Whether the step made a model call: it names its model (or, saved before models were recorded, has usage). */
export function isModelCall(step: Pick<ReActStep, "role" | "model" | "usage">): boolean {
  return step.role === "agent" && (step.model !== undefined || step.usage !== undefined);
}

/** What the step counts for, or undefined when it made no model call. */
export function countsOfStep(step: Pick<ReActStep, "role" | "model" | "usage" | "cost">): UsageCounts | undefined {
  if (!isModelCall(step)) return undefined;
  const counts = zeroCounts();
  counts.calls = 1;
  if (step.usage) {
    counts.inputTokens = step.usage.inputTokens;
    counts.outputTokens = step.usage.outputTokens;
    counts.totalTokens = step.usage.totalTokens;
    counts.cachedInputTokens = step.usage.cachedInputTokens ?? 0;
  } else {
    counts.callsWithoutUsage = 1;
  }
  if (step.cost) counts.costNanoUsd = Math.round(step.cost.usd * NANO_PER_USD);
  else counts.callsWithoutCost = 1;
  return counts;
}

/** The charge of a model step to user `uid`'s day, or undefined for a step without a model call. */
export function chargeOf(step: ReActStep, uid: number): UsageCharge | undefined {
  if (step.model === undefined) return undefined;
  const counts = countsOfStep(step);
  return counts && { uid, day: dayOf(step.timestamp), model: step.model, counts };
}

/** The counts as the API shows them (the cost in USD). */
export function totalsOf(counts: UsageCounts): UsageTotals {
  const { costNanoUsd, ...rest } = counts;
  return { ...rest, costUsd: costNanoUsd / NANO_PER_USD };
}

/** The UTC day of a moment, `YYYY-MM-DD`. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The start of the UTC day after the one `ms` is in, in ms. */
export function nextDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS + DAY_MS;
}

/** Whether `day` is a real calendar day in `YYYY-MM-DD` form. */
export function isDay(day: unknown): day is string {
  if (typeof day !== "string" || !DAY_PATTERN.test(day)) return false;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(ms) && dayOf(ms) === day;
}

/** The days from `from` to `to`, inclusive (both valid days). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`), end = Date.parse(`${to}T00:00:00Z`); ms <= end; ms += DAY_MS) days.push(dayOf(ms));
  return days;
}

/** Throws a TypeError when a charge is not one a store may add (a bad day, model or counter). */
export function checkCharge(charge: UsageCharge): void {
  const bad = (what: string) => new TypeError(`usage charge: ${what}`);
  if (!Number.isSafeInteger(charge.uid)) throw bad("uid is not an integer");
  if (!isDay(charge.day)) throw bad("day is not a YYYY-MM-DD day");
  if (typeof charge.model !== "string" || charge.model.length === 0 || charge.model.length > 10_000) throw bad("model is not a model name");
  for (const field of COUNT_FIELDS) {
    const value = charge.counts?.[field];
    if (!Number.isSafeInteger(value) || value < 0) throw bad(`${field} is not a count`);
  }
}

/** A step's usage fields, copied (what `AgentStore.stepUsage` answers). */
export function usageRecordOf(step: ReActStep): StepUsageRecord {
  return {
    messageId: step.messageId,
    stepId: step.stepId,
    timestamp: step.timestamp,
    role: step.role,
    ...(step.model !== undefined ? { model: step.model } : {}),
    ...(step.usage ? { usage: { ...step.usage } } : {}),
    ...(step.cost ? { cost: { ...step.cost } } : {}),
  };
}
