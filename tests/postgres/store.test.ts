/**
 * The AgentStore contract against PostgreSQL, then what only it does:
 * migrations applied once however many replicas start together, snapshots
 * stored once per content, and a prompt StoreUnavailableError when the
 * database cannot be reached.
 *
 *   npm run test:postgres
 */
import { after, before, describe, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { StoreUnavailableError } from "../../src/store/agent-store.ts";
import { openPostgres } from "../../src/store/postgres/connection.ts";
import { migrate, MIGRATIONS } from "../../src/store/postgres/migrations.ts";
import { PostgresAgentStore } from "../../src/store/postgres/postgres-store.ts";
import { createLogger, silentLogger } from "../../src/log.ts";
import { freePort } from "../../scripts/bench/lib.ts";
import { connect, createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { meta, richStep, step, storeContract } from "../helpers/store-contract.ts";

let database: TestDatabase;
let schemas = 0;

before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await database?.drop();
});

storeContract({
  name: "PostgresAgentStore",
  open: async () => {
    // A schema per test: each starts empty, in the one database of this run.
    const db = await connect(database.url, `contract_${++schemas}`);
    const store = new PostgresAgentStore(db);
    return { store, close: () => db.close() };
  },
});

describe("PostgresAgentStore", () => {
  test("three replicas migrating at once apply each migration exactly once", async () => {
    const dbs = [0, 1, 2].map(() => openPostgres({ url: database.url, schema: "together", logger: silentLogger }));
    try {
      const applied = await Promise.all(dbs.map((db) => migrate(db)));
      assert.deepEqual(applied.flat().sort(), MIGRATIONS.map((m) => m.version).sort(), "each version applied by one of them");
      const rows = await dbs[0]!.sql`SELECT version FROM together.schema_migrations ORDER BY version`;
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      assert.deepEqual(await migrate(dbs[1]!), [], "nothing left to do");
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });

  test("a workflow snapshot is stored once per distinct content, however many steps see it", async () => {
    const db = await connect(database.url, "dedup");
    try {
      const store = new PostgresAgentStore(db);
      const m = meta();
      await store.createAgent(m);
      await store.appendStep(m.id, step("s0"));
      for (let i = 1; i <= 20; i++) await store.appendStep(m.id, step(`s${i}`, { parentId: `s${i - 1}` }));
      await store.appendStep(m.id, richStep("r1", "s20"));
      const [row] = await db.sql`SELECT count(*)::int AS n FROM dedup.snapshots WHERE agent_id = ${m.id}`;
      assert.equal(row?.n, 2, "the empty workflow once, the one-operator workflow once");
      const [steps] = await db.sql`SELECT count(*)::int AS n FROM dedup.steps WHERE agent_id = ${m.id}`;
      assert.equal(steps?.n, 22, "a row per step");
    } finally {
      await db.close();
    }
  });

  test("a row that fails its check is set aside and named in the log; the owner's other agents, and ADMIN's list, are unaffected", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) });
    const db = await connect(database.url, "quarantine", logger);
    try {
      const store = new PostgresAgentStore(db);
      const good = meta({ ownerUid: 8 });
      const bad = meta({ ownerUid: 8 });
      await store.createAgent(good);
      await store.createAgent(bad);
      await store.appendStep(good.id, step("s1"));
      await store.appendStep(good.id, step("s2", { parentId: "s1" }));
      await db.sql`UPDATE quarantine.agents SET settings = jsonb_set(settings, '{disabledTools}', '5') WHERE id = ${bad.id}`;
      await db.sql`UPDATE quarantine.steps SET body = '{"role":"robot","content":"SECRET"}'::json WHERE agent_id = ${good.id} AND id = 's1'`;

      assert.deepEqual((await store.listAgents({ ownerUid: 8, limit: 10 })).agents.map((a) => a.id), [good.id]);
      assert.deepEqual((await store.listAgents({ limit: 10 })).agents.map((a) => a.id), [good.id], "ADMIN's list too");
      assert.equal(await store.getAgent(bad.id), undefined);
      assert.equal(await store.countAgents(8), 1);
      const [row] = await db.sql`SELECT quarantined_at IS NOT NULL AS aside, quarantine_reason FROM quarantine.agents WHERE id = ${bad.id}`;
      assert.deepEqual([row?.aside, row?.quarantine_reason], [true, "settings.disabledTools: invalid_type"]);
      const agentLine = lines.find((l) => l.msg === "set aside an agent whose row failed its check");
      assert.deepEqual([agentLine?.agentId, agentLine?.reason], [bad.id, "settings.disabledTools: invalid_type"]);

      assert.deepEqual((await store.steps(good.id)).map((s) => s.id), ["s2"], "the bad step is left out");
      const stepLine = lines.find((l) => l.msg === "left out a step whose row failed its check");
      assert.deepEqual([stepLine?.agentId, stepLine?.stepId], [good.id, "s1"]);
      assert.ok(!JSON.stringify(lines).includes("SECRET"), "no content in the log");
    } finally {
      await db.close();
    }
  });

  test("an unreachable database is a prompt StoreUnavailableError, not a hang", async () => {
    const port = await freePort();
    const db = openPostgres({ url: `postgres://postgres@127.0.0.1:${port}/nothing`, schema: "x", logger: silentLogger });
    try {
      const store = new PostgresAgentStore(db);
      await assert.rejects(store.getAgent("a1"), StoreUnavailableError);
      await assert.rejects(store.ping(), StoreUnavailableError);
    } finally {
      await db.close();
    }
  });
});
