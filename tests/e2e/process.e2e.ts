/**
 * The real process (`src/main.ts`) on Node and on Deno: its start banner, and
 * SIGTERM mid-conversation (turns finish or are stopped after the grace
 * period, sockets close with 1001, the store is flushed, exit 0, nothing lost).
 *
 *   npm run test:e2e
 *
 * The runner is Node (the children run on both runtimes): Deno's
 * node:child_process reports a child that exits 0 after handling SIGTERM as
 * (null, "SIGTERM"), which would hide the exit code this test checks.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { ReActStep } from "../../src/agents/types.ts";
import { commandFor, freePort, type Runtime } from "../../scripts/bench/lib.ts";
import { startScriptedLLM } from "../fixtures/scripted-llm.ts";
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

for (const runtime of ["node", "deno"] as const) {
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
        await socket.waitFor((e) => e.type === "complete", { timeoutMs: 15_000 });
        assert.equal((await socket.closed).code, 1001);
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
