/**
 * The event bus of one process (memory and file stores): sequence numbers
 * and the kept events live in memory, delivery is synchronous.
 *
 * Sequence numbers start again at 1 when the process restarts; a socket's
 * `init` carries the number it starts from, so clients never compare across
 * a restart.
 *
 * @module
 */
import type { AgentEvent, SeqEvent } from "../agents/events.ts";
import type { Logger } from "../log.ts";
import type { ControlMessage, EventBus, Replay } from "./event-bus.ts";

/** Events kept per agent (one run's worth; a longer run keeps its latest). */
const MAX_EVENTS_PER_AGENT = 10_000;
/** Agents whose events are kept; the least recently active are forgotten first. */
const MAX_AGENTS_KEPT = 1_000;

interface Log {
  seq: number;
  events: SeqEvent[];
}

export class LocalEventBus implements EventBus {
  readonly shared = false;
  readonly #logs = new Map<string, Log>();
  readonly #listeners = new Map<string, Set<(event: SeqEvent) => void>>();
  readonly #control = new Set<(message: ControlMessage) => void>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  publish(agentId: string, event: AgentEvent): Promise<number> {
    const log = this.#log(agentId);
    const entry: SeqEvent = { seq: ++log.seq, event };
    log.events.push(entry);
    if (log.events.length > MAX_EVENTS_PER_AGENT) log.events.splice(0, log.events.length - MAX_EVENTS_PER_AGENT);
    for (const listener of this.#listeners.get(agentId) ?? []) {
      try {
        listener(entry);
      } catch (error) {
        // One failing socket must not keep the event from the others; say which and why, once.
        this.#logger.warn("an event listener failed", { agentId, event: event.type, error });
      }
    }
    return Promise.resolve(entry.seq);
  }

  subscribe(agentId: string, listener: (event: SeqEvent) => void): () => void {
    let set = this.#listeners.get(agentId);
    if (!set) this.#listeners.set(agentId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(agentId) === set) this.#listeners.delete(agentId);
    };
  }

  lastSeq(agentId: string): Promise<number> {
    return Promise.resolve(this.#logs.get(agentId)?.seq ?? 0);
  }

  since(agentId: string, after: number): Promise<Replay> {
    const log = this.#logs.get(agentId);
    const last = log?.seq ?? 0;
    if (after > last) return Promise.resolve({ events: [], complete: false });
    const events = log?.events.filter((e) => e.seq > after) ?? [];
    // Complete when nothing between `after` and the first kept event was dropped.
    const complete = after === last || (events[0]?.seq ?? last + 1) === after + 1;
    return Promise.resolve({ events, complete });
  }

  truncate(agentId: string, seq: number): Promise<void> {
    const log = this.#logs.get(agentId);
    if (log) log.events = log.events.filter((e) => e.seq >= seq);
    return Promise.resolve();
  }

  control(message: ControlMessage): Promise<void> {
    for (const listener of this.#control) {
      try {
        listener(message);
      } catch (error) {
        this.#logger.warn("a control listener failed", { kind: message.kind, agentId: message.agentId, error });
      }
    }
    if (message.kind === "deleted") this.#logs.delete(message.agentId);
    return Promise.resolve();
  }

  onControl(listener: (message: ControlMessage) => void): () => void {
    this.#control.add(listener);
    return () => this.#control.delete(listener);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#listeners.clear();
    this.#control.clear();
    return Promise.resolve();
  }

  #log(agentId: string): Log {
    let log = this.#logs.get(agentId);
    if (log) {
      // Map order is insertion order: re-inserting keeps the most recently active last.
      this.#logs.delete(agentId);
    } else {
      log = { seq: 0, events: [] };
      if (this.#logs.size >= MAX_AGENTS_KEPT) {
        // Forget the least recently active agent that no socket watches: its
        // numbers restart at 1, which only a later socket's init will show.
        for (const id of this.#logs.keys()) {
          if (!this.#listeners.has(id)) {
            this.#logs.delete(id);
            break;
          }
        }
      }
    }
    this.#logs.set(agentId, log);
    return log;
  }
}
