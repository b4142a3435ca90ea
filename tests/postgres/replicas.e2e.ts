/**
 * Many replicas, one truth: three real service processes (two on Node, one
 * on Deno) sharing one PostgreSQL database, in front of one scripted
 * OpenAI-compatible upstream (the model's answers).
 *
 * - an agent made on one replica is listed, read, renamed, used and deleted on the others;
 * - two messages at the same moment on two replicas start exactly one run;
 * - a socket on another replica sees every event of a run, in order, and one
 *   that reconnects with `?after=` misses nothing;
 * - stop, settings, checkout, clear and delete made anywhere reach every socket;
 * - a replica killed mid-turn: another ends the run with an "interrupted"
 *   step, and what was saved before the kill is still there;
 * - the database restarted under traffic (a server of the test's own):
 *   prompt 503s during the outage, then every replica serves again by
 *   itself, its event channel included, and none exits.
 *
 *   npm run test:postgres
 */
import { after, before, describe, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import type { ReActStep } from "../../src/agents/types.ts";
import { startScriptedLLM, type ScriptedLLM } from "../fixtures/scripted-llm.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { canRunCluster, startCluster } from "../helpers/pg-cluster.ts";
import { type ServiceProcess, startServiceProcess } from "../helpers/service-process.ts";
import { openSocket, type SocketEvent, type TestSocket } from "../helpers/socket.ts";
import { bearer, mintToken } from "../helpers/tokens.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
const LEASE_SECONDS = 2;

let database: TestDatabase;
let upstream: ScriptedLLM;
let replicas: ServiceProcess[] = [];

function replicaEnv(databaseUrl: string): Record<string, string> {
  return {
    AGENT_STORE: "postgres",
    DATABASE_URL: databaseUrl,
    RUN_LEASE_SECONDS: String(LEASE_SECONDS),
    LITELLM_BASE_URL: upstream.url,
    LOG_LEVEL: "warn",
    SHUTDOWN_GRACE_SECONDS: "1",
  };
}

before(async () => {
  database = await createTestDatabase();
  upstream = await startScriptedLLM({ models: ["scripted-model"] });
  // Started one after another: the first migrates, the others find it done (the concurrent case is in store.test.ts).
  for (const runtime of ["node", "deno", "node"] as const) replicas.push(await startServiceProcess(runtime, replicaEnv(database.url)));
});

after(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await upstream?.close();
  await database?.drop();
});

async function api(replica: ServiceProcess, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = bearer(alice);
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${replica.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function createAgent(replica: ServiceProcess, name = "Fleet"): Promise<string> {
  const { status, body } = await api(replica, "POST", "/api/agents", { modelType: "scripted-model", name });
  assert.equal(status, 200, JSON.stringify(body));
  return body.id as string;
}

function socketOn(replica: ServiceProcess, id: string, query = ""): Promise<TestSocket> {
  return openSocket(`${replica.wsUrl}/api/agents/${id}/react?access-token=${alice}${query}`);
}

const live = (events: SocketEvent[]) => events.filter((e) => e.type !== "init");
const chats = () => upstream.requests.filter((r) => r.path === "/v1/chat/completions").length;
const SCAN = { operatorType: "CSVFileScan", properties: { fileName: "/alice@example.com/shop/v1/orders.csv", hasHeader: true }, summary: "Load orders" };

describe("three replicas, one database", () => {
  test("an agent made on A is listed, read, renamed, used and deleted on B and C", async () => {
    const [a, b, c] = replicas as [ServiceProcess, ServiceProcess, ServiceProcess];
    const id = await createAgent(a, "Made on A");
    const listed = await api(b, "GET", "/api/agents");
    assert.ok(listed.body.agents.some((agent: { id: string }) => agent.id === id), "B lists it");
    assert.equal((await api(c, "GET", `/api/agents/${id}`)).body.name, "Made on A");
    assert.equal((await api(b, "PATCH", `/api/agents/${id}`, { name: "Renamed on B" })).status, 200);
    assert.equal((await api(c, "GET", `/api/agents/${id}`)).body.name, "Renamed on B");

    const socket = await socketOn(c, id);
    await socket.waitFor((e) => e.type === "init");
    socket.send({ type: "message", content: "hello from C" });
    await socket.waitFor((e) => e.type === "complete", { timeoutMs: 10_000 });
    const steps = (await api(a, "GET", `/api/agents/${id}/react-steps`)).body.steps as ReActStep[];
    assert.deepEqual(steps.map((s) => s.content), ["hello from C", "echo: hello from C"], "A reads what C's run saved");
    await socket.close();

    assert.deepEqual((await api(b, "DELETE", `/api/agents/${id}`)).body, { deleted: true });
    assert.equal((await api(a, "GET", `/api/agents/${id}`)).status, 404);
    assert.equal((await api(c, "GET", `/api/agents/${id}/react-steps`)).status, 404);
  });

  test("two messages at the same moment on A and B start exactly one run; the other is told the agent is busy", async () => {
    const [a, b] = replicas as [ServiceProcess, ServiceProcess];
    const id = await createAgent(a);
    const [onA, onB] = await Promise.all([socketOn(a, id), socketOn(b, id)]);
    await Promise.all([onA.waitFor((e) => e.type === "init"), onB.waitFor((e) => e.type === "init")]);
    upstream.enqueue({ kind: "text", text: "only one of you", chunkSize: 4, delayMs: 20 });
    const before = chats();
    onA.send({ type: "message", content: "from A" });
    onB.send({ type: "message", content: "from B" });
    await Promise.all([onA.waitFor((e) => e.type === "complete", { timeoutMs: 10_000 }), onB.waitFor((e) => e.type === "complete", { timeoutMs: 10_000 })]);
    const busy = [...onA.events, ...onB.events].filter((e) => e.type === "error");
    assert.deepEqual(busy.map((e) => [e.type, e.code]), [["error", "agent_busy"]], "exactly one refusal");
    assert.equal(chats() - before, 1, "exactly one model call");
    const steps = (await api(b, "GET", `/api/agents/${id}/react-steps`)).body.steps as ReActStep[];
    assert.equal(steps.filter((s) => s.role === "user").length, 1, "one user message stored");
    await Promise.all([onA.close(), onB.close()]);
  });

  test("a socket on B gets every event of a run on A, in order; a socket that reconnects with ?after= misses nothing", async () => {
    const [a, b, c] = replicas as [ServiceProcess, ServiceProcess, ServiceProcess];
    const id = await createAgent(a);
    const [onA, onB, onC] = await Promise.all([socketOn(a, id), socketOn(b, id), socketOn(c, id)]);
    const inits = await Promise.all([onA, onB, onC].map((s) => s.waitFor((e) => e.type === "init")));
    upstream.enqueue(
      { kind: "tool_calls", text: "Loading the orders.", calls: [{ id: "c1", name: "addOperator", arguments: JSON.stringify(SCAN) }] },
      { kind: "text", text: "The orders are loaded; next I would filter them by amount and region.", chunkSize: 3, delayMs: 15 },
    );
    onA.send({ type: "message", content: "load the orders" });

    // C drops mid-run (after the tool step), then comes back asking for what it missed.
    await onC.waitFor((e) => e.type === "step" && (e.step as ReActStep).toolResults !== undefined, { timeoutMs: 10_000 });
    await onC.close();
    const seen = live(onC.events);
    const last = seen.at(-1)!.seq as number;
    const back = await socketOn(c, id, `&after=${last}`);

    await Promise.all([onA, onB, back].map((s) => s.waitFor((e) => e.type === "complete", { timeoutMs: 15_000 })));
    const fromA = live(onA.events);
    const fromB = live(onB.events);
    assert.deepEqual(fromB, fromA, "B saw exactly what A saw");
    const seqs = fromA.map((e) => e.seq as number);
    assert.deepEqual(seqs, seqs.map((_, i) => (inits[0]!.seq as number) + 1 + i), "numbered without gaps or repeats");
    assert.ok(fromA.filter((e) => e.type === "delta").length >= 3, "deltas streamed");
    assert.deepEqual(fromA.filter((e) => e.type !== "delta").map((e) => e.type), ["state", "step", "step", "step", "complete"]);
    assert.equal(back.events[0]?.type, "delta", "the resumed socket starts with what it missed, not an init");
    assert.deepEqual([...seen, ...back.events], fromA, "before the drop + after it = the whole run");
    await Promise.all([onA.close(), onB.close(), back.close()]);
  });

  test("stop on C ends a run on A within a second; settings, checkout, clear and delete made anywhere reach every socket", async () => {
    const [a, b, c] = replicas as [ServiceProcess, ServiceProcess, ServiceProcess];
    const id = await createAgent(a);
    const [onA, onC] = await Promise.all([socketOn(a, id), socketOn(c, id)]);
    await Promise.all([onA.waitFor((e) => e.type === "init"), onC.waitFor((e) => e.type === "init")]);
    upstream.enqueue({ kind: "text", text: "z".repeat(2000), chunkSize: 1, delayMs: 5 });
    onA.send({ type: "message", content: "a long answer please" });
    await onC.waitFor((e) => e.type === "delta", { timeoutMs: 10_000 });
    const from = onC.events.length;
    onC.send({ type: "stop" });
    await onC.waitFor((e) => e.type === "complete", { from, timeoutMs: 1_000 });
    const stopped = live(onA.events).filter((e) => e.type === "step").map((e) => e.step as ReActStep).at(-1);
    assert.equal(stopped?.stopped, true);

    let mark = [onA.events.length, onC.events.length] as const;
    assert.equal((await api(b, "PATCH", `/api/agents/${id}/settings`, { maxSteps: 7 })).status, 200);
    for (const [socket, i] of [[onA, 0], [onC, 1]] as const) {
      const event = await socket.waitFor((e) => e.type === "agent", { from: mark[i], timeoutMs: 5_000 });
      assert.equal((event.agent as { settings: { maxSteps: number } }).settings.maxSteps, 7);
    }

    const steps = (await api(b, "GET", `/api/agents/${id}/react-steps`)).body.steps as ReActStep[];
    const userStep = steps.find((s) => s.role === "user")!;
    mark = [onA.events.length, onC.events.length];
    assert.equal((await api(b, "POST", `/api/agents/${id}/checkout`, { stepId: userStep.id })).status, 200);
    for (const [socket, i] of [[onA, 0], [onC, 1]] as const) {
      const event = await socket.waitFor((e) => e.type === "headChange", { from: mark[i], timeoutMs: 5_000 });
      assert.equal(event.headId, userStep.id);
    }

    mark = [onA.events.length, onC.events.length];
    assert.equal((await api(c, "POST", `/api/agents/${id}/clear`, {})).status, 200);
    for (const [socket, i] of [[onA, 0], [onC, 1]] as const) {
      assert.equal((await socket.waitFor((e) => e.type === "headChange", { from: mark[i], timeoutMs: 5_000 })).headId, null);
    }

    mark = [onA.events.length, onC.events.length];
    assert.equal((await api(a, "DELETE", `/api/agents/${id}`)).status, 200);
    for (const [socket, i] of [[onA, 0], [onC, 1]] as const) {
      assert.equal((await socket.waitFor((e) => e.type === "error", { from: mark[i], timeoutMs: 5_000 })).code, "agent_not_found");
    }
    await Promise.all([onA.close(), onC.close()]);
  });

  test("a replica killed mid-turn: another ends the run with an interrupted step within the lease, and nothing saved is lost", async () => {
    const doomed = await startServiceProcess("deno", replicaEnv(database.url));
    const [, b] = replicas as [ServiceProcess, ServiceProcess];
    try {
      const id = await createAgent(doomed);
      const [runner, watcher] = await Promise.all([socketOn(doomed, id), socketOn(b, id)]);
      await Promise.all([runner.waitFor((e) => e.type === "init"), watcher.waitFor((e) => e.type === "init")]);
      upstream.enqueue(
        { kind: "tool_calls", calls: [{ id: "c1", name: "addOperator", arguments: JSON.stringify(SCAN) }] },
        { kind: "text", text: "y".repeat(3000), chunkSize: 1, delayMs: 5 },
      );
      runner.send({ type: "message", content: "start and then die" });
      await watcher.waitFor((e) => e.type === "delta" && e.stepId === 2, { timeoutMs: 10_000 });
      doomed.child.kill("SIGKILL");
      await doomed.exited;

      const ended = await watcher.waitFor((e) => e.type === "step" && (e.step as ReActStep).errorCode === "interrupted", { timeoutMs: LEASE_SECONDS * 1000 * 3 + 5_000 });
      await watcher.waitFor((e) => e.type === "complete", { timeoutMs: 5_000 });
      const steps = (await api(b, "GET", `/api/agents/${id}/react-steps`)).body.steps as ReActStep[];
      assert.deepEqual(steps.map((s) => [s.role, s.stepId]), [["user", 0], ["agent", 1], ["agent", 2]]);
      assert.deepEqual(steps[1]!.toolResults?.map((r) => r.isError ?? false), [false], "the tool step saved before the kill");
      assert.equal(steps[2]!.id, (ended.step as ReActStep).id);
      assert.equal(steps[2]!.parentId, steps[1]!.id);
      assert.equal((await api(b, "GET", `/api/agents/${id}`)).body.state, "AVAILABLE");

      const from = watcher.events.length;
      watcher.send({ type: "message", content: "again" });
      await watcher.waitFor((e) => e.type === "complete", { from, timeoutMs: 10_000 });
      await watcher.close();
      await runner.closedWithin();
    } finally {
      await doomed.stop();
    }
  });
});

describe("the database restarted under traffic", { skip: canRunCluster() ? false : "no initdb/pg_ctl on this machine" }, () => {
  test("prompt 503s during the outage, then every replica serves again by itself (events included); none exits", async () => {
    const cluster = await startCluster();
    const own: ServiceProcess[] = [];
    try {
      const env = replicaEnv(cluster.url);
      for (const runtime of ["node", "deno"] as const) own.push(await startServiceProcess(runtime, env));
      const [a, b] = own as [ServiceProcess, ServiceProcess];
      const id = await createAgent(a);
      const watcher = await socketOn(b, id);
      await watcher.waitFor((e) => e.type === "init");

      await cluster.stop();
      for (const replica of own) {
        const started = Date.now();
        const listed = await api(replica, "GET", "/api/agents");
        assert.deepEqual([listed.status, listed.body.code], [503, "store_unavailable"], replica.runtime);
        assert.ok(Date.now() - started < 5_000, `${replica.runtime}: a prompt answer, not a hang`);
        const ready = await fetch(`${replica.url}/api/readyz`);
        assert.equal(ready.status, 503);
        await ready.body?.cancel();
        const health = await fetch(`${replica.url}/api/healthcheck`);
        assert.equal(health.status, 200, "alive all the same");
        await health.body?.cancel();
      }

      await cluster.start();
      for (const replica of own) {
        const deadline = Date.now() + 20_000;
        while ((await api(replica, "GET", "/api/agents")).status !== 200) {
          assert.ok(Date.now() < deadline, `${replica.runtime} did not serve again`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }

      // The socket on B, open through the outage, hears a run on A: B listens again.
      const runner = await socketOn(a, id);
      await runner.waitFor((e) => e.type === "init");
      const from = watcher.events.length;
      const deadline = Date.now() + 20_000;
      let heard = false;
      while (!heard) {
        runner.send({ type: "message", content: "after the restart" });
        heard = await watcher.waitFor((e) => e.type === "complete", { from, timeoutMs: 3_000 }).then(() => true, () => false);
        assert.ok(heard || Date.now() < deadline, "the socket on B never heard the run on A");
      }
      for (const replica of own) assert.equal(replica.child.exitCode, null, `${replica.runtime} kept running`);
      await runner.close();
      await watcher.close();
    } finally {
      await Promise.all(own.map((replica) => replica.stop()));
      await cluster.destroy();
    }
  });
});
