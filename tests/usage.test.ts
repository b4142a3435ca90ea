/**
 * What each user spends, end to end against the service on an ephemeral port
 * and a scripted OpenAI-compatible upstream: every model step keeps its
 * usage, cost, model and LiteLLM's request id; the socket's `step` events
 * carry them and `complete` the run's totals; both usage endpoints with
 * their ownership rules; LiteLLM's budget and rate-limit refusals; and the
 * platform's daily limits (before a run, and mid-run). Across replicas:
 * tests/postgres/usage-replicas.e2e.ts.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";
import type { ReActStep } from "../src/agents/types.ts";
import { AgentClient } from "../src/client/index.ts";
import { silentLogger } from "../src/log.ts";
import type { AgentStore } from "../src/store/agent-store.ts";
import { FileAgentStore } from "../src/store/file/file-store.ts";
import { MemoryAgentStore } from "../src/store/memory-store.ts";
import { agentUsageSchema, userUsageSchema } from "../src/usage/schemas.ts";
import type { AgentUsage, UsageTotals, UserUsage } from "../src/usage/types.ts";
import { type Reply, sseChunk } from "./fixtures/scripted-llm.ts";
import { api, startTestService, stopTestService, type TestService, type TestServiceOptions, withService } from "./helpers/service.ts";
import { openSocket, type SocketEvent, type TestSocket } from "./helpers/socket.ts";
import { addTool } from "./helpers/tools.ts";
import { mintToken } from "./helpers/tokens.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
const bob = mintToken({ userId: 2, sub: "bob" });
const admin = mintToken({ userId: 3, sub: "root", role: "ADMIN" });

/** The service's clock: an hour before a UTC midnight, so the day and its reset are known. */
const NOW = Date.UTC(2026, 11, 7, 23, 0, 0);
const TODAY = "2026-12-07";
const RESETS_AT = "2026-12-08T00:00:00.000Z";

/** scripted-model's prices at /model/info: 1e-6 USD per input token, 2e-6 per output token. */
const PRICED = { modelInfo: { "scripted-model": { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 } } };
/** The scripted upstream's default usage (11 in, 7 out) at those prices. */
const SCRIPTED_COST = 11 * 0.000001 + 7 * 0.000002;

const options = (extra: TestServiceOptions = {}): TestServiceOptions => ({
  toolkits: () => basicToolkit([addTool]),
  upstream: PRICED,
  now: () => NOW,
  ...extra,
});

async function createAgent(service: TestService, token = alice): Promise<string> {
  const { status, body } = await api(service, "POST", "/api/agents", token, { modelType: "scripted-model", name: "Spender" });
  assert.equal(status, 200, JSON.stringify(body));
  return body.id as string;
}

async function socketFor(service: TestService, agentId: string, token = alice): Promise<TestSocket> {
  const socket = await openSocket(`${service.wsUrl}/api/agents/${agentId}/react?access-token=${token}`);
  await socket.waitFor((e) => e.type === "init");
  return socket;
}

/** Sends a message and waits for the run's `complete`; the events of the run. */
async function converse(socket: TestSocket, content: string): Promise<SocketEvent[]> {
  const from = socket.events.length;
  socket.send({ type: "message", content });
  await socket.waitFor((e) => e.type === "complete", { from, timeoutMs: 10_000 });
  return socket.events.slice(from);
}

const stepsOf = (events: SocketEvent[]) => events.filter((e) => e.type === "step").map((e) => e.step as ReActStep);
const chats = (service: TestService) => service.upstream.requests.filter((r) => r.path === "/v1/chat/completions").length;
const toolCall = (id: string): Extract<Reply, { kind: "tool_calls" }> => ({ kind: "tool_calls", calls: [{ id, name: "add", arguments: '{"a":2,"b":3}' }] });

async function agentUsage(service: TestService, agentId: string, token = alice): Promise<AgentUsage> {
  const { status, body } = await api(service, "GET", `/api/agents/${agentId}/usage`, token);
  assert.equal(status, 200, JSON.stringify(body));
  return agentUsageSchema.parse(body);
}

async function userUsage(service: TestService, token = alice, query = ""): Promise<UserUsage> {
  const { status, body } = await api(service, "GET", `/api/agents/usage${query}`, token);
  assert.equal(status, 200, JSON.stringify(body));
  return userUsageSchema.parse(body);
}

/** Totals with every counter given, the rest zero. */
function totals(fields: Partial<UsageTotals>): UsageTotals {
  return {
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    cachedInputTokens: 0,
    costUsd: 0,
    calls: 0,
    callsWithoutUsage: 0,
    callsWithoutCost: 0,
    ...fields,
  };
}

/** Compares totals with the cost to the nano-dollar (the stores sum integer nano-USD). */
function assertTotals(actual: UsageTotals, expected: UsageTotals, message?: string): void {
  assert.ok(Math.abs(actual.costUsd - expected.costUsd) < 1e-9, `${message ?? "cost"}: ${actual.costUsd} vs ${expected.costUsd}`);
  assert.deepEqual({ ...actual, costUsd: 0 }, { ...expected, costUsd: 0 }, message);
}

const stores: Array<[string, () => Promise<{ store: AgentStore; cleanup(): Promise<void> }>]> = [
  ["memory store", async () => ({ store: new MemoryAgentStore(), cleanup: async () => {} })],
  ["file store", async () => {
    const dir = await mkdtemp(join(tmpdir(), "usage-"));
    return { store: await FileAgentStore.open({ dir, logger: silentLogger }), cleanup: () => rm(dir, { recursive: true, force: true }) };
  }],
];

describe("recording: every model step keeps its usage, cost, model and LiteLLM's request id", () => {
  for (const [name, open] of stores) {
    test(`${name}: the steps, the step events, complete, and both endpoints agree`, async () => {
      const { store, cleanup } = await open();
      try {
        await withService(options({ store }), async (service) => {
          const id = await createAgent(service);
          service.upstream.enqueue(
            // Usage in a chunk of its own after finish_reason; no cost from LiteLLM: priced from /model/info.
            { ...toolCall("c1"), headers: { "x-litellm-call-id": "call-one" } },
            // Usage (with LiteLLM's own cost and cached tokens) on the finish_reason chunk.
            {
              kind: "text",
              text: "The sum is 5.",
              usageIn: "finish",
              usage: { prompt_tokens: 40, completion_tokens: 9, total_tokens: 49, prompt_tokens_details: { cached_tokens: 32 }, cost: 0.00042 },
              headers: { "x-litellm-call-id": "call-two" },
            },
          );
          const socket = await socketFor(service, id);
          const events = await converse(socket, "add 2 and 3");
          const steps = stepsOf(events);
          assert.deepEqual(steps.map((s) => s.role), ["user", "agent", "agent"]);
          assert.equal(steps[0]!.model, undefined, "a user step made no model call");
          const [, first, second] = steps as [ReActStep, ReActStep, ReActStep];
          assert.deepEqual(first.usage, { inputTokens: 11, outputTokens: 7, totalTokens: 18, cachedInputTokens: 0 });
          assert.equal(first.cost?.source, "model_prices");
          assert.ok(Math.abs(first.cost!.usd - SCRIPTED_COST) < 1e-15);
          assert.equal(first.model, "scripted-model");
          assert.equal(first.requestId, "call-one");
          assert.deepEqual(second.usage, { inputTokens: 40, outputTokens: 9, totalTokens: 49, cachedInputTokens: 32 });
          assert.deepEqual(second.cost, { usd: 0.00042, source: "litellm" });
          assert.equal(second.requestId, "call-two");

          const run = totals({
            inputTokens: 51,
            outputTokens: 16,
            totalTokens: 67,
            cachedInputTokens: 32,
            costUsd: SCRIPTED_COST + 0.00042,
            calls: 2,
          });
          const complete = events.find((e) => e.type === "complete")!;
          assertTotals(complete.usage as UsageTotals, run, "complete carries the run's totals");
          await socket.close();

          // What was stored is what was sent.
          const stored = (await api(service, "GET", `/api/agents/${id}/react-steps`, alice)).body.steps as ReActStep[];
          assert.deepEqual(stored.map((s) => [s.usage, s.cost, s.model, s.requestId]), steps.map((s) => [s.usage, s.cost, s.model, s.requestId]));

          const mine = await agentUsage(service, id);
          assert.equal(mine.agentId, id);
          assertTotals(mine.total, run);
          assert.equal(mine.runs.length, 1);
          assert.equal(mine.runs[0]!.messageId, steps[0]!.messageId);
          assert.equal(mine.runs[0]!.startedAt, new Date(NOW).toISOString());
          assert.deepEqual(mine.runs[0]!.models, ["scripted-model"]);

          const today = await userUsage(service);
          assert.equal(today.uid, 1);
          assert.deepEqual([today.from, today.to], [TODAY, TODAY], "today by default");
          assertTotals(today.total, run);
          assert.deepEqual(today.days.map((d) => d.day), [TODAY]);
          assert.deepEqual(today.days[0]!.models.map((m) => m.model), ["scripted-model"]);
          assertTotals(today.models[0]!, { ...run, model: "scripted-model" } as UsageTotals);
          assert.equal(today.limits, undefined, "no limits set");
        });
      } finally {
        await cleanup();
      }
    });
  }

  test("a stream whose usage arrives only in its last chunk, and one with no usage at all", async () => {
    await withService(options(), async (service) => {
      const id = await createAgent(service);
      service.upstream.enqueue(
        {
          kind: "chunks",
          chunks: [
            sseChunk({ role: "assistant", content: "" }),
            sseChunk({ content: "late " }),
            sseChunk({ content: "usage" }),
            sseChunk({}, "stop"),
            // LiteLLM's usage chunk: last, with an empty delta.
            { ...sseChunk({}), usage: { prompt_tokens: 23, completion_tokens: 4, total_tokens: 27 } },
          ],
        },
        { kind: "text", text: "no usage here", usage: null },
      );
      const socket = await socketFor(service, id);
      const [late] = stepsOf(await converse(socket, "one")).slice(1);
      assert.equal(late!.content, "late usage");
      assert.deepEqual(late!.usage, { inputTokens: 23, outputTokens: 4, totalTokens: 27, cachedInputTokens: 0 });
      assert.ok(Math.abs(late!.cost!.usd - (23e-6 + 8e-6)) < 1e-15);

      const events = await converse(socket, "two");
      const [none] = stepsOf(events).slice(1);
      assert.equal(none!.content, "no usage here");
      assert.equal(none!.usage, undefined, "no usage: none recorded, not zeros");
      assert.equal(none!.cost, undefined, "and no cost: unknown, not 0");
      assert.equal(none!.model, "scripted-model", "still a model call");
      assertTotals(events.find((e) => e.type === "complete")!.usage as UsageTotals, totals({ calls: 1, callsWithoutUsage: 1, callsWithoutCost: 1 }));
      await socket.close();

      const usage = await agentUsage(service, id);
      assertTotals(usage.total, totals({ inputTokens: 23, outputTokens: 4, totalTokens: 27, costUsd: 31e-6, calls: 2, callsWithoutUsage: 1, callsWithoutCost: 1 }));
      assert.deepEqual(usage.runs.map((r) => [r.calls, r.callsWithoutUsage]), [[1, 0], [1, 1]]);
      assertTotals((await userUsage(service)).total, usage.total, "the day counts what the agent counts");
    });
  });

  test("a model without prices: usage recorded, cost unknown; per-agent totals count every branch; the day keeps what clear drops", async () => {
    await withService(options({ upstream: {} }), async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      const first = stepsOf(await converse(socket, "first"));
      assert.equal(first[1]!.cost, undefined);
      assert.deepEqual(first[1]!.usage, { inputTokens: 11, outputTokens: 7, totalTokens: 18, cachedInputTokens: 0 });
      // A second branch from the first message.
      assert.equal((await api(service, "POST", `/api/agents/${id}/checkout`, alice, { stepId: first[0]!.id })).status, 200);
      await converse(socket, "branch");
      await socket.close();
      const usage = await agentUsage(service, id);
      assertTotals(usage.total, totals({ inputTokens: 22, outputTokens: 14, totalTokens: 36, calls: 2, callsWithoutCost: 2 }));
      assert.equal(usage.runs.length, 2);

      assert.equal((await api(service, "POST", `/api/agents/${id}/clear`, alice)).status, 200);
      assertTotals((await agentUsage(service, id)).total, totals({}), "the agent's usage is its stored steps'");
      assertTotals((await userUsage(service)).total, usage.total, "the user's day is not given back");
      assert.equal((await api(service, "DELETE", `/api/agents/${id}`, alice)).status, 200);
      assertTotals((await userUsage(service)).total, usage.total);
    });
  });
});

describe("the usage endpoints: ownership and queries", () => {
  test("GET /api/agents/:id/usage: another user's agent is 404 exactly like a missing one; ADMIN may read it", async () => {
    await withService(options(), async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      await converse(socket, "hello");
      await socket.close();
      const missing = await api(service, "GET", "/api/agents/00000000-0000-4000-8000-000000000000/usage", bob);
      const others = await api(service, "GET", `/api/agents/${id}/usage`, bob);
      assert.equal(others.status, 404);
      assert.deepEqual(others, missing, "the same answer, so ids cannot be probed");
      assert.deepEqual(others.body, { error: "Agent not found", code: "agent_not_found" });
      assert.equal((await agentUsage(service, id, admin)).total.calls, 1);
      assert.equal((await api(service, "GET", `/api/agents/${id}/usage`, "not-a-token")).status, 401);
      assert.equal((await api(service, "GET", `/api/agents/${id}/usage?x=1`, alice)).status, 400);
    });
  });

  test("GET /api/agents/usage: a REGULAR user reads only their own totals; an ADMIN anyone's, or everyone's by user", async () => {
    await withService(options(), async (service) => {
      for (const token of [alice, bob]) {
        const socket = await socketFor(service, await createAgent(service, token), token);
        await converse(socket, "hello");
        await socket.close();
      }
      const own = await userUsage(service, alice, "?uid=1");
      assert.equal(own.total.calls, 1);
      const refused = await api(service, "GET", "/api/agents/usage?uid=2", alice);
      assert.equal(refused.status, 403);
      assert.deepEqual(refused.body, { error: "Only an ADMIN may read another user's usage", code: "forbidden" });
      assert.equal((await api(service, "GET", "/api/agents/usage?uid=all", alice)).status, 403);

      const bobs = await userUsage(service, admin, "?uid=2");
      assert.equal(bobs.uid, 2);
      assert.equal(bobs.total.calls, 1);
      const everyone = await userUsage(service, admin, `?uid=all&from=${TODAY}&to=${TODAY}`);
      assert.equal(everyone.uid, null);
      assert.equal(everyone.total.calls, 2);
      assert.deepEqual(everyone.users?.map((u) => [u.uid, u.calls, u.totalTokens]), [[1, 1, 18], [2, 1, 18]]);
      assert.equal((await userUsage(service, admin)).total.calls, 0, "the admin's own day by default");
      const past = await userUsage(service, alice, "?from=2026-11-01&to=2026-11-30");
      assert.deepEqual([past.days, past.total.calls], [[], 0], "another range");
    });
  });

  test("a bad query is a 400 naming the field", async () => {
    await withService(options(), async (service) => {
      const cases: Array<[string, RegExp]> = [
        ["?from=2026-13-01", /^from: must be a UTC day, YYYY-MM-DD$/],
        ["?from=2026-02-30", /^from: must be a UTC day/],
        ["?to=yesterday", /^to: must be a UTC day/],
        ["?from=2026-12-07&to=2026-12-01", /^to: must not be before from$/],
        ["?from=2025-01-01&to=2026-12-07", /^to: at most 366 days after from$/],
        ["?uid=abc", /^uid: /],
        ["?uid=0", /^uid: /],
        ["?from=2026-12-01&from=2026-12-02", /^from: /],
        ["?form=2026-12-01", /unknown field "form"/],
      ];
      for (const [query, expected] of cases) {
        const { status, body } = await api(service, "GET", `/api/agents/usage${query}`, alice);
        assert.equal(status, 400, query);
        assert.equal(body.code, "invalid_request", query);
        assert.match(body.error, expected, query);
      }
    });
  });

  test("AgentClient: typed methods for both endpoints", async () => {
    await withService(options(), async (service) => {
      const client = new AgentClient({ baseUrl: `${service.url}/api`, getToken: () => alice });
      const agent = await client.createAgent({ modelType: "scripted-model" });
      const socket = await socketFor(service, agent.id);
      await converse(socket, "hi");
      await socket.close();
      const usage = await client.getAgentUsage(agent.id);
      assert.equal(usage.total.totalTokens, 18);
      assert.equal(usage.runs[0]!.calls, 1);
      const today = await client.getUsage();
      assert.equal(today.days[0]!.day, TODAY);
      assert.equal((await client.getUsage({ from: "2026-12-01", to: TODAY })).total.calls, 1);
      const adminClient = new AgentClient({ baseUrl: `${service.url}/api`, getToken: () => admin });
      assert.deepEqual((await adminClient.getUsage({ uid: "all" })).users?.map((u) => u.uid), [1]);
      assert.equal((await adminClient.getUsage({ uid: 1 })).total.calls, 1);
      await assert.rejects(client.getUsage({ uid: 3 }), (error: { status?: number }) => error.status === 403);
    });
  });
});

describe("LiteLLM's refusals end the run with a clear step", () => {
  for (const status of [400, 422, 429]) {
    test(`a budget refusal (HTTP ${status}, error.type budget_exceeded) mid-run: a budget_exceeded step, nothing half-written, the agent usable again`, async () => {
      await withService(options(), async (service) => {
        const id = await createAgent(service);
        service.upstream.enqueue(toolCall("c1"), {
          kind: "status",
          status,
          body: { error: { message: "Budget has been exceeded! Current cost: 0.31, Max budget: 0.3", type: "budget_exceeded", code: String(status) } },
          headers: { "x-litellm-call-id": "call-refused" },
        });
        const socket = await socketFor(service, id);
        const events = await converse(socket, "add 2 and 3");
        const steps = stepsOf(events);
        assert.deepEqual(steps.map((s) => s.role), ["user", "agent", "agent"]);
        const last = steps[2]!;
        assert.equal(last.errorCode, "budget_exceeded");
        assert.equal(last.error, "The model service failed: LiteLLM refused the request: the spending budget is used up [LiteLLM request call-refused].");
        assert.equal(last.content, `Error: ${last.error}`);
        assert.equal(last.requestId, "call-refused");
        assert.equal(last.isEnd, true);
        assert.equal(last.usage, undefined);
        assert.doesNotMatch(JSON.stringify(events), /Max budget/, "LiteLLM's text never reaches the user");
        assert.equal(events.filter((e) => e.type === "delta" && e.stepId === 2).length, 0, "nothing streamed of the refused call");
        const stored = (await api(service, "GET", `/api/agents/${id}/react-steps`, alice)).body;
        assert.deepEqual(stored.steps.map((s: ReActStep) => s.id), steps.map((s) => s.id), "exactly what was sent, nothing half-written");
        assert.equal(stored.state, "AVAILABLE");
        assertTotals(complete(events), totals({ inputTokens: 11, outputTokens: 7, totalTokens: 18, costUsd: SCRIPTED_COST, calls: 1 }), "the call before the refusal counts");

        const again = stepsOf(await converse(socket, "still there?"));
        assert.equal(again.at(-1)!.content, "echo: still there?", "the agent is usable again");
        await socket.close();
      });
    });
  }

  test("a rate limit (429): rate_limited with the retry time", async () => {
    await withService(options(), async (service) => {
      const id = await createAgent(service);
      service.upstream.enqueue({
        kind: "status",
        status: 429,
        body: { error: { message: "Rate limit reached for requests", type: "rate_limit_error", code: "429" } },
        headers: { "retry-after": "7" },
      });
      const socket = await socketFor(service, id);
      const [, last] = stepsOf(await converse(socket, "hi"));
      assert.equal(last!.errorCode, "rate_limited");
      assert.equal(last!.retryAfterMs, 7000);
      assert.equal(last!.error, "The model service failed: LiteLLM is rate limiting requests (HTTP 429); try again in 7 s.");
      assert.equal((await api(service, "GET", `/api/agents/${id}`, alice)).body.state, "AVAILABLE");
      await socket.close();
    });
  });
});

const complete = (events: SocketEvent[]) => events.find((e) => e.type === "complete")!.usage as UsageTotals;

describe("the platform's daily limits", () => {
  test("tokens: a run that crosses the limit finishes its model call and stops; the next message is refused before any model call", async () => {
    await withService(options({ limits: { daily: { tokens: 20 } } }), async (service) => {
      const id = await createAgent(service);
      service.upstream.enqueue(toolCall("c1"), toolCall("c2"), { kind: "text", text: "never asked for" });
      const socket = await socketFor(service, id);
      const events = await converse(socket, "keep adding");
      const steps = stepsOf(events);
      assert.equal(chats(service), 2, "18 tokens, under 20: a second call; 36: no third");
      assert.deepEqual(steps.map((s) => s.role), ["user", "agent", "agent", "agent"]);
      assert.deepEqual(steps[2]!.toolResults, [{ toolCallId: "c2", output: "5" }], "the call that crossed the limit finished, its tools included");
      const last = steps[3]!;
      assert.equal(last.errorCode, "quota_exceeded");
      assert.equal(last.isEnd, true);
      assert.equal(last.retryAfterMs, 3_600_000);
      assert.equal(last.error, `You have used your daily token limit (36 of 20 tokens today); it resets at 00:00 UTC (${RESETS_AT}).`);
      assert.equal(last.content, `Stopped: ${last.error}`);
      assertTotals(complete(events), totals({ inputTokens: 22, outputTokens: 14, totalTokens: 36, costUsd: 2 * SCRIPTED_COST, calls: 2 }));

      const from = socket.events.length;
      socket.send({ type: "message", content: "one more" });
      const refusal = await socket.waitFor((e) => e.type === "error", { from });
      assert.deepEqual({ ...refusal, seq: undefined }, {
        type: "error",
        code: "quota_exceeded",
        error: `You have used your daily token limit (36 of 20 tokens today); it resets at 00:00 UTC (${RESETS_AT}).`,
        resetsAt: RESETS_AT,
        retryAfterMs: 3_600_000,
        seq: undefined,
      });
      assert.equal(chats(service), 2, "no model call");
      assert.equal((await api(service, "GET", `/api/agents/${id}`, alice)).body.stepCount, 4, "nothing stored");

      const state = await userUsage(service);
      assert.deepEqual(state.limits, { day: TODAY, tokens: { limit: 20, used: 36 }, exceeded: true, resetsAt: RESETS_AT });

      // Another user's day is their own.
      const bobs = await socketFor(service, await createAgent(service, bob), bob);
      assert.equal(stepsOf(await converse(bobs, "hi")).length, 2);
      assert.equal((await userUsage(service, bob)).limits?.exceeded, false);
      await Promise.all([socket.close(), bobs.close()]);
    });
  });

  test("cost: calls of known cost count; at the limit a message is refused with when it resets", async () => {
    await withService(options({ limits: { daily: { costUsd: 0.00004 } } }), async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      await converse(socket, "one");
      // A call of unknown cost does not count toward the cost limit.
      service.upstream.enqueue({ kind: "text", text: "free?", usage: null });
      await converse(socket, "two");
      assert.equal((await userUsage(service)).limits?.exceeded, false);
      await converse(socket, "three");
      const state = await userUsage(service);
      assert.equal(state.limits?.exceeded, true);
      assert.ok(Math.abs(state.limits!.costUsd!.used - 2 * SCRIPTED_COST) < 1e-9);
      const before = chats(service);
      const from = socket.events.length;
      socket.send({ type: "message", content: "four" });
      const refusal = await socket.waitFor((e) => e.type === "error", { from });
      assert.equal(refusal.code, "quota_exceeded");
      assert.match(String(refusal.error), /^You have used your daily cost limit \(\$0\.000050 of \$0\.00004 today\); it resets at 00:00 UTC/);
      assert.equal(refusal.resetsAt, RESETS_AT);
      assert.equal(chats(service), before);
      await socket.close();
    });
  });

  test("a new UTC day starts from zero", async () => {
    let now = NOW;
    const service = await startTestService(options({ limits: { daily: { tokens: 10 } }, now: () => now }));
    try {
      const socket = await socketFor(service, await createAgent(service));
      await converse(socket, "one");
      const from = socket.events.length;
      socket.send({ type: "message", content: "two" });
      assert.equal((await socket.waitFor((e) => e.type === "error", { from })).code, "quota_exceeded");
      now = Date.parse(RESETS_AT);
      assert.equal(stepsOf(await converse(socket, "three")).length, 2, "accepted on the next day");
      const days = await userUsage(service, alice, `?from=${TODAY}&to=2026-12-08`);
      assert.deepEqual(days.days.map((d) => [d.day, d.totalTokens]), [[TODAY, 18], ["2026-12-08", 18]]);
      await socket.close();
    } finally {
      await stopTestService(service);
    }
  });
});
