/**
 * The PostgreSQL connection the store and the event bus share, through
 * `postgres` (porsager's Postgres.js). Why that driver: it runs unchanged on
 * Node, Deno and Bun (pure JavaScript over node:net), has no dependencies,
 * pipelines queries, prepares statements, and speaks LISTEN/NOTIFY, which
 * the event bus needs; `pg` would need its own pool and a separate
 * listen client for the same.
 *
 * Failures of the connection itself (refused, closed, timed out, the server
 * shutting down) become StoreUnavailableError: the API answers 503 at once
 * instead of hanging, and the driver reconnects on the next query.
 *
 * @module
 */
import postgres from "postgres";
import { StoreUnavailableError } from "../agent-store.ts";
import type { Logger } from "../../log.ts";

export type Sql = postgres.Sql<Record<string, unknown>>;

export interface PostgresConnectionOptions {
  readonly url: string;
  /** The schema holding the service's tables. */
  readonly schema: string;
  readonly logger: Logger;
  /** Connections in the pool. Default 10. */
  readonly max?: number;
  /** Seconds to wait for a connection before a query fails (and the API answers 503). Default 3. */
  readonly connectTimeoutSeconds?: number;
  /** Server-side bound on one statement, in ms. Default 10 s. */
  readonly statementTimeoutMs?: number;
}

export interface PostgresConnection {
  readonly sql: Sql;
  readonly schema: string;
  readonly url: string;
  readonly logger: Logger;
  /** A table of the schema, as an escaped identifier for queries. */
  table(name: "agents" | "steps" | "snapshots" | "events" | "schema_migrations" | "sockets" | "usage"): postgres.Helper<string>;
  /** Runs `work`, turning connection failures into StoreUnavailableError. */
  call<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** SQLSTATE classes and driver codes that mean "the database is not reachable now", not "the query is wrong". */
function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return error instanceof Error && /ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND/.test(error.message);
  if (/^(CONNECT_TIMEOUT|CONNECTION_CLOSED|CONNECTION_DESTROYED|CONNECTION_ENDED|ECONN\w+|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN)$/.test(code)) return true;
  // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now; 53300: too many connections.
  return /^08/.test(code) || /^57P0[123]$/.test(code) || code === "53300";
}

export function openPostgres(options: PostgresConnectionOptions): PostgresConnection {
  const sql = postgres(options.url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 3,
    idle_timeout: 60,
    onnotice: () => {},
    // Counters (sequence numbers, orders) are int8: well inside a double.
    types: { int8: { to: 20, from: [20], serialize: (value: number) => String(value), parse: (value: string) => Number(value) } },
    connection: {
      application_name: "agent-service",
      statement_timeout: options.statementTimeoutMs ?? 10_000,
    },
  }) as unknown as Sql;
  const tables = new Map<string, postgres.Helper<string>>();
  return {
    sql,
    schema: options.schema,
    url: options.url,
    logger: options.logger,
    table(name) {
      let table = tables.get(name);
      if (!table) tables.set(name, (table = sql(`${options.schema}.${name}`)));
      return table;
    },
    async call<T>(work: () => Promise<T>): Promise<T> {
      try {
        return await work();
      } catch (error) {
        if (isConnectionFailure(error)) throw new StoreUnavailableError("the database is unreachable", { cause: error });
        throw error;
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/** A stable 31-bit number for a string (advisory lock namespaces). */
export function lockKey(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash & 0x7fffffff;
}
