/**
 * One UTC day of usage held in memory, per user and model: the memory
 * store's whole ledger, and the file store's days read back from disk.
 *
 * @module
 */
import { addCounts, type DailyUsageRow, type UsageCounts, zeroCounts } from "../usage/totals.ts";

export class DayTotals {
  readonly day: string;
  readonly #rows = new Map<string, { uid: number; model: string; counts: UsageCounts }>();

  constructor(day: string) {
    this.day = day;
  }

  add(uid: number, model: string, counts: UsageCounts): void {
    const key = `${uid}\u0000${model}`;
    let row = this.#rows.get(key);
    if (!row) this.#rows.set(key, (row = { uid, model, counts: zeroCounts() }));
    addCounts(row.counts, counts);
  }

  /** Copies of the day's rows (one user's, or everyone's). */
  rows(uid?: number): DailyUsageRow[] {
    const rows: DailyUsageRow[] = [];
    for (const row of this.#rows.values()) {
      if (uid === undefined || row.uid === uid) rows.push({ uid: row.uid, day: this.day, model: row.model, counts: { ...row.counts } });
    }
    return rows;
  }
}

/** Rows in the order every store answers: by day, then model, then user. */
export function sortRows(rows: DailyUsageRow[]): DailyUsageRow[] {
  return rows.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.model < b.model ? -1 : a.model > b.model ? 1 : a.uid - b.uid));
}
