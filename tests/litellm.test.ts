/**
 * The LiteLLM client and GET /api/agents/models against a scripted
 * OpenAI-compatible upstream (it stands in for LiteLLM's answers; the real
 * proxy is exercised by tests/litellm-proxy/proxy.e2e.ts). The client runs
 * over both transports: `node:http` (the default) and `fetch`.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import {
  type ChatEvent,
  describeLiteLLMFailure,
  fetchTransport,
  LiteLLMClient,
  type LiteLLMClientOptions,
  LiteLLMError,
  liteLLMRoot,
  nodeHttpTransport,
  type Transport,
} from "../src/litellm.ts";
import { modelsRoutes } from "../src/http/models-routes.ts";
import { createLogger } from "../src/log.ts";
import { type Reply, SCRIPTED_USAGE, type ScriptedLLM, sseChunk, startScriptedLLM } from "./fixtures/scripted-llm.ts";
import { bearer, mintToken } from "./helpers/tokens.ts";
import { withServer } from "./helpers/server.ts";

const KEY = "sk-master-key-under-test-4f9a2c";
const TRANSPORTS: Array<[string, () => Transport]> = [["node:http", () => nodeHttpTransport()], ["fetch", () => fetchTransport()]];

async function withLLM(run: (llm: ScriptedLLM) => Promise<void>, options: Parameters<typeof startScriptedLLM>[0] = {}) {
  const llm = await startScriptedLLM(options);
  try {
    await run(llm);
  } finally {
    await llm.close();
  }
}

/** A client for one test, closed after it. */
async function withClient(options: LiteLLMClientOptions, run: (client: LiteLLMClient) => Promise<void>): Promise<void> {
  const client = new LiteLLMClient(options);
  try {
    await run(client);
  } finally {
    client.close();
  }
}

async function collect(stream: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const ask = (client: LiteLLMClient, extra: Partial<Parameters<LiteLLMClient["chat"]>[0]> = {}) =>
  collect(client.chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }], ...extra }));

async function chatError(client: LiteLLMClient, options: { signal?: AbortSignal } = {}): Promise<LiteLLMError> {
  try {
    await ask(client, options);
  } catch (error) {
    assert.ok(error instanceof LiteLLMError, `expected a LiteLLMError, got ${error}`);
    return error;
  }
  assert.fail("expected the chat to fail");
}

const finishOf = (events: ChatEvent[]) => {
  const last = events.at(-1);
  assert.ok(last?.type === "finish", `the last event is finish, not ${JSON.stringify(last)}`);
  return last;
};

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
      await withClient({ baseUrl: `${llm.url}/v1/`, masterKey: KEY }, async (client) => {
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
      });
    }, { models: ["gpt-5-mini", "claude-haiku-4.5"] });
  });

  test("without a master key no Authorization header is sent", async () => {
    await withLLM(async (llm) => {
      await withClient({ baseUrl: llm.url }, async (client) => {
        await client.listModels();
        assert.equal(llm.requests[0]!.headers.authorization, undefined);
      });
    });
  });

  test("is cached for the TTL: repeated calls make one upstream request, then it refreshes", async () => {
    await withLLM(async (llm) => {
      let now = 1_000_000;
      await withClient({ baseUrl: llm.url, masterKey: KEY, modelCacheTtlMs: 60_000, now: () => now }, async (client) => {
        for (let i = 0; i < 5; i++) await client.listModels();
        assert.equal(llm.requests.length, 1);
        now += 60_000;
        await client.listModels();
        assert.equal(llm.requests.length, 2);
      });
    });
  });

  test("concurrent callers share one upstream request", async () => {
    await withLLM(async (llm) => {
      await withClient({ baseUrl: llm.url, masterKey: KEY }, async (client) => {
        const lists = await Promise.all(Array.from({ length: 20 }, () => client.listModels()));
        assert.equal(llm.requests.length, 1);
        for (const list of lists) assert.equal(list, lists[0]);
      });
    });
  });

  test("serves the last list when LiteLLM fails after the TTL; fails when nothing is cached", async () => {
    let now = 0;
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line) });
    await withLLM(async (llm) => {
      await withClient({ baseUrl: llm.url, masterKey: KEY, modelCacheTtlMs: 1000, now: () => now, logger }, async (client) => {
        const first = await client.listModels();
        await llm.close();
        now += 5000;
        assert.deepEqual(await client.listModels(), first);
        assert.ok(lines.some((line) => line.includes("serving the last one fetched")), "the failure is logged");
        client.invalidateModels();
        await assert.rejects(client.listModels(), (error: unknown) => error instanceof LiteLLMError && error.code === "upstream_unavailable");
      });
    });
  });
});

describe("modelInfo", () => {
  test("parses /model/info leniently, prices included; LiteLLM's nulls are absent; cached", async () => {
    await withLLM(async (llm) => {
      await withClient({ baseUrl: llm.url, masterKey: KEY }, async (client) => {
        assert.deepEqual(await client.modelInfo(), [
          {
            id: "m1",
            deploymentId: "m1-id",
            provider: "openai",
            mode: "chat",
            maxInputTokens: 128000,
            supportsFunctionCalling: true,
            inputCostPerToken: 1e-6,
            outputCostPerToken: 2e-6,
            cacheReadInputTokenCost: 5e-7,
            tieredPriceFromTokens: 128_000,
          },
          { id: "m2", deploymentId: "m2-id", provider: "openai", mode: "chat", maxInputTokens: 128000, supportsFunctionCalling: true },
        ]);
        await client.modelInfo();
        assert.equal(llm.requests.filter((r) => r.path === "/v1/model/info").length, 1);
      });
    }, {
      models: ["m1", "m2"],
      modelInfo: {
        m1: { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6, cache_read_input_token_cost: 5e-7, input_cost_per_token_above_128k_tokens: 2e-6 },
        m2: { input_cost_per_token: null, output_cost_per_token: null, max_output_tokens: null, mode: "chat" },
      },
    });
  });
});

for (const [transportName, transport] of TRANSPORTS) {
  describe(`chat streaming over ${transportName}`, () => {
    const options = (llm: ScriptedLLM, extra: Partial<LiteLLMClientOptions> = {}): LiteLLMClientOptions => ({
      baseUrl: llm.url,
      masterKey: KEY,
      transport: transport(),
      ...extra,
    });

    test("streams text deltas as they come: a paced model's tokens one by one", async () => {
      await withLLM(async (llm) => {
        llm.enqueue({ kind: "text", text: "Hello there, world", chunkSize: 5, delayMs: 40 });
        await withClient(options(llm), async (client) => {
          const events = await ask(client);
          assert.deepEqual(events.filter((e) => e.type === "text").map((e) => e.type === "text" && e.text), ["Hello", " ther", "e, wo", "rld"]);
        });
      });
    });

    test("streams text, then finish with usage; sends the request LiteLLM expects, the end user included", async () => {
      await withLLM(async (llm) => {
        llm.enqueue({ kind: "text", text: "Hello there, world", chunkSize: 5, headers: { "x-litellm-call-id": "call-abc-123" } });
        await withClient(options(llm), async (client) => {
          const events = await ask(client, { user: "42", tools: [{ type: "function", function: { name: "noop", parameters: { type: "object" } } }] });
          // Pieces that arrive together come as one delta.
          const texts = events.flatMap((e) => (e.type === "text" ? [e.text] : []));
          assert.equal(texts.join(""), "Hello there, world");
          assert.ok(texts.length >= 1 && texts.length <= 4, String(texts.length));
          assert.deepEqual(events.at(-1), {
            type: "finish",
            finishReason: "stop",
            usage: { inputTokens: 11, outputTokens: 7, totalTokens: 18, cachedInputTokens: 0 },
            requestId: "call-abc-123",
          });
          const sent = llm.requests[0]!;
          assert.equal(sent.path, "/v1/chat/completions");
          assert.equal(sent.headers.authorization, `Bearer ${KEY}`);
          assert.equal(sent.headers["x-litellm-end-user-id"], "42");
          assert.equal(sent.headers.accept, "text/event-stream");
          assert.equal(sent.body!.stream, true);
          assert.deepEqual(sent.body!.stream_options, { include_usage: true });
          assert.equal(sent.body!.user, "42");
          assert.equal(sent.body!.parallel_tool_calls, false);
          assert.equal(sent.body!.model, "scripted-model");
        });
      });
    });

    test("an end user that is not a safe header value goes in the body only", async () => {
      await withLLM(async (llm) => {
        await withClient(options(llm), async (client) => {
          await ask(client, { user: "bob smith\r\nx-evil: 1" });
          assert.equal(llm.requests[0]!.headers["x-litellm-end-user-id"], undefined);
          assert.equal(llm.requests[0]!.headers["x-evil"], undefined);
          assert.equal(llm.requests[0]!.body!.user, "bob smith\r\nx-evil: 1");
        });
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
          await withClient(options(llm), async (client) => {
            const events = await ask(client);
            const calls = events.flatMap((e) => (e.type === "tool_call" ? [e.call] : []));
            assert.deepEqual(calls, [
              { id: "call_a", name: "getWeather", rawArguments: '{"city":"Paris","days":3}', input: { city: "Paris", days: 3 } },
              { id: "call_b", name: "getTime", rawArguments: '{"zone":"Europe/Paris"}', input: { zone: "Europe/Paris" } },
            ]);
            assert.equal(finishOf(events).finishReason, "tool_calls");
            assert.deepEqual(events[0], { type: "text", text: "Let me look." });
          });
        });
      });
    }

    test("a tool call without an id gets one; invalid argument JSON is reported, not thrown", async () => {
      await withLLM(async (llm) => {
        llm.enqueue({
          kind: "chunks",
          chunks: [sseChunk({ tool_calls: [{ index: 0, function: { name: "f", arguments: "{not json" } }] }), sseChunk({}, "tool_calls")],
        });
        await withClient(options(llm), async (client) => {
          const call = (await ask(client)).find((e) => e.type === "tool_call");
          assert.ok(call && call.type === "tool_call");
          assert.match(call.call.id, /^call_/);
          assert.equal(call.call.input, undefined);
          assert.equal(call.call.argumentsError, "the arguments are not valid JSON");
        });
      });
    });

    test("SSE comment lines (: ping) are ignored", async () => {
      await withLLM(async (llm) => {
        llm.enqueue({ kind: "chunks", pings: true, chunks: [sseChunk({ content: "a" }), sseChunk({ content: "b" }, "stop")] });
        await withClient(options(llm), async (client) => {
          const events = await ask(client);
          assert.equal(events.flatMap((e) => (e.type === "text" ? [e.text] : [])).join(""), "ab");
          assert.deepEqual(events.at(-1), { type: "finish", finishReason: "stop" });
        });
      });
    });

    test("usage only on the last choice chunk; no usage at all: finish without usage or cost", async () => {
      await withLLM(async (llm) => {
        llm.enqueue(
          { kind: "text", text: "one", usage: null },
          { kind: "text", text: "two", usageIn: "finish", usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } },
        );
        await withClient(options(llm), async (client) => {
          assert.deepEqual(finishOf(await ask(client)), { type: "finish", finishReason: "stop" });
          assert.equal(llm.requests.filter((r) => r.path === "/v1/model/info").length, 0, "no usage, nothing to price");
          assert.deepEqual(finishOf(await ask(client)), {
            type: "finish",
            finishReason: "stop",
            usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4, cachedInputTokens: 0 },
          });
        });
      });
    });

    test("cost: LiteLLM's own figure first, with cached tokens; no /model/info request", async () => {
      await withLLM(async (llm) => {
        llm.enqueue({
          kind: "text",
          text: "hi",
          usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70, prompt_tokens_details: { cached_tokens: 32 }, cost: 7.4e-5 },
        });
        await withClient(options(llm), async (client) => {
          const finish = finishOf(await ask(client));
          assert.deepEqual(finish.usage, { inputTokens: 50, outputTokens: 20, totalTokens: 70, cachedInputTokens: 32 });
          assert.deepEqual(finish.cost, { usd: 7.4e-5, source: "litellm" });
          assert.equal(llm.requests.filter((r) => r.path === "/v1/model/info").length, 0);
        });
      }, { models: ["scripted-model"], modelInfo: { "scripted-model": { input_cost_per_token: 1, output_cost_per_token: 1 } } });
    });

    test("cost: the deployment's prices times the usage when LiteLLM sent none (or 0); prices fetched once", async () => {
      await withLLM(async (llm) => {
        llm.enqueue(
          { kind: "text", text: "a", usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 }, headers: { "x-litellm-model-id": "scripted-model-id" } },
          { kind: "text", text: "b", usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20, cost: 0 } },
        );
        await withClient(options(llm), async (client) => {
          const first = finishOf(await ask(client)).cost;
          assert.equal(first?.source, "model_prices");
          assert.ok(Math.abs(first!.usd - (1000 * 2e-6 + 100 * 8e-6)) < 1e-12, String(first?.usd));
          const second = finishOf(await ask(client)).cost;
          assert.equal(second?.source, "model_prices");
          assert.ok(Math.abs(second!.usd - (10 * 2e-6 + 10 * 8e-6)) < 1e-12);
          assert.equal(llm.requests.filter((r) => r.path === "/v1/model/info").length, 1);
        });
      }, { models: ["scripted-model"], modelInfo: { "scripted-model": { input_cost_per_token: 2e-6, output_cost_per_token: 8e-6 } } });
    });

    test("cost: unknown when neither LiteLLM nor the model's prices say (never a guess)", async () => {
      const lines: string[] = [];
      await withLLM(async (llm) => {
        llm.enqueue({ kind: "text", text: "a", usage: { ...SCRIPTED_USAGE, cost: 0 } }, { kind: "text", text: "b" }, { kind: "text", text: "c" });
        await withClient(options(llm, { logger: createLogger({ write: (line) => lines.push(line) }) }), async (client) => {
          assert.equal(finishOf(await ask(client)).cost, undefined);
          assert.equal(finishOf(await ask(client)).cost, undefined);
          // /model/info failing: still unknown, logged, and the answer is not lost.
          client.invalidateModels();
          llm.failNextList({ kind: "status", status: 500, body: { error: { message: "down" } } });
          const finish = finishOf(await ask(client));
          assert.equal(finish.cost, undefined);
          assert.ok(finish.usage);
          assert.ok(lines.some((line) => line.includes("its cost is unknown")));
        });
      }, { models: ["scripted-model"], modelInfo: { "scripted-model": { input_cost_per_token: null, output_cost_per_token: null } } });
    });

    test("an aborted chat stops the upstream request at once", async () => {
      await withLLM(async (llm) => {
        llm.enqueue({ kind: "text", text: "x".repeat(400), chunkSize: 1, delayMs: 10 });
        await withClient(options(llm), async (client) => {
          const controller = new AbortController();
          const seen: string[] = [];
          await assert.rejects(
            (async () => {
              for await (const event of client.chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }], signal: controller.signal })) {
                if (event.type === "text") seen.push(event.text);
                if (seen.length === 3) controller.abort();
              }
            })(),
            (error: unknown) => error instanceof LiteLLMError && error.code === "aborted",
          );
          assert.equal(seen.length, 3);
          // The upstream sees its client go away long before the 4 s answer would end.
          for (let i = 0; i < 50 && llm.clientAborts === 0; i++) await new Promise((r) => setTimeout(r, 20));
          assert.equal(llm.clientAborts, 1);
        });
      });
    });

    test("a consumer that stops reading early ends the upstream request too", async () => {
      await withLLM(async (llm) => {
        llm.enqueue({ kind: "text", text: "y".repeat(400), chunkSize: 1, delayMs: 10 });
        await withClient(options(llm), async (client) => {
          for await (const event of client.chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }] })) {
            if (event.type === "text") break;
          }
          for (let i = 0; i < 50 && llm.clientAborts === 0; i++) await new Promise((r) => setTimeout(r, 20));
          assert.equal(llm.clientAborts, 1);
          // And the client still works.
          assert.equal(finishOf(await ask(client)).finishReason, "stop");
        });
      });
    });

    test("an answer longer than maxAnswerChars is refused", async () => {
      await withLLM(async (llm) => {
        llm.enqueue({ kind: "text", text: "z".repeat(20_000), chunkSize: 100 });
        await withClient(options(llm, { maxAnswerChars: 4096 }), async (client) => {
          const error = await chatError(client);
          assert.equal(error.code, "upstream_protocol");
          assert.match(describeLiteLLMFailure(error), /longer than 4096 characters/);
        });
      });
    });
  });
}

describe("retries", () => {
  /** A transport that fails its first `failures` requests as if nothing listened, then delegates. */
  const flaky = (failures: number, inner: Transport): Transport & { attempts: number } => {
    const transport = {
      attempts: 0,
      request: (request: Parameters<Transport["request"]>[0]) => {
        transport.attempts++;
        if (transport.attempts <= failures) return Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
        return inner.request(request);
      },
      close: () => inner.close(),
    };
    return transport;
  };

  test("maxRetries 1 retries once a request that reached no LiteLLM; 0 does not", async () => {
    await withLLM(async (llm) => {
      // No usage: no /model/info request to count.
      llm.enqueue({ kind: "text", text: "ok", usage: null });
      const once = flaky(1, nodeHttpTransport());
      await withClient({ baseUrl: llm.url, masterKey: KEY, maxRetries: 1, transport: once }, async (client) => {
        assert.equal(finishOf(await ask(client)).finishReason, "stop");
        assert.equal(once.attempts, 2);
      });
      const twice = flaky(2, nodeHttpTransport());
      await withClient({ baseUrl: llm.url, masterKey: KEY, maxRetries: 1, transport: twice }, async (client) => {
        assert.equal((await chatError(client)).code, "upstream_unavailable");
        assert.equal(twice.attempts, 2);
      });
      const none = flaky(1, nodeHttpTransport());
      await withClient({ baseUrl: llm.url, masterKey: KEY, transport: none }, async (client) => {
        assert.equal((await chatError(client)).code, "upstream_unavailable");
        assert.equal(none.attempts, 1);
      });
    });
  });
});

/** The fault matrix: each failure, its typed error, and the endpoint's answer. */
describe("fault matrix", () => {
  interface Fault {
    name: string;
    reply?: Reply;
    unreachable?: boolean;
    code: LiteLLMError["code"];
    status?: number;
    upstreamMessage?: RegExp;
    retryAfterMs?: number;
    requestId?: string;
    /** What the user is shown (and nothing of LiteLLM's text). */
    shown: RegExp;
    client?: Partial<LiteLLMClientOptions>;
  }
  const litellmError = (status: number, message: string, type: string | null = null) => ({ error: { message, type, param: null, code: String(status) } });
  const callId = { "x-litellm-call-id": "call-fault-1" };
  const faults: Fault[] = [
    { name: "connection refused", unreachable: true, code: "upstream_unavailable", shown: /^LiteLLM is unreachable$/ },
    { name: "timeout before headers", reply: { kind: "hang" }, code: "upstream_timeout", shown: /did not answer in time/, client: { requestTimeoutMs: 300 } },
    { name: "slow first token", reply: { kind: "silent-stream" }, code: "upstream_timeout", shown: /did not answer in time/, client: { firstTokenTimeoutMs: 300, requestTimeoutMs: 300 } },
    {
      name: "401 (our key refused)",
      reply: { kind: "status", status: 401, body: litellmError(401, `Authentication Error, Invalid proxy server token passed. Received API Key = ${KEY}`, "auth_error") },
      code: "upstream_misconfigured",
      status: 401,
      shown: /credentials \(a server misconfiguration\)/,
    },
    {
      name: "429 with retry-after",
      reply: { kind: "status", status: 429, body: litellmError(429, "litellm.RateLimitError: Rate limit reached"), headers: { "retry-after": "12", ...callId } },
      code: "rate_limited",
      status: 429,
      upstreamMessage: /Rate limit reached/,
      retryAfterMs: 12_000,
      requestId: "call-fault-1",
      shown: /^LiteLLM is rate limiting requests \(HTTP 429\); try again in 12 s \[LiteLLM request call-fault-1\]$/,
    },
    {
      name: "429 with the provider's retry time",
      reply: { kind: "status", status: 429, body: litellmError(429, "RateLimitError"), headers: { "llm_provider-retry-after": "2" } },
      code: "rate_limited",
      status: 429,
      retryAfterMs: 2000,
      shown: /try again in 2 s/,
    },
    {
      name: "budget_exceeded (422, LiteLLM 1.108.7)",
      reply: { kind: "status", status: 422, body: litellmError(422, "Budget has been exceeded! Current cost: 0.31, Max budget: 0.3", "budget_exceeded") },
      code: "budget_exceeded",
      status: 422,
      upstreamMessage: /Budget has been exceeded/,
      shown: /spending budget is used up/,
    },
    {
      name: "budget_exceeded (400, older LiteLLM)",
      reply: { kind: "status", status: 400, body: litellmError(400, "Budget has been exceeded!", "budget_exceeded") },
      code: "budget_exceeded",
      status: 400,
      shown: /spending budget is used up/,
    },
    {
      name: "400 invalid model",
      reply: {
        kind: "status",
        status: 400,
        body: { error: { message: "/chat/completions: Invalid model name passed in model=nope. Call `/v1/models` to view available models for your key.", type: "None", param: "None", code: "400" } },
      },
      code: "upstream_bad_request",
      status: 400,
      upstreamMessage: /Invalid model name/,
      shown: /^LiteLLM refused the request \(HTTP 400\)$/,
    },
    { name: "500", reply: { kind: "status", status: 500, body: litellmError(500, "litellm.APIConnectionError: boom"), headers: callId }, code: "upstream_error", status: 500, upstreamMessage: /boom/, requestId: "call-fault-1", shown: /^LiteLLM failed \(HTTP 500\) \[LiteLLM request call-fault-1\]$/ },
    { name: "503", reply: { kind: "status", status: 503, body: "<html>Service Unavailable</html>" }, code: "upstream_unavailable", status: 503, shown: /^LiteLLM is unreachable$/ },
    { name: "malformed JSON", reply: { kind: "malformed" }, code: "upstream_protocol", shown: /not JSON/ },
    { name: "SSE without [DONE]", reply: { kind: "chunks", done: false, chunks: [sseChunk({ content: "partial" })], headers: callId }, code: "upstream_protocol", requestId: "call-fault-1", shown: /before \[DONE\]/ },
    { name: "[DONE] without finish_reason", reply: { kind: "chunks", done: true, chunks: [sseChunk({ content: "partial" })] }, code: "upstream_protocol", shown: /finish_reason/ },
    { name: "connection reset mid-stream", reply: { kind: "reset", chunks: [sseChunk({ content: "par" })] }, code: "upstream_unavailable", shown: /^LiteLLM is unreachable$/ },
    {
      name: "error inside the stream",
      reply: { kind: "chunks", chunks: [sseChunk({ content: "a" }), { error: { message: "provider overloaded at internal-host:8443" } }], headers: callId },
      code: "upstream_error",
      upstreamMessage: /overloaded/,
      requestId: "call-fault-1",
      shown: /^LiteLLM reported an error during the answer \[LiteLLM request call-fault-1\]$/,
    },
  ];

  for (const [transportName, transport] of TRANSPORTS) {
    for (const fault of faults) {
      test(`chat over ${transportName}: ${fault.name} -> ${fault.code}`, async () => {
        await withLLM(async (llm) => {
          const baseUrl = fault.unreachable ? `http://127.0.0.1:${await closedPort()}` : llm.url;
          if (fault.reply) llm.enqueue(fault.reply);
          await withClient({ baseUrl, masterKey: KEY, transport: transport(), ...fault.client }, async (client) => {
            const error = await chatError(client);
            assert.equal(error.code, fault.code, error.message);
            assert.equal(error.status, fault.status);
            assert.equal(error.retryAfterMs, fault.retryAfterMs);
            assert.equal(error.requestId, fault.requestId);
            if (fault.upstreamMessage) assert.match(error.upstreamMessage ?? "", fault.upstreamMessage);
            const shown = describeLiteLLMFailure(error);
            assert.match(shown, fault.shown);
            if (error.upstreamMessage) assert.ok(!shown.includes(error.upstreamMessage.slice(0, 12)), `LiteLLM's text is not shown: ${shown}`);
            assert.ok(!JSON.stringify({ m: error.message, u: error.upstreamMessage, s: error.stack, shown }).includes(KEY), "the key never appears");
            // And the client still works afterwards.
            if (!fault.unreachable) {
              llm.enqueue({ kind: "text", text: "ok", usage: null });
              assert.equal(finishOf(await ask(client)).finishReason, "stop");
            }
          });
        });
      });
    }
  }

  // The endpoint answers for the list; stream-only faults apply to chat only.
  const streamOnly = ["slow first token", "SSE without [DONE]", "[DONE] without finish_reason", "error inside the stream", "429 with the provider's retry time"];
  for (const fault of faults.filter((f) => !streamOnly.includes(f.name))) {
    test(`GET /api/agents/models: ${fault.name} -> 502 {error, code: ${fault.code}}, and the service keeps serving`, async () => {
      await withLLM(async (llm) => {
        const baseUrl = fault.unreachable ? `http://127.0.0.1:${await closedPort()}` : llm.url;
        if (fault.reply) llm.failNextList(fault.reply as Parameters<ScriptedLLM["failNextList"]>[0]);
        const lines: string[] = [];
        const logger = createLogger({ level: "debug", write: (line) => lines.push(line) });
        await withClient({ baseUrl, masterKey: KEY, logger, ...fault.client }, async (client) => {
          await withServer({ logger, routes: [modelsRoutes(client, logger)] }, async ({ url }) => {
            const response = await fetch(`${url}/api/agents/models`, { headers: bearer(mintToken()) });
            const text = await response.text();
            assert.equal(response.status, 502, text);
            const body = JSON.parse(text) as { error: string; code: string };
            assert.match(body.error, /^Failed to fetch models from LiteLLM: /);
            assert.equal(body.code, fault.code);
            if (fault.name !== "malformed JSON") assert.match(body.error.replace(/^Failed to fetch models from LiteLLM: /, ""), fault.shown);
            if (fault.retryAfterMs) assert.equal(response.headers.get("retry-after"), String(fault.retryAfterMs / 1000));
            for (const piece of ["boom", "Invalid model", "Rate limit reached", "Budget has been"]) assert.ok(!text.includes(piece), `${piece} reached the user`);
            assert.ok(!text.includes(KEY) && !lines.join("\n").includes(KEY), "the key never reaches a response or a log line");
            if (fault.code === "upstream_misconfigured") assert.ok(lines.some((l) => l.includes("rejected LITELLM_MASTER_KEY")), "a clear log line");
            else if (fault.upstreamMessage) assert.ok(lines.some((l) => fault.upstreamMessage!.test(l)), "LiteLLM's text went to the log");
            const health = await fetch(`${url}/api/healthcheck`);
            assert.equal(health.status, 200);
            await health.body?.cancel();
          });
        });
      });
    });
  }
});

describe("GET /api/agents/models", () => {
  test("passes LiteLLM's list through, guarded like every /api/agents route", async () => {
    await withLLM(async (llm) => {
      await withClient({ baseUrl: llm.url, masterKey: KEY }, async (client) => {
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
              id: "gpt-5-mini",
              object: "model",
              created: 1677610602,
              owned_by: "openai",
              details: { provider: "openai", mode: "chat", maxInputTokens: 128000, supportsFunctionCalling: true, inputCostPerToken: 1e-7, outputCostPerToken: 4e-7 },
            }],
            object: "list",
          });
        });
      });
    }, { models: ["gpt-5-mini"], modelInfo: { "gpt-5-mini": { input_cost_per_token: 1e-7, output_cost_per_token: 4e-7 } } });
  });

  test("LiteLLM refusing our key is a 502 for the user, never the user's 401", async () => {
    await withLLM(async (llm) => {
      await withClient({ baseUrl: llm.url, masterKey: "sk-wrong-key-123456" }, async (client) => {
        await withServer({ routes: [modelsRoutes(client, createLogger({ write: () => {} }))] }, async ({ url }) => {
          const response = await fetch(`${url}/api/agents/models`, { headers: bearer(mintToken()) });
          assert.equal(response.status, 502);
          const text = await response.text();
          assert.doesNotMatch(text, /sk-wrong-key/);
          assert.deepEqual(JSON.parse(text), {
            error: "Failed to fetch models from LiteLLM: LiteLLM refused the service's credentials (a server misconfiguration)",
            code: "upstream_misconfigured",
          });
        });
      });
    }, { requireKey: KEY });
  });
});
