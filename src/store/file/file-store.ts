/**
 * The embedded default agent store: files in a directory (`AGENT_STATE_DIR`,
 * default `./data`), for a single instance with no database to run.
 *
 *   LOCK                 held by the one process using the directory (dir-lock.ts)
 *   index.jsonl          which agents exist, by owner and creation (agent-index.ts)
 *   agents/<id>.json     an agent's meta: owner, name, model, settings (replaced atomically)
 *   agents/<id>.jsonl    its steps, HEAD moves and workflow snapshots (journal.ts)
 *   usage/<day>.jsonl    the usage charged on that UTC day, a line per model step (usage-files.ts)
 *   quarantine/          records that failed their check, moved aside
 *
 * Nothing is read at start but the directory itself: agents are read on
 * first use and kept in bounded caches, the index on the first list or
 * create. Appending a step appends that step. The first round's
 * `<id>.agent.json` files are migrated at open.
 *
 * Every operation on one agent runs after the ones issued before it (a
 * queue per agent), so a read sees earlier writes, and writes land in call
 * order; different agents proceed in parallel.
 *
 * @module
 */
import { mkdir, readdir, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import type { AgentMeta, ReActStep, StoredAgent } from "../../agents/types.ts";
import type { Logger } from "../../log.ts";
import { checkCharge, type DailyUsageQuery, type DailyUsageRow, type StepUsageRecord, usageRecordOf } from "../../usage/totals.ts";
import {
  type AgentPage,
  type AgentPatch,
  type AgentQuery,
  type AgentStore,
  type AppendStepOptions,
  isValidAgentId,
  type MoveHeadResult,
  type StartRun,
  type StartRunResult,
} from "../agent-store.ts";
import { InProcessLeases } from "../in-process-leases.ts";
import { Lru } from "../lru.ts";
import { readMeta, readStep, RecordError } from "../records.ts";
import { AgentIndex } from "./agent-index.ts";
import { type DirLock, lockDirectory } from "./dir-lock.ts";
import { errorCode, removeIfPresent, TEMP_FILE, writeAtomic } from "./fs-util.ts";
import { Journal } from "./journal.ts";
import { KeyedQueue } from "./keyed-queue.ts";
import { UsageFiles } from "./usage-files.ts";
import { migrateLegacyFiles } from "./legacy.ts";
import { deepFreeze } from "../../deep-freeze.ts";

export interface FileAgentStoreOptions {
  /** The state directory. */
  readonly dir: string;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Agent metas kept in memory. Default 5,000. */
  readonly metaCacheSize?: number;
  /** Journals kept in memory, by count and by bytes. Default 256 and 64 MiB. */
  readonly journalCacheSize?: number;
  readonly journalCacheBytes?: number;
}

const ignore = () => {};

export class FileAgentStore extends InProcessLeases implements AgentStore {
  readonly kind = "file";
  readonly dir: string;
  readonly #agentsDir: string;
  readonly #logger: Logger;
  readonly #lock: DirLock;
  readonly #metas: Lru<string, AgentMeta>;
  readonly #journals: Lru<string, Journal>;
  /** Operations per agent, in call order. */
  readonly #queue = new KeyedQueue();
  readonly #usage: UsageFiles;
  #index: Promise<AgentIndex> | undefined;
  #closed = false;

  private constructor(options: FileAgentStoreOptions, lock: DirLock) {
    super(options.now);
    this.dir = options.dir;
    this.#agentsDir = join(options.dir, "agents");
    this.#logger = options.logger;
    this.#lock = lock;
    this.#metas = new Lru(options.metaCacheSize ?? 5_000);
    this.#journals = new Lru(options.journalCacheSize ?? 256, options.journalCacheBytes ?? 64 * 1024 * 1024);
    this.#usage = new UsageFiles(join(options.dir, "usage"), options.logger);
  }

  /**
   * Opens the store over `options.dir`: creates the directory, takes its
   * lock (throws DirectoryLockedError when another process holds it),
   * removes temp files a crash left, and migrates first-round agent files.
   */
  static async open(options: FileAgentStoreOptions): Promise<FileAgentStore> {
    const agentsDir = join(options.dir, "agents");
    await mkdir(agentsDir, { recursive: true });
    const lock = await lockDirectory(options.dir);
    const store = new FileAgentStore(options, lock);
    try {
      const migrated = await migrateLegacyFiles(options.dir, {
        logger: options.logger,
        write: (meta, steps, headId) => store.#importAgent(meta, steps, headId),
        quarantine: (name, reason) => store.#quarantine([join(options.dir, name)], name, reason),
      });
      if (migrated > 0) options.logger.info("migrated agent files to the journal layout", { count: migrated });
    } catch (error) {
      await lock.release();
      throw error;
    }
    await store.#removeTempFiles();
    return store;
  }

  async ping(): Promise<void> {
    await readdir(this.dir);
  }

  // --- Agents ---------------------------------------------------------------

  async createAgent(meta: AgentMeta, options: { maxPerOwner?: number } = {}): Promise<boolean> {
    const checked = readMeta(structuredClone(meta));
    const index = await this.#loadIndex();
    if (index.has(checked.id)) throw new Error(`agent ${checked.id} already exists`);
    // Counted and reserved in one synchronous step: concurrent creates cannot both pass the bound.
    if (options.maxPerOwner !== undefined && index.count(checked.ownerUid) >= options.maxPerOwner) return false;
    const added = index.add({ id: checked.id, ownerUid: checked.ownerUid, createdAt: checked.createdAt });
    await this.#enqueue(checked.id, async () => {
      await writeAtomic(this.#metaPath(checked.id), `${JSON.stringify(checked)}\n`);
      this.#metas.set(checked.id, deepFreeze(checked));
    });
    await added;
    return true;
  }

  async getAgent(id: string): Promise<StoredAgent | undefined> {
    if (!isValidAgentId(id)) return undefined;
    return this.#enqueue(id, async () => {
      const meta = await this.#meta(id);
      if (!meta) return undefined;
      const journal = await this.#journal(id);
      if (!journal) return undefined;
      return { ...meta, headId: journal.tree.headId, stepCount: journal.tree.size, run: this.runs.get(id) };
    });
  }

  async listAgents(query: AgentQuery): Promise<AgentPage> {
    const index = await this.#loadIndex();
    const { items, next } = index.page(query);
    const agents: StoredAgent[] = [];
    for (const item of items) {
      const meta = this.#metas.get(item.id) ?? (await this.#enqueue(item.id, () => this.#meta(item.id)));
      // A list needs neither HEAD nor the step count: reading every journal for them would make it cost the history.
      if (meta) agents.push({ ...meta, headId: null, stepCount: 0, run: this.runs.get(item.id) });
    }
    return { agents, next };
  }

  async countAgents(ownerUid: number): Promise<number> {
    return (await this.#loadIndex()).count(ownerUid);
  }

  async updateAgent(id: string, patch: AgentPatch): Promise<StoredAgent | undefined> {
    if (!isValidAgentId(id)) return undefined;
    const updated = await this.#enqueue(id, async () => {
      const meta = await this.#meta(id);
      if (!meta) return undefined;
      const next = readMeta(structuredClone({ ...meta, ...patch }));
      await writeAtomic(this.#metaPath(id), `${JSON.stringify(next)}\n`);
      this.#metas.set(id, deepFreeze(next));
      return next;
    });
    return updated && this.getAgent(id);
  }

  async deleteAgent(id: string): Promise<boolean> {
    if (!isValidAgentId(id)) return false;
    const index = await this.#loadIndex();
    const existed = index.has(id);
    this.runs.forget(id);
    await this.#enqueue(id, async () => {
      this.#metas.delete(id);
      this.#journals.delete(id);
      await removeIfPresent(this.#metaPath(id));
      await removeIfPresent(this.#journalPath(id));
    });
    await index.remove(id);
    return existed;
  }

  // --- Steps ----------------------------------------------------------------

  async appendStep(agentId: string, step: ReActStep, options: AppendStepOptions = {}): Promise<boolean> {
    if (!isValidAgentId(agentId)) return false;
    readStep(step);
    const charge = options.charge;
    if (charge) checkCharge(charge);
    return this.#enqueue(agentId, async () => {
      if (options.runId !== undefined && !this.runs.holds(agentId, options.runId)) return false;
      if (!(await this.#meta(agentId))) return false;
      const journal = await this.#journal(agentId);
      if (!journal) return false;
      if (journal.tree.has(step.id)) throw new Error(`step ${step.id} already exists`);
      // The charge first: a crash between the two appends leaves spend counted
      // without its step (the model call did happen), never a step uncounted.
      if (charge) await this.#usage.charge(charge);
      await journal.appendStep(step);
      this.#journals.set(agentId, journal, journal.bytes);
      return true;
    });
  }

  async moveHead(agentId: string, target: { stepId: string } | { clear: true }): Promise<MoveHeadResult> {
    if (!isValidAgentId(agentId)) return "missing";
    return this.#enqueue(agentId, async () => {
      if (!(await this.#meta(agentId))) return "missing";
      if (this.runs.get(agentId)) return "busy";
      const journal = await this.#journal(agentId);
      if (!journal) return "missing";
      if ("clear" in target) await journal.clear();
      else if (!journal.tree.has(target.stepId)) return "unknown_step";
      else await journal.checkout(target.stepId);
      this.#journals.set(agentId, journal, journal.bytes);
      return "ok";
    });
  }

  async steps(agentId: string): Promise<ReActStep[]> {
    return (await this.#read(agentId))?.tree.all() ?? [];
  }

  async path(agentId: string, options: { headId?: string; limit?: number } = {}): Promise<ReActStep[]> {
    const tree = (await this.#read(agentId))?.tree;
    return tree ? tree.path(options.headId ?? tree.headId, options.limit) : [];
  }

  async step(agentId: string, stepId: string): Promise<ReActStep | undefined> {
    return (await this.#read(agentId))?.tree.get(stepId);
  }

  async stepUsage(agentId: string): Promise<StepUsageRecord[]> {
    return ((await this.#read(agentId))?.tree.all() ?? []).map(usageRecordOf);
  }

  // --- Usage ------------------------------------------------------------------

  dailyUsage(query: DailyUsageQuery): Promise<DailyUsageRow[]> {
    return this.#usage.rows(query);
  }

  // --- Runs (in memory: a run does not outlive its process) --------------------

  async startRun(agentId: string, run: StartRun): Promise<StartRunResult> {
    const meta = isValidAgentId(agentId) ? await this.#enqueue(agentId, () => this.#meta(agentId)) : undefined;
    if (!meta) return { ok: false, reason: "missing" };
    return this.runs.start(agentId, meta.ownerUid, run);
  }










  // --- Lifecycle ----------------------------------------------------------------

  async flush(): Promise<void> {
    await this.#queue.settled();
    await this.#usage.settled();
    if (this.#index) await (await this.#index.catch(() => undefined))?.flush().catch(ignore);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
    await this.#lock.release();
  }

  // --- Internals ------------------------------------------------------------------

  #metaPath(id: string): string {
    return join(this.#agentsDir, `${id}.json`);
  }

  #journalPath(id: string): string {
    return join(this.#agentsDir, `${id}.jsonl`);
  }

  #loadIndex(): Promise<AgentIndex> {
    this.#index ??= AgentIndex.load(join(this.dir, "index.jsonl"), (lineNo) => {
      this.#logger.warn("skipping a bad line of the agent index", { file: "index.jsonl", line: lineNo });
    });
    return this.#index;
  }

  /** Runs `operation` after every earlier operation on agent `id` has settled. */
  #enqueue<T>(id: string, operation: () => Promise<T>): Promise<T> {
    return this.#queue.run(id, operation);
  }

  #read(agentId: string): Promise<Journal | undefined> {
    if (!isValidAgentId(agentId)) return Promise.resolve(undefined);
    return this.#enqueue(agentId, async () => ((await this.#meta(agentId)) ? this.#journal(agentId) : undefined));
  }

  /** The agent's meta (cached), undefined when missing or quarantined. Runs inside the agent's queue. */
  async #meta(id: string): Promise<AgentMeta | undefined> {
    const cached = this.#metas.get(id);
    if (cached) return cached;
    const name = `agents/${id}.json`;
    let text: string;
    try {
      text = await readFile(this.#metaPath(id), "utf8");
    } catch (error) {
      if (errorCode(error) === "ENOENT") return undefined;
      throw error;
    }
    let meta: AgentMeta;
    try {
      meta = readMeta(JSON.parse(text));
      if (meta.id !== id) throw new RecordError("id: does not match the file name");
    } catch (error) {
      await this.#quarantineAgent(id, name, error instanceof RecordError ? error.message : "not valid JSON");
      return undefined;
    }
    this.#metas.set(id, deepFreeze(meta));
    return meta;
  }

  /** The agent's journal (cached), undefined when it failed its check (the agent is quarantined). Runs inside the agent's queue. */
  async #journal(id: string): Promise<Journal | undefined> {
    const cached = this.#journals.get(id);
    if (cached) return cached;
    let journal: Journal;
    try {
      journal = await Journal.load(this.#journalPath(id));
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      await this.#quarantineAgent(id, `agents/${id}.jsonl`, error.message);
      return undefined;
    }
    if (journal.torn) this.#logger.warn("ignoring a torn last line of an agent journal (a crash mid-write)", { file: `agents/${id}.jsonl` });
    this.#journals.set(id, journal, journal.bytes);
    return journal;
  }

  /** Moves an agent's files aside and forgets it; the log names the file and the field, never the content. */
  async #quarantineAgent(id: string, file: string, reason: string): Promise<void> {
    this.#metas.delete(id);
    this.#journals.delete(id);
    await this.#quarantine([this.#metaPath(id), this.#journalPath(id)], file, reason);
    await (await this.#loadIndex()).remove(id);
  }

  async #quarantine(paths: string[], file: string, reason: string): Promise<void> {
    const target = join(this.dir, "quarantine");
    await mkdir(target, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    for (const path of paths) {
      const base = path.slice(path.lastIndexOf("/") + 1);
      try {
        await rename(path, join(target, `${stamp}.${base}`));
      } catch (error) {
        if (errorCode(error) !== "ENOENT") throw error;
      }
    }
    this.#logger.warn("moved an agent record that failed its check to quarantine/", { file, reason });
  }

  /** Imports a whole agent (legacy migration): meta, journal of every step, index entry. */
  async #importAgent(meta: AgentMeta, steps: ReActStep[], headId: string | undefined): Promise<void> {
    const id = meta.id;
    const journalPath = this.#journalPath(id);
    // A migration interrupted half-way starts that agent over.
    await removeIfPresent(journalPath);
    const journal = await Journal.load(journalPath);
    for (const step of steps) await journal.appendStep(step);
    if (headId !== undefined && headId !== journal.tree.headId && journal.tree.has(headId)) await journal.checkout(headId);
    await writeAtomic(this.#metaPath(id), `${JSON.stringify(meta)}\n`);
    const index = await this.#loadIndex();
    if (!index.has(id)) await index.add({ id, ownerUid: meta.ownerUid, createdAt: meta.createdAt });
  }

  /**
   * Removes temp files an interrupted atomic write left in the directory
   * (safe: this process holds the lock). Only the top directory is read at
   * start; a meta's temp file left in agents/ is harmless and reading that
   * directory would make start-up grow with the number of agents.
   */
  async #removeTempFiles(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (!TEMP_FILE.test(name)) continue;
      await removeIfPresent(join(this.dir, name)).catch(ignore);
      this.#logger.info("removed a leftover temp file", { file: name });
    }
  }
}
