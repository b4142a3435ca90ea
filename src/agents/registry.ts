/**
 * The agents of this process: created, listed and found by owner, persisted
 * through an {@link AgentStore}, reloaded at start.
 *
 * Another user's agent is "not found", exactly like a missing one, so ids
 * cannot be probed. ADMIN may act on any agent.
 *
 * @module
 */
import type { JwtUser } from "../jwt.ts";
import type { LiteLLMClient } from "../litellm.ts";
import type { Logger } from "../log.ts";
import type { AgentStore } from "../store/agent-store.ts";
import { Agent, type ToolkitFactory } from "./agent.ts";
import { runTurn } from "./react-loop.ts";
import { applySettings, defaultSettings, type SettingsPatch } from "./settings.ts";
import type { AgentRecord } from "./types.ts";

export interface RegistryDeps {
  readonly store: AgentStore;
  readonly llm: Pick<LiteLLMClient, "chat">;
  readonly toolkits: ToolkitFactory;
  readonly logger: Logger;
  readonly now?: () => number;
}

export const isAdmin = (user: JwtUser) => user.role === "ADMIN";

const byCreation = (a: Agent, b: Agent) => (a.record.createdAt < b.record.createdAt ? -1 : a.record.createdAt > b.record.createdAt ? 1 : 0);

export class AgentRegistry {
  readonly #agents = new Map<string, Agent>();
  /** Each owner's agents, oldest first: a user's list costs their agents, not the process's. */
  readonly #byOwner = new Map<number, Agent[]>();
  readonly #deps: RegistryDeps;
  readonly #runs = new Set<Promise<void>>();
  readonly #initialSnapshots = new Map<string, unknown>();

  private constructor(deps: RegistryDeps) {
    this.#deps = deps;
  }

  /** Loads every stored agent; they start AVAILABLE with the steps saved so far. */
  static async open(deps: RegistryDeps): Promise<AgentRegistry> {
    const registry = new AgentRegistry(deps);
    for (const record of await deps.store.loadAll()) {
      try {
        registry.#adopt(record);
      } catch (error) {
        deps.logger.warn("skipping an agent that could not be restored", { agentId: record.id, error });
      }
    }
    return registry;
  }

  #adopt(record: AgentRecord): Agent {
    // Settings added in later versions get their defaults.
    record.settings = { ...defaultSettings(), ...record.settings };
    const toolkit = this.#deps.toolkits(record);
    this.#initialSnapshots.set(record.id, toolkit.snapshot?.());
    const agent = new Agent(record, toolkit);
    this.#agents.set(record.id, agent);
    const owned = this.#byOwner.get(record.ownerUid) ?? [];
    owned.push(agent);
    if (owned.length > 1 && owned.at(-2)!.record.createdAt > record.createdAt) owned.sort(byCreation);
    this.#byOwner.set(record.ownerUid, owned);
    return agent;
  }

  get size(): number {
    return this.#agents.size;
  }

  async create(owner: JwtUser, fields: { modelType: string; name?: string; settings?: SettingsPatch }): Promise<Agent> {
    const now = this.#deps.now ?? Date.now;
    const record: AgentRecord = {
      version: 1,
      id: crypto.randomUUID(),
      ownerUid: owner.uid,
      ownerName: owner.name,
      name: fields.name ?? "Bob",
      modelType: fields.modelType,
      createdAt: new Date(now()).toISOString(),
      settings: applySettings(defaultSettings(), fields.settings ?? {}),
      steps: [],
    };
    const agent = this.#adopt(record);
    await this.save(agent);
    return agent;
  }

  /** The agent if it exists and `user` may see it; otherwise undefined (404 either way). */
  find(id: string, user: JwtUser): Agent | undefined {
    const agent = this.#agents.get(id);
    if (!agent) return undefined;
    return agent.record.ownerUid === user.uid || isAdmin(user) ? agent : undefined;
  }

  /** The caller's agents (ADMIN: everyone's), oldest first. */
  list(user: JwtUser): Agent[] {
    if (isAdmin(user)) return [...this.#agents.values()].sort(byCreation);
    return [...(this.#byOwner.get(user.uid) ?? [])];
  }

  async delete(agent: Agent): Promise<void> {
    agent.runController?.abort();
    this.#agents.delete(agent.id);
    this.#initialSnapshots.delete(agent.id);
    const owned = this.#byOwner.get(agent.record.ownerUid)?.filter((other) => other !== agent) ?? [];
    if (owned.length > 0) this.#byOwner.set(agent.record.ownerUid, owned);
    else this.#byOwner.delete(agent.record.ownerUid);
    agent.state = "UNAVAILABLE";
    await this.#deps.store.delete(agent.id);
  }

  async save(agent: Agent): Promise<void> {
    // A deleted agent is not written back by a run that was still finishing.
    if (this.#agents.get(agent.id) !== agent) return;
    await this.#deps.store.save(agent.record);
  }

  #closing = false;

  /** Refuses new turns from now on (graceful shutdown); running ones go on. */
  beginShutdown(): void {
    this.#closing = true;
  }

  /** Starts a turn in the background, unless the agent is running one or the service is shutting down. */
  startTurn(agent: Agent, content: string, uid: number): "started" | "busy" | "closing" {
    if (this.#closing) return "closing";
    if (agent.busy) return "busy";
    const run = runTurn(agent, content, uid, {
      llm: this.#deps.llm,
      logger: this.#deps.logger,
      save: (a) => this.save(a),
      ...(this.#deps.now ? { now: this.#deps.now } : {}),
    });
    this.#runs.add(run);
    void run.finally(() => this.#runs.delete(run));
    return "started";
  }

  /** Aborts the agent's running turn; false when none was running. */
  stop(agent: Agent): boolean {
    if (!agent.runController) return false;
    agent.state = "STOPPING";
    agent.emit({ type: "state", state: "STOPPING" });
    agent.runController.abort();
    return true;
  }

  clear(agent: Agent): void {
    agent.clear(this.#initialSnapshots.get(agent.id));
  }

  /** Running turns, for graceful shutdown. */
  runningTurns(): Promise<void>[] {
    return [...this.#runs];
  }

  all(): Agent[] {
    return [...this.#agents.values()];
  }
}
