/**
 * Tracing on: OpenTelemetry spans exported with OTLP over HTTP
 * (`http/protobuf` or `http/json`), batched. Loaded by main.ts only when an
 * OTLP endpoint is configured, so a service without traces never loads the
 * SDK.
 *
 * The SDK's 2.x line (`@opentelemetry/sdk-trace` 2.12, exporters 0.223):
 * the 3.x line needs Node 22.15, and this service supports Node 20. Both run
 * on Node, Deno and Bun (the exporters send with `node:http`).
 *
 * @module
 */
import { type Context, ROOT_CONTEXT, type Span, SpanKind as OtelSpanKind, SpanStatusCode, trace, TraceFlags, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { TraceSampler, TracingConfig } from "../config/observability.ts";
import { isTraceparent, type SpanAttributes, type SpanHandle, type SpanKind, type Tracing } from "./tracing.ts";

const KINDS: Readonly<Record<SpanKind, OtelSpanKind>> = { server: OtelSpanKind.SERVER, client: OtelSpanKind.CLIENT, internal: OtelSpanKind.INTERNAL };

function samplerOf(name: TraceSampler, ratio: number): Sampler {
  switch (name) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return new TraceIdRatioBasedSampler(ratio);
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/** Attributes without the undefined ones (OpenTelemetry drops them with a warning). */
function defined(attributes: SpanAttributes): Record<string, string | number | boolean | string[]> {
  const out: Record<string, string | number | boolean | string[]> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value as string | number | boolean | string[];
  return out;
}

class OtelSpan implements SpanHandle {
  constructor(readonly span: Span) {}
  set(attributes: SpanAttributes): void {
    this.span.setAttributes(defined(attributes));
  }
  updateName(name: string): void {
    this.span.updateName(name);
  }
  fail(errorType: string): void {
    this.span.setAttribute("error.type", errorType);
    this.span.setStatus({ code: SpanStatusCode.ERROR });
  }
  end(): void {
    this.span.end();
  }
  traceparent(): string | undefined {
    const context = this.span.spanContext();
    if (!trace.isSpanContextValid(context)) return undefined;
    return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? "01" : "00"}`;
  }
}

/** The caller's trace, from a valid `traceparent` (tracestate is not carried). */
function remoteContext(traceparent: string | null | undefined): Context {
  if (!isTraceparent(traceparent)) return ROOT_CONTEXT;
  const [, traceId, spanId, flags] = traceparent.split("-") as [string, string, string, string];
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true });
}

export interface OtelTracingOptions {
  /** `service.version` and the like; merged over the configured resource attributes. */
  readonly resource?: Readonly<Record<string, string>>;
  /** How long the batch waits before exporting, ms (default 1000); tests shorten it. */
  readonly exportDelayMs?: number;
}

/** Tracing to the configured OTLP endpoint. */
export function createOtelTracing(config: TracingConfig, options: OtelTracingOptions = {}): Tracing {
  const exporterOptions = { url: config.url, headers: { ...config.headers }, timeoutMillis: config.timeoutMs };
  const exporter = config.protocol === "http/json" ? new JsonExporter(exporterOptions) : new ProtobufExporter(exporterOptions);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ ...config.resourceAttributes, "service.name": config.serviceName, ...options.resource }),
    sampler: samplerOf(config.sampler, config.samplerRatio),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: options.exportDelayMs ?? 1000 })],
  });
  const tracer: Tracer = provider.getTracer("agent-service");
  const start = (name: string, kind: SpanKind, attributes: SpanAttributes, context: Context) =>
    new OtelSpan(tracer.startSpan(name, { kind: KINDS[kind], attributes: defined(attributes) }, context));

  return {
    enabled: true,
    captureContent: config.captureContent,
    serverSpan: (name, traceparent, _tracestate, attributes) => start(name, "server", attributes, remoteContext(traceparent)),
    childSpan: (parent, name, kind, attributes) =>
      start(name, kind, attributes, parent instanceof OtelSpan ? trace.setSpan(ROOT_CONTEXT, parent.span) : remoteContext(parent.traceparent())),
    close: () => provider.shutdown(),
  };
}
