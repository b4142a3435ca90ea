/**
 * Against a real LiteLLM proxy (PyPI, pinned in scripts/litellm/setup.sh),
 * started on a loopback port with a master key, the cost map read locally
 * and no telemetry. Models (scripts/litellm/test-config.yaml): `mock-model`
 * (LiteLLM's own mock_response), and `scripted-model`, `priced-model` and
 * `budget-model`, routed to the test's scripted OpenAI-compatible upstream
 * (no model weights can be downloaded here: it scripts the answers, tool
 * calls and errors). A LiteLLM callback (scripts/litellm/spend_probe.py)
 * writes what LiteLLM's own spend tracking recorded per call, so the usage,
 * cost and end user we report can be checked against LiteLLM's.
 *
 *   npm run test:litellm        # installs the venv on first use
 */
import { after, before, describe, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createParser } from "eventsource-parser";
import { type ChatEvent, describeLiteLLMFailure, LiteLLMClient, LiteLLMError } from "../../src/litellm.ts";
import { basicToolkit } from "../../src/agents/basic-toolkit.ts";
import type { Tool } from "../../src/agents/tool.ts";
import type { ReActStep } from "../../src/agents/types.ts";
import type { UsageTotals } from "../../src/usage/types.ts";
import { freePort } from "../../scripts/bench/lib.ts";
import { type ScriptedLLM, sseChunk, startScriptedLLM } from "../fixtures/scripted-llm.ts";
import { bearer, mintToken } from "../helpers/tokens.ts";
import { startTestService, stopTestService, type TestService } from "../helpers/service.ts";
import { openSocket } from "../helpers/socket.ts";

const MASTER_KEY = "sk-litellm-e2e-master-4f2b1d";
let upstream: ScriptedLLM;
let proxy: ChildProcess;
let proxyUrl: string;
let proxyOutput = "";
const probeDir = mkdtempSync(join(tmpdir(), "litellm-spend-"));
const probeFile = join(probeDir, "spend.jsonl");

async function collect(stream: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const finishOf = (events: ChatEvent[]) => {
  const last = events.at(-1);
  assert.ok(last?.type === "finish", `the last event is finish, not ${JSON.stringify(last)}`);
  return last;
};

/** What LiteLLM's spend tracking recorded for one call (spend_probe.py). */
interface SpendRecord {
  status: string;
  call_id: string;
  model_group: string;
  end_user: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number | null;
  response_cost: number;
}

/** A spend record's tokens, in the client's TokenUsage shape. */
const usageOf = (record: SpendRecord) => ({
  inputTokens: record.prompt_tokens,
  outputTokens: record.completion_tokens,
  totalTokens: record.total_tokens,
  cachedInputTokens: record.cached_tokens ?? 0,
});

/** Waits (bounded) for LiteLLM's record of the call `callId`: its loggers run after the answer. */
async function spendRecord(callId: string, timeoutMs = 15_000): Promise<SpendRecord> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    let text = "";
    try {
      text = readFileSync(probeFile, "utf8");
    } catch {
      // not written yet
    }
    const record = text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as SpendRecord).find((r) => r.call_id === callId);
    if (record) return record;
    if (Date.now() > deadline) throw new Error(`LiteLLM recorded no spend for call ${callId} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  upstream = await startScriptedLLM({ models: ["anything"] });
  const port = await freePort();
  proxyUrl = `http://127.0.0.1:${port}`;
  proxy = spawn("bash", ["scripts/litellm/run.sh", "--config", "scripts/litellm/test-config.yaml", "--port", String(port), "--host", "127.0.0.1"], {
    env: { ...process.env, LITELLM_MASTER_KEY: MASTER_KEY, SCRIPTED_LLM_API_BASE: `${upstream.url}/v1`, LITELLM_SPEND_PROBE_FILE: probeFile },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proxy.stdout?.on("data", (chunk) => (proxyOutput += chunk));
  proxy.stderr?.on("data", (chunk) => (proxyOutput += chunk));
  const deadline = Date.now() + 90_000;
  while (true) {
    // Polling alone could reach another proxy on a reused port: our child must be alive.
    if (proxy.exitCode !== null) throw new Error(`LiteLLM exited (${proxy.exitCode}):\n${proxyOutput.slice(-3000)}`);
    try {
      const response = await fetch(`${proxyUrl}/health/liveliness`);
      await response.body?.cancel();
      if (response.ok) break;
    } catch {
      // starting
    }
    if (Date.now() > deadline) throw new Error(`LiteLLM did not start in 90 s:\n${proxyOutput.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
});

after(async () => {
  if (proxy && proxy.exitCode === null) {
    const exited = new Promise((resolve) => proxy.once("exit", resolve));
    proxy.kill("SIGTERM");
    setTimeout(() => proxy.kill("SIGKILL"), 10_000).unref();
    await exited;
  }
  await upstream?.close();
  rmSync(probeDir, { recursive: true, force: true });
});

const clients: LiteLLMClient[] = [];
after(() => {
  for (const client of clients) client.close();
});
const client = (masterKey = MASTER_KEY) => {
  const made = new LiteLLMClient({ baseUrl: `${proxyUrl}/v1`, masterKey, requestTimeoutMs: 30_000 });
  clients.push(made);
  return made;
};

/** Fails unless `run` rejects with a LiteLLMError; returns it. */
async function liteLLMError(run: Promise<unknown>): Promise<LiteLLMError> {
  try {
    await run;
  } catch (error) {
    assert.ok(error instanceof LiteLLMError, `expected a LiteLLMError, got ${error}`);
    return error;
  }
  assert.fail("expected a LiteLLMError");
}

describe("the real LiteLLM proxy", () => {
  test("model list: the OpenAI list shape with the configured models", async () => {
    const list = await client().listModels();
    assert.equal(list.object, "list");
    assert.deepEqual(list.data.map((m) => m.id).sort(), ["budget-model", "mock-model", "priced-model", "scripted-model"]);
    for (const model of list.data) assert.equal(model.object, "model");
  });

  test("model details carry the configured prices; LiteLLM's nulls are absent", async () => {
    const details = await client().modelInfo();
    const priced = details.find((d) => d.id === "priced-model");
    assert.equal(priced?.inputCostPerToken, 0.000001);
    assert.equal(priced?.outputCostPerToken, 0.000002);
    assert.equal(priced?.cacheReadInputTokenCost, 0.0000005);
    assert.match(priced?.deploymentId ?? "", /^[0-9a-f]{16,}$/);
    const unpriced = details.find((d) => d.id === "scripted-model");
    assert.equal(unpriced?.inputCostPerToken, undefined);
    assert.equal(unpriced?.mode, undefined);
  });

  test("a streamed answer from LiteLLM's own mock model", async () => {
    const events = await collect(client().chat({ model: "mock-model", messages: [{ role: "user", content: "hi" }], user: "7" }));
    const text = events.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("");
    assert.equal(text, "hello from mock");
    assert.equal(finishOf(events).finishReason, "stop");
  });

  test("a streamed tool call routed through the proxy to the scripted upstream is assembled", async () => {
    upstream.enqueue({ kind: "tool_calls", text: "Checking.", calls: [{ id: "call_w", name: "getWeather", arguments: '{"city":"Paris"}' }] });
    const events = await collect(client().chat({
      model: "scripted-model",
      messages: [{ role: "user", content: "weather?" }],
      tools: [{ type: "function", function: { name: "getWeather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
    }));
    const calls = events.flatMap((e) => (e.type === "tool_call" ? [e.call] : []));
    assert.deepEqual(calls, [{ id: "call_w", name: "getWeather", rawArguments: '{"city":"Paris"}', input: { city: "Paris" } }]);
    assert.equal(finishOf(events).finishReason, "tool_calls");
    // LiteLLM called the upstream with its own key, never ours.
    const forwarded = upstream.requests.at(-1)!;
    assert.equal(forwarded.path, "/v1/chat/completions");
    assert.notEqual(forwarded.headers.authorization, `Bearer ${MASTER_KEY}`);
  });

  test("an unknown model: LiteLLM's 400 is upstream_bad_request; its text stays in the log detail, never in what the user sees", async () => {
    const error = await liteLLMError(collect(client().chat({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] })));
    assert.equal(error.code, "upstream_bad_request");
    assert.equal(error.status, 400);
    assert.match(error.upstreamMessage ?? "", /Invalid model name|no-such-model/);
    assert.doesNotMatch(describeLiteLLMFailure(error), /Invalid model|no-such-model/);
  });

  test("an upstream 429 behind the proxy: rate_limited, with the upstream's retry time and LiteLLM's call id", async () => {
    upstream.enqueue({
      kind: "status",
      status: 429,
      body: { error: { message: "Rate limit reached for requests", type: "rate_limit_error", code: "429" } },
      headers: { "retry-after": "2" },
    });
    const error = await liteLLMError(collect(client().chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }] })));
    assert.equal(error.code, "rate_limited", error.message);
    assert.equal(error.status, 429);
    // LiteLLM 1.108.7 passes the provider's header on as llm_provider-retry-after.
    assert.equal(error.retryAfterMs, 2000);
    assert.match(error.requestId ?? "", /^[0-9a-f-]{36}$/);
    assert.match(describeLiteLLMFailure(error), /try again in 2 s \[LiteLLM request [0-9a-f-]{36}\]$/);
  });

  test("a deployment over its budget: LiteLLM's 429 'crossed budget' is budget_exceeded, not a rate limit", async () => {
    // The first call costs 11 x 1e-6 + 7 x 2e-6 = 2.5e-5 USD, over the deployment's 1e-5.
    const first = finishOf(await collect(client().chat({ model: "budget-model", messages: [{ role: "user", content: "hi" }] })));
    assert.equal(first.cost?.source, "litellm");
    assert.ok(Math.abs(first.cost.usd - 2.5e-5) < 1e-12, String(first.cost.usd));
    let error: LiteLLMError | undefined;
    // LiteLLM counts the spend in a logging callback after the answer: give it a moment.
    for (let i = 0; i < 50 && !error; i++) {
      try {
        await collect(client().chat({ model: "budget-model", messages: [{ role: "user", content: "hi" }] }));
        await new Promise((resolve) => setTimeout(resolve, 100));
      } catch (caught) {
        assert.ok(caught instanceof LiteLLMError);
        error = caught;
      }
    }
    assert.ok(error, "LiteLLM never refused the deployment over its budget");
    assert.equal(error.code, "budget_exceeded", error.message);
    assert.equal(error.status, 429);
    assert.match(error.upstreamMessage ?? "", /crossed budget/);
    assert.equal(describeLiteLLMFailure(error).includes("crossed"), false);
  });

  test("the upstream dropping mid-stream is an error, not a short answer", async () => {
    upstream.enqueue({ kind: "reset", chunks: [{ choices: [{ index: 0, delta: { content: "partial" } }] }] });
    // LiteLLM relays the partial chunks, then an in-band error frame, then ends with HTTP 200 and no [DONE].
    const error = await liteLLMError(collect(client().chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }] })));
    assert.equal(error.code, "upstream_error", error.message);
    assert.match(error.upstreamMessage ?? "", /APIConnectionError|Connection/i);
    assert.match(error.requestId ?? "", /^[0-9a-f-]{36}$/, "the stream's call id");
  });
});

describe("usage, cost and end user: what we report equals what LiteLLM's spend tracking recorded", () => {

  test("LiteLLM's mock model: LiteLLM counts the tokens and prices them; the end user is ours", async () => {
    const finish = finishOf(await collect(client().chat({ model: "mock-model", messages: [{ role: "user", content: "hi" }], user: "user-31" })));
    assert.ok(finish.requestId, "LiteLLM's call id");
    const record = await spendRecord(finish.requestId);
    assert.equal(record.end_user, "user-31");
    assert.deepEqual(finish.usage, usageOf(record));
    assert.ok(record.response_cost > 0);
    assert.deepEqual(finish.cost, { usd: record.response_cost, source: "litellm" });
  });

  test("a priced model, usage with cached tokens in the last chunk: cached tokens and the cached price", async () => {
    upstream.enqueue({
      kind: "text",
      text: "cached answer",
      usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70, prompt_tokens_details: { cached_tokens: 32 } },
    });
    const finish = finishOf(await collect(client().chat({ model: "priced-model", messages: [{ role: "user", content: "hi" }], user: "user-32" })));
    const record = await spendRecord(finish.requestId!);
    assert.equal(record.end_user, "user-32");
    assert.deepEqual(finish.usage, usageOf(record));
    assert.equal(finish.usage?.cachedInputTokens, 32);
    assert.equal(finish.cost?.source, "litellm");
    assert.ok(Math.abs(finish.cost!.usd - record.response_cost) < 1e-12, `${finish.cost!.usd} vs ${record.response_cost}`);
    // And LiteLLM's figure is the model's prices times the usage (cached at the cache-read price).
    assert.ok(Math.abs(record.response_cost - (18 * 1e-6 + 32 * 5e-7 + 20 * 2e-6)) < 1e-12);
  });

  test("an upstream that sends no usage: LiteLLM counts it itself, and we report its count", async () => {
    upstream.enqueue({ kind: "text", text: "no usage from the provider here", usage: null });
    const finish = finishOf(await collect(client().chat({ model: "priced-model", messages: [{ role: "user", content: "count me" }], user: "user-33" })));
    const record = await spendRecord(finish.requestId!);
    assert.ok(record.prompt_tokens > 0 && record.completion_tokens > 0);
    assert.deepEqual(finish.usage, usageOf(record));
    assert.ok(Math.abs(finish.cost!.usd - record.response_cost) < 1e-12);
  });

  test("a model without prices: LiteLLM records cost 0, we record the cost as unknown", async () => {
    upstream.enqueue({ kind: "text", text: "free?" });
    const finish = finishOf(await collect(client().chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }], user: "user-34" })));
    const record = await spendRecord(finish.requestId!);
    assert.deepEqual(finish.usage, usageOf(record));
    assert.equal(record.response_cost, 0);
    assert.equal(finish.cost, undefined);
  });

  test("LiteLLM 1.108.7 reads the end user from x-litellm-end-user-id before the `user` field (and x-litellm-customer-id)", async () => {
    const ask = async (headers: Record<string, string>, user?: string) => {
      const response = await fetch(`${proxyUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json", ...headers },
        body: JSON.stringify({ model: "mock-model", stream: true, messages: [{ role: "user", content: "hi" }], ...(user ? { user } : {}) }),
      });
      await response.text();
      return (await spendRecord(response.headers.get("x-litellm-call-id")!)).end_user;
    };
    assert.equal(await ask({ "x-litellm-end-user-id": "from-header" }, "from-body"), "from-header");
    assert.equal(await ask({ "x-litellm-customer-id": "from-customer-header" }), "from-customer-header");
    assert.equal(await ask({}, "from-body"), "from-body");
    assert.equal(await ask({}), null);
  });

  test("with include_usage on, tool-call arguments still stream as they come (LiteLLM #38926 not seen on 1.108.7)", async () => {
    const pieces = ['{"ci', 'ty": "Pa', 'ris", "da', 'ys": 3}'];
    upstream.enqueue({
      kind: "chunks",
      delayMs: 200,
      chunks: [
        sseChunk({ role: "assistant", content: null, tool_calls: [{ index: 0, id: "call_s", type: "function", function: { name: "getWeather", arguments: "" } }] }),
        ...pieces.map((piece) => sseChunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] })),
        sseChunk({}, "tool_calls"),
        { ...sseChunk({}), choices: [], usage: { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 } },
      ],
    });
    const start = performance.now();
    const response = await fetch(`${proxyUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "priced-model",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "weather" }],
        tools: [{ type: "function", function: { name: "getWeather", parameters: { type: "object" } } }],
      }),
    });
    const arrivals: Array<{ at: number; args: string }> = [];
    let usageAt = -1;
    const parser = createParser({
      onEvent: (event) => {
        if (event.data === "[DONE]") return;
        const chunk = JSON.parse(event.data) as { choices?: { delta?: { tool_calls?: { function?: { arguments?: string } }[] } }[]; usage?: unknown };
        const args = chunk.choices?.[0]?.delta?.tool_calls?.[0]?.function?.arguments;
        if (args) arrivals.push({ at: performance.now() - start, args });
        if (chunk.usage) usageAt = performance.now() - start;
      },
    });
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    assert.deepEqual(arrivals.map((a) => a.args), pieces, "the pieces, in order, not merged");
    // The upstream spaced them 200 ms apart: a proxy that held them back would deliver them together at the end.
    const spread = arrivals.at(-1)!.at - arrivals[0]!.at;
    assert.ok(spread > 400, `the argument pieces arrived within ${spread.toFixed(0)} ms of each other`);
    assert.ok(usageAt > arrivals.at(-1)!.at, "the usage comes after the arguments");
  });
});

describe("the service in front of the real proxy", () => {
  let service: TestService;
  const echo: Tool = {
    name: "shout",
    description: "Upper-cases a text",
    parameters: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    run: (input) => String((input as { text: string }).text).toUpperCase(),
  };

  test("GET /api/agents/models passes the proxy's list through", async () => {
    service = await startTestService({ toolkits: () => basicToolkit([echo]), sharedUpstream: upstream, proxyUrl: `${proxyUrl}/v1`, masterKey: MASTER_KEY });
    const response = await fetch(`${service.url}/api/agents/models`, { headers: bearer(mintToken()) });
    assert.equal(response.status, 200);
    const body = await response.json() as { object: string; data: { id: string }[] };
    assert.equal(body.object, "list");
    assert.deepEqual(body.data.map((m) => m.id).sort(), ["budget-model", "mock-model", "priced-model", "scripted-model"]);
  });

  test("a wrong master key: our 502 with a misconfiguration message and code, never the user's 401, never the key", async () => {
    const wrong = await startTestService({ sharedUpstream: upstream, proxyUrl: `${proxyUrl}/v1`, masterKey: "sk-wrong-master-key-0000" });
    try {
      const response = await fetch(`${wrong.url}/api/agents/models`, { headers: bearer(mintToken()) });
      const text = await response.text();
      assert.equal(response.status, 502, text);
      assert.deepEqual(JSON.parse(text), {
        error: "Failed to fetch models from LiteLLM: LiteLLM refused the service's credentials (a server misconfiguration)",
        code: "upstream_misconfigured",
      });
      assert.ok(!text.includes("sk-wrong-master-key") && !wrong.logs.join("\n").includes("sk-wrong-master-key"));
      assert.ok(wrong.logs.some((line) => line.includes("rejected LITELLM_MASTER_KEY")));
    } finally {
      await stopTestService(wrong, { keepUpstream: true });
    }
  });

  test("an agent conversation over the WebSocket, with a tool call, through the real proxy: the usage the service records is LiteLLM's", async (t) => {
    const token = mintToken({ userId: 11, sub: "erin" });
    const created = await fetch(`${service.url}/api/agents`, {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ modelType: "priced-model" }),
    });
    assert.equal(created.status, 200);
    const { id } = await created.json() as { id: string };
    upstream.enqueue(
      { kind: "tool_calls", calls: [{ id: "call_s", name: "shout", arguments: '{"text":"hello"}' }] },
      // Usage with cached prompt tokens in the last chunk.
      { kind: "text", text: "It says HELLO.", usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70, prompt_tokens_details: { cached_tokens: 32 } } },
      // An upstream that sends no usage: LiteLLM counts the tokens itself.
      { kind: "text", text: "Still HELLO.", usage: null },
    );
    const socket = await openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${token}`);
    socket.send({ type: "message", content: "shout hello" });
    await socket.waitFor((e) => e.type === "complete", { timeoutMs: 30_000 });
    const firstRun = socket.events.length;
    socket.send({ type: "message", content: "and again?" });
    await socket.waitFor((e) => e.type === "complete", { timeoutMs: 30_000, from: firstRun });
    const all = socket.events.filter((e) => e.type === "step").map((e) => e.step as ReActStep);
    assert.deepEqual(all.map((s) => s.role), ["user", "agent", "agent", "user", "agent"]);
    const steps = all.slice(0, 3);
    assert.deepEqual(steps[1]!.toolResults, [{ toolCallId: "call_s", output: "HELLO" }]);
    assert.equal(steps[2]!.content, "It says HELLO.");
    // Each model step names LiteLLM's call: its usage, cost and end user are what LiteLLM's spend tracking recorded for it.
    const records: SpendRecord[] = [];
    for (const step of [...steps.slice(1), all[4]!]) {
      assert.match(step.requestId ?? "", /^[0-9a-f-]{36}$/, "the step has LiteLLM's call id");
      const record = await spendRecord(step.requestId!);
      records.push(record);
      assert.equal(record.end_user, "11");
      assert.equal(step.model, "priced-model");
      assert.deepEqual(step.usage, usageOf(record));
      assert.equal(step.cost?.source, "litellm");
      assert.ok(Math.abs(step.cost!.usd - record.response_cost) < 1e-12, `${step.cost!.usd} vs ${record.response_cost}`);
    }
    assert.equal(all[1]!.usage?.cachedInputTokens, 0);
    assert.equal(all[2]!.usage?.cachedInputTokens, 32, "cached tokens passed through");
    assert.ok(all[4]!.usage!.inputTokens > 0, "LiteLLM's own count when the provider sent none");
    const completes = socket.events.filter((e) => e.type === "complete").map((e) => e.usage as UsageTotals);
    await socket.close();
    // The tool result reached the model through the proxy.
    const last = upstream.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!;
    assert.ok(JSON.stringify(last.body!.messages).includes('"HELLO"'));

    // What the service recorded for the conversation equals LiteLLM's records of the same calls.
    const sum = (field: keyof SpendRecord) => records.reduce((total, r) => total + Number(r[field] ?? 0), 0);
    const litellm = {
      inputTokens: sum("prompt_tokens"),
      outputTokens: sum("completion_tokens"),
      totalTokens: sum("total_tokens"),
      cachedInputTokens: sum("cached_tokens"),
      costUsd: sum("response_cost"),
      calls: records.length,
    };
    const agentUsage = await (await fetch(`${service.url}/api/agents/${id}/usage`, { headers: bearer(token) })).json() as { total: UsageTotals };
    const today = await (await fetch(`${service.url}/api/agents/usage`, { headers: bearer(token) })).json() as { total: UsageTotals };
    const runs = completes.reduce((total, run) => {
      for (const key of Object.keys(total) as (keyof UsageTotals)[]) total[key] += run[key];
      return total;
    });
    for (const [what, totals] of [["the runs' complete events", runs], ["the agent's usage", agentUsage.total], ["the user's day", today.total]] as const) {
      const { costUsd, callsWithoutUsage, callsWithoutCost, ...counts } = totals;
      const { costUsd: litellmCost, ...litellmCounts } = litellm;
      assert.deepEqual(counts, litellmCounts, what);
      assert.ok(Math.abs(costUsd - litellmCost) < 1e-9, `${what}: ${costUsd} vs LiteLLM's ${litellmCost}`);
      assert.deepEqual([callsWithoutUsage, callsWithoutCost], [0, 0], what);
    }
    t.diagnostic(`LiteLLM recorded ${JSON.stringify(litellm)}; the service recorded ${JSON.stringify(agentUsage.total)}`);
  });

  test("a LiteLLM budget refusal through the proxy ends the run with a budget_exceeded step; the agent stays usable", async () => {
    const token = mintToken({ userId: 12, sub: "fay" });
    const created = await fetch(`${service.url}/api/agents`, {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ modelType: "budget-model" }),
    });
    assert.equal(created.status, 200);
    const { id } = await created.json() as { id: string };
    const socket = await openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${token}`);
    // The deployment's budget (1e-5 USD) is crossed by its first call (2.5e-5); LiteLLM counts spend after the answer.
    let refused: ReActStep | undefined;
    for (let i = 0; i < 30 && !refused; i++) {
      const from = socket.events.length;
      socket.send({ type: "message", content: `try ${i}` });
      await socket.waitFor((e) => e.type === "complete", { from, timeoutMs: 30_000 });
      refused = socket.events.slice(from).filter((e) => e.type === "step").map((e) => e.step as ReActStep).find((s) => s.errorCode !== undefined);
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(refused, "LiteLLM never refused the deployment over its budget");
    assert.equal(refused.errorCode, "budget_exceeded");
    assert.match(refused.error ?? "", /^The model service failed: LiteLLM refused the request: the spending budget is used up \[LiteLLM request [0-9a-f-]{36}\]\.$/);
    assert.match(refused.requestId ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(refused.usage, undefined, "a refused call used nothing");
    const agent = await (await fetch(`${service.url}/api/agents/${id}`, { headers: bearer(token) })).json() as { state: string };
    assert.equal(agent.state, "AVAILABLE", "the agent is usable again");
    await socket.close();
  });

  after(async () => {
    if (service) await stopTestService(service, { keepUpstream: true });
  });
});
