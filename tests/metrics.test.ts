/**
 * Metrics on their own listener, read before and after real traffic (REST,
 * refusals, gateway checks, a socket, a run with a model call, a tool call
 * and another model call), the access log and request ids.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";
import { createMetrics, METRIC_NAMES } from "../src/observability/metrics.ts";
import { metricsApp, startMetricsServer } from "../src/observability/metrics-server.ts";
import { NO_TRACING } from "../src/observability/tracing.ts";
import { SCRIPTED_USAGE } from "./fixtures/scripted-llm.ts";
import { sampleValue } from "./helpers/prometheus.ts";
import { type TestService, withService } from "./helpers/service.ts";
import { openSocket } from "./helpers/socket.ts";
import { bearer, mintToken } from "./helpers/tokens.ts";
import { addTool } from "./helpers/tools.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
const expired = mintToken({ userId: 1, sub: "alice", expiresIn: -3600 });
const toolkits = () => basicToolkit([addTool]);

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return await response.text();
}

async function call(service: TestService, path: string, init: RequestInit = {}) {
  const response = await fetch(`${service.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** A new agent of alice's, and its socket once `init` came. */
async function agentSocket(service: TestService) {
  const created = await call(service, "/api/agents", {
    method: "POST",
    headers: { ...bearer(alice), "content-type": "application/json" },
    body: JSON.stringify({ modelType: "scripted-model" }),
  });
  const socket = await openSocket(`${service.wsUrl}/api/agents/${created.body.id}/react?access-token=${alice}`);
  await socket.waitFor((e) => e.type === "init");
  return socket;
}

/** Waits until `check` holds (the server's side of a socket close runs a moment after the client's). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("metrics", () => {
  test("counters and histograms move as real traffic goes through; no user or agent id in any label", async () => {
    const metrics = createMetrics({ runtime: "test", processMetrics: false });
    const listener = await startMetricsServer(metrics, { host: "127.0.0.1", port: 0 });
    try {
      await withService({ toolkits, telemetry: { metrics, tracing: NO_TRACING } }, async (service) => {
        const before = await scrape(listener.url);
        const delta = (after: string, name: string, labels: Record<string, string> = {}) => sampleValue(after, name, labels) - sampleValue(before, name, labels);

        // REST: a list, a refused token, a creation.
        assert.equal((await call(service, "/api/agents", { headers: bearer(alice) })).status, 200);
        assert.equal((await call(service, "/api/agents", { headers: bearer(expired) })).status, 401);
        const created = await call(service, "/api/agents", {
          method: "POST",
          headers: { ...bearer(alice), "content-type": "application/json" },
          body: JSON.stringify({ modelType: "scripted-model", name: "Counter" }),
        });
        assert.equal(created.status, 200);
        const agentId = created.body.id as string;
        assert.equal((await call(service, "/api/agents/no/such/route", { headers: bearer(alice) })).status, 404);
        // The gateway check: allowed, and refused for an expired token.
        assert.equal((await call(service, "/api/auth/api/agents", { headers: bearer(alice) })).status, 200);
        assert.equal((await call(service, "/api/auth/api/agents", { headers: bearer(expired) })).status, 401);

        // A socket and a run: model call with a tool call, the tool, a second model call.
        const socket = await openSocket(`${service.wsUrl}/api/agents/${agentId}/react?access-token=${alice}`);
        service.upstream.enqueue(
          { kind: "tool_calls", text: "Adding.", calls: [{ id: "c1", name: "add", arguments: '{"a":2,"b":3}' }] },
          { kind: "text", text: "5" },
        );
        await socket.waitFor((e) => e.type === "init");
        socket.send({ type: "message", content: "add 2 and 3" });
        await socket.waitFor((e) => e.type === "complete");
        const during = await scrape(listener.url);
        assert.equal(sampleValue(during, METRIC_NAMES.socketsOpen) - sampleValue(before, METRIC_NAMES.socketsOpen), 1, "one socket open");
        await socket.close();
        await eventually(async () => sampleValue(await scrape(listener.url), METRIC_NAMES.socketsOpen) === sampleValue(before, METRIC_NAMES.socketsOpen), "the socket to be counted closed");

        const after = await scrape(listener.url);
        const http = `${METRIC_NAMES.httpDuration}_count`;
        assert.equal(delta(after, http, { method: "GET", route: "/api/agents", status: "200" }), 1);
        assert.equal(delta(after, http, { method: "GET", route: "/api/agents", status: "401" }), 1);
        assert.equal(delta(after, http, { method: "POST", route: "/api/agents", status: "200" }), 1);
        assert.equal(delta(after, http, { method: "GET", route: "/api/agents/:id/react", status: "101" }), 1);
        assert.equal(delta(after, http, { status: "404" }), 1, "the unknown path is counted");
        assert.ok(delta(after, `${METRIC_NAMES.httpDuration}_sum`, { route: "/api/agents" }) > 0, "durations are recorded");
        assert.equal(delta(after, `${METRIC_NAMES.httpDuration}_bucket`, { route: "/api/agents", status: "200", method: "GET", le: "+Inf" }), 1);

        assert.equal(delta(after, METRIC_NAMES.authRefusals, { code: "expired", by: "service" }), 1);
        assert.equal(delta(after, METRIC_NAMES.authRefusals, { code: "expired", by: "gateway" }), 1);
        assert.equal(delta(after, METRIC_NAMES.gatewayChecks, { answer: "allowed" }), 1);
        assert.equal(delta(after, METRIC_NAMES.gatewayChecks, { answer: "unauthorized" }), 1);
        assert.equal(delta(after, METRIC_NAMES.gatewayChecks, { answer: "forbidden" }), 0);

        assert.equal(delta(after, METRIC_NAMES.socketsClosed), 1);
        assert.equal(delta(after, METRIC_NAMES.runsStarted), 1);
        assert.equal(delta(after, METRIC_NAMES.runsEnded, { outcome: "completed" }), 1);
        assert.equal(delta(after, `${METRIC_NAMES.runDuration}_count`, { outcome: "completed" }), 1);
        assert.equal(delta(after, METRIC_NAMES.modelCalls, { model: "scripted-model", outcome: "ok" }), 2);
        assert.equal(delta(after, `${METRIC_NAMES.timeToFirstToken}_count`, { model: "scripted-model" }), 2);
        assert.equal(delta(after, `${METRIC_NAMES.modelDuration}_count`, { model: "scripted-model", outcome: "ok" }), 2);
        assert.equal(delta(after, METRIC_NAMES.modelTokens, { model: "scripted-model", type: "input" }), 2 * SCRIPTED_USAGE.prompt_tokens);
        assert.equal(delta(after, METRIC_NAMES.modelTokens, { model: "scripted-model", type: "output" }), 2 * SCRIPTED_USAGE.completion_tokens);
        assert.equal(delta(after, METRIC_NAMES.toolCalls, { tool: "add", outcome: "ok" }), 1);
        assert.equal(delta(after, `${METRIC_NAMES.toolDuration}_count`, { tool: "add" }), 1);
        assert.ok(delta(after, `${METRIC_NAMES.storeDuration}_count`, { operation: "getAgent", outcome: "ok" }) >= 2, "store reads are timed");
        assert.equal(delta(after, `${METRIC_NAMES.storeDuration}_count`, { operation: "createAgent", outcome: "ok" }), 1);
        assert.ok(delta(after, `${METRIC_NAMES.storeDuration}_count`, { operation: "appendStep", outcome: "ok" }) >= 3, "each step save is timed");
        assert.equal(sampleValue(after, METRIC_NAMES.info, { runtime: "test" }), 1);

        // Unbounded values never become labels.
        assert.doesNotMatch(after, new RegExp(agentId));
        assert.doesNotMatch(after, /uid|user_id|agent_id|alice/);
      });
    } finally {
      await listener.close(true);
    }
  });

  test("a model call that fails is counted with its error code, and a tool the model made up as 'unknown'", async () => {
    const metrics = createMetrics({ runtime: "test", processMetrics: false });
    await withService({ toolkits, telemetry: { metrics, tracing: NO_TRACING } }, async (service) => {
      const socket = await agentSocket(service);
      service.upstream.enqueue(
        { kind: "tool_calls", calls: [{ id: "x1", name: "made-up-tool-1234", arguments: "{}" }] },
        { kind: "status", status: 503, body: { error: { message: "down" } } },
      );
      socket.send({ type: "message", content: "go" });
      await socket.waitFor((e) => e.type === "complete");
      await socket.close();
      const text = await metrics.render();
      assert.equal(sampleValue(text, METRIC_NAMES.toolCalls, { tool: "unknown", outcome: "error" }), 1);
      assert.doesNotMatch(text, /made-up-tool/);
      assert.equal(sampleValue(text, METRIC_NAMES.modelCalls, { model: "scripted-model", outcome: "ok" }), 1);
      assert.equal(sampleValue(text, METRIC_NAMES.modelCalls, { model: "scripted-model", outcome: "upstream_unavailable" }), 1);
      assert.equal(sampleValue(text, METRIC_NAMES.runsEnded, { outcome: "error" }), 1);
    });
  });

  test("process metrics are exported; the listener answers only GET /metrics", async () => {
    const metrics = createMetrics({ runtime: "test" });
    const app = metricsApp(metrics);
    // The CPU counter counts from its creation, at the kernel's accounting granularity: use some.
    for (const end = performance.now() + 50; performance.now() < end;) Math.sqrt(Math.random());
    const text = await (await app.fetch(new Request("http://metrics/metrics"))).text();
    assert.ok(sampleValue(text, "process_cpu_user_seconds_total") > 0, "CPU time");
    assert.ok(sampleValue(text, "process_resident_memory_bytes") > 0 || sampleValue(text, "nodejs_heap_size_used_bytes") > 0, "memory");
    assert.equal((await app.fetch(new Request("http://metrics/"))).status, 404);
    assert.equal((await app.fetch(new Request("http://metrics/metrics", { method: "POST", body: "x" }))).status, 405);
  });
});

describe("request ids and the access log", () => {
  test("a sane X-Request-Id comes back and is on the access line; a bad one is replaced; no token or query in the line", async () => {
    await withService({ toolkits, accessLog: true }, async (service) => {
      const sent = await call(service, "/api/agents?limit=5", { headers: { ...bearer(alice), "x-request-id": "req-abc.123" } });
      assert.equal(sent.headers.get("x-request-id"), "req-abc.123");
      const bad = await call(service, "/api/agents", { headers: { ...bearer(alice), "x-request-id": "has spaces and \u00e9" } });
      const made = bad.headers.get("x-request-id") ?? "";
      assert.match(made, /^[0-9a-f-]{36}$/, "a fresh UUID replaces an insane id");
      const long = await call(service, "/api/healthcheck", { headers: { "x-request-id": "a".repeat(129) } });
      assert.notEqual(long.headers.get("x-request-id"), "a".repeat(129));
      const refused = await call(service, `/api/agents?access-token=${alice}`);
      assert.equal(refused.status, 401);

      const lines = service.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.component === "access");
      const first = lines.find((line) => line.requestId === "req-abc.123");
      assert.ok(first, "the access line carries the request id");
      assert.equal(first.msg, "request");
      assert.equal(first.method, "GET");
      assert.equal(first.route, "/api/agents");
      assert.equal(first.status, 200);
      assert.equal(first.userId, 1);
      assert.equal(typeof first.durationMs, "number");
      assert.ok(lines.some((line) => line.requestId === made));
      const refusedLine = lines.find((line) => line.status === 401);
      assert.ok(refusedLine);
      assert.equal(refusedLine.userId, undefined);
      const all = JSON.stringify(lines);
      assert.doesNotMatch(all, /limit=5|access-token|eyJ/, "no query string or token in access lines");
    });
  });

  test("a socket's open and close are logged with its request id, which its run's LiteLLM calls carry", async () => {
    await withService({ toolkits, accessLog: true }, async (service) => {
      const socket = await agentSocket(service);
      socket.send({ type: "message", content: "hello" });
      await socket.waitFor((e) => e.type === "complete");
      await socket.close();
      await eventually(async () => service.logs.some((line) => line.includes('"socket close"')), "the socket close line");
      const lines = service.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
      const open = lines.find((line) => line.msg === "socket open")!;
      const close = lines.find((line) => line.msg === "socket close")!;
      assert.equal(open.route, "/api/agents/:id/react");
      assert.equal(open.userId, 1);
      assert.equal(close.requestId, open.requestId);
      assert.equal(typeof close.code, "number");
      assert.equal(typeof close.durationMs, "number");
      const chat = service.upstream.requests.find((request) => request.path === "/v1/chat/completions")!;
      assert.equal(chat.headers["x-request-id"], open.requestId, "LiteLLM got the socket's request id");
      assert.doesNotMatch(JSON.stringify(lines.filter((line) => line.component === "access")), /access-token|eyJ/);
    });
  });
});
