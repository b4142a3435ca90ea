/**
 * The agents, as every replica sees them: created, found and listed by
 * owner from the store, their runs started under a lease, their events sent
 * through the bus to the sockets of every replica.
 *
 * Another user's agent is "not found", exactly like a missing one, so ids
 * cannot be probed. ADMIN may act on any agent.
 *
 * A run belongs to the replica holding its lease: it keeps renewing it, and
 * stops the run when the store says a stop was asked for (a `stop` control
 * message gets there first, normally). A replica that dies leaves its lease
 * to expire; another replica claims it and ends the run with an
 * "interrupted" step (see leases.ts).
 *
 * @module
 */
import type { EventBus } from "../events/event-bus.ts";
import type { JwtUser } from "../jwt.ts";
import type { LiteLLMClient } from "../litellm.ts";
import type { Logger } from "../log.ts";
import { NO_TELEMETRY, RunTelemetry, type Telemetry } from "../observability/run-telemetry.ts";
import type { RequestOrigin } from "../observability/tracing.ts";
import { type AgentCursor, type AgentPage, type AgentStore, isValidAgentId, type OrphanedRun } from "../store/agent-store.ts";
import { agentInfo, LoadedAgent, type ToolkitFactory } from "./agent.ts";
import type { AgentInfo } from "./events.ts";
import { LeaseKeeper } from "./leases.ts";
import { DailyLimiter, type DailyLimits, type LimitReached } from "../usage/daily-limits.ts";
import { addCounts, countsOfStep, totalsOf, zeroCounts } from "../usage/totals.ts";
import { newId, type RunLimits, type RunStop, type RunOutcome, runTurn } from "./react-loop.ts";
import { bound, type Limits } from "../config/limits.ts";
import { RunWriter } from "./run-writer.ts";
import { applySettings, defaultSettings, type SettingsPatch } from "./settings.ts";
import { DEFAULT_WINDOW_BYTES, latestWithin } from "./window.ts";
import type { AgentMeta, ReActStep, StoredAgent } from "./types.ts";
import { randomUuid } from "../ids.ts";

export const isAdmin = (user: JwtUser) => user.role === "ADMIN";

export const INTERRUPTED_MESSAGE = "The turn was interrupted: the service instance running it stopped. Send the message again to retry.";

/**
 * What one user may take (config/limits.ts; a missing or 0 count is no limit),
 * and the tokens and USD one user may spend per UTC day across replicas
 * (`USER_DAILY_TOKEN_LIMIT`, `USER_DAILY_COST_LIMIT_USD`; absent: unlimited).
 */
export type RegistryLimits = Partial<Limits> & { readonly daily?: DailyLimits };

export interface RegistryDeps {
  readonly store: AgentStore;
  readonly bus: EventBus;
  readonly llm: Pick<LiteLLMClient, "chat">;
  readonly toolkits: ToolkitFactory;
  readonly logger: Logger;
  readonly now?: () => number;
  /** This process's name in run leases. Default: a random id. */
  readonly replicaId?: string;
  /** A run's lease (`RUN_LEASE_SECONDS`). Default 15 s. */
  readonly leaseMs?: number;
  readonly limits?: RegistryLimits;
  /** Run, model and tool metrics and spans; default: off. */
  readonly telemetry?: Telemetry;
  /** SOCKET_WINDOW_BYTES: the most of a conversation `init` and `headChange` carry (agents/window.ts). */
  readonly windowBytes?: number;
}

/** A turn refused because the user reached a daily limit: which, and when it resets. */
export interface DailyLimitRefusal extends LimitReached {
  readonly reason: "daily_limit";
}

/** Why a turn did not start (`full`: the agent's history has as many steps as it may). */
export type StartTurnResult = "started" | "busy" | "closing" | "quota" | "missing" | "full" | DailyLimitRefusal;

interface LocalRun {
  readonly runId: string;
  /** The agent's stored steps when the run started. */
  readonly stepCount: number;
  readonly controller: AbortController;
  readonly agent: LoadedAgent;
  readonly telemetry: RunTelemetry;
  done: Promise<void>;
  stopping: boolean;
}

/** The snapshot a socket starts from. */
export interface AgentSnapshot {
  readonly agent: StoredAgent;
  /** The latest steps of the conversation (root to HEAD), oldest first. */
  readonly steps: ReActStep[];
  /** Older steps exist before the first of `steps`. */
  readonly more: boolean;
  /** The last event already reflected in it. */
  readonly seq: number;
}

export class AgentRegistry {
  readonly replicaId: string;
  readonly leaseMs: number;
  /** The platform's daily limits per user, on the store's totals. */
  readonly limiter: DailyLimiter;
  readonly #deps: RegistryDeps;
  readonly #windowBytes: number;
  readonly #store: AgentStore;
  readonly #bus: EventBus;
  readonly #now: () => number;
  #lastCreatedMs = 0;
  readonly #runs = new Map<string, LocalRun>();
  /** Sockets open here, counted in the store for their owners. */
  readonly #sockets = new Set<string>();
  readonly #leases: LeaseKeeper;
  readonly #unsubscribeControl: () => void;
  #closing = false;

  constructor(deps: RegistryDeps) {
    this.#deps = deps;
    this.#store = deps.store;
    this.#bus = deps.bus;
    this.#now = deps.now ?? Date.now;
    this.replicaId = deps.replicaId ?? newId("replica");
    this.leaseMs = deps.leaseMs ?? 15_000;
    this.#windowBytes = deps.windowBytes ?? DEFAULT_WINDOW_BYTES;
    this.limiter = new DailyLimiter((query) => deps.store.dailyUsage(query), deps.limits?.daily ?? {}, this.#now);
    this.#leases = new LeaseKeeper({
      store: deps.store,
      logger: deps.logger,
      replicaId: this.replicaId,
      leaseMs: this.leaseMs,
      runIds: () => [...this.#runs.values()].map((run) => run.runId),
      hasSockets: () => this.#sockets.size > 0,
      onLost: (runId) => this.#abortRun(runId, "its lease was lost"),
      onStopRequested: (runId) => this.#abortRun(runId, "a stop was requested"),
      onOrphan: (orphan) => this.#endOrphan(orphan, orphan.runId),
    });
    this.#unsubscribeControl = deps.bus.onControl((message) => {
      const run = this.#runs.get(message.agentId);
      if (!run) return;
      if (message.kind === "stop") this.#stopLocal(message.agentId, run);
      else run.controller.abort();
    });
  }

  /** Starts keeping leases and claiming orphaned runs. */
  start(): void {
    this.#leases.start();
  }

  // --- Reading --------------------------------------------------------------

  /** The agent if it exists and `user` may see it; otherwise undefined (404 either way). */
  async find(id: string, user: JwtUser): Promise<StoredAgent | undefined> {
    if (!isValidAgentId(id)) return undefined;
    const agent = await this.#store.getAgent(id);
    if (!agent) return undefined;
    return agent.ownerUid === user.uid || isAdmin(user) ? agent : undefined;
  }

  /** A page of the caller's agents (ADMIN: everyone's), oldest first. */
  list(user: JwtUser, page: { limit: number; after?: AgentCursor }): Promise<AgentPage> {
    return this.#store.listAgents({ ...(isAdmin(user) ? {} : { ownerUid: user.uid }), ...page });
  }

  info(agent: StoredAgent): AgentInfo {
    return agentInfo(agent);
  }

  /** The agent loaded with the last `limit` steps of its conversation and its toolkit at HEAD. */
  async load(agent: StoredAgent, limit?: number): Promise<LoadedAgent> {
    const path = agent.headId === null || limit === 0 ? [] : await this.#store.path(agent.id, limit === undefined ? {} : { limit });
    return new LoadedAgent(metaOf(agent), path, this.#deps.toolkits);
  }

  /** What a socket starts from: the agent, the latest `limit` steps, and the last event they reflect. */
  async snapshot(agentId: string, limit: number): Promise<AgentSnapshot | undefined> {
    const seq = await this.#bus.lastSeq(agentId);
    const agent = await this.#store.getAgent(agentId);
    if (!agent) return undefined;
    const window = agent.headId === null ? { steps: [], more: false } : this.#window(await this.#pathPage(agentId, limit));
    return { agent, ...window, seq };
  }

  steps(agent: StoredAgent): Promise<ReActStep[]> {
    return this.#store.steps(agent.id);
  }

  /**
   * A page of the conversation (the path from the root to HEAD), newest last:
   * the `limit` steps before step `before` (default: the latest `limit`), and
   * whether older ones exist. undefined when `before` is not on the path.
   */
  async conversation(agent: StoredAgent, options: { before?: string; limit: number }): Promise<{ steps: ReActStep[]; more: boolean } | undefined> {
    let headId = agent.headId ?? undefined;
    if (options.before !== undefined) {
      const step = await this.#store.step(agent.id, options.before);
      if (!step) return undefined;
      if (step.parentId === undefined) return { steps: [], more: false };
      headId = step.parentId;
    }
    if (headId === undefined) return { steps: [], more: false };
    return this.#pathPage(agent.id, options.limit, headId);
  }

  /** The latest `limit` steps of the path to `headId` (default: HEAD), oldest first, and whether older ones exist. */
  async #pathPage(agentId: string, limit: number, headId?: string): Promise<{ steps: ReActStep[]; more: boolean }> {
    const steps = await this.#store.path(agentId, { ...(headId === undefined ? {} : { headId }), limit: limit + 1 });
    const more = steps.length > limit;
    return { steps: more ? steps.slice(1) : steps, more };
  }

  /** What a socket is sent of a page of the path: at most SOCKET_WINDOW_BYTES of its latest steps. */
  #window(page: { steps: ReActStep[]; more: boolean }): { steps: ReActStep[]; more: boolean } {
    const window = latestWithin(page.steps, this.#windowBytes);
    return { steps: window.steps, more: page.more || window.cut };
  }

  // --- Changing -------------------------------------------------------------

  /** Creates an agent owned by `owner`; undefined when the owner has as many as they may. */
  async create(owner: JwtUser, fields: { modelType: string; name?: string; settings?: SettingsPatch }): Promise<StoredAgent | undefined> {
    // Lists are oldest first by createdAt (ties by id): agents created within
    // one millisecond on this replica still list in the order they were made.
    this.#lastCreatedMs = Math.max(this.#now(), this.#lastCreatedMs + 1);
    const meta: AgentMeta = {
      id: randomUuid(),
      ownerUid: owner.uid,
      ownerName: owner.name,
      name: fields.name ?? "Bob",
      modelType: fields.modelType,
      createdAt: new Date(this.#lastCreatedMs).toISOString(),
      settings: applySettings(defaultSettings(), fields.settings ?? {}),
    };
    const max = bound(this.#deps.limits?.maxAgentsPerUser);
    if (!(await this.#store.createAgent(meta, max === undefined ? {} : { maxPerOwner: max }))) return undefined;
    return { ...meta, headId: null, stepCount: 0, run: null };
  }

  /** Renames, changes the model or the settings; every socket of the agent hears of it. */
  async update(agent: StoredAgent, patch: { name?: string; modelType?: string; settings?: SettingsPatch }): Promise<StoredAgent | undefined> {
    const updated = await this.#store.updateAgent(agent.id, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.modelType !== undefined ? { modelType: patch.modelType } : {}),
      ...(patch.settings !== undefined ? { settings: applySettings(agent.settings, patch.settings) } : {}),
    });
    if (updated) {
      await this.#publish(agent.id, { type: "agent", agent: agentInfo(updated) });
      // The run going on here reads its settings at each model call.
      const run = this.#runs.get(agent.id);
      if (run) run.agent.meta = metaOf(updated);
    }
    return updated;
  }

  /** Deletes the agent: its sockets are told, its run (on any replica) ends. */
  async delete(agent: StoredAgent): Promise<boolean> {
    await this.#publish(agent.id, { type: "error", error: "Agent not found", code: "agent_not_found" });
    const deleted = await this.#store.deleteAgent(agent.id);
    await this.#bus.control({ kind: "deleted", agentId: agent.id }).catch((error) => {
      this.#deps.logger.warn("could not announce a deletion", { agentId: agent.id, error });
    });
    return deleted;
  }

  /** Drops every step (HEAD back to nothing, tool state to its start); refused while a run holds the agent. */
  async clear(agent: StoredAgent): Promise<"ok" | "busy" | "missing"> {
    const result = await this.#store.moveHead(agent.id, { clear: true });
    if (result !== "ok") return result === "unknown_step" ? "missing" : result;
    const fresh = new LoadedAgent(metaOf(agent), [], this.#deps.toolkits);
    await this.#publish(agent.id, { type: "headChange", headId: null, steps: [], ...workflowOf(fresh) });
    return "ok";
  }

  /** Moves HEAD to a stored step and restores the tool state recorded there; refused while a run holds the agent. */
  async checkout(agent: StoredAgent, stepId: string, window: number): Promise<"ok" | "busy" | "missing" | "unknown_step"> {
    const result = await this.#store.moveHead(agent.id, { stepId });
    if (result !== "ok") return result;
    const page = await this.#pathPage(agent.id, window, stepId);
    const loaded = new LoadedAgent(metaOf(agent), page.steps, this.#deps.toolkits);
    await this.#publish(agent.id, { type: "headChange", headId: stepId, ...this.#window(page), ...workflowOf(loaded) });
    return "ok";
  }

  // --- Runs -----------------------------------------------------------------

  /** Refuses new turns from now on (graceful shutdown); running ones go on. */
  beginShutdown(): void {
    this.#closing = true;
  }

  /**
   * Starts a turn here, in the background, unless the agent has a run on any
   * replica ("busy"), its owner has as many runs as they may ("quota"), the
   * user reached a daily limit (a {@link DailyLimitRefusal}: no model call is
   * made), or the service is shutting down.
   */
  async startTurn(
    agent: StoredAgent,
    content: string,
    user: JwtUser,
    source: "chat" | "feedback" = "chat",
    origin?: RequestOrigin,
  ): Promise<StartTurnResult> {
    if (this.#closing) return "closing";
    if (this.#runs.has(agent.id)) return "busy";
    // A run adds at least a user step and an answer.
    const maxSteps = bound(this.#deps.limits?.maxStepsPerAgent);
    if (maxSteps !== undefined && agent.stepCount + 2 > maxSteps) return "full";
    const reached = await this.limiter.check(user.uid);
    if (reached) return { reason: "daily_limit", ...reached };
    const runId = newId("run");
    const messageId = newId("msg");
    const max = bound(this.#deps.limits?.maxRunsPerUser);
    const started = await this.#store.startRun(agent.id, {
      runId,
      messageId,
      replicaId: this.replicaId,
      leaseMs: this.leaseMs,
      ...(max === undefined ? {} : { maxRunsPerOwner: max }),
    });
    if (!started.ok) return started.reason;

    let loaded: LoadedAgent;
    try {
      if (started.orphan) await this.#endOrphan(started.orphan, runId, { keepRun: true });
      const current = await this.#store.getAgent(agent.id);
      if (!current) throw new Error("the agent disappeared");
      loaded = await this.load(current);
    } catch (error) {
      await this.#store.endRun(agent.id, runId).catch(() => {});
      throw error;
    }

    const controller = new AbortController();
    const telemetry = new RunTelemetry(this.#deps.telemetry ?? NO_TELEMETRY, {
      agentId: agent.id,
      agentName: loaded.meta.name,
      model: loaded.meta.modelType,
      ...(origin ? { origin } : {}),
    });
    const run: LocalRun = { runId, controller, agent: loaded, telemetry, done: Promise.resolve(), stopping: false, stepCount: agent.stepCount };
    this.#runs.set(agent.id, run);
    this.#leases.wake();
    run.done = this.#execute(run, content, user.uid, messageId, source);
    return "started";
  }

  /**
   * Stops the agent's run, on whichever replica runs it; false when none was
   * running. The replica running it ends it with a "stopped" step.
   */
  async stop(agent: StoredAgent): Promise<boolean> {
    const local = this.#runs.get(agent.id);
    if (local) {
      this.#stopLocal(agent.id, local);
      return true;
    }
    if (!(await this.#store.requestStop(agent.id))) return false;
    await this.#bus.control({ kind: "stop", agentId: agent.id });
    return true;
  }

  /**
   * Counts a socket of `user` as open (across replicas with a shared store);
   * false when the user already has as many open as they may.
   */
  async openSocket(user: JwtUser, socketId: string): Promise<boolean> {
    const opened = await this.#store.openSocket(
      { id: socketId, ownerUid: user.uid, replicaId: this.replicaId, leaseMs: this.leaseMs },
      bound(this.#deps.limits?.maxSocketsPerUser),
    );
    if (opened) {
      this.#sockets.add(socketId);
      this.#leases.wake();
    }
    return opened;
  }

  /** Stops counting a socket (it closed, or its connection was found dead). */
  async closeSocket(socketId: string): Promise<void> {
    if (!this.#sockets.delete(socketId)) return;
    await this.#store.closeSocket(socketId).catch((error) => this.#deps.logger.warn("could not uncount a closed socket", { error }));
  }

  /** Stops every run of this replica (shutdown past its grace period). */
  stopAll(): void {
    for (const [agentId, run] of this.#runs) this.#stopLocal(agentId, run);
  }

  /** The turns running here, for graceful shutdown. */
  runningTurns(): Promise<void>[] {
    return [...this.#runs.values()].map((run) => run.done);
  }

  /** Stops the lease keeper and the control subscription (runs should be drained first). */
  async close(): Promise<void> {
    this.#unsubscribeControl();
    await this.#leases.stop();
  }

  /** The bounds of one run: its answer, its tool arguments, and the steps its agent still has room for. */
  #runLimits(stepCount: number): RunLimits {
    const limits = this.#deps.limits ?? {};
    const maxSteps = bound(limits.maxStepsPerAgent);
    return {
      ...(limits.maxStepChars ? { maxStepChars: limits.maxStepChars } : {}),
      ...(limits.maxToolArgumentChars ? { maxToolArgumentChars: limits.maxToolArgumentChars } : {}),
      ...(maxSteps !== undefined ? { stepRoom: maxSteps - stepCount } : {}),
    };
  }

  #stopLocal(agentId: string, run: LocalRun): void {
    if (run.stopping) return;
    run.stopping = true;
    void this.#publish(agentId, { type: "state", state: "STOPPING" });
    void this.#store.requestStop(agentId).catch(() => {});
    run.controller.abort();
  }

  #abortRun(runId: string, why: string): void {
    for (const [agentId, run] of this.#runs) {
      if (run.runId !== runId) continue;
      this.#deps.logger.warn("stopping a run", { agentId, runId, why });
      run.controller.abort();
    }
  }

  async #execute(run: LocalRun, content: string, uid: number, messageId: string, source: "chat" | "feedback"): Promise<void> {
    const { agent } = run;
    const agentId = agent.id;
    // The run's lines carry the id of the request (or socket) that started it.
    const requestId = run.telemetry.requestId;
    const logger = requestId === undefined ? this.#deps.logger : this.#deps.logger.child({ requestId });
    const writer = new RunWriter({
      agentId,
      runId: run.runId,
      uid,
      store: this.#store,
      bus: this.#bus,
      logger,
      onLost: (reason) => {
        logger.warn("a run can no longer write its agent; stopping it", { agentId, reason });
        run.controller.abort();
      },
    });
    let outcome: RunOutcome = "error";
    const used = zeroCounts();
    try {
      outcome = await runTurn({
        agent,
        messageId,
        uid,
        signal: run.controller.signal,
        llm: this.#deps.llm,
        logger,
        now: this.#now,
        // While the first model request is on its way. Only the current run's
        // events are kept for sockets that reconnect.
        begin: async () => {
          const first = await this.#bus.publish(agentId, { type: "state", state: "GENERATING" }).catch(() => undefined);
          if (first !== undefined) await this.#bus.truncate(agentId, first).catch(() => {});
        },
        emit: (event) => writer.emit(event),
        record: (step) => {
          const counts = countsOfStep(step);
          if (counts) addCounts(used, counts);
          writer.record(step);
        },
        ...(this.limiter.active ? { limitReached: () => this.#limitReached(writer, uid) } : {}),
        limits: this.#runLimits(run.stepCount),
        telemetry: run.telemetry,
      }, content, source);
    } catch (error) {
      // runTurn never rejects; this is a last guard so that a run always ends.
      logger.error("a run failed outside its loop", { agentId, error });
    } finally {
      await writer.settled();
      await this.#store.endRun(agentId, run.runId).catch((error) => logger.warn("could not end a run", { agentId, error }));
      this.#runs.delete(agentId);
      run.telemetry.end(outcome);
      await this.#publish(agentId, { type: "complete", state: "AVAILABLE", usage: totalsOf(used) });
      logger.debug("run ended", { agentId, outcome });
    }
  }

  /** Whether the user's daily limit stops the run here, on the store's totals once the run's steps are stored. */
  async #limitReached(writer: RunWriter, uid: number): Promise<RunStop | undefined> {
    await writer.settled();
    try {
      const reached = await this.limiter.check(uid);
      return reached && { message: reached.message, code: "quota_exceeded", retryAfterMs: reached.retryAfterMs };
    } catch (error) {
      // The store will refuse the run's next step anyway if it is down; a read that failed does not stop the run.
      this.#deps.logger.warn("could not read the user's daily usage; the run goes on", { uid, error });
      return undefined;
    }
  }

  /**
   * Ends a run whose replica died: an "interrupted" step after what it saved,
   * then `complete`. `fence` is the run id that holds the agent now (the
   * orphan's, claimed; or a new run's that took over the expired lease).
   */
  async #endOrphan(orphan: OrphanedRun, fence: string, options: { keepRun?: boolean } = {}): Promise<void> {
    const logger = this.#deps.logger;
    const { agentId } = orphan;
    try {
      const [head] = await this.#store.path(agentId, { limit: 1 });
      const state = head?.afterWorkflowContent;
      const step: ReActStep = {
        id: newId("step"),
        ...(head ? { parentId: head.id } : {}),
        messageId: orphan.messageId,
        stepId: head?.messageId === orphan.messageId ? head.stepId + 1 : 1,
        timestamp: this.#now(),
        role: "agent",
        content: `Error: ${INTERRUPTED_MESSAGE}`,
        isBegin: false,
        isEnd: true,
        interrupted: true,
        error: INTERRUPTED_MESSAGE,
        errorCode: "interrupted",
        ...(state !== undefined ? { beforeWorkflowContent: state, afterWorkflowContent: state } : {}),
      };
      if (await this.#store.appendStep(agentId, step, { runId: fence })) {
        this.#deps.telemetry?.metrics.runEnded("interrupted");
        await this.#publish(agentId, { type: "step", step });
      }
      logger.warn("ended a run whose replica stopped", { agentId, runId: orphan.runId, replicaId: orphan.replicaId });
    } catch (error) {
      logger.error("could not end an orphaned run", { agentId, error });
    }
    if (options.keepRun) return;
    await this.#store.endRun(agentId, fence).catch(() => {});
    await this.#publish(agentId, { type: "complete", state: "AVAILABLE" });
  }

  async #publish(agentId: string, event: Parameters<EventBus["publish"]>[1]): Promise<void> {
    try {
      await this.#bus.publish(agentId, event);
    } catch (error) {
      this.#deps.logger.warn("could not publish an event", { agentId, event: event.type, error });
    }
  }
}

function metaOf(agent: StoredAgent): AgentMeta {
  const { headId: _head, stepCount: _count, run: _run, ...meta } = agent;
  return meta;
}

function workflowOf(agent: LoadedAgent): { workflowContent?: unknown } {
  const snapshot = agent.toolkit.snapshot?.();
  return snapshot === undefined ? {} : { workflowContent: snapshot };
}
