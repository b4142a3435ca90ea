/**
 * Nothing one fault can take down: whatever a toolkit, a tool, the store or
 * a listener throws, the run ends with a step that says so, the agent is
 * usable again, and the process serves on (no unhandled rejection); a stop
 * ends a run within a second even when a tool ignores its abort signal; a
 * gateway check that fails inside denies and says so in the log, on every
 * runtime's path.
 */
import { after, before, describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import process from "node:process";
import type { AgentToolkit } from "../src/agents/agent.ts";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";
import type { Tool } from "../src/agents/tool.ts";
import type { ReActStep } from "../src/agents/types.ts";
import { TokenVerifier } from "../src/auth.ts";
import { MemoryAgentStore } from "../src/store/memory-store.ts";
import { bearer, mintToken, TEST_SECRET } from "./helpers/tokens.ts";
import { type TestService, withService } from "./helpers/service.ts";
import { withServer } from "./helpers/server.ts";
import { openSocket, type TestSocket } from "./helpers/socket.ts";
import { addTool } from "./helpers/tools.ts";

const alice = mintToken({ userId: 1, sub: "alice" });

// Any unhandled rejection while these tests run fails them.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
before(() => void process.on("unhandledRejection", onUnhandled));
after(() => {
  process.off("unhandledRejection", onUnhandled);
  assert.deepEqual(unhandled, [], "no unhandled rejection");
});

async function api(service: TestService, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = bearer(alice);
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${service.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function agentAndSocket(service: TestService): Promise<{ id: string; socket: TestSocket }> {
  const created = await api(service, "POST", "/api/agents", { modelType: "scripted-model" });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const socket = await openSocket(`${service.wsUrl}/api/agents/${created.body.id}/react?access-token=${alice}`);
  await socket.waitFor((e) => e.type === "init");
  return { id: created.body.id, socket };
}

async function converse(socket: TestSocket, content: string) {
  const from = socket.events.length;
  socket.send({ type: "message", content });
  await socket.waitFor((e) => e.type === "complete" || (e.type === "error" && e.code !== undefined), { from, timeoutMs: 10_000 });
  return socket.events.slice(from);
}

/** A basic toolkit (with the add tool) whose `hook` throws, after `after` successful calls of it. */
function throwing(hook: "tools" | "systemPrompt" | "context" | "snapshot", after = 0): () => AgentToolkit {
  return () => {
    let calls = 0;
    const base = basicToolkit([addTool]);
    const boom = () => {
      if (calls++ >= after) throw new Error(`the toolkit's ${hook} broke`);
    };
    return {
      tools: () => (hook === "tools" ? (boom(), base.tools()) : base.tools()),
      systemPrompt: (settings) => (hook === "systemPrompt" ? (boom(), base.systemPrompt(settings)) : base.systemPrompt(settings)),
      context: () => (hook === "context" ? (boom(), undefined) : undefined),
      snapshot: () => (hook === "snapshot" ? (boom(), { ok: true }) : { ok: true }),
      restore: () => {},
    };
  };
}

describe("a run always ends", () => {
  for (const hook of ["tools", "systemPrompt", "context", "snapshot"] as const) {
    test(`a toolkit whose ${hook}() throws: the run ends with an error step, the agent is AVAILABLE, the service serves on`, async () => {
      // snapshot: fine for the user step, then broken (the tool step's "before").
      await withService({ toolkits: throwing(hook, hook === "snapshot" ? 1 : 0) }, async (service) => {
        const { id, socket } = await agentAndSocket(service);
        service.upstream.enqueue({ kind: "tool_calls", calls: [{ id: "c1", name: "add", arguments: '{"a":1,"b":2}' }] });
        const events = await converse(socket, "please");
        const last = events.filter((e) => e.type === "step").at(-1)?.step as ReActStep;
        assert.equal(last.errorCode, "internal_error");
        assert.equal(last.isEnd, true);
        assert.equal(events.at(-1)?.type, "complete");
        assert.equal((await api(service, "GET", `/api/agents/${id}`)).body.state, "AVAILABLE");
        assert.ok(service.logs.some((line) => line.includes(`the toolkit's ${hook} broke`)), "the cause is in the log");
        assert.ok(!JSON.stringify(events).includes("broke"), "and not sent to the user");
        assert.equal((await api(service, "GET", "/api/agents")).status, 200);
        await socket.close();
      });
    });
  }

  test("a toolkit whose restore() throws: the message is refused with internal_error, the agent is not left busy", async () => {
    // The first run has no HEAD to restore; the second loads the agent at HEAD and restore throws.
    const toolkits = () => ({
      ...basicToolkit(),
      snapshot: () => ({ n: 1 }),
      restore: () => {
        throw new Error("restore broke");
      },
    });
    await withService({ toolkits }, async (service) => {
      const { id, socket } = await agentAndSocket(service);
      await converse(socket, "first");
      const events = await converse(socket, "second");
      assert.deepEqual(events.filter((e) => e.type === "error").map((e) => e.code), ["internal_error"]);
      assert.equal((await api(service, "GET", `/api/agents/${id}/react-steps`)).body.state, "AVAILABLE");
      await socket.close();
    });
  });

  test("a store that fails mid-run: the run ends, the agent is AVAILABLE, and the next run works", async () => {
    const store = new MemoryAgentStore();
    let failNext = false;
    const append = store.appendStep.bind(store);
    store.appendStep = (...args) => {
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error("disk on fire"));
      }
      return append(...args);
    };
    await withService({ store, toolkits: () => basicToolkit([addTool]) }, async (service) => {
      const { id, socket } = await agentAndSocket(service);
      service.upstream.enqueue({ kind: "tool_calls", calls: [{ id: "c1", name: "add", arguments: '{"a":1,"b":2}' }] }, { kind: "text", text: "three", chunkSize: 1, delayMs: 20 });
      failNext = true;
      const events = await converse(socket, "count");
      assert.equal(events.at(-1)?.type, "complete");
      assert.equal((await api(service, "GET", `/api/agents/${id}`)).body.state, "AVAILABLE");
      assert.equal((await converse(socket, "again")).at(-1)?.type, "complete");
      assert.ok(service.logs.some((line) => line.includes("could not store a step")));
      await socket.close();
    });
  });

  test("a listener that throws: the others still get every event; the failure is logged with its context", async () => {
    await withService({ toolkits: () => basicToolkit() }, async (service) => {
      const { id, socket } = await agentAndSocket(service);
      const unsubscribe = service.bus.subscribe(id, () => {
        throw new Error("listener broke");
      });
      const events = await converse(socket, "hi");
      assert.deepEqual(events.filter((e) => e.type !== "delta").map((e) => e.type), ["state", "step", "step", "complete"]);
      const line = service.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "an event listener failed");
      assert.equal(line?.agentId, id);
      unsubscribe();
      await socket.close();
    });
  });
});

describe("stops that stop", () => {
  /** A tool that ignores its abort signal and answers after 30 s. */
  const stubborn: Tool = {
    name: "stubborn",
    description: "Ignores stop",
    parameters: { type: "object", properties: {} },
    run: () => new Promise((resolve) => setTimeout(() => resolve("finally"), 30_000).unref?.()),
  };

  test("stop ends the run within a second even when a tool ignores its abort signal; its late result is discarded", async () => {
    await withService({ toolkits: () => basicToolkit([stubborn]) }, async (service) => {
      const { id, socket } = await agentAndSocket(service);
      service.upstream.enqueue({ kind: "tool_calls", calls: [{ id: "s1", name: "stubborn", arguments: "{}" }] });
      const from = socket.events.length;
      socket.send({ type: "message", content: "wait forever" });
      await socket.waitFor((e) => e.type === "state" && e.state === "GENERATING", { from });
      // The tool is running once the model's call is over; give it a moment to start.
      await new Promise((resolve) => setTimeout(resolve, 200));
      socket.send({ type: "stop" });
      await socket.waitFor((e) => e.type === "complete", { from, timeoutMs: 1_000 });
      const steps = socket.events.slice(from).filter((e) => e.type === "step").map((e) => e.step as ReActStep);
      assert.match(steps.find((s) => s.toolResults)?.toolResults?.[0]?.output ?? "", /Not finished: the run was stopped/);
      assert.equal(steps.at(-1)?.stopped, true);
      assert.equal((await api(service, "GET", `/api/agents/${id}`)).body.state, "AVAILABLE");
      await socket.close();
    });
  });

  test("shutdown's grace bound holds whatever the tools do: stopAll settles every run within a second", async () => {
    await withService({ toolkits: () => basicToolkit([stubborn]) }, async (service) => {
      const { socket } = await agentAndSocket(service);
      service.upstream.enqueue({ kind: "tool_calls", calls: [{ id: "s1", name: "stubborn", arguments: "{}" }] });
      socket.send({ type: "message", content: "wait forever" });
      await socket.waitFor((e) => e.type === "state");
      await new Promise((resolve) => setTimeout(resolve, 200));
      service.registry.stopAll();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settled = await Promise.race([
        Promise.allSettled(service.registry.runningTurns()).then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 1_000))),
      ]);
      clearTimeout(timer);
      assert.equal(settled, true);
      await socket.close();
    });
  });
});

describe("a gateway check that fails inside", () => {
  test("denies with 403 and logs the failure once, with the error, on this runtime's path", async () => {
    class Broken extends TokenVerifier {
      override authenticate(): never {
        throw new Error("verifier broke");
      }
    }
    await withServer({ verifier: new Broken({ keys: TEST_SECRET }) }, async (server) => {
      const response = await fetch(`${server.url}/api/auth/api/agents`, { headers: bearer(alice) });
      assert.equal(response.status, 403);
      await response.body?.cancel();
      const failures = server.logs.filter((l) => String(l.msg).startsWith("the gateway check failed"));
      assert.equal(failures.length, 1);
      assert.match(JSON.stringify(failures[0]), /verifier broke/);
    });
  });
});
