/**
 * The file store's usage ledger: a file per UTC day, `usage/<day>.jsonl`,
 * one line appended durably per model step charged:
 *
 *   {"u":<uid>,"m":"<model>","c":[input, output, total, cached input, cost in nano-USD, calls, calls without usage, calls without cost]}
 *
 * Nothing is read at open: a day is read on its first use (a query, or the
 * first charge of the day in this process) and kept summed in a bounded
 * cache, so start-up does not grow with history and a day's total costs one
 * read. A torn last line (a crash mid-append) is ignored and cut off before
 * the next append; any other bad line is skipped with a warning naming the
 * file and line (usage is not worth quarantining a day for).
 *
 * @module
 */
import { mkdir, readdir, readFile, truncate } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../log.ts";
import { COUNT_FIELDS, type DailyUsageQuery, type DailyUsageRow, type UsageCharge, type UsageCounts } from "../../usage/totals.ts";
import { DayTotals, sortRows } from "../day-totals.ts";
import { Lru } from "../lru.ts";
import { appendDurably, errorCode } from "./fs-util.ts";
import { KeyedQueue } from "./keyed-queue.ts";

const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;
const encoder = new TextEncoder();

interface LoadedDay {
  readonly totals: DayTotals;
  /** Bytes of complete lines; a torn tail past it is cut before the next append. */
  validBytes: number;
  torn: boolean;
}

export class UsageFiles {
  readonly #dir: string;
  readonly #logger: Logger;
  /** Operations per day, in call order. */
  readonly #queue = new KeyedQueue();
  readonly #days: Lru<string, LoadedDay>;
  #dirMade = false;

  constructor(dir: string, logger: Logger, cachedDays = 62) {
    this.#dir = dir;
    this.#logger = logger;
    this.#days = new Lru(cachedDays);
  }

  /** Appends a charge to its day's file, durably, and to the day's totals. */
  charge(charge: UsageCharge): Promise<void> {
    return this.#queue.run(charge.day, async () => {
      const day = await this.#load(charge.day);
      const path = this.#path(charge.day);
      if (!this.#dirMade) {
        await mkdir(this.#dir, { recursive: true });
        this.#dirMade = true;
      }
      if (day.torn) {
        await truncate(path, day.validBytes);
        day.torn = false;
      }
      const line = `${JSON.stringify({ u: charge.uid, m: charge.model, c: COUNT_FIELDS.map((field) => charge.counts[field]) })}\n`;
      await appendDurably(path, line);
      day.validBytes += encoder.encode(line).byteLength;
      day.totals.add(charge.uid, charge.model, charge.counts);
    });
  }

  /** The rows of the days in the query's range that have a file. */
  async rows(query: DailyUsageQuery): Promise<DailyUsageRow[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return [];
      throw error;
    }
    const rows: DailyUsageRow[] = [];
    for (const name of names) {
      const day = DAY_FILE.exec(name)?.[1];
      if (day === undefined || day < query.from || day > query.to) continue;
      const loaded = await this.#queue.run(day, () => this.#load(day));
      rows.push(...loaded.totals.rows(query.uid));
    }
    return sortRows(rows);
  }

  /** Resolves when every charge issued so far is on disk. */
  settled(): Promise<void> {
    return this.#queue.settled();
  }

  #path(day: string): string {
    return join(this.#dir, `${day}.jsonl`);
  }

  /** The day's totals, read from its file on first use. Runs inside the day's queue. */
  async #load(day: string): Promise<LoadedDay> {
    const cached = this.#days.get(day);
    if (cached) return cached;
    const loaded: LoadedDay = { totals: new DayTotals(day), validBytes: 0, torn: false };
    let text = "";
    try {
      text = await readFile(this.#path(day), "utf8");
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
    }
    const end = text.lastIndexOf("\n") + 1;
    loaded.torn = end < text.length;
    if (loaded.torn) this.#logger.warn("ignoring a torn last line of a usage file (a crash mid-write)", { file: `usage/${day}.jsonl` });
    loaded.validBytes = encoder.encode(text.slice(0, end)).byteLength;
    let lineNo = 0;
    for (const line of text.slice(0, end).split("\n")) {
      lineNo++;
      if (line === "") continue;
      const entry = parseLine(line);
      if (entry) loaded.totals.add(entry.uid, entry.model, entry.counts);
      else this.#logger.warn("skipping a bad line of a usage file", { file: `usage/${day}.jsonl`, line: lineNo });
    }
    this.#days.set(day, loaded);
    return loaded;
  }
}

function parseLine(line: string): { uid: number; model: string; counts: UsageCounts } | undefined {
  let value: { u?: unknown; m?: unknown; c?: unknown };
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const { u, m, c } = value ?? {};
  if (!Number.isSafeInteger(u) || typeof m !== "string" || m === "" || !Array.isArray(c) || c.length !== COUNT_FIELDS.length) return undefined;
  if (!c.every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
  const counts = Object.fromEntries(COUNT_FIELDS.map((field, i) => [field, c[i] as number])) as unknown as UsageCounts;
  return { uid: u as number, model: m, counts };
}
