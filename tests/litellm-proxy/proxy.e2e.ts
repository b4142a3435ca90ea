/**
 * Against a real LiteLLM proxy (PyPI, pinned in scripts/litellm/setup.sh),
 * started on a loopback port with a master key, the cost map read locally
 * and no telemetry. Two models: `mock-model` (LiteLLM's own mock_response)
 * and `scripted-model`, routed to the test's scripted OpenAI-compatible
 * upstream (no model weights can be downloaded here: it scripts the
 * answers, tool calls and errors).
 *
 *   npm run test:litellm        # installs the venv on first use
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { LiteLLMClient, LiteLLMError, type ChatEvent } from "../../src/litellm.ts";
import { basicToolkit } from "../../src/agents/basic-toolkit.ts";
import type { Tool } from "../../src/agents/tool.ts";
import type { ReActStep } from "../../src/agents/types.ts";
import { freePort } from "../../scripts/bench/lib.ts";
import { type ScriptedLLM, startScriptedLLM } from "../fixtures/scripted-llm.ts";
import { bearer, mintToken } from "../helpers/tokens.ts";
import { startTestService, stopTestService, type TestService } from "../helpers/service.ts";
import { openSocket } from "../helpers/socket.ts";

const MASTER_KEY = "sk-litellm-e2e-master-4f2b1d";
let upstream: ScriptedLLM;
let proxy: ChildProcess;
let proxyUrl: string;
let proxyOutput = "";

async function collect(stream: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

before(async () => {
  upstream = await startScriptedLLM({ models: ["anything"] });
  const port = await freePort();
  proxyUrl = `http://127.0.0.1:${port}`;
  proxy = spawn("bash", ["scripts/litellm/run.sh", "--config", "scripts/litellm/test-config.yaml", "--port", String(port), "--host", "127.0.0.1"], {
    env: { ...process.env, LITELLM_MASTER_KEY: MASTER_KEY, SCRIPTED_LLM_API_BASE: `${upstream.url}/v1` },
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
});

const client = (masterKey = MASTER_KEY) => new LiteLLMClient({ baseUrl: `${proxyUrl}/v1`, masterKey, requestTimeoutMs: 30_000 });

describe("the real LiteLLM proxy", () => {
  test("model list: the OpenAI list shape with both configured models", async () => {
    const list = await client().listModels();
    assert.equal(list.object, "list");
    assert.deepEqual(list.data.map((m) => m.id).sort(), ["mock-model", "scripted-model"]);
    for (const model of list.data) assert.equal(model.object, "model");
  });

  test("a streamed answer from LiteLLM's own mock model", async () => {
    const events = await collect(client().chat({ model: "mock-model", messages: [{ role: "user", content: "hi" }], user: "7" }));
    const text = events.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("");
    assert.equal(text, "hello from mock");
    const last = events.at(-1)!;
    assert.equal(last.type === "finish" ? last.finishReason : last.type, "stop");
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
    const last = events.at(-1)!;
    assert.equal(last.type === "finish" ? last.finishReason : last.type, "tool_calls");
    // LiteLLM called the upstream with its own key, never ours.
    const forwarded = upstream.requests.at(-1)!;
    assert.equal(forwarded.path, "/v1/chat/completions");
    assert.notEqual(forwarded.headers.authorization, `Bearer ${MASTER_KEY}`);
  });

  test("an unknown model: LiteLLM's 400 surfaces as a clear bad_request error", async () => {
    await assert.rejects(collect(client().chat({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] })), (error: unknown) => {
      assert.ok(error instanceof LiteLLMError);
      assert.equal(error.kind, "bad_request");
      assert.equal(error.status, 400);
      assert.match(error.upstreamMessage ?? "", /Invalid model name|no-such-model/);
      return true;
    });
  });

  test("an upstream 429 behind the proxy comes back as rate_limited", async () => {
    upstream.enqueue({ kind: "status", status: 429, body: { error: { message: "Rate limit reached for requests", type: "rate_limit_error", code: "429" } } });
    await assert.rejects(collect(client().chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }] })), (error: unknown) => {
      assert.ok(error instanceof LiteLLMError);
      assert.equal(error.kind, "rate_limited", error.message);
      return true;
    });
  });

  test("the upstream dropping mid-stream is an error, not a short answer", async () => {
    upstream.enqueue({ kind: "reset", chunks: [{ choices: [{ index: 0, delta: { content: "partial" } }] }] });
    // LiteLLM relays the partial chunks, then an in-band error frame, then ends with HTTP 200 and no [DONE].
    await assert.rejects(collect(client().chat({ model: "scripted-model", messages: [{ role: "user", content: "hi" }] })), (error: unknown) => {
      assert.ok(error instanceof LiteLLMError);
      assert.equal(error.kind, "upstream", error.message);
      assert.match(error.upstreamMessage ?? "", /APIConnectionError|Connection/i);
      return true;
    });
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
    assert.deepEqual(body.data.map((m) => m.id).sort(), ["mock-model", "scripted-model"]);
  });

  test("a wrong master key: our 502 with a misconfiguration message, never the user's 401, never the key", async () => {
    const wrong = await startTestService({ sharedUpstream: upstream, proxyUrl: `${proxyUrl}/v1`, masterKey: "sk-wrong-master-key-0000" });
    try {
      const response = await fetch(`${wrong.url}/api/agents/models`, { headers: bearer(mintToken()) });
      const text = await response.text();
      assert.equal(response.status, 502, text);
      assert.match(text, /^\{"error":"Failed to fetch models from LiteLLM: LiteLLM refused the service's credentials \(a server misconfiguration\)"\}$/);
      assert.ok(!text.includes("sk-wrong-master-key") && !wrong.logs.join("\n").includes("sk-wrong-master-key"));
      assert.ok(wrong.logs.some((line) => line.includes("rejected LITELLM_MASTER_KEY")));
    } finally {
      await stopTestService(wrong, { keepUpstream: true });
    }
  });

  test("an agent conversation over the WebSocket, with a tool call, through the real proxy", async () => {
    const token = mintToken({ userId: 11, sub: "erin" });
    const created = await fetch(`${service.url}/api/agents`, {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ modelType: "scripted-model" }),
    });
    assert.equal(created.status, 200);
    const { id } = await created.json() as { id: string };
    upstream.enqueue(
      { kind: "tool_calls", calls: [{ id: "call_s", name: "shout", arguments: '{"text":"hello"}' }] },
      { kind: "text", text: "It says HELLO." },
    );
    const socket = await openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${token}`);
    socket.send({ type: "message", content: "shout hello" });
    await socket.waitFor((e) => e.type === "complete", { timeoutMs: 30_000 });
    const steps = socket.events.filter((e) => e.type === "step").map((e) => e.step as ReActStep);
    assert.deepEqual(steps.map((s) => s.role), ["user", "agent", "agent"]);
    assert.deepEqual(steps[1]!.toolResults, [{ toolCallId: "call_s", output: "HELLO" }]);
    assert.equal(steps[2]!.content, "It says HELLO.");
    await socket.close();
    // The tool result reached the model through the proxy.
    const last = upstream.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!;
    assert.ok(JSON.stringify(last.body!.messages).includes('"HELLO"'));
    await stopTestService(service, { keepUpstream: true });
  });
});
