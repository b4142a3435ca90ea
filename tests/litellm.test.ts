/**
 * The LiteLLM client and GET /api/agents/models against a scripted
 * OpenAI-compatible upstream (it stands in for LiteLLM's answers; the real
 * proxy is exercised by tests/litellm-proxy.test.ts).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { type ChatEvent, LiteLLMClient, LiteLLMError, liteLLMRoot } from "../src/litellm.ts";
import { modelsRoutes } from "../src/http/models-routes.ts";
import { createLogger } from "../src/log.ts";
import { type Reply, type ScriptedLLM, sseChunk, startScriptedLLM } from "./fixtures/scripted-llm.ts";
import { bearer, mintToken } from "./helpers/tokens.ts";
import { withServer } from "./helpers/server.ts";

const KEY = "sk-master-key-under-test-4f9a2c";

async function withLLM(run: (llm: ScriptedLLM) => Promise<void>, options: Parameters<typeof startScriptedLLM>[0] = {}) {
  const llm = await startScriptedLLM(options);
  try {
    await run(llm);
  } finally {
    await llm.close();
  }
}

async function collect(stream: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function chatError(client: LiteLLMClient, options: { signal?: AbortSignal } = {}): Promise<LiteLLMError> {
  try {
    await collect(client.chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }], ...options }));
  } catch (error) {
    assert.ok(error instanceof LiteLLMError, `expected a LiteLLMError, got ${error}`);
    return error;
  }
  assert.fail("expected the chat to fail");
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("liteLLMRoot", () => {
  test("accepts the base URL with or without /v1 and trailing slashes", () => {
    for (const base of ["http://h:4000", "http://h:4000/", "http://h:4000/v1", "http://h:4000/v1/"]) {
      assert.equal(liteLLMRoot(base), "http://h:4000", base);
    }
    assert.equal(liteLLMRoot("http://h/litellm/v1"), "http://h/litellm");
  });
});

describe("listModels", () => {
  test("passes the list through unchanged, with the master key as Bearer", async () => {
    await withLLM(async (llm) => {
      const client = new LiteLLMClient({ baseUrl: `${llm.url}/v1/`, masterKey: KEY });
      const list = await client.listModels();
      assert.deepEqual(list, {
        data: [
          { id: "gpt-5-mini", object: "model", created: 1677610602, owned_by: "openai" },
          { id: "claude-haiku-4.5", object: "model", created: 1677610602, owned_by: "openai" },
        ],
        object: "list",
      });
      assert.equal(llm.requests.length, 1);
      assert.equal(llm.requests[0]!.path, "/v1/models");
      assert.equal(llm.requests[0]!.headers.authorization, `Bearer ${KEY}`);
    }, { models: ["gpt-5-mini", "claude-haiku-4.5"] });
  });

  test("is cached for the TTL: repeated calls make one upstream request, then it refreshes", async () => {
    await withLLM(async (llm) => {
      let now = 1_000_000;
      const client = new LiteLLMClient({ baseUrl: llm.url, masterKey: KEY, modelCacheTtlMs: 60_000, now: () => now });
      for (let i = 0; i < 5; i++) await client.listModels();
      assert.equal(llm.requests.length, 1);
      now += 60_000;
      await client.listModels();
      assert.equal(llm.requests.length, 2);
    });
  });

  test("concurrent callers share one upstream request", async () => {
    await withLLM(async (llm) => {
      const client = new LiteLLMClient({ baseUrl: llm.url, masterKey: KEY });
      const lists = await Promise.all(Array.from({ length: 20 }, () => client.listModels()));
      assert.equal(llm.requests.length, 1);
      for (const list of lists) assert.equal(list, lists[0]);
    });
  });

  test("serves the last list when LiteLLM fails after the TTL; fails when nothing is cached", async () => {
    let now = 0;
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line) });
    await withLLM(async (llm) => {
      const client = new LiteLLMClient({ baseUrl: llm.url, masterKey: KEY, modelCacheTtlMs: 1000, now: () => now, logger });
      const first = await client.listModels();
      await llm.close();
      now += 5000;
      assert.deepEqual(await client.listModels(), first);
      assert.ok(lines.some((line) => line.includes("serving the last list")), "the failure is logged");
      client.invalidateModels();
      await assert.rejects(client.listModels(), (error: unknown) => error instanceof LiteLLMError && error.kind === "unreachable");
    });
  });
});

describe("modelInfo", () => {
  test("parses /model/info leniently", async () => {
    await withLLM(async (llm) => {
      const client = new LiteLLMClient({ baseUrl: llm.url, masterKey: KEY });
      assert.deepEqual(await client.modelInfo(), [
        { id: "m1", provider: "openai", mode: "chat", maxInputTokens: 128000, supportsFunctionCalling: true },
      ]);
    }, { models: ["m1"] });
  });
});

describe("chat streaming", () => {
  test("streams text deltas, then finish with usage; sends the request LiteLLM expects", async () => {
    await withLLM(async (llm) => {
      llm.enqueue({ kind: "text", text: "Hello there, world", chunkSize: 5 });
      const client = new LiteLLMClient({ baseUrl: llm.url, masterKey: KEY });
      const events = await collect(client.chat({
        model: "scripted-model",
        messages: [{ role: "user", content: "hi" }],
        user: "42",
        tools: [{ type: "function", function: { name: "noop", parameters: { type: "object" } } }],
      }));
      assert.deepEqual(events.filter((e) => e.type === "text").map((e) => e.type === "text" && e.text), ["Hello", " ther", "e, wo", "rld"]);
      assert.deepEqual(events.at(-1), { type: "finish", finishReason: "stop", usage: { inputTokens: 11, outputTokens: 7, totalTokens: 18 } });
      const sent = llm.requests[0]!;
      assert.equal(sent.path, "/v1/chat/completions");
      assert.equal(sent.headers.authorization, `Bearer ${KEY}`);
      assert.equal(sent.body!.stream, true);
      assert.equal(sent.body!.user, "42");
      assert.equal(sent.body!.parallel_tool_calls, false);
      assert.equal(sent.body!.model, "scripted-model");
    });
  });

  for (const style of ["split", "repeat-id", "late-id", "burst"] as const) {
    test(`assembles tool calls by index (${style})`, async () => {
      await withLLM(async (llm) => {
        llm.enqueue({
          kind: "tool_calls",
          style,
          text: "Let me look.",
          calls: [
            { id: "call_a", name: "getWeather", arguments: '{"city":"Paris","days":3}' },
            { id: "call_b", name: "getTime", arguments: '{"zone":"Europe/Paris"}' },
          ],
        });
        const client = new LiteLLMClient({ baseUrl: llm.url, masterKey: KEY });
        const events = await collect(client.chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }] }));
        const calls = events.flatMap((e) => (e.type === "tool_call" ? [e.call] : []));
        assert.deepEqual(calls, [
          { id: "call_a", name: "getWeather", rawArguments: '{"city":"Paris","days":3}', input: { city: "Paris", days: 3 } },
          { id: "call_b", name: "getTime", rawArguments: '{"zone":"Europe/Paris"}', input: { zone: "Europe/Paris" } },
        ]);
        assert.equal(events.at(-1)!.type === "finish" && events.at(-1)!.type, "finish");
        assert.deepEqual(events[0], { type: "text", text: "Let me look." });
      });
    });
  }

  test("a tool call without an id gets one; invalid argument JSON is reported, not thrown", async () => {
    await withLLM(async (llm) => {
      llm.enqueue({
        kind: "chunks",
        chunks: [
          sseChunk({ tool_calls: [{ index: 0, function: { name: "f", arguments: "{not json" } }] }),
          sseChunk({}, "tool_calls"),
        ],
      });
      const client = new LiteLLMClient({ baseUrl: llm.url, masterKey: KEY });
      const events = await collect(client.chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }] }));
      const call = events.find((e) => e.type === "tool_call");
      assert.ok(call && call.type === "tool_call");
      assert.match(call.call.id, /^call_/);
      assert.equal(call.call.input, undefined);
      assert.equal(call.call.argumentsError, "the arguments are not valid JSON");
    });
  });

  test("SSE comment lines (: ping) are ignored", async () => {
    await withLLM(async (llm) => {
      llm.enqueue({ kind: "chunks", pings: true, chunks: [sseChunk({ content: "a" }), sseChunk({ content: "b" }, "stop")] });
      const client = new LiteLLMClient({ baseUrl: llm.url, masterKey: KEY });
      const events = await collect(client.chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }] }));
      assert.deepEqual(events, [{ type: "text", text: "a" }, { type: "text", text: "b" }, { type: "finish", finishReason: "stop" }]);
    });
  });

  test("an aborted chat stops the upstream request at once", async () => {
    await withLLM(async (llm) => {
      llm.enqueue({ kind: "text", text: "x".repeat(400), chunkSize: 1, delayMs: 10 });
      const client = new LiteLLMClient({ baseUrl: llm.url, masterKey: KEY });
      const controller = new AbortController();
      const seen: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const event of client.chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }], signal: controller.signal })) {
            if (event.type === "text") seen.push(event.text);
            if (seen.length === 3) controller.abort();
          }
        })(),
        (error: unknown) => error instanceof LiteLLMError && error.kind === "aborted",
      );
      assert.equal(seen.length, 3);
      // The upstream sees its client go away long before the 4 s answer would end.
      for (let i = 0; i < 50 && llm.clientAborts === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(llm.clientAborts, 1);
    });
  });
});

/** The fault matrix: each failure, its typed error, and the endpoint's answer. */
describe("fault matrix", () => {
  interface Fault {
    name: string;
    reply?: Reply;
    unreachable?: boolean;
    kind: LiteLLMError["kind"];
    status?: number;
    upstreamMessage?: RegExp;
    endpoint: RegExp;
    client?: Partial<ConstructorParameters<typeof LiteLLMClient>[0]>;
  }
  const litellmError = (status: number, message: string) => ({ error: { message, type: null, param: null, code: String(status) } });
  const faults: Fault[] = [
    { name: "connection refused", unreachable: true, kind: "unreachable", endpoint: /LiteLLM is unreachable/ },
    { name: "timeout before headers", reply: { kind: "hang" }, kind: "timeout", endpoint: /did not answer in time/, client: { requestTimeoutMs: 300 } },
    { name: "slow first token", reply: { kind: "silent-stream" }, kind: "timeout", endpoint: /did not answer in time/, client: { firstTokenTimeoutMs: 300, requestTimeoutMs: 300 } },
    { name: "401 (our key refused)", reply: { kind: "status", status: 401, body: litellmError(401, `Authentication Error, Invalid proxy server token passed. Received API Key = ${KEY}`) }, kind: "auth", status: 401, endpoint: /credentials \(a server misconfiguration\)/ },
    { name: "429", reply: { kind: "status", status: 429, body: litellmError(429, "litellm.RateLimitError: Rate limit reached") }, kind: "rate_limited", status: 429, upstreamMessage: /Rate limit reached/, endpoint: /rate limiting/ },
    { name: "400 invalid model", reply: { kind: "status", status: 400, body: { error: { message: "/chat/completions: Invalid model name passed in model=nope. Call `/v1/models` to view available models for your key.", type: "None", param: "None", code: "400" } } }, kind: "bad_request", status: 400, upstreamMessage: /Invalid model name/, endpoint: /HTTP 400: .*Invalid model name/ },
    { name: "500", reply: { kind: "status", status: 500, body: litellmError(500, "litellm.APIConnectionError: boom") }, kind: "upstream", status: 500, upstreamMessage: /boom/, endpoint: /HTTP 500/ },
    { name: "malformed JSON", reply: { kind: "malformed" }, kind: "protocol", endpoint: /not JSON/ },
    { name: "SSE without [DONE]", reply: { kind: "chunks", done: false, chunks: [sseChunk({ content: "partial" })] }, kind: "protocol", endpoint: /before \[DONE\]/ },
    { name: "[DONE] without finish_reason", reply: { kind: "chunks", done: true, chunks: [sseChunk({ content: "partial" })] }, kind: "protocol", endpoint: /finish_reason/ },
    { name: "connection reset mid-stream", reply: { kind: "reset", chunks: [sseChunk({ content: "par" })] }, kind: "unreachable", endpoint: /unreachable|lost/ },
    { name: "error inside the stream", reply: { kind: "chunks", chunks: [sseChunk({ content: "a" }), { error: { message: "provider overloaded" } }] }, kind: "upstream", upstreamMessage: /overloaded/, endpoint: /overloaded/ },
  ];

  for (const fault of faults) {
    test(`chat: ${fault.name} -> ${fault.kind}`, async () => {
      await withLLM(async (llm) => {
        const baseUrl = fault.unreachable ? `http://127.0.0.1:${await closedPort()}` : llm.url;
        if (fault.reply) llm.enqueue(fault.reply);
        const client = new LiteLLMClient({ baseUrl, masterKey: KEY, ...fault.client });
        const error = await chatError(client);
        assert.equal(error.kind, fault.kind, error.message);
        if (fault.status !== undefined) assert.equal(error.status, fault.status);
        if (fault.upstreamMessage) assert.match(error.upstreamMessage ?? "", fault.upstreamMessage);
        assert.ok(!JSON.stringify({ m: error.message, u: error.upstreamMessage, s: error.stack }).includes(KEY), "the key never appears");
      });
    });
  }

  // The endpoint answers for the list; stream-only faults apply to chat, so map them to a list failure where they can occur.
  const listFaults = faults.filter((f) => !["slow first token", "SSE without [DONE]", "[DONE] without finish_reason", "error inside the stream"].includes(f.name));
  for (const fault of listFaults) {
    test(`GET /api/agents/models: ${fault.name} -> 502, and the service keeps serving`, async () => {
      await withLLM(async (llm) => {
        const baseUrl = fault.unreachable ? `http://127.0.0.1:${await closedPort()}` : llm.url;
        if (fault.reply) llm.failNextList(fault.reply as Parameters<ScriptedLLM["failNextList"]>[0]);
        const lines: string[] = [];
        const logger = createLogger({ level: "debug", write: (line) => lines.push(line) });
        const client = new LiteLLMClient({ baseUrl, masterKey: KEY, logger, ...fault.client });
        await withServer({ logger, routes: [modelsRoutes(client, logger)] }, async ({ url }) => {
          const response = await fetch(`${url}/api/agents/models`, { headers: bearer(mintToken()) });
          const text = await response.text();
          assert.equal(response.status, 502, text);
          const body = JSON.parse(text) as { error: string };
          assert.match(body.error, /^Failed to fetch models from LiteLLM: /);
          assert.match(body.error, fault.endpoint);
          assert.ok(!text.includes(KEY) && !lines.join("\n").includes(KEY), "the key never reaches a response or a log line");
          if (fault.kind === "auth") assert.ok(lines.some((l) => l.includes("rejected LITELLM_MASTER_KEY")), "a clear log line");
          const health = await fetch(`${url}/api/healthcheck`);
          assert.equal(health.status, 200);
          await health.body?.cancel();
        });
      });
    });
  }
});

describe("GET /api/agents/models", () => {
  test("passes LiteLLM's list through, guarded like every /api/agents route", async () => {
    await withLLM(async (llm) => {
      const client = new LiteLLMClient({ baseUrl: llm.url, masterKey: KEY });
      await withServer({ routes: [modelsRoutes(client, createLogger({ write: () => {} }))] }, async ({ url }) => {
        const anonymous = await fetch(`${url}/api/agents/models`);
        assert.equal(anonymous.status, 401);
        await anonymous.body?.cancel();
        const response = await fetch(`${url}/api/agents/models`, { headers: bearer(mintToken()) });
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { data: [{ id: "gpt-5-mini", object: "model", created: 1677610602, owned_by: "openai" }], object: "list" });
        const detailed = await fetch(`${url}/api/agents/models?details=true`, { headers: bearer(mintToken()) });
        assert.deepEqual(await detailed.json(), {
          data: [{
            id: "gpt-5-mini", object: "model", created: 1677610602, owned_by: "openai",
            details: { provider: "openai", mode: "chat", maxInputTokens: 128000, supportsFunctionCalling: true },
          }],
          object: "list",
        });
      });
    }, { models: ["gpt-5-mini"] });
  });

  test("LiteLLM refusing our key is a 502 for the user, never the user's 401", async () => {
    await withLLM(async (llm) => {
      const client = new LiteLLMClient({ baseUrl: llm.url, masterKey: "sk-wrong-key-123456" });
      await withServer({ routes: [modelsRoutes(client, createLogger({ write: () => {} }))] }, async ({ url }) => {
        const response = await fetch(`${url}/api/agents/models`, { headers: bearer(mintToken()) });
        assert.equal(response.status, 502);
        const text = await response.text();
        assert.doesNotMatch(text, /sk-wrong-key/);
        assert.match(text, /server misconfiguration/);
      });
    }, { requireKey: KEY });
  });
});
