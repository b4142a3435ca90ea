/** The operating settings: METRICS_PORT, ACCESS_LOG and the standard OTEL_* variables. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseObservabilityConfig } from "../src/config/observability.ts";
import { ConfigError, loadConfig } from "../src/config.ts";

const parse = (env: Record<string, string>) => parseObservabilityConfig((name) => env[name], "0.0.0.0");

describe("observability settings", () => {
  test("all off by default but the access log", () => {
    assert.deepEqual(parse({}), { accessLog: true });
  });

  test("METRICS_PORT turns metrics on, on HOST unless METRICS_HOST says otherwise", () => {
    assert.deepEqual(parse({ METRICS_PORT: "9464" }), { metrics: { host: "0.0.0.0", port: 9464 }, accessLog: true });
    assert.deepEqual(parse({ METRICS_PORT: "0", METRICS_HOST: "127.0.0.1", ACCESS_LOG: "off" }), { metrics: { host: "127.0.0.1", port: 0 }, accessLog: false });
    assert.match(String(parse({ METRICS_PORT: "99999" })), /METRICS_PORT/);
    assert.match(String(parse({ ACCESS_LOG: "maybe" })), /ACCESS_LOG/);
  });

  test("OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces; the signal endpoint is taken as it is", () => {
    const base = parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" });
    assert.ok(typeof base === "object" && base.tracing);
    assert.equal(base.tracing.url, "http://collector:4318/v1/traces");
    assert.equal(base.tracing.protocol, "http/protobuf");
    assert.equal(base.tracing.sampler, "parentbased_always_on");
    assert.equal(base.tracing.captureContent, false);
    const signal = parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://b/custom", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });
    assert.ok(typeof signal === "object" && signal.tracing);
    assert.equal(signal.tracing.url, "https://b/custom");
    assert.equal(signal.tracing.protocol, "http/json");
  });

  test("headers, service name, sampler and content capture are read; grpc and nonsense are refused", () => {
    const parsed = parse({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=s%3Dcret,x-team=ops",
      OTEL_SERVICE_NAME: "agents-eu",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true",
    });
    assert.ok(typeof parsed === "object" && parsed.tracing);
    assert.deepEqual(parsed.tracing.headers, { "api-key": "s=cret", "x-team": "ops" });
    assert.equal(parsed.tracing.serviceName, "agents-eu");
    assert.equal(parsed.tracing.samplerRatio, 0.25);
    assert.equal(parsed.tracing.captureContent, true);
    assert.match(String(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })), /grpc is not supported/);
    assert.match(String(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://c" })), /OTEL_EXPORTER_OTLP_ENDPOINT must be an http/);
    assert.match(String(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_TRACES_SAMPLER: "sometimes" })), /OTEL_TRACES_SAMPLER/);
    assert.equal(typeof parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_SDK_DISABLED: "true" }), "object");
    assert.equal((parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_SDK_DISABLED: "true" }) as { tracing?: unknown }).tracing, undefined);
  });

  test("in the whole config: a bad value stops the start, and the OTLP headers never show", () => {
    const env = { AUTH_JWT_SECRET: "x".repeat(40), OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_HEADERS: "api-key=very-secret-collector-key" };
    const io = { readFile: () => undefined, cwd: "/tmp" };
    const config = loadConfig(env, io);
    assert.equal(config.observability.tracing?.headers["api-key"], "very-secret-collector-key");
    assert.doesNotMatch(JSON.stringify(config), /very-secret-collector-key/);
    assert.throws(() => loadConfig({ ...env, METRICS_PORT: "x" }, io), ConfigError);
  });
});
