/**
 * deploy/nginx/nginx.conf in front of three replicas (Node, Deno, Node) on
 * one PostgreSQL database, round-robin with no sticky sessions, as the
 * replicas deployment runs them: a whole conversation, a stop and a
 * reconnect pass through it while its requests land on every replica.
 *
 *   npm run test:postgres
 */
import { after, before, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import type { ReActStep } from "../../src/agents/types.ts";
import { socketProtocols } from "../../src/socket-auth.ts";
import { startScriptedLLM, type ScriptedLLM } from "../fixtures/scripted-llm.ts";
import { type Nginx, startNginx } from "../helpers/nginx.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { type ServiceProcess, startServiceProcess } from "../helpers/service-process.ts";
import { openSocket } from "../helpers/socket.ts";
import { bearer, mintToken } from "../helpers/tokens.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
let database: TestDatabase;
let upstream: ScriptedLLM;
let replicas: ServiceProcess[] = [];
let nginx: Nginx;

before(async () => {
  database = await createTestDatabase();
  upstream = await startScriptedLLM({ models: ["scripted-model"] });
  for (const runtime of ["node", "deno", "node"] as const) {
    replicas.push(await startServiceProcess(runtime, {
      AGENT_STORE: "postgres",
      DATABASE_URL: database.url,
      LITELLM_BASE_URL: upstream.url,
      LOG_LEVEL: "warn",
    }));
  }
  nginx = await startNginx(replicas.map((r) => Number(new URL(r.url).port)), { logUpstream: true });
});

after(async () => {
  await nginx?.stop();
  await Promise.all(replicas.map((r) => r.stop()));
  await upstream?.close();
  await database?.drop();
});

async function api(method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = bearer(alice);
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${nginx.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const viaNginx = (id: string, query = "") => openSocket(`${nginx.url.replace("http", "ws")}/api/agents/${id}/react${query}`, { protocols: socketProtocols(alice) });

test("through nginx round-robin over three replicas: a conversation, a stop and a reconnect; requests land on every replica", async () => {
  const created = await api("POST", "/api/agents", { modelType: "scripted-model", name: "Behind nginx" });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const id = created.body.id as string;
  for (let i = 0; i < 6; i++) assert.equal((await api("GET", `/api/agents/${id}`)).status, 200, "any replica reads it");

  const socket = await viaNginx(id);
  await socket.waitFor((e) => e.type === "init");
  upstream.enqueue({ kind: "text", text: "a conversation through the gateway", chunkSize: 5, delayMs: 5 });
  socket.send({ type: "message", content: "hello through nginx" });
  await socket.waitFor((e) => e.type === "complete", { timeoutMs: 10_000 });

  // Stop through another connection (REST, landing wherever nginx sends it).
  upstream.enqueue({ kind: "text", text: "w".repeat(2000), chunkSize: 1, delayMs: 5 });
  const from = socket.events.length;
  socket.send({ type: "message", content: "a long one" });
  const firstDelta = await socket.waitFor((e) => e.type === "delta", { from, timeoutMs: 10_000 });
  assert.deepEqual((await api("POST", `/api/agents/${id}/stop`, {})).body, { status: "stopping" });
  await socket.waitFor((e) => e.type === "complete", { from, timeoutMs: 5_000 });
  assert.equal((socket.events.slice(from).filter((e) => e.type === "step").at(-1)?.step as ReActStep).stopped, true);

  // Drop and reconnect mid-run through nginx (likely another replica): nothing missed.
  upstream.enqueue({ kind: "text", text: "x".repeat(300), chunkSize: 3, delayMs: 10 });
  const runFrom = socket.events.length;
  socket.send({ type: "message", content: "one more" });
  await socket.waitFor((e) => e.type === "delta", { from: runFrom, timeoutMs: 10_000 });
  await socket.close();
  const seen = socket.events.slice(runFrom);
  const back = await viaNginx(id, `?after=${seen.at(-1)!.seq}`);
  await back.waitFor((e) => e.type === "complete", { timeoutMs: 15_000 });
  const whole = [...seen, ...back.events];
  const seqs = whole.map((e) => e.seq as number);
  assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), "no event lost or repeated across the reconnect");
  const text = whole.filter((e) => e.type === "delta").map((e) => e.text).join("");
  assert.equal(text, "x".repeat(300));
  await back.close();
  assert.ok(firstDelta);

  const steps = (await api("GET", `/api/agents/${id}/react-steps`)).body.steps as ReActStep[];
  assert.equal(steps.filter((s) => s.role === "user").length, 3);
  const upstreams = new Set((await nginx.accessLog()).map((line) => /upstream=(\S+)/.exec(line)?.[1]).filter((u) => u && u !== "-"));
  assert.equal(upstreams.size, 3, `requests reached every replica: ${[...upstreams].join(", ")}`);
});
