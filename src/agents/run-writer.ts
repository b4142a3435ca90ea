/**
 * Where a run's steps and events go, in order: steps to the store (fenced by
 * the run's id, so a replica that lost its lease cannot write; a model step
 * charged to its user's day in the same write), events to the bus.
 *
 * - One process (`bus.shared` false): an event goes out at once and the
 *   step's save follows in the background (the store orders an agent's
 *   writes); the socket and the store share the process's fate, and the
 *   first token is not held up by a disk write.
 * - Replicas (`bus.shared` true): a step is stored before its event is
 *   published, so a socket on any replica that saw a step can find it
 *   stored. Events wait in one queue per run; consecutive deltas of a step
 *   that queue up behind a write are merged into one.
 *
 * @module
 */
import type { EventBus } from "../events/event-bus.ts";
import type { Logger } from "../log.ts";
import type { AgentStore } from "../store/agent-store.ts";
import { chargeOf } from "../usage/totals.ts";
import type { AgentEvent } from "./events.ts";
import type { ReActStep } from "./types.ts";

type Item = { readonly step: ReActStep } | { event: AgentEvent };

export class RunWriter {
  readonly #agentId: string;
  readonly #runId: string;
  /** The user the run's model calls are charged to (the end user LiteLLM was told). */
  readonly #uid: number | undefined;
  readonly #store: AgentStore;
  readonly #bus: EventBus;
  readonly #logger: Logger;
  /** Called once when the store refuses a step: the run lost its agent (lease expired and taken over, or deleted). */
  readonly #onLost: (reason: "lost" | "unavailable") => void;
  readonly #pending: Promise<unknown>[] = [];
  readonly #queue: Item[] = [];
  #draining: Promise<void> | undefined;
  #lost = false;

  constructor(options: {
    agentId: string;
    runId: string;
    /** Charge model steps to this user's day. */
    uid?: number;
    store: AgentStore;
    bus: EventBus;
    logger: Logger;
    onLost: (reason: "lost" | "unavailable") => void;
  }) {
    this.#agentId = options.agentId;
    this.#runId = options.runId;
    this.#uid = options.uid;
    this.#store = options.store;
    this.#bus = options.bus;
    this.#logger = options.logger;
    this.#onLost = options.onLost;
  }

  /** Publishes an event (after the steps recorded before it, with a shared bus). */
  emit(event: AgentEvent): void {
    if (!this.#bus.shared) {
      this.#pending.push(this.#publish(event));
      return;
    }
    const last = this.#queue.at(-1);
    if (event.type === "delta" && last && "event" in last && last.event.type === "delta" && last.event.stepId === event.stepId &&
      last.event.messageId === event.messageId) {
      last.event = { ...last.event, text: last.event.text + event.text };
      return;
    }
    this.#enqueue({ event });
  }

  /** Stores a step and publishes it. */
  record(step: ReActStep): void {
    if (!this.#bus.shared) {
      this.#pending.push(this.#publish({ type: "step", step }), this.#save(step));
      return;
    }
    this.#enqueue({ step });
  }

  /** Resolves when every step and event handed over so far is stored and published (or failed, logged). */
  async settled(): Promise<void> {
    while (this.#draining || this.#pending.length > 0) {
      await this.#draining;
      await Promise.all(this.#pending.splice(0));
    }
  }

  #enqueue(item: Item): void {
    this.#queue.push(item);
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const item = this.#queue.shift()!;
      if ("step" in item) {
        if (await this.#save(item.step)) await this.#publish({ type: "step", step: item.step });
      } else {
        await this.#publish(item.event);
      }
    }
  }

  async #save(step: ReActStep): Promise<boolean> {
    if (this.#lost) return false;
    try {
      const charge = this.#uid === undefined ? undefined : chargeOf(step, this.#uid);
      if (await this.#store.appendStep(this.#agentId, step, { runId: this.#runId, ...(charge ? { charge } : {}) })) return true;
      this.#lose("lost");
    } catch (error) {
      this.#logger.error("could not store a step", { agentId: this.#agentId, error });
      this.#lose("unavailable");
    }
    return false;
  }

  async #publish(event: AgentEvent): Promise<void> {
    try {
      await this.#bus.publish(this.#agentId, event);
    } catch (error) {
      this.#logger.warn("could not publish an event", { agentId: this.#agentId, event: event.type, error });
    }
  }

  #lose(reason: "lost" | "unavailable"): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#onLost(reason);
  }
}
