/**
 * How an agent's events reach every socket of it, on whichever replica the
 * socket is: each event gets the agent's next sequence number and is
 * delivered to every subscriber in order, without gaps or repeats, and the
 * events of the current run are kept so a socket that reconnects can ask for
 * what it missed. Control messages (stop a run, an agent was deleted) reach
 * every replica.
 *
 * Two buses: in-process (one replica: the memory and file stores) and
 * PostgreSQL LISTEN/NOTIFY (replicas sharing a database).
 *
 * @module
 */
import type { AgentEvent, SeqEvent } from "../agents/events.ts";

/** A message to every replica, not part of an agent's event sequence. */
export type ControlMessage =
  /** Stop the agent's run (the replica executing it acts). */
  | { readonly kind: "stop"; readonly agentId: string }
  /** The agent was deleted: its sockets are told and its run ends. */
  | { readonly kind: "deleted"; readonly agentId: string };

/** What `since` found. */
export interface Replay {
  /** The retained events after the asked position, in order. */
  readonly events: SeqEvent[];
  /** False when some events after that position are no longer kept (or the position is ahead): the caller must start over from a snapshot. */
  readonly complete: boolean;
}

export interface EventBus {
  /**
   * True when events cross processes (replicas): then a step is stored
   * before its event goes out, so any socket that saw a step can find it
   * stored. In one process both share a fate, and events go out first.
   */
  readonly shared: boolean;
  /**
   * Gives the event the agent's next sequence number and delivers it to every
   * subscriber on every replica. Events published from one replica for one
   * agent keep their order. Resolves with the number once it is assigned.
   */
  publish(agentId: string, event: AgentEvent): Promise<number>;
  /**
   * Calls `listener` with each event of the agent published from now on, in
   * order. `onGap` is called instead when events were lost and cannot be
   * recovered (the subscriber must start over from a snapshot).
   */
  subscribe(agentId: string, listener: (event: SeqEvent) => void, onGap?: () => void): () => void;
  /** The agent's last assigned sequence number (0 before any). */
  lastSeq(agentId: string): Promise<number>;
  /** The retained events with a sequence number above `after`. */
  since(agentId: string, after: number): Promise<Replay>;
  /** Forgets the agent's events numbered below `seq` (a new run starts: only the current run's events are kept). */
  truncate(agentId: string, seq: number): Promise<void>;
  control(message: ControlMessage): Promise<void>;
  onControl(listener: (message: ControlMessage) => void): () => void;
  /** Resolves when every publish issued so far has been delivered or failed. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
