/**
 * The operating settings: the metrics listener (`METRICS_PORT`,
 * `METRICS_HOST`), the access log (`ACCESS_LOG`), and traces, from the
 * standard OpenTelemetry variables (`OTEL_EXPORTER_OTLP_ENDPOINT` and its
 * `_TRACES_` forms, `..._PROTOCOL`, `..._HEADERS`, `..._TIMEOUT`,
 * `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`,
 * `OTEL_TRACES_SAMPLER_ARG`, `OTEL_SDK_DISABLED`) plus
 * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` for prompt and
 * completion text. Read here, like every setting, and passed down.
 *
 * @module
 */

export type OtlpProtocol = "http/protobuf" | "http/json";

export type TraceSampler = "always_on" | "always_off" | "traceidratio" | "parentbased_always_on" | "parentbased_always_off" | "parentbased_traceidratio";

const SAMPLERS: readonly TraceSampler[] = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"];

export interface TracingConfig {
  /** Where spans are POSTed: the traces endpoint as given, or `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`. */
  readonly url: string;
  readonly protocol: OtlpProtocol;
  /** Sent with every export (often an API key). Secret: never logged or shown. */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly serviceName: string;
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly sampler: TraceSampler;
  /** For the ratio samplers, 0..1. */
  readonly samplerRatio: number;
  /** Prompt and completion text in model-call spans. Off unless asked for. */
  readonly captureContent: boolean;
}

export interface ObservabilityConfig {
  /** The metrics listener; absent when `METRICS_PORT` is unset (metrics off). */
  readonly metrics?: { readonly host: string; readonly port: number };
  /** `ACCESS_LOG` (on): one line per request and per socket open/close, at info. */
  readonly accessLog: boolean;
  /** Traces; absent when no OTLP endpoint is set (or `OTEL_SDK_DISABLED=true`). */
  readonly tracing?: TracingConfig;
}

/** A message for a ConfigError. */
export type ObservabilityConfigProblem = string;

const flag = (value: string | undefined) => value !== undefined && /^(true|1|yes|on)$/i.test(value.trim());

/** `k1=v1,k2=v2` with percent-encoded values (the OTel form of headers and resource attributes); undefined when malformed. */
function keyValues(raw: string | undefined): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const pair of raw.split(",")) {
    if (pair.trim() === "") continue;
    const at = pair.indexOf("=");
    if (at <= 0) return undefined;
    try {
      out[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      return undefined;
    }
  }
  return out;
}

export function parseObservabilityConfig(get: (name: string) => string | undefined, defaultHost: string): ObservabilityConfig | ObservabilityConfigProblem {
  let metrics: ObservabilityConfig["metrics"];
  const portRaw = get("METRICS_PORT");
  if (portRaw !== undefined) {
    const port = /^\d{1,5}$/.test(portRaw) ? Number(portRaw) : NaN;
    if (!(port >= 0 && port <= 65_535)) return `METRICS_PORT must be an integer between 0 and 65535 (got ${JSON.stringify(portRaw.slice(0, 20))})`;
    metrics = { host: get("METRICS_HOST") ?? defaultHost, port };
  }
  const accessRaw = get("ACCESS_LOG")?.toLowerCase() ?? "on";
  if (accessRaw !== "on" && accessRaw !== "off") return `ACCESS_LOG must be on or off (got ${JSON.stringify(accessRaw.slice(0, 20))})`;

  const tracing = parseTracing(get);
  if (typeof tracing === "string") return tracing;
  return { ...(metrics ? { metrics } : {}), accessLog: accessRaw === "on", ...(tracing ? { tracing } : {}) };
}

function parseTracing(get: (name: string) => string | undefined): TracingConfig | undefined | ObservabilityConfigProblem {
  if (flag(get("OTEL_SDK_DISABLED"))) return undefined;
  const signal = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const base = get("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (signal === undefined && base === undefined) return undefined;
  const variable = signal !== undefined ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT";
  // The signal-specific endpoint is used as it is; the base one gets the signal's path (OTLP spec).
  const url = signal ?? `${base!.replace(/\/+$/, "")}/v1/traces`;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("scheme");
  } catch {
    return `${variable} must be an http(s) URL (value not shown: it may hold credentials)`;
  }
  const protocolVariable = get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") !== undefined ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL" : "OTEL_EXPORTER_OTLP_PROTOCOL";
  const protocol = get(protocolVariable) ?? "http/protobuf";
  if (protocol !== "http/protobuf" && protocol !== "http/json") {
    return `${protocolVariable} must be http/protobuf or http/json (got ${JSON.stringify(protocol.slice(0, 20))}; grpc is not supported: point it at the collector's OTLP/HTTP port, 4318)`;
  }
  const headersVariable = get("OTEL_EXPORTER_OTLP_TRACES_HEADERS") !== undefined ? "OTEL_EXPORTER_OTLP_TRACES_HEADERS" : "OTEL_EXPORTER_OTLP_HEADERS";
  const headers = keyValues(get(headersVariable));
  if (!headers) return `${headersVariable} must be key=value pairs separated by commas (value not shown: it may hold a key)`;
  const timeoutVariable = get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") !== undefined ? "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT" : "OTEL_EXPORTER_OTLP_TIMEOUT";
  const timeoutRaw = get(timeoutVariable) ?? "10000";
  const timeoutMs = /^\d{1,7}$/.test(timeoutRaw) ? Number(timeoutRaw) : NaN;
  if (!(timeoutMs >= 1)) return `${timeoutVariable} must be a positive integer number of milliseconds (got ${JSON.stringify(timeoutRaw.slice(0, 20))})`;
  const resourceAttributes = keyValues(get("OTEL_RESOURCE_ATTRIBUTES"));
  if (!resourceAttributes) return "OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas";
  const sampler = (get("OTEL_TRACES_SAMPLER") ?? "parentbased_always_on") as TraceSampler;
  if (!SAMPLERS.includes(sampler)) return `OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(", ")} (got ${JSON.stringify(sampler.slice(0, 30))})`;
  const ratioRaw = get("OTEL_TRACES_SAMPLER_ARG") ?? "1";
  const samplerRatio = Number(ratioRaw);
  if (!(samplerRatio >= 0 && samplerRatio <= 1)) return `OTEL_TRACES_SAMPLER_ARG must be a number between 0 and 1 (got ${JSON.stringify(ratioRaw.slice(0, 20))})`;
  return {
    url,
    protocol,
    headers,
    timeoutMs,
    serviceName: get("OTEL_SERVICE_NAME") ?? resourceAttributes["service.name"] ?? "agent-service",
    resourceAttributes,
    sampler,
    samplerRatio,
    captureContent: flag(get("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")),
  };
}
