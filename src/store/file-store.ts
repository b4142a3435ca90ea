/**
 * The embedded default agent store: one JSON file per agent in a directory
 * (`AGENT_STATE_DIR`, default `./data`), so a single instance keeps its agents
 * across restarts with no database to run.
 *
 * Why it looks the way it does:
 * - Atomic writes. A record is written to a temp file in the same directory,
 *   fsynced, then renamed over `<id>.agent.json`; a crash leaves either the
 *   old file or the new one (plus at worst a stray `*.tmp`, which `loadAll`
 *   removes), never a torn one.
 * - Ordered writes. Saves and deletes of one id run one after another in call
 *   order (a per-id promise chain), so a slow older write never lands after a
 *   newer one; different ids proceed in parallel.
 * - Ids are checked against `[A-Za-z0-9_-]{1,128}` before any path is built,
 *   so no id can reach outside the directory.
 * - The interface is async and keyed by id so that a Postgres-backed store
 *   (several replicas sharing state) can replace this one unchanged. This
 *   store assumes it is the only writer of its directory.
 *
 * Only `node:` modules that Node 20 and Deno 2 both provide are used.
 *
 * @module
 */
import { mkdir, open, readdir, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { randomBytes } from "node:crypto";
import type { AgentRecord } from "../agents/types.ts";
import type { Logger } from "../log.ts";
import type { AgentStore } from "./agent-store.ts";

/** The ids a store accepts: they double as file names, so nothing that can name a path. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Whether `id` is an id a store accepts. */
export function isValidAgentId(id: unknown): id is string {
  return typeof id === "string" && AGENT_ID_PATTERN.test(id);
}

/**
 * Why `value` is not a storable agent record, or undefined if it is one.
 * The reason names the failing field only, never its content.
 */
export function agentRecordProblem(value: unknown, expectedId?: string): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "not a JSON object";
  const record = value as Record<string, unknown>;
  if (record.version !== 1) return "unsupported version";
  if (typeof record.id !== "string") return "missing id";
  if (!isValidAgentId(record.id)) return "invalid id";
  if (expectedId !== undefined && record.id !== expectedId) return "id does not match the file name";
  if (typeof record.ownerUid !== "number") return "missing ownerUid";
  if (typeof record.name !== "string") return "missing name";
  if (typeof record.modelType !== "string") return "missing modelType";
  if (!Array.isArray(record.steps)) return "missing steps";
  const settings = record.settings;
  if (settings === null || typeof settings !== "object" || Array.isArray(settings)) return "missing settings";
  return undefined;
}

const FILE_SUFFIX = ".agent.json";
/** `<id>.agent.json.<pid>.<random>.tmp`: only files of exactly this shape are cleaned up. */
const TEMP_FILE = /^[A-Za-z0-9_-]{1,128}\.agent\.json\.\d+\.[0-9a-f]+\.tmp$/;
/** Files read at once by `loadAll`. */
const READ_CONCURRENCY = 16;

/** Temp files being written right now by any store in this process (full paths); `loadAll` leaves them alone. */
const inFlightTemps = new Set<string>();

export interface FileAgentStoreOptions {
  /** The directory holding `<id>.agent.json` files. */
  dir: string;
  logger: Logger;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : undefined;
}

const ignore = () => {};

export class FileAgentStore implements AgentStore {
  readonly dir: string;
  readonly #logger: Logger;
  /** Per id, a promise that settles after the last save/delete issued for it; never rejects. */
  readonly #tails = new Map<string, Promise<void>>();

  constructor(options: FileAgentStoreOptions) {
    this.dir = options.dir;
    this.#logger = options.logger;
  }

  /** A store over `options.dir`, creating the directory (and its parents) if missing. */
  static async open(options: FileAgentStoreOptions): Promise<FileAgentStore> {
    await mkdir(options.dir, { recursive: true });
    return new FileAgentStore(options);
  }

  async loadAll(): Promise<AgentRecord[]> {
    // Read what was written so far, and never race our own temp files.
    await this.flush();
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return [];
      throw error;
    }
    names.sort();

    for (const name of names) {
      if (!TEMP_FILE.test(name)) continue;
      const path = join(this.dir, name);
      if (inFlightTemps.has(path)) continue;
      try {
        await unlink(path);
        this.#logger.info("removed a leftover agent temp file", { file: name });
      } catch (error) {
        if (errorCode(error) !== "ENOENT") {
          this.#logger.warn("could not remove a leftover agent temp file", { file: name, code: errorCode(error) });
        }
      }
    }

    const files = names.filter((name) => name.endsWith(FILE_SUFFIX));
    const results: (AgentRecord | undefined)[] = new Array(files.length);
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const index = next++;
        const name = files[index]!;
        const id = name.slice(0, -FILE_SUFFIX.length);
        if (!isValidAgentId(id)) {
          this.#logger.warn("skipping agent file", { file: name, reason: "invalid id in the file name" });
          continue;
        }
        results[index] = await this.#read(id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));
    return results.filter((record): record is AgentRecord => record !== undefined);
  }

  async load(id: string): Promise<AgentRecord | undefined> {
    if (!isValidAgentId(id)) return undefined;
    // Read after this id's pending writes, so a caller sees its own saves.
    await this.#tails.get(id);
    return this.#read(id);
  }

  // save and delete are async so every failure is a rejection; their bodies run synchronously up to
  // #enqueue, so call order is queue order.

  async save(record: AgentRecord): Promise<void> {
    const problem = agentRecordProblem(record);
    if (problem !== undefined) {
      const what = isValidAgentId((record as { id?: unknown } | null)?.id) ? `agent ${record.id}` : "an agent";
      throw new Error(`cannot save ${what}: ${problem}`);
    }
    // Serialized now: later changes to `record` must not reach the file.
    const data = `${JSON.stringify(record)}\n`;
    return this.#enqueue(record.id, () => this.#write(record.id, data));
  }

  async delete(id: string): Promise<void> {
    if (!isValidAgentId(id)) return;
    return this.#enqueue(id, async () => {
      try {
        await unlink(this.#path(id));
      } catch (error) {
        if (errorCode(error) !== "ENOENT") throw error;
      }
    });
  }

  async flush(): Promise<void> {
    // Each id's tail settles after every operation issued so far on that id; tails never reject.
    await Promise.all([...this.#tails.values()]);
  }

  #path(id: string): string {
    return join(this.dir, `${id}${FILE_SUFFIX}`);
  }

  /** Runs `operation` after every earlier operation on `id` has settled. */
  #enqueue(id: string, operation: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(id) ?? Promise.resolve();
    const result = previous.then(operation);
    const tail = result.then(ignore, ignore);
    this.#tails.set(id, tail);
    void tail.then(() => {
      if (this.#tails.get(id) === tail) this.#tails.delete(id);
    });
    return result;
  }

  async #write(id: string, data: string): Promise<void> {
    const target = this.#path(id);
    const temp = `${target}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    inFlightTemps.add(temp);
    try {
      const handle = await open(temp, "wx", 0o600);
      try {
        await handle.writeFile(data, "utf8");
        await syncIfSupported(() => handle.sync());
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (error) {
      await unlink(temp).catch(ignore);
      throw error;
    } finally {
      inFlightTemps.delete(temp);
    }
    await this.#syncDir();
  }

  /** Best effort: makes the rename itself durable where directories can be fsynced (not on Windows). */
  async #syncDir(): Promise<void> {
    try {
      const handle = await open(this.dir, "r");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch {
      // The data is already fsynced; only the rename's durability is at stake.
    }
  }

  async #read(id: string): Promise<AgentRecord | undefined> {
    const name = `${id}${FILE_SUFFIX}`;
    let text: string;
    try {
      text = await readFile(join(this.dir, name), "utf8");
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT") return undefined;
      this.#logger.warn("skipping agent file", { file: name, reason: "unreadable", code });
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Not the parser's message: it quotes the content.
      this.#logger.warn("skipping agent file", { file: name, reason: "not valid JSON" });
      return undefined;
    }
    const problem = agentRecordProblem(value, id);
    if (problem !== undefined) {
      this.#logger.warn("skipping agent file", { file: name, reason: problem });
      return undefined;
    }
    return value as AgentRecord;
  }
}

/** Runs an fsync, tolerating file systems that do not support one. */
async function syncIfSupported(sync: () => Promise<void>): Promise<void> {
  try {
    await sync();
  } catch (error) {
    const code = errorCode(error);
    if (code === "EINVAL" || code === "ENOTSUP" || code === "ENOSYS") return;
    throw error;
  }
}
