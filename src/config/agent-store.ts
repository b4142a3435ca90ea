/**
 * The agent store settings: `AGENT_STORE` (`file`, the embedded default, or
 * `postgres`), `AGENT_STATE_DIR` for the file store, `DATABASE_URL` and
 * `DATABASE_SCHEMA` for PostgreSQL, and `RUN_LEASE_SECONDS`. A combination
 * that cannot be what the operator meant stops the start with one message.
 *
 * @module
 */
import { isAbsolute, join, normalize } from "node:path";

/** The store part of the service's Config. */
export interface StoreConfig {
  /** `AGENT_STORE`: `file` (default; one instance) or `postgres` (replicas). */
  readonly store: "file" | "postgres";
  /** `AGENT_STATE_DIR` (./data), resolved: the file store's directory. */
  readonly stateDir: string;
  /** `DATABASE_URL` (postgres store only). Secret: it may hold a password. */
  readonly databaseUrl?: string;
  /** `DATABASE_SCHEMA` (agent_service): the schema the service's tables live in. */
  readonly databaseSchema: string;
  /** `RUN_LEASE_SECONDS` (15), in ms: how long a run's replica may be silent before another replica ends the run. */
  readonly runLeaseMs: number;
}

/** A message for a ConfigError. */
export type StoreConfigProblem = string;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** What `DATABASE_URL` names, for banners and logs: never the password. */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    return `postgres ${parsed.hostname}${parsed.port ? `:${parsed.port}` : ""}${parsed.pathname}`;
  } catch {
    return "postgres (unparsable URL)";
  }
}

export function parseStoreConfig(get: (name: string) => string | undefined, cwd: string): StoreConfig | StoreConfigProblem {
  const raw = get("AGENT_STORE")?.trim().toLowerCase() ?? "file";
  if (raw !== "file" && raw !== "postgres") return `AGENT_STORE must be file or postgres (got ${JSON.stringify(raw.slice(0, 40))})`;
  const databaseUrl = get("DATABASE_URL");
  const stateDirRaw = get("AGENT_STATE_DIR");
  const schema = get("DATABASE_SCHEMA") ?? "agent_service";
  if (!SCHEMA_NAME.test(schema)) return `DATABASE_SCHEMA must be a lower-case SQL identifier (letters, digits, _) (got ${JSON.stringify(schema.slice(0, 70))})`;

  const leaseRaw = get("RUN_LEASE_SECONDS") ?? "15";
  const lease = /^\d{1,5}$/.test(leaseRaw) ? Number(leaseRaw) : NaN;
  if (!(lease >= 2 && lease <= 3600)) return `RUN_LEASE_SECONDS must be an integer number of seconds between 2 and 3600 (got ${JSON.stringify(leaseRaw.slice(0, 20))})`;

  const stateDir = normalize(isAbsolute(stateDirRaw ?? "data") ? stateDirRaw! : join(cwd, stateDirRaw ?? "data"));
  if (raw === "postgres") {
    if (databaseUrl === undefined) return "AGENT_STORE=postgres needs DATABASE_URL (postgres://user:password@host:5432/database)";
    if (!/^postgres(?:ql)?:\/\//.test(databaseUrl)) return "DATABASE_URL must be a postgres:// or postgresql:// URL (value not shown: it may hold a password)";
    try {
      new URL(databaseUrl);
    } catch {
      return "DATABASE_URL is not a valid URL (value not shown: it may hold a password)";
    }
    if (stateDirRaw !== undefined) return "AGENT_STATE_DIR is set but AGENT_STORE=postgres keeps agents in the database: unset one of them";
    return { store: "postgres", stateDir, databaseUrl, databaseSchema: schema, runLeaseMs: lease * 1000 };
  }
  if (databaseUrl !== undefined) {
    return "DATABASE_URL is set but AGENT_STORE is file (the default): set AGENT_STORE=postgres to keep agents in that database, or unset DATABASE_URL";
  }
  return { store: "file", stateDir, databaseSchema: schema, runLeaseMs: lease * 1000 };
}
