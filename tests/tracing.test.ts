/**
 * OpenTelemetry traces against an OTLP receiver the test starts: one
 * conversation with a tool call, on a socket whose upgrade carried a W3C
 * traceparent, yields the expected tree of GenAI spans in that trace, in
 * http/json and in http/protobuf, with the model and token counts and no
 * secret or prompt text; LiteLLM gets each model call's traceparent.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";
import type { OtlpProtocol, TracingConfig } from "../src/config/observability.ts";
import { NO_METRICS } from "../src/observability/metrics.ts";
import { createOtelTracing } from "../src/observability/otel-tracing.ts";
import { NO_TRACING } from "../src/observability/tracing.ts";
import { SCRIPTED_USAGE } from "./fixtures/scripted-llm.ts";
import { type ReceivedSpan, startOtlpReceiver } from "./helpers/otlp-receiver.ts";
import { MASTER_KEY, type TestService, withService } from "./helpers/service.ts";
import { openSocket } from "./helpers/socket.ts";
import { bearer, mintToken, TEST_SECRET } from "./helpers/tokens.ts";
import { addTool } from "./helpers/tools.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
const toolkits = () => basicToolkit([addTool]);
const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const PROMPT = "please add 2 and 3 for me";

function config(url: string, protocol: OtlpProtocol, captureContent = false): TracingConfig {
  return {
    url,
    protocol,
    headers: { "x-collector-key": "collector-secret-value" },
    timeoutMs: 5_000,
    serviceName: "agent-service-test",
    resourceAttributes: { "deployment.environment": "test" },
    sampler: "parentbased_always_on",
    samplerRatio: 1,
    captureContent,
  };
}

/** Creates an agent, opens its socket with the caller's traceparent, and runs one conversation with a tool call. */
async function conversation(service: TestService): Promise<void> {
  const created = await fetch(`${service.url}/api/agents`, {
    method: "POST",
    headers: { ...bearer(alice), "content-type": "application/json" },
    body: JSON.stringify({ modelType: "scripted-model", name: "Tracer" }),
  });
  const agentId = ((await created.json()) as { id: string }).id;
  const socket = await openSocket(`${service.wsUrl}/api/agents/${agentId}/react?access-token=${alice}`, {
    headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
  });
  try {
    await socket.waitFor((e) => e.type === "init");
    service.upstream.enqueue(
      { kind: "tool_calls", text: "Adding.", calls: [{ id: "call-1", name: "add", arguments: '{"a":2,"b":3}' }] },
      { kind: "text", text: "The sum is 5." },
    );
    socket.send({ type: "message", content: PROMPT });
    await socket.waitFor((e) => e.type === "complete");
  } finally {
    await socket.close();
  }
}

const only = (spans: ReceivedSpan[], match: (span: ReceivedSpan) => boolean, what: string): ReceivedSpan => {
  const found = spans.filter(match);
  assert.equal(found.length, 1, `exactly one ${what}; spans: ${spans.map((s) => s.name).join(", ")}`);
  return found[0]!;
};

describe("traces over OTLP/HTTP", () => {
  for (const protocol of ["http/json", "http/protobuf"] as const) {
    test(`a conversation with a tool call is one tree of GenAI spans under the caller's trace (${protocol})`, async () => {
      const receiver = await startOtlpReceiver();
      const tracing = createOtelTracing(config(receiver.url, protocol), { exportDelayMs: 50 });
      let chats: { headers: Record<string, unknown> }[] = [];
      try {
        await withService({ toolkits, telemetry: { metrics: NO_METRICS, tracing } }, async (service) => {
          await conversation(service);
          chats = service.upstream.requests.filter((r) => r.path === "/v1/chat/completions");
        });
      } finally {
        await tracing.close(); // exports what is left
        await receiver.close();
      }
      assert.ok(receiver.contentTypes.length > 0, "the receiver got exports");
      for (const type of receiver.contentTypes) assert.equal(type, protocol === "http/json" ? "application/json" : "application/x-protobuf");
      assert.ok(receiver.headers.every((h) => h["x-collector-key"] === "collector-secret-value"), "OTEL_EXPORTER_OTLP_HEADERS are sent");

      const spans = receiver.spans.filter((span) => span.traceId === CALLER_TRACE);
      const upgrade = only(spans, (s) => s.kind === 2 && s.name === "GET /api/agents/:id/react", "upgrade span");
      assert.equal(upgrade.parentSpanId, CALLER_SPAN, "the upgrade continues the caller's trace");
      assert.equal(upgrade.attributes["http.route"], "/api/agents/:id/react");
      assert.equal(upgrade.attributes["http.response.status_code"], 101);
      assert.equal(upgrade.resource["service.name"], "agent-service-test");
      assert.equal(upgrade.resource["deployment.environment"], "test");

      const message = only(spans, (s) => s.name === "socket message", "socket message span");
      assert.equal(message.parentSpanId, upgrade.spanId);
      const run = only(spans, (s) => s.attributes["gen_ai.operation.name"] === "invoke_agent", "run span");
      assert.equal(run.parentSpanId, message.spanId);
      assert.equal(run.name, "invoke_agent Tracer");
      assert.equal(run.attributes["gen_ai.request.model"], "scripted-model");
      assert.equal(run.attributes["agent_service.run.outcome"], "completed");

      const calls = spans.filter((s) => s.attributes["gen_ai.operation.name"] === "chat");
      assert.equal(calls.length, 2, "two model calls");
      for (const call of calls) {
        assert.equal(call.parentSpanId, run.spanId);
        assert.equal(call.name, "chat scripted-model");
        assert.equal(call.kind, 3, "a client span");
        assert.equal(call.attributes["gen_ai.request.model"], "scripted-model");
        assert.equal(call.attributes["gen_ai.provider.name"], "litellm");
        assert.equal(call.attributes["gen_ai.usage.input_tokens"], SCRIPTED_USAGE.prompt_tokens);
        assert.equal(call.attributes["gen_ai.usage.output_tokens"], SCRIPTED_USAGE.completion_tokens);
        assert.equal(call.statusCode, 0);
      }
      const tool = only(spans, (s) => s.attributes["gen_ai.operation.name"] === "execute_tool", "tool span");
      assert.equal(tool.parentSpanId, run.spanId);
      assert.equal(tool.name, "execute_tool add");
      assert.equal(tool.attributes["gen_ai.tool.name"], "add");
      assert.equal(tool.attributes["gen_ai.tool.call.id"], "call-1");

      // LiteLLM saw each call's own span as its parent.
      assert.equal(chats.length, 2);
      assert.deepEqual(
        chats.map((c) => c.headers.traceparent).sort(),
        calls.map((c) => `00-${CALLER_TRACE}-${c.spanId}-01`).sort(),
      );

      const everything = receiver.bodies.join("\n");
      for (const secret of [alice, alice.split(".")[2]!, MASTER_KEY, TEST_SECRET, "collector-secret-value"]) {
        assert.equal(everything.includes(secret), false, "no token, key or secret in any exported span");
      }
      assert.equal(everything.includes(PROMPT), false, "prompt text stays out unless asked for");
      assert.equal(everything.includes("The sum is 5."), false, "completion text stays out unless asked for");
    });
  }

  test("with content capture asked for, model-call spans carry the prompt and the completion", async () => {
    const receiver = await startOtlpReceiver();
    const tracing = createOtelTracing(config(receiver.url, "http/json", true), { exportDelayMs: 50 });
    try {
      await withService({ toolkits, telemetry: { metrics: NO_METRICS, tracing } }, conversation);
    } finally {
      await tracing.close();
      await receiver.close();
    }
    const calls = receiver.spans.filter((s) => s.attributes["gen_ai.operation.name"] === "chat");
    assert.equal(calls.length, 2);
    assert.match(String(calls[0]!.attributes["gen_ai.input.messages"]), new RegExp(PROMPT));
    assert.ok(calls.some((c) => String(c.attributes["gen_ai.output.messages"]).includes("The sum is 5.")));
  });

  test("tracing off: no spans, and the caller's traceparent goes on to LiteLLM unchanged", async () => {
    await withService({ toolkits, telemetry: { metrics: NO_METRICS, tracing: NO_TRACING } }, async (service) => {
      await conversation(service);
      const chats = service.upstream.requests.filter((r) => r.path === "/v1/chat/completions");
      assert.equal(chats.length, 2);
      for (const chat of chats) assert.equal(chat.headers.traceparent, `00-${CALLER_TRACE}-${CALLER_SPAN}-01`);
    });
  });
});
