/**
 * The store: what one step costs to save as a conversation grows, and what
 * stored agents cost a start.
 *
 * 1. Saves (in this process, on the runtime running this script): one
 *    agent gets 1,000 steps, each with a 10-operator workflow that changes
 *    at every step (the worst case for snapshot sharing). The time of each
 *    `appendStep` is taken; the table shows the median around step 10, 100
 *    and 1,000 and the ratio 1,000 : 10 (target: within 1.5). Stores: the
 *    file store, PostgreSQL (a database made for the run on
 *    TEST_DATABASE_URL's server, default 127.0.0.1:5432; skipped with a note
 *    when none answers), and, as the baseline the file store replaced, the
 *    first round's save: the whole record serialised and written atomically.
 * 2. Cold start (children, `--cold-start` runtimes): spawn to the first
 *    healthcheck 200 of `src/main.ts` with 10,000 stored agents against an
 *    empty store, for the file store and PostgreSQL (target: within 1.2).
 *
 *   npm run bench:store                        # saves on Node, cold start on Node and Deno
 *   npx deno run --allow-all scripts/bench/store.ts saves
 *   npx tsx scripts/bench/store.ts cold-start deno
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { defaultSettings } from "../../src/agents/settings.ts";
import type { AgentMeta, ReActStep } from "../../src/agents/types.ts";
import { silentLogger } from "../../src/log.ts";
import type { AgentStore, AppendStepOptions } from "../../src/store/agent-store.ts";
import { chargeOf } from "../../src/usage/totals.ts";
import { FileAgentStore } from "../../src/store/file/file-store.ts";
import { writeAtomic } from "../../src/store/file/fs-util.ts";
import { openPostgres } from "../../src/store/postgres/connection.ts";
import { migrate } from "../../src/store/postgres/migrations.ts";
import { PostgresAgentStore } from "../../src/store/postgres/postgres-store.ts";
import { createTestDatabase, type TestDatabase } from "../../tests/helpers/postgres.ts";
import { BENCH_SECRET, header, median, ms, percentile, type Runtime, seedFileStore, table, timeToFirst200 } from "./lib.ts";

const STEPS = 1_000;
const MARKS = [10, 100, 1_000];
const WINDOW = 10;
const STORED_AGENTS = Number(process.env.STORE_BENCH_AGENTS ?? 10_000);
const COLD_RUNS = Number(process.env.COLD_START_RUNS ?? 5);

const runtimeName = () => ("Deno" in globalThis ? "deno" : "node");

/** A Texera workflow of `n` operators in a chain; `version` changes one property. */
function workflow(n: number, version: number) {
  const operators = Array.from({ length: n }, (_, i) => ({
    operatorID: `op${i + 1}`,
    operatorType: i === 0 ? "CSVFileScan" : "Filter",
    operatorVersion: "1",
    operatorProperties: i === 0 ? { fileName: `/data/orders-${version}.csv`, hasHeader: true } : { predicates: [{ attribute: "amount", condition: ">", value: String(i * 10) }] },
    inputPorts: i === 0 ? [] : [{ portID: "input-0", isDynamicPort: false }],
    outputPorts: [{ portID: "output-0", isDynamicPort: false }],
    showAdvanced: false,
    isDisabled: false,
    customDisplayName: `Operator ${i + 1}`,
  }));
  const links = operators.slice(1).map((op, i) => ({
    linkID: `link${i}`,
    source: { operatorID: operators[i]!.operatorID, portID: "output-0" },
    target: { operatorID: op.operatorID, portID: "input-0" },
  }));
  const operatorPositions = Object.fromEntries(operators.map((op, i) => [op.operatorID, { x: i * 200, y: 0 }]));
  return { operators, operatorPositions, links, commentBoxes: [], settings: { dataTransferBatchSize: 400 } };
}

function stepAt(i: number, parentId: string | undefined): ReActStep {
  return {
    id: `step-${i}`,
    ...(parentId ? { parentId } : {}),
    messageId: `msg-${Math.floor(i / 4)}`,
    stepId: i % 4,
    timestamp: 1_780_000_000_000 + i,
    role: i % 4 === 0 ? "user" : "agent",
    content: i % 4 === 0 ? `Please change operator ${i % 10}` : `Modified operator op${(i % 10) + 1}.`,
    isBegin: i % 4 <= 1,
    isEnd: i % 4 === 3,
    ...(i % 4 === 0 ? {} : {
      toolCalls: [{ toolName: "modifyOperator", toolCallId: `call-${i}`, input: { operatorId: `op${(i % 10) + 1}`, properties: { value: i } } }],
      toolResults: [{ toolCallId: `call-${i}`, output: `Operator op${(i % 10) + 1} modified` }],
      model: "scripted-model",
      usage: { inputTokens: 1200 + i, outputTokens: 40, totalTokens: 1240 + i },
      cost: { usd: (1200 + i) * 1e-6 + 40 * 2e-6, source: "litellm" as const },
    }),
    beforeWorkflowContent: workflow(10, i),
    afterWorkflowContent: workflow(10, i + 1),
  };
}

/** What a run's writer passes: the model step charged to user 1's day (nothing for a user step). */
function charged(step: ReActStep): AppendStepOptions {
  const charge = chargeOf(step, 1);
  return charge ? { charge } : {};
}

const meta = (id: string): AgentMeta => ({
  id,
  ownerUid: 1,
  ownerName: "bench",
  name: "Bench",
  modelType: "scripted-model",
  createdAt: new Date().toISOString(),
  settings: defaultSettings(),
});

/**
 * Times `STEPS` saves; returns the time of each, in ms. `warmUp` saves of
 * the same shape go first (to another agent where the store has agents), so
 * step 10 is not the JIT's first sight of the code.
 */
async function timeSaves(save: (step: ReActStep, i: number) => Promise<void>, warmUp?: (step: ReActStep) => Promise<void>): Promise<number[]> {
  if (warmUp) {
    let parent: string | undefined;
    for (let i = 1; i <= 100; i++) {
      const step = stepAt(i, parent);
      await warmUp(step);
      parent = step.id;
    }
  }
  const times: number[] = [];
  let parent: string | undefined;
  for (let i = 1; i <= STEPS; i++) {
    const step = stepAt(i, parent);
    const started = performance.now();
    await save(step, i);
    times.push(performance.now() - started);
    parent = step.id;
  }
  return times;
}

/** The median of the saves around step `mark` (the `WINDOW` saves ending at it). */
const around = (times: number[], mark: number) => median(times.slice(Math.max(0, mark - WINDOW), mark));

async function benchSaves(): Promise<string> {
  const rows: string[][] = [];
  const notes: string[] = [];
  const row = (name: string, times: number[]) => {
    const values = MARKS.map((mark) => around(times, mark));
    rows.push([name, ...values.map(ms), (values[2]! / values[0]!).toFixed(2)]);
    return values;
  };
  /** Charging usage in the same write, against the same store's uncharged saves of this run. */
  const chargeNote = (store: string, plain: number[], withCharge: number[]) =>
    notes.push(`${store}: charging the usage costs ${MARKS.map((mark, i) => `${(withCharge[i]! / plain[i]!).toFixed(2)}x at step ${mark}`).join(", ")} of the uncharged save`);
  const root = await mkdtemp(join(tmpdir(), "store-bench-"));
  try {
    // The first round's save: the whole record (every step, every snapshot) serialised and written atomically each time.
    const legacySave = (record: { steps: ReActStep[] }, path: string) => async (step: ReActStep) => {
      record.steps.push(step);
      await writeAtomic(path, `${JSON.stringify(record)}\n`);
    };
    row(
      "first-round file store (baseline: rewrite the record)",
      await timeSaves(
        legacySave({ ...meta("legacy"), steps: [] }, join(root, "legacy.agent.json")),
        legacySave({ ...meta("warm"), steps: [] }, join(root, "warm.agent.json")),
      ),
    );

    const file = await FileAgentStore.open({ dir: join(root, "file"), logger: silentLogger });
    await file.createAgent(meta("file-agent"));
    await file.createAgent(meta("file-warm"));
    const filePlain = row("file store (journal append)", await timeSaves((step) => file.appendStep("file-agent", step).then(() => {}), (step) => file.appendStep("file-warm", step).then(() => {})));
    await file.createAgent(meta("file-charged"));
    await file.createAgent(meta("file-charged-warm"));
    const fileCharged = row(
      "file store, usage charged (+ a line in usage/<day>.jsonl)",
      await timeSaves(
        (step) => file.appendStep("file-charged", step, charged(step)).then(() => {}),
        (step) => file.appendStep("file-charged-warm", step, charged(step)).then(() => {}),
      ),
    );
    chargeNote("file store", filePlain, fileCharged);
    await file.close();

    let database: TestDatabase | undefined;
    try {
      database = await createTestDatabase();
    } catch (error) {
      notes.push(`PostgreSQL: skipped, no server answered (${(error as Error).message.slice(0, 80)})`);
    }
    if (database) {
      const db = openPostgres({ url: database.url, schema: "bench", logger: silentLogger });
      try {
        await migrate(db);
        const store: AgentStore = new PostgresAgentStore(db);
        await store.createAgent(meta("pg-agent"));
        await store.createAgent(meta("pg-warm"));
        const pgPlain = row("PostgreSQL store (a row per step)", await timeSaves((step) => store.appendStep("pg-agent", step).then(() => {}), (step) => store.appendStep("pg-warm", step).then(() => {})));
        await store.createAgent(meta("pg-charged"));
        await store.createAgent(meta("pg-charged-warm"));
        const pgCharged = row(
          "PostgreSQL store, usage charged (+ an upsert in the same statement)",
          await timeSaves(
            (step) => store.appendStep("pg-charged", step, charged(step)).then(() => {}),
            (step) => store.appendStep("pg-charged-warm", step, charged(step)).then(() => {}),
          ),
        );
        chargeNote("PostgreSQL", pgPlain, pgCharged);
      } finally {
        await db.close();
        await database.drop();
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return [
    header(`store: one step's save as the conversation grows (${runtimeName()}, in process)`, [runtimeName() as Runtime]),
    `${STEPS} steps, each with a 10-operator workflow that changes at every step; median of the ${WINDOW} saves up to each mark; fsync on (file stores), synchronous_commit as the server has it (PostgreSQL)`,
    table(["store", "step 10 ms", "step 100 ms", "step 1,000 ms", "1,000 : 10"], rows),
    ...notes,
  ].join("\n");
}

// --- Cold start with many stored agents -------------------------------------------------

async function series(run: () => Promise<number>): Promise<number[]> {
  await run(); // unmeasured: module caches
  const times: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) times.push(await run());
  return times;
}

const SERVICE_ENV = { HOST: "127.0.0.1", AUTH_JWT_SECRET: BENCH_SECRET, LITELLM_BASE_URL: "http://127.0.0.1:9", LITELLM_MASTER_KEY: "sk-store-bench", LOG_LEVEL: "error" };

const storedMetas = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `stored-${String(i).padStart(6, "0")}`, ownerUid: 1 + (i % 500), ownerName: `user${1 + (i % 500)}`, settings: defaultSettings() }));

async function benchColdStart(runtimes: Runtime[]): Promise<string> {
  const rows: string[][] = [];
  const notes: string[] = [];
  const root = await mkdtemp(join(tmpdir(), "store-cold-"));
  let database: TestDatabase | undefined;
  try {
    const emptyDir = join(root, "empty");
    const fullDir = join(root, "full");
    await seedFileStore(fullDir, storedMetas(STORED_AGENTS));
    await seedFileStore(emptyDir, []);
    try {
      database = await createTestDatabase();
      const db = openPostgres({ url: database.url, schema: "agent_service", logger: silentLogger });
      await migrate(db);
      await db.sql`
        INSERT INTO agent_service.agents (id, owner_uid, owner_name, name, model_type, settings, created_at)
        SELECT 'stored-' || g, 1 + g % 500, 'user' || (1 + g % 500), 'Bob', 'scripted-model', ${db.sql.json(defaultSettings() as never)}, now() + g * interval '1 ms'
        FROM generate_series(1, ${STORED_AGENTS}) AS g`;
      await db.close();
    } catch (error) {
      notes.push(`PostgreSQL: skipped (${(error as Error).message.slice(0, 80)})`);
      database = undefined;
    }
    for (const runtime of runtimes) {
      const pair = async (name: string, empty: Record<string, string>, full: Record<string, string>) => {
        const start = (env: Record<string, string>) => timeToFirst200(runtime, "src/main.ts", "/api/readyz", { ...SERVICE_ENV, ...env }, () => []);
        const a = await series(() => start(empty));
        const b = await series(() => start(full));
        rows.push([`${runtime} ${name}`, ms(median(a)), ms(median(b)), ms(percentile(b, 90)), (median(b) / median(a)).toFixed(2)]);
      };
      // Empty first, then full, per store: the same warm caches for both.
      await pair("file store", { AGENT_STATE_DIR: emptyDir }, { AGENT_STATE_DIR: fullDir });
      if (database) {
        const empty = await createTestDatabase();
        try {
          await pair("PostgreSQL", { AGENT_STORE: "postgres", DATABASE_URL: empty.url }, { AGENT_STORE: "postgres", DATABASE_URL: database.url });
        } finally {
          await empty.drop();
        }
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
    await database?.drop();
  }
  return [
    header(`store: cold start with ${STORED_AGENTS.toLocaleString("en-US")} stored agents`, runtimes),
    `spawn to the first 200 on /api/readyz (the store opened and ready; the healthcheck answers before the store is loaded); ${COLD_RUNS} starts each after one unmeasured start; the empty store is the baseline (PostgreSQL: a migrated empty schema)`,
    table(["runtime, store", "empty p50 ms", `${STORED_AGENTS.toLocaleString("en-US")} agents p50 ms`, "p90 ms", "ratio"], rows),
    ...notes,
  ].join("\n");
}

const args = process.argv.slice(2);
const parts = args.filter((a) => a === "saves" || a === "cold-start");
const runtimes = args.filter((a): a is Runtime => a === "node" || a === "deno" || a === "bun");
const doSaves = parts.length === 0 || parts.includes("saves");
const doCold = parts.length === 0 || parts.includes("cold-start");
if (doSaves) console.log(await benchSaves());
if (doCold) console.log(`\n${await benchColdStart(runtimes.length > 0 ? runtimes : ["node", "deno"])}`);
