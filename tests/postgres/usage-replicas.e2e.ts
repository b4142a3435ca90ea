/**
 * Usage and the daily limits across replicas: two service processes (Node
 * and Deno) on one fresh PostgreSQL database, USER_DAILY_TOKEN_LIMIT=30, one
 * scripted upstream (every call uses 18 tokens). What one replica charged,
 * the other refuses on, mid-run too, and both answer the same totals.
 *
 *   npm run test:postgres
 */
import { after, before, describe, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import postgres from "postgres";
import type { ReActStep } from "../../src/agents/types.ts";
import { startScriptedLLM, type ScriptedLLM } from "../fixtures/scripted-llm.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { type ServiceProcess, startServiceProcess } from "../helpers/service-process.ts";
import { api } from "../helpers/service.ts";
import { openSocket, type SocketEvent, type TestSocket } from "../helpers/socket.ts";
import { mintToken } from "../helpers/tokens.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
const bob = mintToken({ userId: 2, sub: "bob" });
const LIMIT = 30;

let database: TestDatabase;
let upstream: ScriptedLLM;
let replicas: ServiceProcess[] = [];

before(async () => {
  database = await createTestDatabase();
  upstream = await startScriptedLLM({ models: ["scripted-model"] });
  for (const runtime of ["node", "deno"] as const) {
    replicas.push(await startServiceProcess(runtime, {
      AGENT_STORE: "postgres",
      DATABASE_URL: database.url,
      LITELLM_BASE_URL: upstream.url,
      USER_DAILY_TOKEN_LIMIT: String(LIMIT),
      LOG_LEVEL: "warn",
      SHUTDOWN_GRACE_SECONDS: "1",
    }));
  }
});

after(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await upstream?.close();
  await database?.drop();
});

async function createAgent(replica: ServiceProcess, token: string): Promise<string> {
  const { status, body } = await api(replica, "POST", "/api/agents", token, { modelType: "scripted-model" });
  assert.equal(status, 200, JSON.stringify(body));
  return body.id as string;
}

async function socketOn(replica: ServiceProcess, id: string, token: string): Promise<TestSocket> {
  const socket = await openSocket(`${replica.wsUrl}/api/agents/${id}/react?access-token=${token}`);
  await socket.waitFor((e) => e.type === "init");
  return socket;
}

/** Sends a message; the run's events up to `complete`, or the refusal. */
async function send(socket: TestSocket, content: string): Promise<SocketEvent[]> {
  const from = socket.events.length;
  socket.send({ type: "message", content });
  await socket.waitFor((e) => e.type === "complete" || e.type === "error", { from, timeoutMs: 10_000 });
  return socket.events.slice(from);
}

const chats = () => upstream.requests.filter((r) => r.path === "/v1/chat/completions").length;
const stepsOf = (events: SocketEvent[]) => events.filter((e) => e.type === "step").map((e) => e.step as ReActStep);

describe("daily limits on two replicas sharing one database", () => {
  test("what A charged, B counts: B refuses the message that would go over, and both show the same totals", async () => {
    const [a, b] = replicas as [ServiceProcess, ServiceProcess];
    const onA = await socketOn(a, await createAgent(a, alice), alice);
    const onB = await socketOn(b, await createAgent(b, alice), alice);
    assert.equal(stepsOf(await send(onA, "first, on A")).length, 2);
    assert.equal(stepsOf(await send(onB, "second, on B: 18 of 30 used before it")).length, 2);
    const before = chats();
    const refused = await send(onA, "third, on A: 36 used");
    assert.deepEqual(refused.map((e) => [e.type, e.code]), [["error", "quota_exceeded"]]);
    assert.match(String(refused[0]!.error), /^You have used your daily token limit \(36 of 30 tokens today\); it resets at 00:00 UTC/);
    assert.match(String(refused[0]!.resetsAt), /^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/);
    assert.equal(chats(), before, "no model call");
    const refusedOnB = await send(onB, "and on B");
    assert.equal(refusedOnB[0]?.code, "quota_exceeded");

    const fromA = (await api(a, "GET", "/api/agents/usage", alice)).body;
    const fromB = (await api(b, "GET", "/api/agents/usage", alice)).body;
    assert.deepEqual(fromA, fromB, "one truth");
    assert.equal(fromA.total.totalTokens, 36);
    assert.equal(fromA.total.calls, 2);
    assert.deepEqual(fromA.limits.tokens, { limit: LIMIT, used: 36 });
    assert.equal(fromA.limits.exceeded, true);
    await Promise.all([onA.close(), onB.close()]);
  });

  test("a run on A stops after the call that reaches the limit, counting what B charged", async () => {
    const [a, b] = replicas as [ServiceProcess, ServiceProcess];
    const onB = await socketOn(b, await createAgent(b, bob), bob);
    assert.equal(stepsOf(await send(onB, "18 tokens on B")).length, 2);
    const id = await createAgent(a, bob);
    const onA = await socketOn(a, id, bob);
    upstream.enqueue(
      { kind: "tool_calls", calls: [{ id: "c1", name: "addOperator", arguments: '{"operatorType":"CSVFileScan"}' }] },
      { kind: "text", text: "never asked for" },
    );
    const before = chats();
    const steps = stepsOf(await send(onA, "a run with tools, on A"));
    assert.equal(chats() - before, 1, "one call: 36 tokens after it, over 30 with B's");
    assert.deepEqual(steps.map((s) => [s.role, s.errorCode]), [["user", undefined], ["agent", undefined], ["agent", "quota_exceeded"]]);
    assert.equal((await api(b, "GET", `/api/agents/${id}`, bob)).body.state, "AVAILABLE", "the agent is free again, on every replica");
    const usage = (await api(b, "GET", `/api/agents/${id}/usage`, bob)).body;
    assert.equal(usage.total.calls, 1);
    assert.equal(usage.total.totalTokens, 18);
    await Promise.all([onA.close(), onB.close()]);

    // One row per user, day and model, summed in the statements that stored the steps.
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql`SELECT uid::int, model, total_tokens::int AS tokens, calls::int FROM agent_service.usage ORDER BY uid`;
      assert.deepEqual(rows.map((r) => [r.uid, r.model, r.tokens, r.calls]), [[1, "scripted-model", 36, 2], [2, "scripted-model", 36, 2]]);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});
