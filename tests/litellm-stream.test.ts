/**
 * Reading a streamed answer (src/litellm/stream.ts) and its usage and cost
 * (src/litellm/usage.ts), without a network: the SSE text is fed in batches
 * split anywhere, as a transport may deliver it.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { errorFromAnswer, LiteLLMError } from "../src/litellm/errors.ts";
import { readChatStream, type StreamEnd } from "../src/litellm/stream.ts";
import type { ChatEvent, ModelDetails } from "../src/litellm/types.ts";
import { costFromPrices, litellmCost, pricesFor, readUsage } from "../src/litellm/usage.ts";
import { replyChunks, sseChunk } from "./fixtures/scripted-llm.ts";
import { mulberry32 } from "./helpers/jwt-mutations.ts";

const sse = (chunks: unknown[], done = true) => chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + (done ? "data: [DONE]\n\n" : "");

async function* batches(text: string, cuts: number[]): AsyncGenerator<string> {
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield text.slice(from, cut);
    from = cut;
  }
  yield text.slice(from);
}

async function read(text: string, cuts: number[] = [], maxChars = 1 << 24): Promise<{ events: ChatEvent[]; end: StreamEnd; firstTokens: number }> {
  const events: ChatEvent[] = [];
  let firstTokens = 0;
  const stream = readChatStream(batches(text, cuts), {
    onFirstToken: () => firstTokens++,
    maxChars,
    errorFrame: (body) => errorFromAnswer({ body, inStream: true }, (t) => t, 0),
  });
  while (true) {
    const next = await stream.next();
    if (next.done) return { events, end: next.value, firstTokens };
    events.push(next.value);
  }
}

describe("readChatStream", () => {
  const answer = sse(replyChunks({
    kind: "tool_calls",
    text: "Let me look — ünïcode ✓.",
    calls: [{ id: "call_a", name: "getWeather", arguments: '{"city":"Paris","days":3}' }, { id: "call_b", name: "getTime", arguments: "{}" }],
    usage: { prompt_tokens: 40, completion_tokens: 9, total_tokens: 49, prompt_tokens_details: { cached_tokens: 32 }, cost: 0.00012 },
  }));

  test("one delta per batch that carries text: a paced stream's tokens stay apart", async () => {
    const pieces = [sseChunk({ role: "assistant", content: "" }), sseChunk({ content: "one " }), sseChunk({ content: "two" }), sseChunk({}, "stop")];
    const text = sse(pieces);
    const cuts = [...text.matchAll(/data: /g)].map((m) => m.index!).filter((i) => i > 0);
    const { events, firstTokens } = await read(text, cuts);
    assert.deepEqual(events, [{ type: "text", text: "one " }, { type: "text", text: "two" }]);
    assert.equal(firstTokens, 1);
  });

  test("the same answer however the body is cut into batches (200 random cuttings)", async () => {
    const whole = await read(answer);
    assert.deepEqual(whole.events, [{ type: "text", text: "Let me look — ünïcode ✓." }]);
    assert.deepEqual(whole.end.toolCalls.map((c) => [c.id, c.name, c.input]), [["call_a", "getWeather", { city: "Paris", days: 3 }], ["call_b", "getTime", {}]]);
    assert.equal(whole.end.finishReason, "tool_calls");
    assert.deepEqual(whole.end.usage, {
      usage: { inputTokens: 40, outputTokens: 9, totalTokens: 49, cachedInputTokens: 32 },
      reasoningTokens: 0,
      litellmCostUsd: 0.00012,
    });
    assert.equal(whole.firstTokens, 1);
    const random = mulberry32(17);
    for (let round = 0; round < 200; round++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 30) }, () => Math.floor(random() * answer.length));
      const cut = await read(answer, cuts);
      assert.deepEqual(cut.events.map((e) => e.type === "text" && e.text).join(""), "Let me look — ünïcode ✓.", `cuts ${cuts}`);
      assert.deepEqual(cut.end, whole.end, `cuts ${cuts}`);
    }
  });

  test("usage on the last choice chunk (no chunk of its own), and none at all", async () => {
    const onFinish = await read(sse(replyChunks({ kind: "text", text: "hi", usageIn: "finish", usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } })));
    assert.deepEqual(onFinish.end.usage?.usage, { inputTokens: 5, outputTokens: 1, totalTokens: 6, cachedInputTokens: 0 });
    const none = await read(sse(replyChunks({ kind: "text", text: "hi", usage: null })));
    assert.equal(none.end.usage, undefined);
    assert.equal(none.end.finishReason, "stop");
  });

  test("strict endings: no [DONE], no finish_reason, an error frame even before [DONE], not JSON, too long", async () => {
    const fails = async (text: string, code: string, message: RegExp, maxChars?: number) => {
      await assert.rejects(read(text, [], maxChars), (error: unknown) => {
        assert.ok(error instanceof LiteLLMError);
        assert.equal(error.code, code);
        assert.match(error.message, message);
        return true;
      });
    };
    await fails(sse([sseChunk({ content: "partial" })], false), "upstream_protocol", /before \[DONE\]/);
    await fails(sse([sseChunk({ content: "partial" })]), "upstream_protocol", /finish_reason/);
    await fails(sse([sseChunk({ content: "a" }), { error: { message: "x", type: null, code: "500" } }]), "upstream_error", /inside the stream/);
    await fails("data: {nope\n\n", "upstream_protocol", /not JSON/);
    await fails("data: [1,2]\n\n", "upstream_protocol", /not an object/);
    await fails(sse([sseChunk({ tool_calls: [{ index: 0, function: { arguments: "{}" } }] }), sseChunk({}, "tool_calls")]), "upstream_protocol", /without a name/);
    await fails(sse(replyChunks({ kind: "text", text: "x".repeat(500) })), "upstream_protocol", /longer than 100 characters/, 100);
  });

  test("comment lines, CRLF line ends and events after [DONE] are ignored", async () => {
    const text = `: ping\r\n\r\n${sse([sseChunk({ content: "a" }), sseChunk({ content: "b" }, "stop")]).replaceAll("\n", "\r\n")}data: {"error":"after the end"}\n\n`;
    const { events, end } = await read(text);
    assert.deepEqual(events, [{ type: "text", text: "ab" }], "what arrived together is one delta");
    assert.equal(end.finishReason, "stop");
  });
});

describe("usage and cost", () => {
  const usage = (raw: Record<string, unknown>) => readUsage(raw)!;
  const prices: ModelDetails = { id: "m", inputCostPerToken: 1e-6, outputCostPerToken: 2e-6 };

  test("readUsage: OpenAI's and LiteLLM's fields; nothing without token counts", () => {
    assert.deepEqual(usage({ prompt_tokens: 50, completion_tokens: 20, total_tokens: 70, prompt_tokens_details: { cached_tokens: 32 } }).usage, {
      inputTokens: 50, outputTokens: 20, totalTokens: 70, cachedInputTokens: 32,
    });
    assert.equal(usage({ prompt_tokens: 50, completion_tokens: 20, cache_read_input_tokens: 12 }).usage.cachedInputTokens, 12);
    assert.equal(usage({ prompt_tokens: 50, completion_tokens: 20 }).usage.totalTokens, 70, "total computed when absent");
    assert.equal(usage({ prompt_tokens: 5, completion_tokens: 9, completion_tokens_details: { reasoning_tokens: 4 } }).reasoningTokens, 4);
    assert.equal(readUsage({ cost: 0.1 }), undefined);
    assert.equal(readUsage({ prompt_tokens: -1, completion_tokens: "3" }), undefined);
    assert.equal(usage({ prompt_tokens: 1, completion_tokens: 1, cost: "0.1" }).litellmCostUsd, undefined);
  });

  test("LiteLLM's cost is the figure when it is one; 0 for tokens used is not", () => {
    assert.deepEqual(litellmCost(usage({ prompt_tokens: 11, completion_tokens: 7, cost: 2.5e-5 })), { usd: 2.5e-5, source: "litellm" });
    assert.equal(litellmCost(usage({ prompt_tokens: 11, completion_tokens: 7, cost: 0 })), undefined);
    assert.deepEqual(litellmCost(usage({ prompt_tokens: 0, completion_tokens: 0, cost: 0 })), { usd: 0, source: "litellm" });
    assert.equal(litellmCost(usage({ prompt_tokens: 11, completion_tokens: 7 })), undefined);
  });

  test("costFromPrices: input, cached input at its price, output, reasoning at its price", () => {
    // Measured on LiteLLM 1.108.7 with these prices: 50 in (32 cached), 20 out -> cost 7.4e-5.
    const cached = usage({ prompt_tokens: 50, completion_tokens: 20, prompt_tokens_details: { cached_tokens: 32 } });
    const close = (actual: number | undefined, expected: number) => assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);
    close(costFromPrices(cached, { ...prices, cacheReadInputTokenCost: 5e-7 })?.usd, 7.4e-5);
    close(costFromPrices(cached, prices)?.usd, 50e-6 + 40e-6);
    const reasoning = usage({ prompt_tokens: 10, completion_tokens: 30, completion_tokens_details: { reasoning_tokens: 20 } });
    close(costFromPrices(reasoning, { ...prices, outputCostPerReasoningToken: 5e-6 })?.usd, 10e-6 + 10 * 2e-6 + 20 * 5e-6);
    close(costFromPrices(reasoning, prices)?.usd, 10e-6 + 30 * 2e-6);
    assert.equal(costFromPrices(reasoning, prices)?.source, "model_prices");
    assert.deepEqual(costFromPrices(reasoning, { id: "free", inputCostPerToken: 0, outputCostPerToken: 0 }), { usd: 0, source: "model_prices" });
  });

  test("costFromPrices: unknown without both prices, and past a price tier", () => {
    const small = usage({ prompt_tokens: 1000, completion_tokens: 10 });
    assert.equal(costFromPrices(small, { id: "m", inputCostPerToken: 1e-6 }), undefined);
    assert.equal(costFromPrices(small, { id: "m", outputCostPerToken: 1e-6 }), undefined);
    assert.equal(costFromPrices(usage({ prompt_tokens: 300_000, completion_tokens: 10 }), { ...prices, tieredPriceFromTokens: 200_000 }), undefined);
    assert.ok(costFromPrices(small, { ...prices, tieredPriceFromTokens: 200_000 }) !== undefined);
  });

  test("pricesFor: the deployment LiteLLM named, else the model's if its deployments agree", () => {
    const a: ModelDetails = { id: "m", deploymentId: "d1", inputCostPerToken: 1e-6, outputCostPerToken: 2e-6 };
    const b: ModelDetails = { id: "m", deploymentId: "d2", inputCostPerToken: 3e-6, outputCostPerToken: 4e-6 };
    const c: ModelDetails = { id: "m", deploymentId: "d3", inputCostPerToken: 1e-6, outputCostPerToken: 2e-6 };
    assert.equal(pricesFor([a, b], "m", "d2"), b);
    assert.equal(pricesFor([a, b], "m", undefined), undefined, "two prices and no way to tell: unknown");
    assert.equal(pricesFor([a, b], "m", "d9"), undefined);
    assert.equal(pricesFor([a, c], "m", undefined), a);
    assert.equal(pricesFor([a], "other", undefined), undefined);
  });
});
