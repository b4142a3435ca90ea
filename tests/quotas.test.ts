/**
 * No user can hurt the others: per-user quotas (agents, sockets, runs, REST
 * requests) and the bounds on what a user or the model can grow (settings,
 * messages, an agent's history, one answer, one tool call's arguments), and
 * the window of the conversation a socket's init carries, with REST pages for
 * the rest. Against the service on an ephemeral port and a scripted upstream.
 * (Across replicas, with PostgreSQL: tests/postgres/quotas.e2e.ts.)
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";
import type { ReActStep } from "../src/agents/types.ts";
import { bearer, mintToken } from "./helpers/tokens.ts";
import { type TestService, withService } from "./helpers/service.ts";
import { openSocket, type TestSocket } from "./helpers/socket.ts";
import { addTool } from "./helpers/tools.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
const bob = mintToken({ userId: 2, sub: "bob" });
const toolkits = () => basicToolkit([addTool]);

async function api(service: TestService, method: string, path: string, token: string, body?: unknown) {
  const headers: Record<string, string> = bearer(token);
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${service.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, retryAfter: response.headers.get("retry-after") };
}

async function createAgent(service: TestService, token = alice): Promise<string> {
  const { status, body } = await api(service, "POST", "/api/agents", token, { modelType: "scripted-model" });
  assert.equal(status, 200, JSON.stringify(body));
  return body.id as string;
}

const socketFor = (service: TestService, id: string, token = alice) => openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${token}`);

async function converse(socket: TestSocket, content: string) {
  const from = socket.events.length;
  socket.send({ type: "message", content });
  await socket.waitFor((e) => e.type === "complete" || e.type === "error", { from, timeoutMs: 10_000 });
  return socket.events.slice(from);
}

describe("per-user quotas", () => {
  test("agents per user: the next create is 429 quota_exceeded with Retry-After; others are unaffected; a delete frees a slot", async () => {
    await withService({ toolkits, limits: { maxAgentsPerUser: 2 } }, async (service) => {
      const first = await createAgent(service);
      await createAgent(service);
      const third = await api(service, "POST", "/api/agents", alice, { modelType: "scripted-model" });
      assert.equal(third.status, 429);
      assert.equal(third.body.code, "quota_exceeded");
      assert.ok(Number(third.retryAfter) > 0);
      await createAgent(service, bob);
      assert.equal((await api(service, "DELETE", `/api/agents/${first}`, alice)).status, 200);
      await createAgent(service);
    });
  });

  test("open sockets per user: one over the bound gets an error event and a 1008 close; closing one frees a slot", async () => {
    await withService({ toolkits, limits: { maxSocketsPerUser: 2 } }, async (service) => {
      const id = await createAgent(service);
      const a = await socketFor(service, id);
      const b = await socketFor(service, id);
      await Promise.all([a.waitFor((e) => e.type === "init"), b.waitFor((e) => e.type === "init")]);
      const c = await socketFor(service, id);
      assert.equal((await c.waitFor((e) => e.type === "error")).code, "quota_exceeded");
      assert.equal((await c.closedWithin()).code, 1008);
      assert.ok(!c.events.some((e) => e.type === "init"), "nothing of the agent was sent to it");
      const bobs = await socketFor(service, await createAgent(service, bob), bob);
      await bobs.waitFor((e) => e.type === "init");
      await a.close();
      // The count is released with the close: a new socket opens (retry briefly, the server sees the close a moment later).
      let d: TestSocket | undefined;
      for (let attempt = 0; attempt < 50 && !d; attempt++) {
        const next = await socketFor(service, id);
        const first = await next.waitFor((e) => e.type === "init" || e.type === "error");
        if (first.type === "init") d = next;
        else await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(d, "a slot freed after a close");
      await Promise.all([b.close(), bobs.close(), d.close()]);
    });
  });

  test("runs per user: a second run at once is refused with quota_exceeded; it works once the first ends", async () => {
    await withService({ toolkits, limits: { maxRunsPerUser: 1 } }, async (service) => {
      const [first, second] = [await createAgent(service), await createAgent(service)];
      const [s1, s2] = [await socketFor(service, first), await socketFor(service, second)];
      await Promise.all([s1.waitFor((e) => e.type === "init"), s2.waitFor((e) => e.type === "init")]);
      service.upstream.enqueue({ kind: "text", text: "slow ".repeat(40), chunkSize: 5, delayMs: 10 });
      s1.send({ type: "message", content: "take your time" });
      await s1.waitFor((e) => e.type === "delta");
      const refused = await converse(s2, "me too");
      assert.deepEqual(refused.map((e) => [e.type, e.code]), [["error", "quota_exceeded"]]);
      await s1.waitFor((e) => e.type === "complete", { timeoutMs: 10_000 });
      const events = await converse(s2, "now?");
      assert.equal(events.at(-1)?.type, "complete");
      await Promise.all([s1.close(), s2.close()]);
    });
  });

  test("REST requests per user: past the burst, 429 too_many_requests with Retry-After; another user is not slowed", async () => {
    await withService({ toolkits, limits: { requestsPerMinute: 60, requestBurst: 3 } }, async (service) => {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push(await api(service, "GET", "/api/agents", alice));
      assert.deepEqual(statuses.map((r) => r.status), [200, 200, 200, 429]);
      assert.equal(statuses[3]!.body.code, "too_many_requests");
      assert.ok(Number(statuses[3]!.retryAfter) >= 1);
      assert.equal((await api(service, "GET", "/api/agents", bob)).status, 200);
      const health = await fetch(`${service.url}/api/healthcheck`);
      assert.equal(health.status, 200, "open routes are not limited");
      await health.body?.cancel();
    });
  });
});

describe("bounds on what a user or the model can grow", () => {
  test("settings: too many disabled tools or operator types, maxSteps over 200, and long names are refused with the field named", async () => {
    await withService({ toolkits }, async (service) => {
      const id = await createAgent(service);
      for (const [patch, field] of [
        [{ disabledTools: Array.from({ length: 51 }, (_, i) => `t${i}`) }, "disabledTools"],
        [{ allowedOperatorTypes: Array.from({ length: 201 }, (_, i) => `T${i}`) }, "allowedOperatorTypes"],
        [{ allowedOperatorTypes: ["x".repeat(101)] }, "allowedOperatorTypes.0"],
        [{ maxSteps: 201 }, "maxSteps"],
      ] as const) {
        const answer = await api(service, "PATCH", `/api/agents/${id}/settings`, alice, patch);
        assert.equal(answer.status, 400, field);
        assert.match(answer.body.error, new RegExp(`^${field.replace(".", "\\.")}:`));
      }
      assert.equal((await api(service, "PATCH", `/api/agents/${id}`, alice, { name: "n".repeat(201) })).status, 400);
    });
  });

  test("an agent's history: once full, a message gets history_full saying to clear; after clear it goes on", async () => {
    await withService({ toolkits, limits: { maxStepsPerAgent: 10 } }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      await socket.waitFor((e) => e.type === "init");
      let refusal;
      for (let i = 0; i < 8 && !refusal; i++) {
        const events = await converse(socket, `message ${i}`);
        refusal = events.find((e) => e.type === "error");
      }
      assert.equal(refusal?.code, "history_full");
      assert.match(String(refusal?.error), /clear it/);
      const stored = (await api(service, "GET", `/api/agents/${id}`, alice)).body.stepCount as number;
      assert.ok(stored <= 10, `stored ${stored} steps`);
      assert.equal((await api(service, "POST", `/api/agents/${id}/clear`, alice, {})).status, 200);
      assert.equal((await converse(socket, "again")).at(-1)?.type, "complete");
      await socket.close();
    });
  });

  test("a run that would overflow the history stops with a history_full step, the agent usable", async () => {
    await withService({ toolkits, limits: { maxStepsPerAgent: 10 } }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      await socket.waitFor((e) => e.type === "init");
      // Endless tool calls: the history bound ends the run, not maxSteps.
      for (let i = 0; i < 20; i++) service.upstream.enqueue({ kind: "tool_calls", calls: [{ id: `c${i}`, name: "add", arguments: '{"a":1,"b":1}' }] });
      const events = await converse(socket, "loop");
      const last = events.filter((e) => e.type === "step").at(-1)?.step as ReActStep;
      assert.equal(last.errorCode, "history_full");
      assert.ok(((await api(service, "GET", `/api/agents/${id}`, alice)).body.stepCount as number) <= 10);
      assert.equal((await api(service, "GET", `/api/agents/${id}`, alice)).body.state, "AVAILABLE");
      await socket.close();
    });
  });

  test("a message over MAX_MESSAGE_CHARS is refused before any model call", async () => {
    await withService({ toolkits, limits: { maxMessageChars: 100 } }, async (service) => {
      const socket = await socketFor(service, await createAgent(service));
      await socket.waitFor((e) => e.type === "init");
      const events = await converse(socket, "x".repeat(101));
      assert.deepEqual(events.map((e) => [e.type, e.code]), [["error", "invalid_request"]]);
      assert.equal(service.upstream.requests.filter((r) => r.path === "/v1/chat/completions").length, 0);
      await socket.close();
    });
  });

  test("a model answer over MAX_STEP_CHARS ends the run with answer_too_long; the agent is usable", async () => {
    await withService({ toolkits, limits: { maxStepChars: 100 } }, async (service) => {
      const socket = await socketFor(service, await createAgent(service));
      await socket.waitFor((e) => e.type === "init");
      service.upstream.enqueue({ kind: "text", text: "y".repeat(5000), chunkSize: 50 });
      const events = await converse(socket, "talk a lot");
      const last = events.filter((e) => e.type === "step").at(-1)?.step as ReActStep;
      assert.equal(last.errorCode, "answer_too_long");
      assert.ok(!events.some((e) => e.type === "step" && (e.step as ReActStep).content.length > 1000), "no oversized step stored or sent");
      assert.equal((await converse(socket, "short")).at(-1)?.type, "complete");
      await socket.close();
    });
  });

  test("tool arguments over MAX_TOOL_ARGUMENT_CHARS are not run, not stored, not broadcast, not sent back upstream", async () => {
    await withService({ toolkits, limits: { maxToolArgumentChars: 100 } }, async (service) => {
      const socket = await socketFor(service, await createAgent(service));
      await socket.waitFor((e) => e.type === "init");
      const huge = JSON.stringify({ a: 1, b: 2, padding: "p".repeat(50_000) });
      service.upstream.enqueue({ kind: "tool_calls", calls: [{ id: "c1", name: "add", arguments: huge }] }, { kind: "text", text: "ok" });
      const events = await converse(socket, "go");
      const toolStep = events.map((e) => e.step as ReActStep | undefined).find((s) => s?.toolCalls);
      assert.deepEqual(toolStep?.toolCalls?.[0]?.input, { truncated: true, chars: huge.length });
      assert.match(toolStep!.toolResults![0]!.output, /over the limit of 100; not run/);
      assert.ok(!JSON.stringify(events).includes("p".repeat(1000)), "not broadcast");
      const next = service.upstream.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!;
      assert.ok(!JSON.stringify(next.body).includes("p".repeat(1000)), "not sent back to the model");
      await socket.close();
    });
  });
});

describe("the window a socket starts from", () => {
  test("init carries the latest steps and says there are more; older ones come a page at a time over REST", async () => {
    await withService({ toolkits, initSteps: 3 }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      await socket.waitFor((e) => e.type === "init");
      for (let i = 0; i < 4; i++) await converse(socket, `m${i}`);
      await socket.close();
      const again = await socketFor(service, id);
      const init = await again.waitFor((e) => e.type === "init");
      const window = init.steps as ReActStep[];
      assert.equal(window.length, 3);
      assert.equal(init.more, true);
      const all = (await api(service, "GET", `/api/agents/${id}/react-steps`, alice)).body.steps as ReActStep[];
      assert.deepEqual(window.map((s) => s.id), all.slice(-3).map((s) => s.id));

      const page = await api(service, "GET", `/api/agents/${id}/conversation?before=${window[0]!.id}&limit=3`, alice);
      assert.deepEqual(page.body.steps.map((s: ReActStep) => s.id), all.slice(-6, -3).map((s) => s.id));
      assert.equal(page.body.more, true);
      const rest = await api(service, "GET", `/api/agents/${id}/conversation?before=${page.body.steps[0].id}&limit=3`, alice);
      assert.deepEqual(rest.body.steps.map((s: ReActStep) => s.id), all.slice(0, 2).map((s) => s.id));
      assert.equal(rest.body.more, false);
      assert.equal((await api(service, "GET", `/api/agents/${id}/conversation?before=nope`, alice)).body.code, "step_not_found");
      assert.equal((await api(service, "GET", `/api/agents/${id}/conversation?before=${window[0]!.id}`, bob)).status, 404);
      await again.close();
    });
  });

  test("init and a checkout's headChange carry at most SOCKET_WINDOW_BYTES of the conversation (the latest step always), and say there are more", async () => {
    await withService({ toolkits, socketWindowBytes: 16_384 }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      await socket.waitFor((e) => e.type === "init");
      // Four answers of 6,000 characters: 8 steps, about 24 KB of JSON, over the 16 KiB window.
      for (let i = 0; i < 4; i++) {
        service.upstream.enqueue({ kind: "text", text: String(i).repeat(6_000) });
        await converse(socket, `m${i}`);
      }
      const all = (await api(service, "GET", `/api/agents/${id}/react-steps`, alice)).body.steps as ReActStep[];
      assert.equal(all.length, 8);
      await socket.close();

      const again = await socketFor(service, id);
      const init = await again.waitFor((e) => e.type === "init");
      const window = init.steps as ReActStep[];
      assert.ok(window.length >= 1 && window.length < all.length, `init carried ${window.length} of ${all.length} steps`);
      assert.ok(JSON.stringify(window).length <= 16_384, `init carried ${JSON.stringify(window).length} bytes of steps`);
      assert.deepEqual(window.map((s) => s.id), all.slice(-window.length).map((s) => s.id), "the latest steps");
      assert.equal(init.more, true);

      const from = again.events.length;
      const headId = all.at(-1)!.id;
      assert.equal((await api(service, "POST", `/api/agents/${id}/checkout`, alice, { stepId: headId })).status, 200);
      const change = await again.waitFor((e) => e.type === "headChange", { from });
      assert.deepEqual((change.steps as ReActStep[]).map((s) => s.id), window.map((s) => s.id));
      assert.equal(change.more, true);
      await again.close();
    });
  });

  test("a window of one step when the latest alone is over SOCKET_WINDOW_BYTES", async () => {
    await withService({ toolkits, socketWindowBytes: 16_384 }, async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      await socket.waitFor((e) => e.type === "init");
      service.upstream.enqueue({ kind: "text", text: "x".repeat(20_000) });
      await converse(socket, "m");
      await socket.close();
      const again = await socketFor(service, id);
      const init = await again.waitFor((e) => e.type === "init");
      assert.equal((init.steps as ReActStep[]).length, 1);
      assert.equal((init.steps as ReActStep[])[0]!.content, "x".repeat(20_000));
      assert.equal(init.more, true);
      await again.close();
    });
  });
});
