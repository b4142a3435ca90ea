/**
 * The ReAct loop's start (runTurn with a RunContext of its own, the real
 * LiteLLM client, the scripted upstream): the first model request goes out
 * before the run's `begin` (the registry's state publish and truncate), the
 * run's events still go out in order (user step, then deltas), and a `begin`
 * that fails aborts the request and ends the run with an error step.
 */
import { after, before, describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { LoadedAgent } from "../src/agents/agent.ts";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";
import { type RunContext, runTurn } from "../src/agents/react-loop.ts";
import { defaultSettings } from "../src/agents/settings.ts";
import type { ReActStep } from "../src/agents/types.ts";
import { type ChatRequest, LiteLLMClient } from "../src/litellm.ts";
import { silentLogger } from "../src/log.ts";
import { type ScriptedLLM, startScriptedLLM } from "./fixtures/scripted-llm.ts";

const MASTER_KEY = "sk-test-master-key-7a1c9e";

let upstream: ScriptedLLM;
let client: LiteLLMClient;
before(async () => {
  upstream = await startScriptedLLM({ models: ["scripted-model"] });
  client = new LiteLLMClient({ baseUrl: upstream.url, masterKey: MASTER_KEY, logger: silentLogger, requestTimeoutMs: 10_000, firstTokenTimeoutMs: 10_000 });
});
after(() => upstream.close());

/** Resolves when `check` holds, polling; rejects after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits for `promise`, failing after `timeoutMs`. */
function within<T>(promise: Promise<T>, what: string, timeoutMs = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const chatRequests = () => upstream.requests.filter((r) => r.path === "/v1/chat/completions").length;

type Logged = { type: "begun" } | { type: "step"; step: ReActStep } | { type: "delta"; text: string };

/** A run's context over a fresh agent, logging what it sends, in order. */
function context(begin: () => Promise<void>, llm: RunContext["llm"] = client) {
  const log: Logged[] = [];
  const controller = new AbortController();
  const agent = new LoadedAgent(
    { id: crypto.randomUUID(), ownerUid: 1, ownerName: "alice", name: "Tester", modelType: "scripted-model", createdAt: new Date(0).toISOString(), settings: defaultSettings() },
    [],
    () => basicToolkit(),
  );
  const ctx: RunContext = {
    agent,
    messageId: "msg-1",
    uid: 1,
    signal: controller.signal,
    llm,
    logger: silentLogger,
    now: Date.now,
    emit: (event) => {
      if (event.type === "delta") log.push({ type: "delta", text: event.text });
    },
    record: (step) => log.push({ type: "step", step }),
    begin: async () => {
      await begin();
      log.push({ type: "begun" });
    },
  };
  return { ctx, log, controller };
}

describe("the start of a run", () => {
  test("the model request goes out before begin; the user step and then the deltas follow it, in order", async () => {
    upstream.enqueue({ kind: "text", text: "Hello there, user.", chunkSize: 3 });
    const before = chatRequests();
    // The client's first event has reached the loop before `begin` ends: the deltas must wait for it.
    let firstEvent!: () => void;
    const arrived = new Promise<void>((resolve) => (firstEvent = resolve));
    const llm: RunContext["llm"] = {
      async *chat(request: ChatRequest) {
        for await (const event of client.chat(request)) {
          firstEvent();
          yield event;
        }
      },
    };
    const { ctx, log } = context(async () => {
      await until(() => chatRequests() > before, "the chat request to reach the upstream");
      await within(arrived, "the first model event");
    }, llm);

    assert.equal(await runTurn(ctx, "Hi"), "completed");
    const types = log.map((entry) => entry.type);
    assert.deepEqual(types.filter((t) => t !== "delta"), ["begun", "step", "step"]);
    assert.ok(types.indexOf("delta") > types.indexOf("step"), "no delta before the user step");
    assert.ok(types.lastIndexOf("delta") < types.lastIndexOf("step"), "every delta before the agent step");
    const steps = log.flatMap((entry) => (entry.type === "step" ? [entry.step] : []));
    assert.equal(steps[0]!.role, "user");
    assert.equal(steps[0]!.content, "Hi");
    assert.equal(steps[1]!.parentId, steps[0]!.id);
    assert.equal(steps[1]!.content, "Hello there, user.");
    assert.equal(log.flatMap((entry) => (entry.type === "delta" ? [entry.text] : [])).join(""), "Hello there, user.");
    // The request carried the user's message although its step was sent after.
    const messages = upstream.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!.body!.messages as { role: string; content: string }[];
    assert.deepEqual(messages.map((m) => [m.role, m.content]).slice(1), [["user", "Hi"]]);
  });

  for (const reply of [{ kind: "hang" }, { kind: "silent-stream" }] as const) {
    test(`a begin that fails aborts the model request (${reply.kind}) and ends the run with an error step`, async () => {
      upstream.enqueue(reply);
      const before = chatRequests();
      const aborts = upstream.clientAborts;
      const { ctx, log, controller } = context(async () => {
        await until(() => chatRequests() > before, "the chat request to reach the upstream");
        throw new Error("the store is down");
      });

      assert.equal(await within(runTurn(ctx, "Hi"), "the run to end"), "error");
      await until(() => upstream.clientAborts > aborts, "the upstream request to be closed by the client");
      assert.equal(controller.signal.aborted, false, "the run itself was not stopped: it failed");
      assert.deepEqual(log.map((entry) => entry.type), ["step", "step"], "no begun marker, no delta");
      const [userStep, errorStep] = log.map((entry) => (entry as { step: ReActStep }).step);
      assert.equal(userStep!.role, "user");
      assert.equal(errorStep!.parentId, userStep!.id);
      assert.equal(errorStep!.errorCode, "internal_error");
      assert.equal(errorStep!.isEnd, true);
      assert.doesNotMatch(errorStep!.content, /store is down/, "the internal message is not shown");
    });
  }

  test("a failure before the first model call still sends the user step before the error step", async () => {
    const before = chatRequests();
    const { ctx, log } = context(async () => {});
    ctx.agent.toolkit.context = () => {
      throw new Error("the toolkit broke");
    };
    assert.equal(await runTurn(ctx, "Hi"), "error");
    assert.equal(chatRequests(), before, "no model request");
    assert.deepEqual(log.map((entry) => (entry.type === "step" ? entry.step.role : entry.type)), ["begun", "user", "agent"]);
  });
});
