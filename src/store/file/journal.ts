/**
 * One agent's steps on disk: an append-only journal of JSON lines.
 *
 *   {"t":"snap","k":"<key>","c":<workflow snapshot>}    once per distinct snapshot
 *   {"t":"step","s":<step without snapshots>,"b":"<key>","a":"<key>"}
 *   {"t":"head","id":"<step id>"}                         a checkout
 *
 * Appending a step writes that step (and a snapshot the journal does not
 * have yet): its cost does not grow with the history. `clear` replaces the
 * file with an empty one. A crash mid-append leaves a torn last line
 * (no newline): loading ignores it and the next append cuts it off first.
 * Any other line that does not parse, or a step that fails its schema,
 * makes the whole journal invalid (the store quarantines the agent).
 *
 * @module
 */
import { readFile, truncate } from "node:fs/promises";
import type { ReActStep } from "../../agents/types.ts";
import { readStep, RecordError } from "../records.ts";
import { joinStep, splitStep } from "../snapshots.ts";
import { StepTree } from "../step-tree.ts";
import { appendDurably, errorCode, writeAtomic } from "./fs-util.ts";
import { deepFreeze } from "../../deep-freeze.ts";

const encoder = new TextEncoder();

export class Journal {
  readonly path: string;
  readonly tree = new StepTree();
  readonly #snapshots = new Map<string, unknown>();
  /** Bytes of complete lines; a torn tail past it is cut before the next append. */
  #validBytes = 0;
  #fileBytes = 0;

  private constructor(path: string) {
    this.path = path;
  }

  /** Bytes on disk (what the store's cache budget counts). */
  get bytes(): number {
    return this.#fileBytes;
  }

  /** Whether the file ended in a torn line when loaded. */
  get torn(): boolean {
    return this.#validBytes < this.#fileBytes;
  }

  /** Reads a journal; a missing file is an empty journal. Throws RecordError when a line is not valid. */
  static async load(path: string): Promise<Journal> {
    const journal = new Journal(path);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if (errorCode(error) === "ENOENT") return journal;
      throw error;
    }
    journal.#fileBytes = encoder.encode(text).byteLength;
    const end = text.lastIndexOf("\n") + 1;
    journal.#validBytes = end === text.length ? journal.#fileBytes : encoder.encode(text.slice(0, end)).byteLength;
    let lineNo = 0;
    for (const line of text.slice(0, end).split("\n")) {
      lineNo++;
      if (line === "") continue;
      let entry: { t?: unknown; k?: unknown; c?: unknown; s?: unknown; b?: unknown; a?: unknown; id?: unknown };
      try {
        entry = JSON.parse(line);
      } catch {
        throw new RecordError(`line ${lineNo}: not JSON`);
      }
      journal.#apply(entry, lineNo);
    }
    return journal;
  }

  #apply(entry: Record<string, unknown>, lineNo: number): void {
    if (entry.t === "snap" && typeof entry.k === "string") {
      this.#snapshots.set(entry.k, deepFreeze(entry.c));
    } else if (entry.t === "step") {
      const before = this.#snapshot(entry.b, lineNo);
      const after = this.#snapshot(entry.a, lineNo);
      let step: ReActStep;
      try {
        step = readStep(joinStep(entry.s as ReActStep, before, after));
      } catch (error) {
        throw new RecordError(`line ${lineNo}: step.${(error as Error).message}`);
      }
      this.tree.append(deepFreeze(step));
    } else if (entry.t === "head" && typeof entry.id === "string" && this.tree.has(entry.id)) {
      this.tree.headId = entry.id;
    } else {
      throw new RecordError(`line ${lineNo}: not a journal entry`);
    }
  }

  #snapshot(key: unknown, lineNo: number): unknown {
    if (key === undefined) return undefined;
    if (typeof key !== "string" || !this.#snapshots.has(key)) throw new RecordError(`line ${lineNo}: unknown snapshot`);
    return this.#snapshots.get(key);
  }

  /** Appends a step (and the snapshots it refers to that the journal lacks), durably. */
  async appendStep(step: ReActStep): Promise<void> {
    const { body, before, after, snapshots } = splitStep(step);
    let lines = "";
    const added: [string, unknown][] = [];
    for (const [key, json] of snapshots) {
      if (this.#snapshots.has(key)) continue;
      lines += `{"t":"snap","k":${JSON.stringify(key)},"c":${json}}\n`;
      added.push([key, JSON.parse(json)]);
    }
    const bodyJson = JSON.stringify(body);
    lines += `{"t":"step","s":${bodyJson}${before ? `,"b":${JSON.stringify(before)}` : ""}${after ? `,"a":${JSON.stringify(after)}` : ""}}\n`;
    await this.#append(lines);
    for (const [key, content] of added) this.#snapshots.set(key, deepFreeze(content));
    // Kept as parsed from what was written: the caller's objects stay the caller's.
    const copy = JSON.parse(bodyJson) as ReActStep;
    this.tree.append(deepFreeze(joinStep(copy, before && this.#snapshots.get(before), after && this.#snapshots.get(after))));
  }

  /** Moves HEAD to a stored step, durably. */
  async checkout(stepId: string): Promise<void> {
    await this.#append(`${JSON.stringify({ t: "head", id: stepId })}\n`);
    this.tree.headId = stepId;
  }

  /** Drops every step: the journal becomes empty. */
  async clear(): Promise<void> {
    await writeAtomic(this.path, "");
    this.tree.clear();
    this.#snapshots.clear();
    this.#validBytes = this.#fileBytes = 0;
  }

  async #append(lines: string): Promise<void> {
    if (this.torn) {
      await truncate(this.path, this.#validBytes);
      this.#fileBytes = this.#validBytes;
    }
    await appendDurably(this.path, lines);
    const bytes = encoder.encode(lines).byteLength;
    this.#validBytes += bytes;
    this.#fileBytes += bytes;
  }
}
