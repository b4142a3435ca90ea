/**
 * The agent store in PostgreSQL, for any number of replicas sharing a
 * database (`AGENT_STORE=postgres`). Tables are in migrations.ts.
 *
 * - An agent is a row: owner, name, model, settings, HEAD, counters, and the
 *   lease of its run. The row is the lock: starting a run, checkout and
 *   clear are conditional updates of it, so "one run per agent" and "no
 *   checkout during a run" hold across the fleet under READ COMMITTED.
 * - A step is a row, appended in one statement that also moves HEAD (and,
 *   for a run, only while that run still holds the agent). Snapshots are
 *   rows keyed by content hash, inserted once.
 * - Usage is a row per user, UTC day and model, upserted by the statement
 *   that stores the model step it comes from (both or neither).
 * - Per-owner bounds (agents, runs) are checked under a transaction-level
 *   advisory lock on the owner, so concurrent requests on several replicas
 *   cannot both pass.
 *
 * @module
 */
import type { AgentMeta, ReActStep, RunInfo, StoredAgent } from "../../agents/types.ts";
import type {
  AgentPage,
  AgentPatch,
  AgentQuery,
  AgentStore,
  AppendStepOptions,
  MoveHeadResult,
  OpenSocket,
  OrphanedRun,
  RenewResult,
  StartRun,
  StartRunResult,
} from "../agent-store.ts";
import { isValidAgentId } from "../agent-store.ts";
import { checkCharge, COUNT_FIELDS, type DailyUsageQuery, type DailyUsageRow, type StepUsageRecord, type UsageCounts } from "../../usage/totals.ts";
import { sortRows } from "../day-totals.ts";
import { readMeta, readStep, readStepUsage, RecordError } from "../records.ts";
import { joinStep, splitStep } from "../snapshots.ts";
import { lockKey, type PostgresConnection } from "./connection.ts";

/** Columns of an agent row, with the run only while its lease is live. */
const AGENT_COLUMNS = `id, owner_uid, owner_name, name, model_type, settings, created_at, head_step_id, step_count,
  CASE WHEN run_id IS NOT NULL AND run_lease_until > now() THEN run_id END AS live_run_id,
  run_replica, run_message_id, run_stopping`;

interface AgentRow {
  id: string;
  owner_uid: number;
  owner_name: string;
  name: string;
  model_type: string;
  settings: unknown;
  created_at: Date;
  head_step_id: string | null;
  step_count: number;
  live_run_id: string | null;
  run_replica: string | null;
  run_message_id: string | null;
  run_stopping: boolean;
}

interface StepRow {
  id: string;
  parent_id: string | null;
  body: Record<string, unknown>;
  before: unknown;
  after: unknown;
}

/** The usage table's counter columns, in the order of COUNT_FIELDS. */
const USAGE_COLUMNS = COUNT_FIELDS.map((field) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

function agentOf(row: AgentRow): StoredAgent {
  const meta = readMeta({
    id: row.id,
    ownerUid: row.owner_uid,
    ownerName: row.owner_name,
    name: row.name,
    modelType: row.model_type,
    createdAt: row.created_at.toISOString(),
    settings: row.settings,
  });
  const run: RunInfo | null = row.live_run_id === null
    ? null
    : { runId: row.live_run_id, replicaId: row.run_replica ?? "", messageId: row.run_message_id ?? "", stopping: row.run_stopping };
  return { ...meta, headId: row.head_step_id, stepCount: row.step_count, run };
}

function stepOf(row: StepRow): ReActStep {
  const body = { ...row.body, id: row.id, ...(row.parent_id === null ? {} : { parentId: row.parent_id }) };
  return readStep(joinStep(body as ReActStep, row.before ?? undefined, row.after ?? undefined));
}

export class PostgresAgentStore implements AgentStore {
  readonly kind = "postgres";
  readonly #db: PostgresConnection;
  readonly #ownerLock: number;

  constructor(db: PostgresConnection) {
    this.#db = db;
    this.#ownerLock = lockKey(`agent-service owners ${db.schema}`);
  }

  get #sql() {
    return this.#db.sql;
  }

  #t(name: Parameters<PostgresConnection["table"]>[0]) {
    return this.#db.table(name);
  }

  /**
   * An agent row checked whole; one that fails is set aside (quarantined_at)
   * and left out, with a log line naming the agent and the field, never the
   * content, so one bad row cannot break its owner's (or an ADMIN's) list.
   */
  async #checked(row: AgentRow): Promise<StoredAgent | undefined> {
    try {
      return agentOf(row);
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      this.#db.logger.warn("set aside an agent whose row failed its check", { agentId: row.id, reason: error.message });
      await this.#sql`
        UPDATE ${this.#t("agents")} SET quarantined_at = now(), quarantine_reason = ${error.message} WHERE id = ${row.id}`;
      return undefined;
    }
  }

  /** Step rows checked whole; one that fails is left out and logged (agent, step and field). */
  #checkedSteps(agentId: string, rows: StepRow[]): ReActStep[] {
    const steps: ReActStep[] = [];
    for (const row of rows) {
      try {
        steps.push(stepOf(row));
      } catch (error) {
        if (!(error instanceof RecordError)) throw error;
        this.#db.logger.warn("left out a step whose row failed its check", { agentId, stepId: row.id, reason: error.message });
      }
    }
    return steps;
  }

  ping(): Promise<void> {
    return this.#db.call(async () => {
      await this.#sql`SELECT 1`;
    });
  }

  // --- Agents ---------------------------------------------------------------

  async createAgent(meta: AgentMeta, options: { maxPerOwner?: number } = {}): Promise<boolean> {
    const checked = readMeta(structuredClone(meta));
    return this.#db.call(() =>
      this.#sql.begin(async (tx) => {
        if (options.maxPerOwner !== undefined) {
          await tx`SELECT pg_advisory_xact_lock(${this.#ownerLock}, ${checked.ownerUid})`;
          const [row] = await tx`
            SELECT count(*)::int AS n FROM ${this.#t("agents")} WHERE owner_uid = ${checked.ownerUid} AND quarantined_at IS NULL`;
          if ((row?.n as number) >= options.maxPerOwner) return false;
        }
        await tx`INSERT INTO ${this.#t("agents")} (id, owner_uid, owner_name, name, model_type, settings, created_at)
          VALUES (${checked.id}, ${checked.ownerUid}, ${checked.ownerName}, ${checked.name}, ${checked.modelType},
                  ${tx.json(checked.settings as never)}, ${checked.createdAt})`;
        return true;
      })
    );
  }

  getAgent(id: string): Promise<StoredAgent | undefined> {
    if (!isValidAgentId(id)) return Promise.resolve(undefined);
    return this.#db.call(async () => {
      const [row] = await this.#sql`
        SELECT ${this.#sql.unsafe(AGENT_COLUMNS)} FROM ${this.#t("agents")} WHERE id = ${id} AND quarantined_at IS NULL`;
      return row ? this.#checked(row as unknown as AgentRow) : undefined;
    });
  }

  listAgents(query: AgentQuery): Promise<AgentPage> {
    return this.#db.call(async () => {
      const sql = this.#sql;
      const after = query.after;
      const rows = await sql`
        SELECT ${sql.unsafe(AGENT_COLUMNS)} FROM ${this.#t("agents")}
        WHERE quarantined_at IS NULL
          ${query.ownerUid === undefined ? sql`` : sql`AND owner_uid = ${query.ownerUid}`}
          ${after ? sql`AND (created_at, id) > (${after.createdAt}::timestamptz, ${after.id})` : sql``}
        ORDER BY created_at, id
        LIMIT ${query.limit + 1}`;
      const page = rows.slice(0, query.limit) as unknown as AgentRow[];
      const agents: StoredAgent[] = [];
      for (const row of page) {
        const agent = await this.#checked(row);
        if (agent) agents.push(agent);
      }
      // The cursor follows the rows read, set-aside ones included, so no page repeats or skips.
      const last = page.at(-1);
      return { agents, next: rows.length > query.limit && last ? { createdAt: last.created_at.toISOString(), id: last.id } : null };
    });
  }

  countAgents(ownerUid: number): Promise<number> {
    return this.#db.call(async () => {
      const [row] = await this.#sql`
        SELECT count(*)::int AS n FROM ${this.#t("agents")} WHERE owner_uid = ${ownerUid} AND quarantined_at IS NULL`;
      return row?.n as number;
    });
  }

  updateAgent(id: string, patch: AgentPatch): Promise<StoredAgent | undefined> {
    if (!isValidAgentId(id)) return Promise.resolve(undefined);
    return this.#db.call(() =>
      this.#sql.begin(async (tx) => {
        const [row] = await tx`SELECT ${tx.unsafe(AGENT_COLUMNS)} FROM ${this.#t("agents")} WHERE id = ${id} FOR UPDATE`;
        if (!row) return undefined;
        const current = agentOf(row as unknown as AgentRow);
        const { headId: _h, stepCount: _c, run: _r, ...meta } = current;
        const next = readMeta(structuredClone({ ...meta, ...patch }));
        await tx`UPDATE ${this.#t("agents")}
          SET name = ${next.name}, model_type = ${next.modelType}, settings = ${tx.json(next.settings as never)}
          WHERE id = ${id}`;
        return { ...current, ...next };
      })
    );
  }

  deleteAgent(id: string): Promise<boolean> {
    if (!isValidAgentId(id)) return Promise.resolve(false);
    return this.#db.call(async () => {
      const result = await this.#sql`DELETE FROM ${this.#t("agents")} WHERE id = ${id}`;
      return result.count > 0;
    });
  }

  // --- Steps ----------------------------------------------------------------

  async appendStep(agentId: string, step: ReActStep, options: AppendStepOptions = {}): Promise<boolean> {
    if (!isValidAgentId(agentId)) return false;
    const { body, before, after, snapshots } = splitStep(readStep(step));
    const { id, parentId, ...rest } = body;
    const keys = [...snapshots.keys()];
    const contents = [...snapshots.values()];
    const charge = options.charge;
    if (charge) checkCharge(charge);
    const sql = this.#sql;
    const usage = this.#t("usage");
    // One statement: HEAD moves, the snapshots the agent lacks and the step are
    // inserted, and the usage charged, all or nothing, and only while the run
    // (if any) holds the agent.
    return this.#db.call(async () => {
      const rows = await sql`
        WITH a AS (
          UPDATE ${this.#t("agents")}
          SET step_order = step_order + 1, step_count = step_count + 1, head_step_id = ${id}
          WHERE id = ${agentId} ${options.runId === undefined ? sql`` : sql`AND run_id = ${options.runId}`}
          RETURNING step_order
        ), s AS (
          INSERT INTO ${this.#t("snapshots")} (agent_id, key, content)
          SELECT ${agentId}, k, c::json FROM a, unnest(${sql.array(keys)}::text[], ${sql.array(contents)}::text[]) AS x(k, c)
          ON CONFLICT DO NOTHING
        ), st AS (
          INSERT INTO ${this.#t("steps")} (agent_id, id, ord, parent_id, body, before_key, after_key)
          SELECT ${agentId}, ${id}, step_order, ${parentId ?? null}, ${sql.json(rest as never)}, ${before ?? null}, ${after ?? null} FROM a
          RETURNING ord
        )${
        charge
          ? sql`, c AS (
          INSERT INTO ${usage} AS u (uid, day, model, ${sql.unsafe(USAGE_COLUMNS.join(", "))})
          SELECT ${charge.uid}::bigint, ${charge.day}::date, ${charge.model}, ${charge.counts.inputTokens}::bigint,
            ${charge.counts.outputTokens}::bigint, ${charge.counts.totalTokens}::bigint, ${charge.counts.cachedInputTokens}::bigint,
            ${charge.counts.costNanoUsd}::bigint, ${charge.counts.calls}::bigint, ${charge.counts.callsWithoutUsage}::bigint,
            ${charge.counts.callsWithoutCost}::bigint
          FROM st
          ON CONFLICT (uid, day, model) DO UPDATE SET ${sql.unsafe(USAGE_COLUMNS.map((c) => `${c} = u.${c} + EXCLUDED.${c}`).join(", "))}
        )`
          : sql``
      }
        SELECT ord FROM st`;
      return rows.length > 0;
    });
  }

  moveHead(agentId: string, target: { stepId: string } | { clear: true }): Promise<MoveHeadResult> {
    if (!isValidAgentId(agentId)) return Promise.resolve("missing");
    const sql = this.#sql;
    const idle = sql`(run_id IS NULL OR run_lease_until <= now())`;
    const dropRun = sql`run_id = NULL, run_replica = NULL, run_message_id = NULL, run_lease_until = NULL, run_stopping = false`;
    return this.#db.call(async () => {
      let changed: number;
      if ("clear" in target) {
        const [row] = await sql`
          WITH a AS (
            UPDATE ${this.#t("agents")} SET head_step_id = NULL, step_count = 0, ${dropRun}
            WHERE id = ${agentId} AND ${idle} RETURNING id
          ), d1 AS (
            DELETE FROM ${this.#t("steps")} WHERE agent_id IN (SELECT id FROM a)
          ), d2 AS (
            DELETE FROM ${this.#t("snapshots")} WHERE agent_id IN (SELECT id FROM a)
          )
          SELECT count(*)::int AS n FROM a`;
        changed = row?.n as number;
      } else {
        const result = await sql`
          UPDATE ${this.#t("agents")} SET head_step_id = ${target.stepId}, ${dropRun}
          WHERE id = ${agentId} AND ${idle}
            AND EXISTS (SELECT 1 FROM ${this.#t("steps")} WHERE agent_id = ${agentId} AND id = ${target.stepId})`;
        changed = result.count;
      }
      if (changed > 0) return "ok";
      // Why not: the agent is gone, a run holds it, or the step does not exist.
      const [row] = await sql`
        SELECT (run_id IS NOT NULL AND run_lease_until > now()) AS busy,
          ${"clear" in target ? sql`true` : sql`EXISTS (SELECT 1 FROM ${this.#t("steps")} WHERE agent_id = ${agentId} AND id = ${target.stepId})`} AS has_step
        FROM ${this.#t("agents")} WHERE id = ${agentId}`;
      if (!row) return "missing";
      if (row.busy) return "busy";
      return row.has_step ? "busy" : "unknown_step";
    });
  }

  steps(agentId: string): Promise<ReActStep[]> {
    if (!isValidAgentId(agentId)) return Promise.resolve([]);
    return this.#db.call(async () => {
      const rows = await this.#sql`
        SELECT s.id, s.parent_id, s.body, b.content AS before, a.content AS after
        FROM ${this.#t("steps")} s
        LEFT JOIN ${this.#t("snapshots")} b ON b.agent_id = s.agent_id AND b.key = s.before_key
        LEFT JOIN ${this.#t("snapshots")} a ON a.agent_id = s.agent_id AND a.key = s.after_key
        WHERE s.agent_id = ${agentId}
        ORDER BY s.ord`;
      return this.#checkedSteps(agentId, rows as unknown as StepRow[]);
    });
  }

  path(agentId: string, options: { headId?: string; limit?: number } = {}): Promise<ReActStep[]> {
    if (!isValidAgentId(agentId)) return Promise.resolve([]);
    const sql = this.#sql;
    const limit = Math.min(options.limit ?? 1_000_000, 1_000_000);
    return this.#db.call(async () => {
      const rows = await sql`
        WITH RECURSIVE p AS (
          SELECT s.id, s.parent_id, 1 AS depth FROM ${this.#t("steps")} s
          WHERE s.agent_id = ${agentId} AND s.id = ${
        options.headId === undefined ? sql`(SELECT head_step_id FROM ${this.#t("agents")} WHERE id = ${agentId})` : sql`${options.headId}`
      }
          UNION ALL
          SELECT s.id, s.parent_id, p.depth + 1 FROM p
          JOIN ${this.#t("steps")} s ON s.agent_id = ${agentId} AND s.id = p.parent_id
          WHERE p.depth < ${limit}
        )
        SELECT s.id, s.parent_id, s.body, b.content AS before, a.content AS after
        FROM p
        JOIN ${this.#t("steps")} s ON s.agent_id = ${agentId} AND s.id = p.id
        LEFT JOIN ${this.#t("snapshots")} b ON b.agent_id = s.agent_id AND b.key = s.before_key
        LEFT JOIN ${this.#t("snapshots")} a ON a.agent_id = s.agent_id AND a.key = s.after_key
        ORDER BY p.depth DESC`;
      return this.#checkedSteps(agentId, rows as unknown as StepRow[]);
    });
  }

  step(agentId: string, stepId: string): Promise<ReActStep | undefined> {
    if (!isValidAgentId(agentId)) return Promise.resolve(undefined);
    return this.#db.call(async () => {
      const [row] = await this.#sql`
        SELECT s.id, s.parent_id, s.body, b.content AS before, a.content AS after
        FROM ${this.#t("steps")} s
        LEFT JOIN ${this.#t("snapshots")} b ON b.agent_id = s.agent_id AND b.key = s.before_key
        LEFT JOIN ${this.#t("snapshots")} a ON a.agent_id = s.agent_id AND a.key = s.after_key
        WHERE s.agent_id = ${agentId} AND s.id = ${stepId}`;
      return row ? this.#checkedSteps(agentId, [row as unknown as StepRow])[0] : undefined;
    });
  }

  stepUsage(agentId: string): Promise<StepUsageRecord[]> {
    if (!isValidAgentId(agentId)) return Promise.resolve([]);
    return this.#db.call(async () => {
      // Only the usage fields of each body: no content, no tool results, no snapshots.
      const rows = await this.#sql`
        SELECT id, body->'messageId' AS "messageId", body->'stepId' AS "stepId", body->'timestamp' AS timestamp,
          body->'role' AS role, body->'model' AS model, body->'usage' AS usage, body->'cost' AS cost
        FROM ${this.#t("steps")} WHERE agent_id = ${agentId} ORDER BY ord`;
      // As with whole steps, a row that fails its check is left out and logged.
      const records: StepUsageRecord[] = [];
      for (const { id, ...fields } of rows) {
        try {
          records.push(readStepUsage(fields));
        } catch (error) {
          if (!(error instanceof RecordError)) throw error;
          this.#db.logger.warn("left out a step whose row failed its check", { agentId, stepId: id, reason: error.message });
        }
      }
      return records;
    });
  }

  // --- Usage ----------------------------------------------------------------

  dailyUsage(query: DailyUsageQuery): Promise<DailyUsageRow[]> {
    return this.#db.call(async () => {
      const sql = this.#sql;
      const rows = await sql`
        SELECT uid, to_char(day, 'YYYY-MM-DD') AS day, model, ${sql.unsafe(USAGE_COLUMNS.join(", "))}
        FROM ${this.#t("usage")}
        WHERE day BETWEEN ${query.from}::date AND ${query.to}::date ${query.uid === undefined ? sql`` : sql`AND uid = ${query.uid}`}`;
      // Sorted here, not by the database's collation, so that every store answers in one order.
      return sortRows(rows.map((row) => ({
        uid: Number(row.uid),
        day: row.day as string,
        model: row.model as string,
        counts: Object.fromEntries(COUNT_FIELDS.map((field, i) => [field, Number(row[USAGE_COLUMNS[i]!])])) as unknown as UsageCounts,
      })));
    });
  }

  // --- Runs -----------------------------------------------------------------

  startRun(agentId: string, run: StartRun): Promise<StartRunResult> {
    if (!isValidAgentId(agentId)) return Promise.resolve({ ok: false, reason: "missing" });
    return this.#db.call(() =>
      this.#sql.begin(async (tx): Promise<StartRunResult> => {
        const [row] = await tx`
          SELECT owner_uid, run_id, run_replica, run_message_id, run_stopping,
            (run_id IS NOT NULL AND run_lease_until > now()) AS live
          FROM ${this.#t("agents")} WHERE id = ${agentId} FOR UPDATE`;
        if (!row) return { ok: false, reason: "missing" };
        if (row.live) return { ok: false, reason: "busy" };
        const ownerUid = row.owner_uid as number;
        if (run.maxRunsPerOwner !== undefined) {
          await tx`SELECT pg_advisory_xact_lock(${this.#ownerLock}, ${ownerUid})`;
          const [count] = await tx`
            SELECT count(*)::int AS n FROM ${this.#t("agents")}
            WHERE owner_uid = ${ownerUid} AND run_id IS NOT NULL AND run_lease_until > now()`;
          if ((count?.n as number) >= run.maxRunsPerOwner) return { ok: false, reason: "quota" };
        }
        await tx`
          UPDATE ${this.#t("agents")}
          SET run_id = ${run.runId}, run_replica = ${run.replicaId}, run_message_id = ${run.messageId},
              run_lease_until = now() + ${run.leaseMs} * interval '1 millisecond', run_stopping = false
          WHERE id = ${agentId}`;
        const info: RunInfo = { runId: run.runId, replicaId: run.replicaId, messageId: run.messageId, stopping: false };
        if (row.run_id === null) return { ok: true, run: info };
        const orphan: OrphanedRun = {
          agentId,
          ownerUid,
          runId: row.run_id as string,
          replicaId: (row.run_replica as string | null) ?? "",
          messageId: (row.run_message_id as string | null) ?? "",
          stopping: row.run_stopping as boolean,
        };
        return { ok: true, run: info, orphan };
      })
    );
  }

  renewRuns(replicaId: string, runIds: readonly string[], leaseMs: number): Promise<RenewResult> {
    if (runIds.length === 0) return Promise.resolve({ lost: [], stopping: [] });
    return this.#db.call(async () => {
      const rows = await this.#sql`
        UPDATE ${this.#t("agents")} SET run_lease_until = now() + ${leaseMs} * interval '1 millisecond'
        WHERE run_replica = ${replicaId} AND run_id = ANY(${this.#sql.array([...runIds])}::text[])
        RETURNING run_id, run_stopping`;
      const held = new Set(rows.map((row) => row.run_id as string));
      return {
        lost: runIds.filter((id) => !held.has(id)),
        stopping: rows.filter((row) => row.run_stopping).map((row) => row.run_id as string),
      };
    });
  }

  endRun(agentId: string, runId: string): Promise<void> {
    return this.#db.call(async () => {
      await this.#sql`
        UPDATE ${this.#t("agents")}
        SET run_id = NULL, run_replica = NULL, run_message_id = NULL, run_lease_until = NULL, run_stopping = false
        WHERE id = ${agentId} AND run_id = ${runId}`;
    });
  }

  requestStop(agentId: string): Promise<boolean> {
    if (!isValidAgentId(agentId)) return Promise.resolve(false);
    return this.#db.call(async () => {
      const result = await this.#sql`
        UPDATE ${this.#t("agents")} SET run_stopping = true
        WHERE id = ${agentId} AND run_id IS NOT NULL AND run_lease_until > now()`;
      return result.count > 0;
    });
  }

  claimOrphanedRuns(replicaId: string, leaseMs: number): Promise<OrphanedRun[]> {
    return this.#db.call(async () => {
      const rows = await this.#sql`
        WITH c AS (
          SELECT id, run_replica AS previous FROM ${this.#t("agents")}
          WHERE run_id IS NOT NULL AND run_lease_until <= now()
          ORDER BY run_lease_until LIMIT 100
          FOR UPDATE SKIP LOCKED
        )
        UPDATE ${this.#t("agents")} a
        SET run_replica = ${replicaId}, run_lease_until = now() + ${leaseMs} * interval '1 millisecond'
        FROM c WHERE a.id = c.id
        RETURNING a.id, a.owner_uid, a.run_id, c.previous, a.run_message_id, a.run_stopping`;
      return rows.map((row) => ({
        agentId: row.id as string,
        ownerUid: row.owner_uid as number,
        runId: row.run_id as string,
        replicaId: (row.previous as string | null) ?? "",
        messageId: (row.run_message_id as string | null) ?? "",
        stopping: row.run_stopping as boolean,
      }));
    });
  }

  countRuns(ownerUid: number): Promise<number> {
    return this.#db.call(async () => {
      const [row] = await this.#sql`
        SELECT count(*)::int AS n FROM ${this.#t("agents")}
        WHERE owner_uid = ${ownerUid} AND run_id IS NOT NULL AND run_lease_until > now()`;
      return row?.n as number;
    });
  }

  // --- Open sockets ------------------------------------------------------------

  openSocket(socket: OpenSocket, max?: number): Promise<boolean> {
    return this.#db.call(() =>
      this.#sql.begin(async (tx) => {
        if (max !== undefined) {
          await tx`SELECT pg_advisory_xact_lock(${this.#ownerLock}, ${socket.ownerUid})`;
          const [row] = await tx`
            SELECT count(*)::int AS n FROM ${this.#t("sockets")} WHERE owner_uid = ${socket.ownerUid} AND lease_until > now()`;
          if ((row?.n as number) >= max) return false;
        }
        await tx`
          INSERT INTO ${this.#t("sockets")} (id, owner_uid, replica_id, lease_until)
          VALUES (${socket.id}, ${socket.ownerUid}, ${socket.replicaId}, now() + ${socket.leaseMs} * interval '1 millisecond')`;
        return true;
      })
    );
  }

  closeSocket(id: string): Promise<void> {
    return this.#db.call(async () => {
      await this.#sql`DELETE FROM ${this.#t("sockets")} WHERE id = ${id}`;
    });
  }

  renewSockets(replicaId: string, leaseMs: number): Promise<void> {
    return this.#db.call(async () => {
      await this.#sql`
        UPDATE ${this.#t("sockets")} SET lease_until = now() + ${leaseMs} * interval '1 millisecond' WHERE replica_id = ${replicaId}`;
      // Sockets of replicas that died long ago: nothing counts them any more.
      await this.#sql`DELETE FROM ${this.#t("sockets")} WHERE lease_until < now() - interval '1 hour'`;
    });
  }

  countSockets(ownerUid: number): Promise<number> {
    return this.#db.call(async () => {
      const [row] = await this.#sql`
        SELECT count(*)::int AS n FROM ${this.#t("sockets")} WHERE owner_uid = ${ownerUid} AND lease_until > now()`;
      return row?.n as number;
    });
  }

  async flush(): Promise<void> {}

  /** The connection is shared with the event bus; its owner closes it. */
  async close(): Promise<void> {}
}
