/**
 * The service's schema in PostgreSQL, as numbered migrations applied in
 * order and recorded in `<schema>.schema_migrations`. They run at start
 * (and alone with `npm run db:migrate`) under a session advisory lock, so
 * replicas starting together apply each migration exactly once: the first
 * takes the lock and migrates, the others wait and then find nothing to do.
 *
 * A migration is never edited once released; a change is a new migration.
 *
 * @module
 */
import { lockKey, type PostgresConnection } from "./connection.ts";

interface Migration {
  readonly version: number;
  readonly name: string;
  /** SQL with `$schema` standing for the quoted schema name. */
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "agents, steps, snapshots, events, run leases",
    sql: `
      CREATE TABLE $schema.agents (
        id text PRIMARY KEY,
        owner_uid integer NOT NULL,
        owner_name text NOT NULL,
        name text NOT NULL,
        model_type text NOT NULL,
        settings jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        head_step_id text,
        step_count integer NOT NULL DEFAULT 0,
        step_order bigint NOT NULL DEFAULT 0,
        event_seq bigint NOT NULL DEFAULT 0,
        run_id text,
        run_replica text,
        run_message_id text,
        run_lease_until timestamptz,
        run_stopping boolean NOT NULL DEFAULT false
      );
      CREATE INDEX agents_by_owner ON $schema.agents (owner_uid, created_at, id);
      CREATE INDEX agents_by_creation ON $schema.agents (created_at, id);
      CREATE INDEX agents_with_runs ON $schema.agents (run_lease_until) WHERE run_id IS NOT NULL;

      -- Workflow snapshots, once per distinct content per agent; steps refer to them by key.
      CREATE TABLE $schema.snapshots (
        agent_id text NOT NULL REFERENCES $schema.agents (id) ON DELETE CASCADE,
        key text NOT NULL,
        content json NOT NULL,
        PRIMARY KEY (agent_id, key)
      );

      -- Steps, append-only: a row per step; the tree is parent_id links, insertion order is ord.
      CREATE TABLE $schema.steps (
        agent_id text NOT NULL REFERENCES $schema.agents (id) ON DELETE CASCADE,
        id text NOT NULL,
        ord bigint NOT NULL,
        parent_id text,
        body json NOT NULL,
        before_key text,
        after_key text,
        PRIMARY KEY (agent_id, id)
      );
      CREATE UNIQUE INDEX steps_in_order ON $schema.steps (agent_id, ord);

      -- The current run's events of each agent, for sockets that reconnect (and big events sent by reference).
      CREATE TABLE $schema.events (
        agent_id text NOT NULL REFERENCES $schema.agents (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agent_id, seq)
      );
    `,
  },
  {
    version: 2,
    name: "open sockets, counted per owner across replicas",
    sql: `
      -- A socket counts while its replica renews it; a dead replica's sockets stop counting after a lease.
      CREATE TABLE $schema.sockets (
        id text PRIMARY KEY,
        owner_uid integer NOT NULL,
        replica_id text NOT NULL,
        lease_until timestamptz NOT NULL
      );
      CREATE INDEX sockets_by_owner ON $schema.sockets (owner_uid, lease_until);
      CREATE INDEX sockets_by_replica ON $schema.sockets (replica_id);
    `,
  },
  {
    version: 3,
    name: "agents whose row fails its check are set aside",
    sql: `
      -- Set when a row fails its check on read: the agent is then left out (404, not listed,
      -- not counted) and kept for an operator to look at, with why.
      ALTER TABLE $schema.agents ADD COLUMN quarantined_at timestamptz, ADD COLUMN quarantine_reason text;
    `,
  },
  {
    version: 4,
    name: "usage per user, day and model",
    sql: `
      -- Each user's usage per UTC day and model, added to by the statement that stores the model step.
      -- The cost is in integer nano-USD, so sums are exact whatever their order.
      CREATE TABLE $schema.usage (
        uid bigint NOT NULL,
        day date NOT NULL,
        model text NOT NULL,
        input_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        total_tokens bigint NOT NULL,
        cached_input_tokens bigint NOT NULL,
        cost_nano_usd bigint NOT NULL,
        calls bigint NOT NULL,
        calls_without_usage bigint NOT NULL,
        calls_without_cost bigint NOT NULL,
        PRIMARY KEY (uid, day, model)
      );
      CREATE INDEX usage_by_day ON $schema.usage (day);
    `,
  },
];

/** Applies the migrations not applied yet; resolves with the versions applied now. */
export async function migrate(db: PostgresConnection): Promise<number[]> {
  const schema = `"${db.schema}"`;
  const reserved = await db.call(() => db.sql.reserve());
  const applied: number[] = [];
  try {
    await reserved`SELECT pg_advisory_lock(${lockKey("agent-service migrations")}, ${lockKey(db.schema)})`;
    try {
      await reserved.unsafe(`
        CREATE SCHEMA IF NOT EXISTS ${schema};
        CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        );
      `);
      const done = new Set((await reserved.unsafe(`SELECT version FROM ${schema}.schema_migrations`)).map((row) => Number(row.version)));
      for (const migration of MIGRATIONS) {
        if (done.has(migration.version)) continue;
        await reserved.unsafe("BEGIN");
        try {
          await reserved.unsafe(migration.sql.replaceAll("$schema", schema));
          await reserved.unsafe(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
          await reserved.unsafe("COMMIT");
        } catch (error) {
          await reserved.unsafe("ROLLBACK").catch(() => {});
          throw error;
        }
        applied.push(migration.version);
        db.logger.info("applied a database migration", { schema: db.schema, version: migration.version, name: migration.name });
      }
    } finally {
      await reserved`SELECT pg_advisory_unlock(${lockKey("agent-service migrations")}, ${lockKey(db.schema)})`.catch(() => {});
    }
  } finally {
    reserved.release();
  }
  return applied;
}
