/**
 * The answers of the usage endpoints, built from what the stores read: an
 * agent's steps summed per run, and daily rows summed per day, per model and
 * per user.
 *
 * @module
 */
import { addCounts, countsOfStep, type DailyUsageRow, type StepUsageRecord, totalsOf, type UsageCounts, zeroCounts } from "./totals.ts";
import type { AgentUsage, DayUsage, ModelUsage, RunUsage, UserTotals, UserUsage } from "./types.ts";

/** The agent's usage: every stored step (every branch) summed, in total and per run, oldest run first. */
export function agentUsage(agentId: string, records: readonly StepUsageRecord[]): AgentUsage {
  const total = zeroCounts();
  const runs = new Map<string, { startedAt: number; models: string[]; counts: UsageCounts }>();
  for (const record of records) {
    let run = runs.get(record.messageId);
    if (!run) runs.set(record.messageId, (run = { startedAt: record.timestamp, models: [], counts: zeroCounts() }));
    run.startedAt = Math.min(run.startedAt, record.timestamp);
    const counts = countsOfStep(record);
    if (!counts) continue;
    if (record.model !== undefined && !run.models.includes(record.model)) run.models.push(record.model);
    addCounts(run.counts, counts);
    addCounts(total, counts);
  }
  return {
    agentId,
    total: totalsOf(total),
    runs: [...runs].map(([messageId, run]): RunUsage => ({
      messageId,
      startedAt: new Date(run.startedAt).toISOString(),
      models: run.models,
      ...totalsOf(run.counts),
    })),
  };
}

/** A user's (or, with `uid` null, everyone's) daily rows summed per day, per model and, for everyone, per user. */
export function userUsage(rows: readonly DailyUsageRow[], query: { uid: number | null; from: string; to: string }): Omit<UserUsage, "limits"> {
  const total = zeroCounts();
  const days = new Map<string, { counts: UsageCounts; models: Map<string, UsageCounts> }>();
  const models = new Map<string, UsageCounts>();
  const users = new Map<number, UsageCounts>();
  const bucket = <K>(map: Map<K, UsageCounts>, key: K) => {
    let counts = map.get(key);
    if (!counts) map.set(key, (counts = zeroCounts()));
    return counts;
  };
  for (const row of rows) {
    let day = days.get(row.day);
    if (!day) days.set(row.day, (day = { counts: zeroCounts(), models: new Map() }));
    addCounts(day.counts, row.counts);
    addCounts(bucket(day.models, row.model), row.counts);
    addCounts(bucket(models, row.model), row.counts);
    addCounts(bucket(users, row.uid), row.counts);
    addCounts(total, row.counts);
  }
  const byModel = (map: Map<string, UsageCounts>): ModelUsage[] =>
    [...map].sort(([a], [b]) => a.localeCompare(b)).map(([model, counts]) => ({ model, ...totalsOf(counts) }));
  return {
    uid: query.uid,
    from: query.from,
    to: query.to,
    total: totalsOf(total),
    days: [...days].sort(([a], [b]) => a.localeCompare(b)).map(([day, entry]): DayUsage => ({
      day,
      ...totalsOf(entry.counts),
      models: byModel(entry.models),
    })),
    models: byModel(models),
    ...(query.uid === null
      ? { users: [...users].sort(([a], [b]) => a - b).map(([uid, counts]): UserTotals => ({ uid, ...totalsOf(counts) })) }
      : {}),
  };
}
