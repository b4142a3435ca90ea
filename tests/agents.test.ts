/**
 * Agents end to end: REST and real WebSocket conversations against the
 * service on an ephemeral port, with a scripted OpenAI-compatible upstream
 * standing in for the model's answers.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";
import type { Tool } from "../src/agents/tool.ts";
import type { ReActStep } from "../src/agents/types.ts";
import { TokenVerifier } from "../src/auth.ts";
import { silentLogger } from "../src/log.ts";
import { FileAgentStore } from "../src/store/file/file-store.ts";
import { MemoryAgentStore } from "../src/store/memory-store.ts";
import { bearer, mintToken, TEST_SECRET } from "./helpers/tokens.ts";
import { startTestService, stopTestService, type TestService, withService } from "./helpers/service.ts";
import { openSocket, type SocketEvent, type TestSocket } from "./helpers/socket.ts";
import { addTool } from "./helpers/tools.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
const bob = mintToken({ userId: 2, sub: "bob" });
const admin = mintToken({ userId: 3, sub: "root", role: "ADMIN" });

/** A test tool that never finishes. */
const hangTool: Tool = {
  name: "hang",
  description: "Never answers",
  parameters: { type: "object", properties: {} },
  run: (_input, context) => new Promise((resolve) => context.signal.addEventListener("abort", () => resolve("aborted"))),
};
const toolkits = () => basicToolkit([addTool, hangTool]);

async function api(service: TestService, method: string, path: string, token: string | undefined, body?: unknown) {
  const headers: Record<string, string> = token ? bearer(token) : {};
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function createAgent(service: TestService, token = alice, extra: Record<string, unknown> = {}): Promise<string> {
  const { status, body } = await api(service, "POST", "/api/agents", token, { modelType: "scripted-model", name: "Tester", ...extra });
  assert.equal(status, 200, JSON.stringify(body));
  return body.id as string;
}

function socketFor(service: TestService, agentId: string, token = alice): Promise<TestSocket> {
  return openSocket(`${service.wsUrl}/api/agents/${agentId}/react?access-token=${token}`);
}

/** Sends a message and waits for the run's `complete`. */
async function converse(socket: TestSocket, content: string): Promise<SocketEvent[]> {
  const from = socket.events.length;
  socket.send({ type: "message", content });
  await socket.waitFor((e) => e.type === "complete", { from });
  return socket.events.slice(from);
}

const stepsOf = (events: SocketEvent[]) => events.filter((e) => e.type === "step").map((e) => e.step as ReActStep);

describe("REST: agents are owned", () => {
  test("create, get, list, patch, delete; ids are UUIDs; defaults are the reference's", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service);
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const got = await api(service, "GET", `/api/agents/${id}`, alice);
      assert.equal(got.status, 200);
      assert.equal(got.body.name, "Tester");
      assert.equal(got.body.modelType, "scripted-model");
      assert.equal(got.body.state, "AVAILABLE");
      assert.equal(got.body.stepCount, 0);
      assert.deepEqual(got.body.owner, { uid: 1, name: "alice" });
      assert.equal(got.body.settings.maxSteps, 100);
      const unnamed = await api(service, "POST", "/api/agents", alice, { modelType: "scripted-model" });
      assert.equal(unnamed.body.name, "Bob", "the reference's default name");
      assert.notEqual(unnamed.body.id, id);

      const list = await api(service, "GET", "/api/agents", alice);
      assert.deepEqual(list.body.agents.map((a: { id: string }) => a.id), [id, unnamed.body.id]);

      const patched = await api(service, "PATCH", `/api/agents/${id}`, alice, { name: "Renamed" });
      assert.equal(patched.body.name, "Renamed");
      assert.equal((await api(service, "DELETE", `/api/agents/${id}`, alice)).body.deleted, true);
      assert.deepEqual(await api(service, "GET", `/api/agents/${id}`, alice), { status: 404, body: { error: "Agent not found", code: "agent_not_found" } });
      assert.equal((await api(service, "DELETE", `/api/agents/${id}`, alice)).status, 404);
    });
  });

  test("another user's agent is 404 everywhere, exactly like a missing one; ADMIN sees and acts on all", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service, alice);
      const missing = "00000000-0000-4000-8000-000000000000";
      for (const [method, path, body] of [
        ["GET", `/api/agents/${id}`], ["DELETE", `/api/agents/${id}`], ["PATCH", `/api/agents/${id}`, { name: "x" }],
        ["GET", `/api/agents/${id}/react-steps`], ["POST", `/api/agents/${id}/stop`, {}], ["POST", `/api/agents/${id}/clear`, {}],
        ["GET", `/api/agents/${id}/settings`], ["PATCH", `/api/agents/${id}/settings`, { maxSteps: 3 }], ["GET", `/api/agents/${id}/system-info`],
        ["POST", `/api/agents/${id}/checkout`, { stepId: "x" }],
      ] as [string, string, unknown?][]) {
        const theirs = await api(service, method, path, bob, body);
        const nothing = await api(service, method, path.replace(id, missing), bob, body);
        assert.deepEqual(theirs, { status: 404, body: { error: "Agent not found", code: "agent_not_found" } }, `${method} ${path}`);
        assert.deepEqual(nothing, theirs, `${method} ${path}: same answer as a missing agent`);
      }
      assert.deepEqual((await api(service, "GET", "/api/agents", bob)).body, { agents: [], nextCursor: null });
      const socketStatus = await fetch(`${service.url}/api/agents/${id}/react?access-token=${bob}`, { headers: {} });
      assert.equal(socketStatus.status, 426);
      await socketStatus.body?.cancel();

      const adminList = await api(service, "GET", "/api/agents", admin);
      assert.deepEqual(adminList.body.agents.map((a: { owner: unknown }) => a.owner), [{ uid: 1, name: "alice" }]);
      assert.equal((await api(service, "GET", `/api/agents/${id}`, admin)).status, 200);
      const adminSocket = await socketFor(service, id, admin);
      assert.equal((await adminSocket.waitFor((e) => e.type === "init")).type, "init");
      await adminSocket.close();
      await assert.rejects(socketFor(service, id, bob), "bob's upgrade is refused");
    });
  });

  test("bad bodies are 400 naming the field, unknown models 400, oversize 413; nothing is created", async () => {
    await withService({ toolkits, maxBodyBytes: 4096 }, async (service) => {
      const cases: [unknown, RegExp][] = [
        [{}, /^modelType: /],
        [{ modelType: "" }, /^modelType: /],
        [{ modelType: 7 }, /^modelType: /],
        [{ modelType: "no-such-model" }, /^modelType: "no-such-model" is not a model LiteLLM lists \(scripted-model\)$/],
        [{ modelType: "scripted-model", name: "" }, /^name: /],
        [{ modelType: "scripted-model", settings: { maxSteps: 0 } }, /^settings\.maxSteps: /],
        [{ modelType: "scripted-model", settings: { maxSteps: "many" } }, /^settings\.maxSteps: /],
        [{ modelType: "scripted-model", settings: { bogus: 1 } }, /^settings: unknown field "bogus"/],
        [{ modelType: "scripted-model", extra: true }, /unknown field "extra"/],
        [[1, 2], /expected object/],
        ["{not json", /^Request body is not valid JSON$/],
      ];
      for (const [body, message] of cases) {
        const response = await api(service, "POST", "/api/agents", alice, body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.match(response.body.error, message, JSON.stringify(body));
      }
      const big = await api(service, "POST", "/api/agents", alice, { modelType: "scripted-model", name: "x".repeat(5000) });
      assert.equal(big.status, 413);
      assert.equal((service.store as MemoryAgentStore).size, 0, "nothing was created");

      const id = await createAgent(service);
      assert.match((await api(service, "PATCH", `/api/agents/${id}`, alice, {})).body.error, /name or modelType is required/);
      assert.equal((await api(service, "PATCH", `/api/agents/${id}`, alice, { modelType: "nope" })).status, 400);
      assert.match((await api(service, "POST", `/api/agents/${id}/checkout`, alice, {})).body.error, /^stepId: /);
      assert.equal((await api(service, "POST", `/api/agents/${id}/checkout`, alice, { stepId: "step-x" })).status, 404);
      assert.match((await api(service, "PATCH", `/api/agents/${id}/settings`, alice, { toolTimeoutSeconds: -1 })).body.error, /^toolTimeoutSeconds: /);
      const settings = await api(service, "PATCH", `/api/agents/${id}/settings`, alice, { maxSteps: 7, toolTimeoutSeconds: 30 });
      assert.equal(settings.body.maxSteps, 7);
      assert.equal((await api(service, "GET", `/api/agents/${id}/settings`, alice)).body.toolTimeoutSeconds, 30);
    });
  });

  test("system-info shows the prompt and the tools with their enabled flag", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service, alice, { settings: { disabledTools: ["hang"] } });
      const info = await api(service, "GET", `/api/agents/${id}/system-info`, alice);
      assert.match(info.body.systemPrompt, /helpful assistant/);
      assert.deepEqual(info.body.tools.map((t: { name: string; enabled: boolean }) => [t.name, t.enabled]), [["add", true], ["hang", false]]);
    });
  });
});

describe("the /react WebSocket", () => {
  test("a plain answer: init, state, user step, deltas, agent step, complete, in order and without loss", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      const init = await socket.waitFor((e) => e.type === "init");
      assert.deepEqual(init, { type: "init", state: "AVAILABLE", steps: [], headId: null, seq: 0, more: false });
      // Paced like a real model: tokens a few ms apart each go out as their own delta.
      service.upstream.enqueue({ kind: "text", text: "The answer is forty-two, as computed.", chunkSize: 3, delayMs: 5 });
      const events = await converse(socket, "What is the answer?");
      const types = events.map((e) => e.type);
      assert.deepEqual(types.filter((t) => t !== "delta"), ["state", "step", "step", "complete"]);
      assert.deepEqual(events[0], { type: "state", state: "GENERATING", seq: 1 });
      assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), "every event numbered, in order, without gaps");
      const [userStep, agentStep] = stepsOf(events);
      assert.equal(userStep!.role, "user");
      assert.equal(userStep!.content, "What is the answer?");
      const deltas = events.filter((e) => e.type === "delta");
      assert.equal(deltas.length, 13);
      assert.equal(deltas.map((d) => d.text).join(""), "The answer is forty-two, as computed.");
      assert.equal(types.indexOf("delta") > types.indexOf("step"), true, "deltas come after the user step");
      assert.equal(types.lastIndexOf("delta") < types.lastIndexOf("step"), true, "and before the agent step");
      assert.equal(agentStep!.content, "The answer is forty-two, as computed.");
      assert.equal(agentStep!.isEnd, true);
      assert.equal(agentStep!.parentId, userStep!.id);
      assert.deepEqual(agentStep!.usage, { inputTokens: 11, outputTokens: 7, totalTokens: 18, cachedInputTokens: 0 });
      assert.deepEqual(events.at(-1), {
        type: "complete",
        state: "AVAILABLE",
        // The run's totals (no prices for scripted-model: its cost is unknown).
        usage: { inputTokens: 11, outputTokens: 7, totalTokens: 18, cachedInputTokens: 0, costUsd: 0, calls: 1, callsWithoutUsage: 0, callsWithoutCost: 1 },
        seq: events.length,
      });
      // LiteLLM got the conversation, the tools and the caller's uid for spend attribution.
      const request = service.upstream.requests.find((r) => r.path === "/v1/chat/completions")!;
      assert.equal(request.body!.user, "1");
      assert.equal(request.headers["x-litellm-end-user-id"], "1");
      assert.equal(request.headers.authorization, "Bearer sk-test-master-key-7a1c9e");
      assert.deepEqual((request.body!.messages as { role: string }[]).map((m) => m.role), ["system", "user"]);
      await socket.close();
    });
  });

  test("a burst of tokens is merged into few deltas that still add up to the step's text; the first goes out at once", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      const text = Array.from({ length: 400 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
      service.upstream.enqueue({ kind: "text", text, chunkSize: 1 });
      const events = await converse(socket, "burst");
      const deltas = events.filter((e) => e.type === "delta");
      assert.equal(deltas.map((d) => d.text).join(""), text);
      // The first delta goes out at once, with whatever arrived in the same read.
      const first = String(deltas[0]!.text);
      assert.ok(first.length > 0 && text.startsWith(first), "the first token is not held back");
      assert.ok(deltas.length < 400, `400 tokens in a burst became ${deltas.length} frames`);
      assert.equal(stepsOf(events).at(-1)!.content, text);
      await socket.close();
    });
  });

  test("tool calls run and their results feed the next model call; two in sequence", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      service.upstream.enqueue(
        { kind: "tool_calls", text: "Adding.", calls: [{ id: "c1", name: "add", arguments: '{"a":2,"b":3}' }] },
        { kind: "tool_calls", calls: [{ id: "c2", name: "add", arguments: '{"a":5,"b":10}' }], style: "late-id" },
        { kind: "text", text: "2+3+10 = 15" },
      );
      const events = await converse(socket, "add 2, 3 and 10");
      const agentSteps = stepsOf(events).filter((s) => s.role === "agent");
      assert.equal(agentSteps.length, 3);
      assert.deepEqual(agentSteps[0]!.toolCalls, [{ toolName: "add", toolCallId: "c1", input: { a: 2, b: 3 } }]);
      assert.deepEqual(agentSteps[0]!.toolResults, [{ toolCallId: "c1", output: "5" }]);
      assert.equal(agentSteps[0]!.isEnd, false);
      assert.deepEqual(agentSteps[1]!.toolResults, [{ toolCallId: "c2", output: "15" }]);
      assert.equal(agentSteps[2]!.content, "2+3+10 = 15");
      assert.equal(agentSteps[2]!.isEnd, true);
      const chats = service.upstream.requests.filter((r) => r.path === "/v1/chat/completions");
      assert.equal(chats.length, 3);
      const third = chats[2]!.body!.messages as { role: string; content?: string; tool_call_id?: string }[];
      assert.deepEqual(third.map((m) => m.role), ["system", "user", "assistant", "tool", "assistant", "tool"]);
      assert.equal(third[3]!.content, "5");
      assert.equal(third[5]!.tool_call_id, "c2");
      assert.deepEqual((chats[0]!.body!.tools as { function: { name: string } }[]).map((t) => t.function.name), ["add", "hang"]);
      await socket.close();
    });
  });

  test("a failure mid-stream ends the run with an error step in plain words; the agent serves the next message", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      service.upstream.enqueue({ kind: "reset", chunks: [{ choices: [{ index: 0, delta: { content: "Half an ans" } }] }] });
      const events = await converse(socket, "hello");
      const last = stepsOf(events).at(-1)!;
      assert.equal(last.isEnd, true);
      assert.match(last.content, /^Error: The model service failed: /);
      assert.doesNotMatch(JSON.stringify(events), /sk-test-master-key|stack|at .*\.ts/);
      service.upstream.enqueue({ kind: "status", status: 429, body: { error: { message: "Rate limit reached for gpt", code: "429" } } });
      const limited = stepsOf(await converse(socket, "again")).at(-1)!;
      assert.equal(limited.error, "The model service failed: LiteLLM is rate limiting requests (HTTP 429).");
      const ok = stepsOf(await converse(socket, "and now?")).at(-1)!;
      assert.equal(ok.content, "echo: and now?");
      await socket.close();
    });
  });

  test("stop mid-stream aborts the upstream request at once and ends with a stopped step", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      service.upstream.enqueue({ kind: "text", text: "x".repeat(2000), chunkSize: 1, delayMs: 5 });
      socket.send({ type: "message", content: "write a lot" });
      await socket.waitFor((e) => e.type === "delta");
      socket.send({ type: "stop" });
      await socket.waitFor((e) => e.type === "state" && e.state === "STOPPING");
      await socket.waitFor((e) => e.type === "complete");
      const last = stepsOf(socket.events).at(-1)!;
      assert.equal(last.content, "Generation stopped by user.");
      assert.equal(last.stopped, true);
      assert.ok(socket.events.filter((e) => e.type === "delta").length < 2000, "it did not stream to the end");
      for (let i = 0; i < 50 && service.upstream.clientAborts === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(service.upstream.clientAborts, 1, "the upstream saw the request go away");
      // REST stop on an idle agent is harmless.
      assert.deepEqual((await api(service, "POST", `/api/agents/${id}/stop`, alice, {})).body, { status: "idle" });
      await socket.close();
    });
  });

  test("REST stop works too; a busy agent refuses a second message (one run at a time)", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      service.upstream.enqueue({ kind: "text", text: "y".repeat(1000), chunkSize: 1, delayMs: 5 });
      socket.send({ type: "message", content: "first" });
      await socket.waitFor((e) => e.type === "delta");
      const before = socket.events.length;
      socket.send({ type: "message", content: "second" });
      assert.deepEqual(await socket.waitFor((e) => e.type === "error", { from: before }), { type: "error", error: "Agent is busy", code: "agent_busy" });
      assert.equal((await api(service, "POST", `/api/agents/${id}/clear`, alice, {})).status, 409);
      assert.deepEqual((await api(service, "POST", `/api/agents/${id}/stop`, alice, {})).body, { status: "stopping" });
      await socket.waitFor((e) => e.type === "complete");
      assert.equal(service.upstream.requests.filter((r) => r.path === "/v1/chat/completions").length, 1, "no second run started");
      assert.deepEqual(stepsOf(socket.events).filter((s) => s.role === "user").map((s) => s.content), ["first"]);
      await socket.close();
    });
  });

  test("every socket of the agent (several tabs) gets every event", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service);
      const tabs = await Promise.all([socketFor(service, id), socketFor(service, id), socketFor(service, id)]);
      await Promise.all(tabs.map((tab) => tab.waitFor((e) => e.type === "init")));
      service.upstream.enqueue({ kind: "text", text: "shared answer", chunkSize: 2 });
      await converse(tabs[0]!, "hi all");
      await Promise.all(tabs.map((tab) => tab.waitFor((e) => e.type === "complete")));
      const seen = tabs.map((tab) => JSON.stringify(tab.events.filter((e) => e.type !== "init")));
      assert.equal(seen[1], seen[0]);
      assert.equal(seen[2], seen[0]);
      await Promise.all(tabs.map((tab) => tab.close()));
    });
  });

  test("bad frames get an error event and the socket stays open; an oversized frame closes it with 1009", async () => {
    await withService({ toolkits, maxBodyBytes: 2048 }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      await socket.waitFor((e) => e.type === "init");
      const expectations: [string, string][] = [
        ["{not json", "Invalid message format"],
        ["[1,2]", "Invalid message format"],
        ['{"type":"dance"}', "Unknown message type: dance"],
        ['{"type":"message"}', "Message content is required"],
        ['{"type":"message","content":"   "}', "Message content is required"],
        ['{"type":"message","content":42}', "Message content is required"],
      ];
      for (const [frame, error] of expectations) {
        const from = socket.events.length;
        socket.sendRaw(frame);
        assert.deepEqual(await socket.waitFor((e) => e.type === "error", { from }), { type: "error", error, code: "invalid_request" }, frame);
      }
      const events = await converse(socket, "still here?");
      assert.equal(stepsOf(events).at(-1)!.content, "echo: still here?");
      socket.sendRaw(JSON.stringify({ type: "message", content: "z".repeat(5000) }));
      assert.equal((await socket.closedWithin()).code, 1009);
    });
  });

  test("a socket does not outlive its token: it closes with 4401 when exp passes", async () => {
    const verifier = new TokenVerifier({ keys: TEST_SECRET, clockSkewSeconds: 0 });
    await withService({ toolkits, verifier }, async (service) => {
      const id = await createAgent(service);
      const shortLived = mintToken({ userId: 1, sub: "alice", expiresIn: 1 });
      const socket = await socketFor(service, id, shortLived);
      await socket.waitFor((e) => e.type === "init");
      const closed = await socket.closedWithin();
      assert.deepEqual(closed, { code: 4401, reason: "token expired" });
    });
  });

  test("maxSteps bounds the model calls; a hanging tool is cut off by toolTimeoutSeconds", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service, alice, { settings: { maxSteps: 1, toolTimeoutSeconds: 1 } });
      const socket = await socketFor(service, id);
      service.upstream.enqueue({ kind: "tool_calls", calls: [{ id: "h1", name: "hang", arguments: "{}" }, { id: "u1", name: "nope", arguments: "{}" }] });
      const steps = stepsOf(await converse(socket, "hang please")).filter((s) => s.role === "agent");
      assert.deepEqual(steps[0]!.toolResults, [
        { toolCallId: "h1", output: "[ERROR] hang did not finish within 1 s", isError: true },
        { toolCallId: "u1", output: '[ERROR] Unknown tool "nope". Available tools: add, hang', isError: true },
      ]);
      assert.equal(steps.at(-1)!.content, "Stopped after 1 model calls (the maxSteps setting).");
      assert.equal(service.upstream.requests.filter((r) => r.path === "/v1/chat/completions").length, 1);
      await socket.close();
    });
  });
});

describe("the step tree", () => {
  test("checkout moves HEAD (headChange to every socket), new messages branch from it; clear resets", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      const first = stepsOf(await converse(socket, "one"));
      await converse(socket, "two");
      const firstAnswer = first.at(-1)!;
      const checkout = await api(service, "POST", `/api/agents/${id}/checkout`, alice, { stepId: firstAnswer.id });
      assert.deepEqual(checkout.body, { status: "checked out", headId: firstAnswer.id });
      const change = await socket.waitFor((e) => e.type === "headChange");
      assert.deepEqual((change.steps as ReActStep[]).map((s) => s.content), ["one", "echo: one"]);
      const branch = stepsOf(await converse(socket, "three"));
      assert.equal(branch[0]!.parentId, firstAnswer.id, "the new message branches from HEAD");
      const steps = await api(service, "GET", `/api/agents/${id}/react-steps`, alice);
      assert.equal(steps.body.steps.length, 6, "the other branch is kept");
      assert.equal(steps.body.headId, branch.at(-1)!.id);
      // The model saw only the visible path: one, echo: one, three.
      const lastChat = service.upstream.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!;
      assert.deepEqual((lastChat.body!.messages as { content: string }[]).slice(1).map((m) => m.content), ["one", "echo: one", "three"]);

      assert.deepEqual((await api(service, "POST", `/api/agents/${id}/clear`, alice, {})).body, { status: "cleared" });
      assert.deepEqual((await api(service, "GET", `/api/agents/${id}/react-steps`, alice)).body, { steps: [], state: "AVAILABLE", headId: null });
      await socket.close();
    });
  });
});

describe("state survives a restart", () => {
  test("agents, steps, HEAD and settings come back from the file store; tokens are never written", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agents-restart-"));
    try {
      const first = await startTestService({ toolkits, store: await FileAgentStore.open({ dir, logger: silentLogger }) });
      const id = await createAgent(first);
      await api(first, "PATCH", `/api/agents/${id}/settings`, alice, { maxSteps: 9 });
      const socket = await socketFor(first, id);
      await converse(socket, "remember me");
      await socket.close();
      const before = (await api(first, "GET", `/api/agents/${id}/react-steps`, alice)).body;
      await stopTestService(first, { keepUpstream: true });

      const second = await startTestService({ toolkits, store: await FileAgentStore.open({ dir, logger: silentLogger }), sharedUpstream: first.upstream });
      try {
        const after = (await api(second, "GET", `/api/agents/${id}/react-steps`, alice)).body;
        assert.deepEqual(after, before);
        assert.equal((await api(second, "GET", `/api/agents/${id}/settings`, alice)).body.maxSteps, 9);
        assert.equal((await api(second, "GET", `/api/agents/${id}`, bob)).status, 404, "ownership survives too");
        const again = await socketFor(second, id);
        const init = await again.waitFor((e) => e.type === "init");
        assert.deepEqual((init.steps as ReActStep[]).map((s) => s.content), ["remember me", "echo: remember me"]);
        await again.close();
        const { readFile, readdir } = await import("node:fs/promises");
        const files = await readdir(dir, { recursive: true, withFileTypes: true });
        assert.ok(files.filter((f) => f.isFile()).length >= 3, "meta, journal and index were written");
        for (const file of files.filter((f) => f.isFile())) {
          const text = await readFile(join(file.parentPath, file.name), "utf8");
          assert.doesNotMatch(text, /eyJ[\w-]+\.[\w-]+\.[\w-]+/, "no JWT on disk");
          assert.doesNotMatch(text, /sk-test-master-key/, "no master key on disk");
        }
      } finally {
        await stopTestService(second);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a restart during a run leaves the agent AVAILABLE with the steps completed so far", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agents-midrun-"));
    try {
      const first = await startTestService({ toolkits, store: await FileAgentStore.open({ dir, logger: silentLogger }) });
      const id = await createAgent(first);
      const socket = await socketFor(first, id);
      first.upstream.enqueue(
        { kind: "tool_calls", calls: [{ id: "c1", name: "add", arguments: '{"a":1,"b":1}' }] },
        { kind: "text", text: "z".repeat(3000), chunkSize: 1, delayMs: 5 },
      );
      socket.send({ type: "message", content: "long job" });
      await socket.waitFor((e) => e.type === "step" && (e.step as ReActStep).toolResults !== undefined);
      await first.store.flush();
      // "Crash": the disk as it is now, mid-run, opened by a new process (the dead one's lock gone with it).
      const { cp } = await import("node:fs/promises");
      await cp(dir, `${dir}-crashed`, { recursive: true });
      await rm(join(`${dir}-crashed`, "LOCK"));
      const second = await startTestService({ toolkits, store: await FileAgentStore.open({ dir: `${dir}-crashed`, logger: silentLogger }) });
      try {
        const agent = await api(second, "GET", `/api/agents/${id}`, alice);
        assert.equal(agent.body.state, "AVAILABLE");
        const steps = (await api(second, "GET", `/api/agents/${id}/react-steps`, alice)).body.steps as ReActStep[];
        assert.deepEqual(steps.map((s) => [s.role, s.stepId]), [["user", 0], ["agent", 1]]);
        assert.deepEqual(steps[1]!.toolResults, [{ toolCallId: "c1", output: "2" }]);
      } finally {
        await stopTestService(second);
        await socket.close();
        await stopTestService(first);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}-crashed`, { recursive: true, force: true });
    }
  });
});
