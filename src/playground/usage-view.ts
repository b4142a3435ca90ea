/**
 * Tokens and cost on the page: per step (what the model call used and cost),
 * per run (its model calls summed, on the step that ends it) and the user's
 * total for today (in the top bar, against the daily limits when set). The
 * sums are the service's own arithmetic (usage/totals.ts), so the page and
 * `GET /api/agents/:id/usage` agree.
 *
 * @module
 */
import type { ReActStep, UsageTotals, UserUsage } from "../client/index.ts";
import { addCounts, countsOfStep, totalsOf, zeroCounts } from "../usage/totals.ts";

/** `1234567` -> `1,234,567`. */
export function formatTokens(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** USD with enough digits to see a fraction of a cent: `$0.000025`, `$0.0123`, `$4.20`. */
export function formatUsd(usd: number): string {
  if (usd === 0) return "$0";
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  const digits = Math.min(9, Math.max(4, 2 - Math.floor(Math.log10(usd))));
  return `$${usd.toFixed(digits).replace(/0+$/, "").replace(/\.$/, "")}`;
}

/** A step's usage, or undefined for a step that made no model call. */
export function stepUsageText(step: ReActStep): { text: string; title: string } | undefined {
  const counts = countsOfStep(step);
  if (!counts) return undefined;
  const tokens = step.usage
    ? `${formatTokens(step.usage.totalTokens)} tokens`
    : "tokens unknown";
  const cost = step.cost ? formatUsd(step.cost.usd) : "cost unknown";
  const title = [
    step.usage
      ? `${formatTokens(step.usage.inputTokens)} in (${formatTokens(step.usage.cachedInputTokens ?? 0)} cached), ${formatTokens(step.usage.outputTokens)} out`
      : "LiteLLM reported no usage for this call",
    step.cost ? `cost from ${step.cost.source === "litellm" ? "LiteLLM" : "the model's prices"}` : "no price known for this model",
    ...(step.model ? [`model ${step.model}`] : []),
    ...(step.requestId ? [`LiteLLM request ${step.requestId}`] : []),
  ].join("; ");
  return { text: `${tokens} · ${cost}`, title };
}

/** The totals of run `messageId`'s model calls among `steps`. */
export function runTotals(steps: readonly ReActStep[], messageId: string): UsageTotals {
  const sum = zeroCounts();
  for (const step of steps) {
    if (step.messageId !== messageId) continue;
    const counts = countsOfStep(step);
    if (counts) addCounts(sum, counts);
  }
  return totalsOf(sum);
}

/** `36 tokens · $0.00005 · 2 calls`, with what is unknown said. */
export function totalsText(totals: UsageTotals): string {
  const parts = [`${formatTokens(totals.totalTokens)} tokens`, `${formatUsd(totals.costUsd)}${totals.callsWithoutCost > 0 ? "+" : ""}`];
  parts.push(`${totals.calls} ${totals.calls === 1 ? "call" : "calls"}`);
  if (totals.callsWithoutCost > 0) parts.push(`${totals.callsWithoutCost} of unknown cost`);
  if (totals.callsWithoutUsage > 0) parts.push(`${totals.callsWithoutUsage} without usage`);
  return parts.join(" · ");
}

/** The top bar's "today" line and whether a daily limit is reached. */
export function todayText(usage: UserUsage): { text: string; title: string; exceeded: boolean } {
  const limits = usage.limits;
  const bounds = [
    ...(limits?.tokens ? [`limit ${formatTokens(limits.tokens.limit)} tokens`] : []),
    ...(limits?.costUsd ? [`limit ${formatUsd(limits.costUsd.limit)}`] : []),
  ];
  const exceeded = limits?.exceeded === true;
  const text = `today: ${formatTokens(usage.total.totalTokens)} tokens · ${formatUsd(usage.total.costUsd)}${usage.total.callsWithoutCost > 0 ? "+" : ""}` +
    (bounds.length > 0 ? ` (${bounds.join(", ")})` : "") + (exceeded ? " · limit reached" : "");
  const title = `Your usage on ${usage.from} (UTC): ${totalsText(usage.total)}` +
    (limits ? `; the day resets at ${limits.resetsAt}` : "");
  return { text, title, exceeded };
}
