/**
 * The event bus of replicas sharing a PostgreSQL database: LISTEN/NOTIFY.
 *
 * Why LISTEN/NOTIFY: the fleet already shares the database, so it needs no
 * other server (no Redis, no broker to run and secure), and notifications
 * are delivered in commit order, which is the order we number events in.
 * Its payload is limited to 8,000 bytes, so an event travels inline only
 * when small (a delta, a state change); a big one (a step carrying its
 * workflow snapshots) is sent by reference and read from the events table.
 *
 * - `publish` numbers the event and stores it in one statement: the agent
 *   row's counter is incremented under its row lock, so numbers and commit
 *   order agree, and the NOTIFY goes out at commit. Events from this replica
 *   for one agent are published one after another, in call order.
 * - Each replica holds one connection that LISTENs on the schema's channel
 *   and delivers to its subscribers in sequence order: a number that skips
 *   ahead (a lost or by-reference notification) is filled from the table.
 *   When that connection drops (the database restarted), it reconnects with
 *   backoff and fills whatever was missed while it was away.
 * - The table keeps the current run's events for sockets that reconnect
 *   (`since`); older ones are truncated when a run starts.
 *
 * @module
 */
import postgres from "postgres";
import type { AgentEvent, SeqEvent } from "../../agents/events.ts";
import type { ControlMessage, EventBus, Replay } from "../../events/event-bus.ts";
import type { PostgresConnection } from "./connection.ts";

/** Events up to this size (bytes of JSON) ride in the notification; bigger ones by reference. */
const INLINE_LIMIT = 7_000;

type Listener = (event: SeqEvent) => void;

interface Subscription {
  readonly listeners: Map<Listener, (() => void) | undefined>;
  /** The last sequence number delivered here; undefined until the first event after subscribing. */
  delivered: number | undefined;
  filling: Promise<void> | undefined;
  again: boolean;
}

export class PostgresEventBus implements EventBus {
  readonly shared = true;
  readonly #db: PostgresConnection;
  readonly #channel: string;
  readonly #subs = new Map<string, Subscription>();
  readonly #control = new Set<(message: ControlMessage) => void>();
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #listener: postgres.Sql;
  #closed = false;
  #listened = false;
  #relisten: Promise<void> | undefined;

  private constructor(db: PostgresConnection) {
    this.#db = db;
    this.#channel = `${db.schema}_events`;
    this.#listener = postgres(db.url, {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      connect_timeout: 3,
      onnotice: () => {},
      fetch_types: false,
      connection: { application_name: "agent-service listen" },
      onnotify: (channel: string, payload: string) => {
        if (channel === this.#channel) this.#onNotify(payload);
      },
      onclose: () => {
        if (!this.#closed) this.#listen();
      },
    } as postgres.Options<Record<string, never>>);
  }

  /** Starts listening; resolves once the first LISTEN is in place. */
  static async open(db: PostgresConnection): Promise<PostgresEventBus> {
    const bus = new PostgresEventBus(db);
    await db.call(() => bus.#listener.unsafe(`LISTEN "${bus.#channel}"`));
    bus.#listened = true;
    return bus;
  }

  publish(agentId: string, event: AgentEvent): Promise<number> {
    const body = JSON.stringify(event);
    const previous = this.#queues.get(agentId) ?? Promise.resolve();
    const result = previous.then(() => this.#insert(agentId, body));
    const tail = result.catch(() => {});
    this.#queues.set(agentId, tail);
    void tail.then(() => {
      if (this.#queues.get(agentId) === tail) this.#queues.delete(agentId);
    });
    return result;
  }

  #insert(agentId: string, body: string): Promise<number> {
    const { sql } = this.#db;
    return this.#db.call(async () => {
      const [row] = await sql`
        WITH v AS (SELECT ${body}::text AS body),
        s AS (
          UPDATE ${this.#db.table("agents")} SET event_seq = event_seq + 1 WHERE id = ${agentId} RETURNING event_seq
        ), i AS (
          INSERT INTO ${this.#db.table("events")} (agent_id, seq, body) SELECT ${agentId}, event_seq, v.body FROM s, v RETURNING seq
        )
        SELECT i.seq, pg_notify(${this.#channel},
          '{"a":' || to_json(${agentId}::text)::text || ',"s":' || i.seq ||
          CASE WHEN octet_length(v.body) <= ${INLINE_LIMIT} THEN ',"e":' || v.body ELSE '' END || '}')
        FROM i, v`;
      // No row: the agent is gone, and so are its sockets' reasons to hear of it.
      return (row?.seq as number | undefined) ?? 0;
    });
  }

  subscribe(agentId: string, listener: Listener, onGap?: () => void): () => void {
    let sub = this.#subs.get(agentId);
    if (!sub) this.#subs.set(agentId, (sub = { listeners: new Map(), delivered: undefined, filling: undefined, again: false }));
    sub.listeners.set(listener, onGap);
    return () => {
      sub.listeners.delete(listener);
      if (sub.listeners.size === 0 && this.#subs.get(agentId) === sub) this.#subs.delete(agentId);
    };
  }

  lastSeq(agentId: string): Promise<number> {
    return this.#db.call(async () => {
      const [row] = await this.#db.sql`SELECT event_seq FROM ${this.#db.table("agents")} WHERE id = ${agentId}`;
      return (row?.event_seq as number | undefined) ?? 0;
    });
  }

  since(agentId: string, after: number): Promise<Replay> {
    return this.#db.call(async () => {
      const rows = await this.#db.sql`
        SELECT a.event_seq, e.seq, e.body FROM ${this.#db.table("agents")} a
        LEFT JOIN ${this.#db.table("events")} e ON e.agent_id = a.id AND e.seq > ${after}
        WHERE a.id = ${agentId} ORDER BY e.seq`;
      const last = (rows[0]?.event_seq as number | undefined) ?? 0;
      const events = rows.filter((row) => row.seq !== null).map((row) => ({ seq: row.seq as number, event: JSON.parse(row.body as string) as AgentEvent }));
      const complete = after <= last && (after === last || events[0]?.seq === after + 1);
      return { events, complete };
    });
  }

  truncate(agentId: string, seq: number): Promise<void> {
    return this.#db.call(async () => {
      await this.#db.sql`DELETE FROM ${this.#db.table("events")} WHERE agent_id = ${agentId} AND seq < ${seq}`;
    });
  }

  control(message: ControlMessage): Promise<void> {
    const payload = JSON.stringify({ c: message.kind, a: message.agentId });
    return this.#db.call(async () => {
      await this.#db.sql`SELECT pg_notify(${this.#channel}, ${payload})`;
    });
  }

  onControl(listener: (message: ControlMessage) => void): () => void {
    this.#control.add(listener);
    return () => this.#control.delete(listener);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#queues.values()]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    await this.#relisten?.catch(() => {});
    await this.#listener.end({ timeout: 2 });
    this.#subs.clear();
    this.#control.clear();
  }

  // --- Receiving --------------------------------------------------------------

  #onNotify(payload: string): void {
    let message: { a?: unknown; s?: unknown; e?: unknown; c?: unknown };
    try {
      message = JSON.parse(payload);
    } catch {
      this.#db.logger.warn("ignoring a notification that is not JSON", { channel: this.#channel });
      return;
    }
    if (typeof message.a !== "string") return;
    if (message.c === "stop" || message.c === "deleted") {
      const control: ControlMessage = { kind: message.c, agentId: message.a };
      for (const listener of this.#control) {
        try {
          listener(control);
        } catch (error) {
          this.#db.logger.warn("a control listener failed", { kind: control.kind, agentId: control.agentId, error });
        }
      }
      return;
    }
    if (typeof message.s !== "number") return;
    const sub = this.#subs.get(message.a);
    if (!sub) return;
    const seq = message.s;
    if (sub.delivered !== undefined && seq <= sub.delivered) return;
    const inOrder = sub.delivered === undefined || seq === sub.delivered + 1;
    if (sub.filling || !inOrder || message.e === undefined) {
      this.#fill(message.a, sub, sub.delivered ?? seq - 1);
      return;
    }
    this.#deliver(message.a, sub, { seq, event: message.e as AgentEvent });
  }

  #deliver(agentId: string, sub: Subscription, entry: SeqEvent): void {
    sub.delivered = entry.seq;
    for (const listener of sub.listeners.keys()) {
      try {
        listener(entry);
      } catch (error) {
        this.#db.logger.warn("an event listener failed", { agentId, event: entry.event.type, error });
      }
    }
  }

  /** Reads the events after `from` from the table and delivers them in order (one fill at a time per agent). */
  #fill(agentId: string, sub: Subscription, from: number): void {
    if (sub.filling) {
      sub.again = true;
      return;
    }
    sub.filling = (async () => {
      let after = from;
      do {
        sub.again = false;
        const rows = await this.#db.sql`
          SELECT seq, body FROM ${this.#db.table("events")} WHERE agent_id = ${agentId} AND seq > ${after} ORDER BY seq`;
        if (rows.length > 0 && sub.delivered !== undefined && rows[0]!.seq !== sub.delivered + 1) {
          // The events in between are gone (truncated by a new run): the subscribers must start over.
          this.#gap(agentId, sub);
        }
        for (const row of rows) this.#deliver(agentId, sub, { seq: row.seq as number, event: JSON.parse(row.body as string) as AgentEvent });
        after = sub.delivered ?? after;
      } while (sub.again);
    })()
      .catch((error) => {
        this.#db.logger.warn("could not read missed events", { agentId, error });
        this.#gap(agentId, sub);
      })
      .finally(() => {
        sub.filling = undefined;
      });
  }

  #gap(agentId: string, sub: Subscription): void {
    for (const onGap of sub.listeners.values()) {
      try {
        onGap?.();
      } catch (error) {
        this.#db.logger.warn("an event listener failed", { agentId, error });
      }
    }
  }

  /** LISTEN again after the connection dropped, with backoff, then fill what was missed. */
  #listen(): void {
    if (this.#relisten || !this.#listened) return;
    this.#relisten = (async () => {
      for (let attempt = 0; !this.#closed; attempt++) {
        try {
          await this.#listener.unsafe(`LISTEN "${this.#channel}"`);
          this.#db.logger.info("listening for events again", { channel: this.#channel, attempts: attempt + 1 });
          for (const [agentId, sub] of this.#subs) {
            if (sub.delivered !== undefined) this.#fill(agentId, sub, sub.delivered);
          }
          return;
        } catch (error) {
          if (attempt === 0) this.#db.logger.warn("lost the event channel; reconnecting", { channel: this.#channel, error });
          await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** attempt)));
        }
      }
    })().finally(() => {
      this.#relisten = undefined;
    });
  }
}
