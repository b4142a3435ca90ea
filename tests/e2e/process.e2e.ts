/**
 * The real process on Node, Deno and Bun, as each runtime starts it: its start
 * banner and a bad configuration; REST and the gateway check; a socket
 * conversation streamed to two tabs; the socket closed with 4401 when its
 * token expires; hostile input (oversized and flooding frames, bad bodies,
 * broken requests) refused while the process keeps serving; and SIGTERM
 * mid-conversation (turns finish or are stopped after the grace period,
 * sockets close with 1001, the store is flushed, exit 0, nothing lost).
 *
 *   npm run test:e2e
 *   node --experimental-websocket --import tsx --test --test-name-pattern "on bun" tests/e2e/process.e2e.ts
 *
 * The runner is Node (the children run on both runtimes): Deno's
 * node:child_process reports a child that exits 0 after handling SIGTERM as
 * (null, "SIGTERM"), which would hide the exit code this test checks.
 */
import { describe, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { ReActStep } from "../../src/agents/types.ts";
import { commandFor, freePort, type Runtime, RUNTIMES } from "../../scripts/bench/lib.ts";
import { startScriptedLLM } from "../fixtures/scripted-llm.ts";
import { checkContractOf, forgetContractOrigin } from "../helpers/contract.ts";
import { rawRequest, statusOf } from "../helpers/raw-http.ts";
import { bearer, mintToken, TEST_SECRET } from "../helpers/tokens.ts";
import { openSocket } from "../helpers/socket.ts";

const MASTER_KEY = "sk-process-test-master-key-55aa";

/** Everything a child writes to stdout and stderr, so far. */
function collect(child: ChildProcess): () => string {
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  return () => output;
}

/** Waits (at most 30 s) for a line of the child's output matching `pattern`. */
async function waitForLine(child: ChildProcess, output: () => string, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const line = output().split("\n").find((l) => pattern.test(l));
    if (line) return line;
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no line matching ${pattern}:\n${output()}`);
}

interface ServiceProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

async function startProcess(runtime: Runtime, env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const [command, args] = commandFor(runtime, "src/main.ts");
  const child = spawn(command, args, {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", AUTH_JWT_SECRET: TEST_SECRET, LITELLM_MASTER_KEY: MASTER_KEY, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the service exited: ${output}`);
    try {
      const response = await fetch(`${url}/api/healthcheck`);
      await response.body?.cancel();
      if (response.ok) break;
    } catch {
      // starting
    }
    if (i > 400) throw new Error(`the service did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Every answer the test receives is checked against the OpenAPI document (helpers/contract.ts).
  checkContractOf(url, env.API_PREFIX ?? "/api");
  void exited.then(() => forgetContractOrigin(url));
  return { url, child, output: () => output, exited };
}

const token = mintToken({ userId: 9, sub: "dora" });

/** Creates an agent, opens its socket, sends `content`, and resolves once the answer has started streaming. */
async function streamingTurn(service: ServiceProcess, content: string) {
  const created = await fetch(`${service.url}/api/agents`, {
    method: "POST",
    headers: { ...bearer(token), "content-type": "application/json" },
    body: JSON.stringify({ modelType: "scripted-model" }),
  });
  const { id } = await created.json() as { id: string };
  const socket = await openSocket(`${service.url.replace("http", "ws")}/api/agents/${id}/react?access-token=${token}`);
  socket.send({ type: "message", content });
  await socket.waitFor((e) => e.type === "delta");
  return { id, socket };
}

/** Starts a process with a fresh state directory and a scripted model, runs `body`, then stops both and checks the exit code. */
async function withProcess(runtime: Runtime, env: Record<string, string>, body: (service: ServiceProcess, llm: Awaited<ReturnType<typeof startScriptedLLM>>) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), `process-${runtime}-`));
  const llm = await startScriptedLLM({ models: ["scripted-model"] });
  try {
    const service = await startProcess(runtime, { AGENT_STATE_DIR: dir, LITELLM_BASE_URL: llm.url, ...env });
    try {
      await body(service, llm);
    } finally {
      service.child.kill("SIGTERM");
      assert.equal(await service.exited, 0, service.output());
    }
  } finally {
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function createAgent(service: ServiceProcess, as = token): Promise<string> {
  const created = await fetch(`${service.url}/api/agents`, {
    method: "POST",
    headers: { ...bearer(as), "content-type": "application/json" },
    body: JSON.stringify({ modelType: "scripted-model", name: "e2e" }),
  });
  assert.ok(created.ok, `creating an agent answered ${created.status}`);
  return (await created.json() as { id: string }).id;
}

const socketUrl = (service: ServiceProcess, id: string, as = token) => `${service.url.replace("http", "ws")}/api/agents/${id}/react?access-token=${as}`;

for (const runtime of RUNTIMES) {
  describe(`the service process on ${runtime}`, () => {
    test("prints one banner line with the settings in force, never a secret", async () => {
      const dir = await mkdtemp(join(tmpdir(), "process-banner-"));
      const llm = await startScriptedLLM();
      const service = await startProcess(runtime, { AGENT_STATE_DIR: dir, LITELLM_BASE_URL: llm.url });
      try {
        const banner = service.output().split("\n").find((line) => line.startsWith("agent-service ("));
        assert.ok(banner, service.output());
        assert.match(banner, new RegExp(`^agent-service \\(${runtime} `));
        assert.match(banner, /master key: set/);
        assert.match(banner, /JWT secret: env AUTH_JWT_SECRET/);
        assert.ok(!service.output().includes(MASTER_KEY) && !service.output().includes(TEST_SECRET), "no secret in the output");
      } finally {
        service.child.kill("SIGTERM");
        assert.equal(await service.exited, 0);
        await llm.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    test("PORT=0: the banner and the healthcheck line name the port the service got, and it answers there", async () => {
      const dir = await mkdtemp(join(tmpdir(), "process-port0-"));
      const [command, args] = commandFor(runtime, "src/main.ts");
      const child = spawn(command, args, {
        env: { ...process.env, PORT: "0", HOST: "127.0.0.1", AUTH_JWT_SECRET: TEST_SECRET, AGENT_STATE_DIR: dir, LITELLM_MASTER_KEY: MASTER_KEY },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      const output = collect(child);
      try {
        const banner = await waitForLine(child, output, /^agent-service \(/);
        const listening = /listening on 127\.0\.0\.1:(\d+),/.exec(banner)?.[1];
        const healthcheck = /healthcheck: (http:\/\/127\.0\.0\.1:(\d+)\/api\/healthcheck)$/.exec(banner);
        assert.ok(listening && healthcheck, banner);
        assert.notEqual(listening, "0");
        assert.equal(healthcheck[2], listening, "the banner and the healthcheck URL agree");
        const response = await fetch(healthcheck[1]!);
        assert.equal(response.status, 200);
        await response.body?.cancel();
        // Development (AGENT_ENV unset): the bare address sends a browser to the playground.
        const root = await fetch(`http://127.0.0.1:${listening}/`, { redirect: "manual" });
        assert.equal(root.status, 302);
        assert.equal(root.headers.get("location"), "/api/playground/");
        await root.body?.cancel();
      } finally {
        child.kill("SIGTERM");
        assert.equal(await exited, 0);
        await rm(dir, { recursive: true, force: true });
      }
    });

    test("a taken port: exit 1 with one sentence naming the port and how to pick another, no stack trace", async () => {
      const dir = await mkdtemp(join(tmpdir(), "process-taken-"));
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
      const port = (taken.address() as AddressInfo).port;
      try {
        const [command, args] = commandFor(runtime, "src/main.ts");
        const child = spawn(command, args, {
          env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", AUTH_JWT_SECRET: TEST_SECRET, AGENT_STATE_DIR: dir, LITELLM_MASTER_KEY: MASTER_KEY },
          stdio: ["ignore", "pipe", "pipe"],
        });
        const output = collect(child);
        const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
        assert.equal(code, 1, output());
        assert.match(output(), new RegExp(`^agent-service: cannot listen: port ${port} is already in use on 127\\.0\\.0\\.1 .*PORT=${port + 1}`, "m"));
        assert.doesNotMatch(output(), /\n\s+at |EADDRINUSE/, "no stack trace, no errno");
      } finally {
        await new Promise((resolve) => taken.close(resolve));
        await rm(dir, { recursive: true, force: true });
      }
    });

    test("a bad operator catalog or a bad setting stops the start with one clear message", async () => {
      const dir = await mkdtemp(join(tmpdir(), "process-badcat-"));
      try {
        const { writeFile } = await import("node:fs/promises");
        await writeFile(join(dir, "catalog.json"), '{"operators": [{"type": "Filter"}]}');
        for (const [env, message] of [
          [{ OPERATOR_CATALOG_PATH: join(dir, "catalog.json") }, /^agent-service: .*catalog/m],
          [{ OPERATOR_CATALOG_PATH: join(dir, "missing.json") }, /^agent-service: .*missing\.json/m],
          [{ PORT: "seventy" }, /^agent-service: configuration error: PORT must be an integer/m],
        ] as const) {
          const [command, args] = commandFor(runtime, "src/main.ts");
          const child = spawn(command, args, { env: { ...process.env, AUTH_JWT_SECRET: TEST_SECRET, AGENT_STATE_DIR: dir, PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
          let output = "";
          child.stdout?.on("data", (chunk) => (output += chunk));
          child.stderr?.on("data", (chunk) => (output += chunk));
          const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
          assert.equal(code, 1, output);
          assert.match(output, message);
          assert.doesNotMatch(output, /\n\s+at /, "no stack trace");
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    test("REST and the gateway check answer as documented", async () => {
      await withProcess(runtime, {}, async (service) => {
        const health = await fetch(`${service.url}/api/healthcheck`);
        assert.equal(health.status, 200);
        assert.equal((await health.json() as { status: string }).status, "ok");

        const anonymous = await fetch(`${service.url}/api/agents`);
        assert.equal(anonymous.status, 401);
        assert.equal(anonymous.headers.get("www-authenticate"), "Bearer", "RFC 6750 §3.1: no error without credentials");
        assert.deepEqual(await anonymous.json(), { error: "Unauthorized", code: "unauthorized" });

        const id = await createAgent(service);
        const list = await (await fetch(`${service.url}/api/agents`, { headers: bearer(token) })).json() as { agents: { id: string }[] };
        assert.deepEqual(list.agents.map((a) => a.id), [id]);
        const other = mintToken({ userId: 10, sub: "eve" });
        const hidden = await fetch(`${service.url}/api/agents/${id}`, { headers: bearer(other) });
        assert.equal(hidden.status, 404, "another user's agent is a 404");
        await hidden.body?.cancel();

        // Envoy's form (any method, original path appended) and nginx's (X-Original-URI with the socket's token).
        const check = await fetch(`${service.url}/api/auth/api/agents/${id}/settings`, { method: "PATCH", headers: bearer(token) });
        assert.equal(check.status, 200);
        assert.equal(check.headers.get("x-user-id"), "9");
        assert.equal(check.headers.get("x-user-name"), "dora");
        assert.equal(check.headers.get("cache-control"), "no-store");
        assert.equal(await check.text(), "");
        const nginx = await fetch(`${service.url}/api/auth`, { headers: { "x-original-uri": `/api/agents/${id}/react?access-token=${token}` } });
        assert.equal(nginx.status, 200);
        assert.equal(nginx.headers.get("x-user-role"), "REGULAR");
        await nginx.body?.cancel();
        for (const [headers, status] of [[{}, 401], [bearer("garbage"), 401], [bearer(mintToken({ role: "INACTIVE" })), 403]] as const) {
          const denied = await fetch(`${service.url}/api/auth/api/agents`, { headers });
          assert.equal(denied.status, status, JSON.stringify(headers));
          assert.equal(denied.headers.get("x-user-id"), null);
          await denied.body?.cancel();
        }
      });
    });

    test("a socket conversation streams to every tab: deltas, the step, complete; the steps are stored", async () => {
      await withProcess(runtime, {}, async (service, llm) => {
        const id = await createAgent(service);
        const first = await openSocket(socketUrl(service, id));
        const second = await openSocket(socketUrl(service, id));
        try {
          await first.waitFor((e) => e.type === "init");
          await second.waitFor((e) => e.type === "init");
          const answer = "streamed in small pieces, one after another";
          llm.enqueue({ kind: "text", text: answer, chunkSize: 3, delayMs: 2 });
          first.send({ type: "message", content: "stream please" });
          for (const socket of [first, second]) {
            await socket.waitFor((e) => e.type === "complete", { timeoutMs: 10_000 });
            const text = socket.events.filter((e) => e.type === "delta").map((e) => e.text).join("");
            assert.equal(text, answer, "the deltas add up to the answer");
            const steps = socket.events.filter((e) => e.type === "step").map((e) => (e.step as ReActStep).content);
            assert.deepEqual(steps, ["stream please", answer]);
          }
          first.sendUnchecked({ type: "message", content: "" });
          await first.waitFor((e) => e.type === "error" && e.error === "Message content is required");
          const stored = await (await fetch(`${service.url}/api/agents/${id}/react-steps`, { headers: bearer(token) })).json() as { steps: ReActStep[] };
          assert.deepEqual(stored.steps.map((s) => s.content), ["stream please", answer]);
        } finally {
          await first.close();
          await second.close();
        }
      });
    });

    test("a socket closes with 4401 when its token expires", async () => {
      await withProcess(runtime, {}, async (service) => {
        const id = await createAgent(service);
        // exp 28 s ago with the 30 s leeway: valid now, expired within ~3 s.
        const shortLived = mintToken({ userId: 9, sub: "dora", expiresIn: -28 });
        const socket = await openSocket(socketUrl(service, id, shortLived));
        await socket.waitFor((e) => e.type === "init");
        const closed = await Promise.race([socket.closed, new Promise<"open">((resolve) => setTimeout(() => resolve("open"), 10_000))]);
        assert.deepEqual(closed, { code: 4401, reason: "token expired" });
        const refused = await fetch(`${service.url}/api/agents`, { headers: bearer(shortLived) });
        assert.equal(refused.status, 401, "the same token is refused on REST too");
        await refused.body?.cancel();
      });
    });

    test("hostile input is refused and the process keeps serving", async () => {
      await withProcess(runtime, { MAX_BODY_BYTES: "4096" }, async (service) => {
        const id = await createAgent(service);
        const port = Number(new URL(service.url).port);

        const oversized = await openSocket(socketUrl(service, id));
        await oversized.waitFor((e) => e.type === "init");
        oversized.sendRaw(JSON.stringify({ type: "message", content: "x".repeat(10_000) }));
        assert.equal((await oversized.closedWithin()).code, 1009, "a frame over MAX_BODY_BYTES closes with 1009");

        const bad = await openSocket(socketUrl(service, id));
        bad.sendRaw("{not json");
        await bad.waitFor((e) => e.type === "error" && e.error === "Invalid message format");
        bad.sendUnchecked({ type: "dance" });
        await bad.waitFor((e) => e.type === "error" && String(e.error).startsWith("Unknown message type"));
        // A flood: most of the frame budget's burst (100) at once, then frames
        // at 5x its refill rate (20/s), one at a time, until the server closes.
        // Paced so that almost nothing is in flight when it does: Deno resets
        // a connection that still has unread frames after its close frame,
        // and the client would then see 1006 instead of the 1008 sent.
        let flooded = false;
        void bad.closed.then(() => (flooded = true));
        for (let i = 0; i < 90; i++) bad.sendRaw("{garbage");
        for (let tick = 0; tick < 500 && !flooded; tick++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          if (!flooded) bad.sendRaw("{garbage");
        }
        assert.deepEqual(await bad.closedWithin(), { code: 1008, reason: "too many messages" });

        const big = await fetch(`${service.url}/api/agents`, {
          method: "POST",
          headers: { ...bearer(token), "content-type": "application/json" },
          body: JSON.stringify({ modelType: "scripted-model", name: "y".repeat(10_000) }),
        });
        assert.equal(big.status, 413);
        assert.match((await big.json() as { error: string }).error, /larger than 4096 bytes/);
        const broken = await fetch(`${service.url}/api/agents`, { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: "{nope" });
        assert.equal(broken.status, 400);
        assert.deepEqual(await broken.json(), { error: "Request body is not valid JSON", code: "invalid_json" });
        assert.equal(statusOf(await rawRequest(port, "NOT AN HTTP REQUEST\r\n\r\n")), 400);
        const hugeHeader = statusOf(await rawRequest(port, `GET /api/healthcheck HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100_000)}\r\n\r\n`));
        assert.ok(hugeHeader === 431 || hugeHeader === 400, `huge header refused, got ${hugeHeader}`);

        // Still serving: a whole conversation on a fresh socket.
        const after = await openSocket(socketUrl(service, id));
        try {
          after.send({ type: "message", content: "still there?" });
          await after.waitFor((e) => e.type === "complete", { timeoutMs: 10_000 });
          const last = after.events.filter((e) => e.type === "step").at(-1)!.step as ReActStep;
          assert.equal(last.content, "echo: still there?");
        } finally {
          await after.close();
        }
        assert.doesNotMatch(service.output(), /\n\s+at /, "no stack trace in the output");
      });
    });

    test("SIGTERM mid-conversation: the turn finishes, sockets close with 1001, exit 0, and the answer survives a restart", async () => {
      const dir = await mkdtemp(join(tmpdir(), "process-sigterm-"));
      const llm = await startScriptedLLM({ models: ["scripted-model"] });
      try {
        const env = { AGENT_STATE_DIR: dir, LITELLM_BASE_URL: llm.url, SHUTDOWN_GRACE_SECONDS: "20" };
        const first = await startProcess(runtime, env);
        const answer = "a".repeat(150);
        llm.enqueue({ kind: "text", text: answer, chunkSize: 1, delayMs: 10 });
        const { id, socket } = await streamingTurn(first, "take your time");
        first.child.kill("SIGTERM");
        // While the turn drains, no new request is served: the listener is
        // closed (Node, Bun) or the answer is 503 (Deno keeps listening).
        await new Promise((resolve) => setTimeout(resolve, 200));
        const late = await fetch(`${first.url}/api/healthcheck`).then((r) => r.body?.cancel().then(() => r.status), () => "refused");
        assert.ok(late === "refused" || late === 503, `a request during the drain got ${late}`);
        await socket.waitFor((e) => e.type === "complete", { timeoutMs: 15_000 });
        assert.equal((await socket.closedWithin()).code, 1001);
        assert.equal(await first.exited, 0);
        const streamed = socket.events.filter((e) => e.type === "delta").map((e) => e.text).join("");
        assert.equal(streamed, answer, "the running turn finished");

        const second = await startProcess(runtime, env);
        try {
          const steps = await (await fetch(`${second.url}/api/agents/${id}/react-steps`, { headers: bearer(token) })).json() as { steps: ReActStep[] };
          assert.deepEqual(steps.steps.map((s) => s.content), ["take your time", answer]);
        } finally {
          second.child.kill("SIGTERM");
          assert.equal(await second.exited, 0);
        }
      } finally {
        await llm.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    test("SIGTERM with a turn longer than the grace period: it is stopped, and the stopped step is kept", async () => {
      const dir = await mkdtemp(join(tmpdir(), "process-grace-"));
      const llm = await startScriptedLLM({ models: ["scripted-model"] });
      try {
        const env = { AGENT_STATE_DIR: dir, LITELLM_BASE_URL: llm.url, SHUTDOWN_GRACE_SECONDS: "1" };
        const first = await startProcess(runtime, env);
        llm.enqueue({ kind: "text", text: "b".repeat(3000), chunkSize: 1, delayMs: 10 });
        const { id } = await streamingTurn(first, "a very long answer");
        first.child.kill("SIGTERM");
        assert.equal(await first.exited, 0);
        const second = await startProcess(runtime, env);
        try {
          const steps = await (await fetch(`${second.url}/api/agents/${id}/react-steps`, { headers: bearer(token) })).json() as { steps: ReActStep[] };
          assert.deepEqual(steps.steps.map((s) => [s.role, s.content]), [["user", "a very long answer"], ["agent", "Generation stopped by user."]]);
          assert.equal(steps.steps[1]!.stopped, true);
        } finally {
          second.child.kill("SIGTERM");
          await second.exited;
        }
      } finally {
        await llm.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
