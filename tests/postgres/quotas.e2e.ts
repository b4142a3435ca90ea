/**
 * Per-user quotas hold across replicas: two service processes (Node and
 * Deno) on one PostgreSQL database count one user's agents, open sockets and
 * runs together.
 *
 *   npm run test:postgres
 */
import { after, before, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { startScriptedLLM, type ScriptedLLM } from "../fixtures/scripted-llm.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { type ServiceProcess, startServiceProcess } from "../helpers/service-process.ts";
import { openSocket, type TestSocket } from "../helpers/socket.ts";
import { bearer, mintToken } from "../helpers/tokens.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
let database: TestDatabase;
let upstream: ScriptedLLM;
const replicas: ServiceProcess[] = [];

before(async () => {
  database = await createTestDatabase();
  upstream = await startScriptedLLM({ models: ["scripted-model"] });
  for (const runtime of ["node", "deno"] as const) {
    replicas.push(await startServiceProcess(runtime, {
      AGENT_STORE: "postgres",
      DATABASE_URL: database.url,
      LITELLM_BASE_URL: upstream.url,
      LOG_LEVEL: "warn",
      MAX_AGENTS_PER_USER: "3",
      MAX_SOCKETS_PER_USER: "2",
      MAX_RUNS_PER_USER: "1",
    }));
  }
});

after(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await upstream?.close();
  await database?.drop();
});

async function create(replica: ServiceProcess) {
  const response = await fetch(`${replica.url}/api/agents`, {
    method: "POST",
    headers: { ...bearer(alice), "content-type": "application/json" },
    body: JSON.stringify({ modelType: "scripted-model" }),
  });
  return { status: response.status, body: await response.json() as { id: string; code?: string } };
}

const socketOn = (replica: ServiceProcess, id: string) => openSocket(`${replica.wsUrl}/api/agents/${id}/react?access-token=${alice}`);

test("one user's agents, open sockets and runs are counted across both replicas", async () => {
  const [a, b] = replicas as [ServiceProcess, ServiceProcess];
  const first = (await create(a)).body.id;
  const second = (await create(b)).body.id;
  await create(a);
  const fourth = await create(b);
  assert.deepEqual([fourth.status, fourth.body.code], [429, "quota_exceeded"], "three agents made on two replicas");

  const onA = await socketOn(a, first);
  const onB = await socketOn(b, second);
  await Promise.all([onA.waitFor((e) => e.type === "init"), onB.waitFor((e) => e.type === "init")]);
  const third = await socketOn(a, second);
  assert.equal((await third.waitFor((e) => e.type === "error")).code, "quota_exceeded", "two sockets open, one on each replica");
  assert.equal((await third.closedWithin()).code, 1008);

  upstream.enqueue({ kind: "text", text: "slow ".repeat(40), chunkSize: 5, delayMs: 10 });
  onA.send({ type: "message", content: "a run on A" });
  await onA.waitFor((e) => e.type === "delta", { timeoutMs: 10_000 });
  const from = onB.events.length;
  onB.send({ type: "message", content: "a run on B" });
  assert.equal((await onB.waitFor((e) => e.type === "error", { from, timeoutMs: 10_000 })).code, "quota_exceeded", "one run at a time, across replicas");
  await onA.waitFor((e) => e.type === "complete", { timeoutMs: 10_000 });
  const again = onB.events.length;
  onB.send({ type: "message", content: "now on B" });
  await onB.waitFor((e) => e.type === "complete", { from: again, timeoutMs: 10_000 });
  await Promise.all([onA.close(), onB.close()]);
  // The servers release the count as they see the closes: retry briefly.
  let reopened: TestSocket | undefined;
  for (let attempt = 0; attempt < 50 && !reopened; attempt++) {
    const next = await socketOn(b, first);
    if ((await next.waitFor((e) => e.type === "init" || e.type === "error", { timeoutMs: 10_000 })).type === "init") reopened = next;
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(reopened, "closing frees the count on the other replica too");
  await reopened.close();
});
