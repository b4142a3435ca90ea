/**
 * Which agents exist, whose they are and in what order they were created:
 * the file store's index, an append-only journal of JSON lines
 *
 *   {"a":"<id>","o":<owner uid>,"c":"<createdAt>"}    an agent was created
 *   {"d":"<id>"}                                      it was deleted
 *
 * read once, on the first list or create (never at start, so start-up does
 * not grow with the number of agents), and rewritten whole when deleted
 * entries outnumber live ones. Everything else about an agent is in its
 * own files.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import type { AgentCursor, AgentQuery } from "../agent-store.ts";
import { compareCursors, pageOf } from "../paging.ts";
import { appendDurably, errorCode, writeAtomic } from "./fs-util.ts";

export interface IndexEntry {
  readonly id: string;
  readonly ownerUid: number;
  readonly createdAt: string;
}

/** Inserts into a list sorted by creation, keeping it sorted (appends, the usual case, are O(1)). */
function insertSorted(list: IndexEntry[], entry: IndexEntry): void {
  let at = list.length;
  while (at > 0 && compareCursors(list[at - 1]!, entry) > 0) at--;
  list.splice(at, 0, entry);
}

function removeFrom(list: IndexEntry[] | undefined, id: string): void {
  if (!list) return;
  const at = list.findIndex((entry) => entry.id === id);
  if (at >= 0) list.splice(at, 1);
}

export class AgentIndex {
  readonly #path: string;
  readonly #byId = new Map<string, IndexEntry>();
  readonly #byOwner = new Map<number, IndexEntry[]>();
  readonly #all: IndexEntry[] = [];
  #lines = 0;
  /** Index writes, one after another. */
  #tail: Promise<void> = Promise.resolve();

  private constructor(path: string) {
    this.#path = path;
  }

  static async load(path: string, onBadLine: (lineNo: number) => void): Promise<AgentIndex> {
    const index = new AgentIndex(path);
    let text = "";
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
    }
    const end = text.lastIndexOf("\n") + 1;
    const added: IndexEntry[] = [];
    let lineNo = 0;
    for (const line of text.slice(0, end).split("\n")) {
      lineNo++;
      if (line === "") continue;
      index.#lines++;
      try {
        const entry = JSON.parse(line) as { a?: unknown; o?: unknown; c?: unknown; d?: unknown };
        if (typeof entry.a === "string" && typeof entry.o === "number" && typeof entry.c === "string") {
          const item = { id: entry.a, ownerUid: entry.o, createdAt: entry.c };
          index.#byId.set(item.id, item);
          added.push(item);
        } else if (typeof entry.d === "string") {
          index.#byId.delete(entry.d);
        } else {
          onBadLine(lineNo);
        }
      } catch {
        onBadLine(lineNo);
      }
    }
    const live = added.filter((entry) => index.#byId.get(entry.id) === entry).sort(compareCursors);
    for (const entry of live) {
      index.#all.push(entry);
      const owned = index.#byOwner.get(entry.ownerUid) ?? [];
      owned.push(entry);
      index.#byOwner.set(entry.ownerUid, owned);
    }
    // A torn last line (a crash mid-append) is cut off by rewriting the index without it.
    if (end !== text.length) await index.#compact();
    return index;
  }

  get size(): number {
    return this.#byId.size;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  count(ownerUid: number): number {
    return this.#byOwner.get(ownerUid)?.length ?? 0;
  }

  /** A page of ids, oldest first. */
  page(query: AgentQuery): { items: IndexEntry[]; next: AgentCursor | null } {
    const list = query.ownerUid === undefined ? this.#all : (this.#byOwner.get(query.ownerUid) ?? []);
    return pageOf(list, query);
  }

  /** Adds an agent now (a later `count` sees it at once) and persists it. */
  add(entry: IndexEntry): Promise<void> {
    this.#byId.set(entry.id, entry);
    insertSorted(this.#all, entry);
    const owned = this.#byOwner.get(entry.ownerUid) ?? [];
    insertSorted(owned, entry);
    this.#byOwner.set(entry.ownerUid, owned);
    return this.#write(JSON.stringify({ a: entry.id, o: entry.ownerUid, c: entry.createdAt }));
  }

  /** Removes an agent now and persists it. */
  remove(id: string): Promise<void> {
    const entry = this.#byId.get(id);
    if (!entry) return Promise.resolve();
    this.#byId.delete(id);
    removeFrom(this.#all, id);
    removeFrom(this.#byOwner.get(entry.ownerUid), id);
    if (this.#byOwner.get(entry.ownerUid)?.length === 0) this.#byOwner.delete(entry.ownerUid);
    return this.#write(JSON.stringify({ d: id }));
  }

  #write(line: string): Promise<void> {
    const run = async () => {
      await appendDurably(this.#path, `${line}\n`);
      this.#lines++;
      // Worth rewriting once the dead lines are most of the file.
      if (this.#lines > 1000 && this.#lines > 2 * this.#byId.size) await this.#compact();
    };
    const result = this.#tail.then(run);
    this.#tail = result.catch(() => {});
    return result;
  }

  async #compact(): Promise<void> {
    const lines = this.#all.map((entry) => `${JSON.stringify({ a: entry.id, o: entry.ownerUid, c: entry.createdAt })}\n`).join("");
    await writeAtomic(this.#path, lines);
    this.#lines = this.#all.length;
  }

  /** Resolves when every index write issued so far is on disk. */
  flush(): Promise<void> {
    return this.#tail;
  }
}
