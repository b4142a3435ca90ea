/**
 * Traces, as the rest of the service sees them: spans it opens and ends,
 * with no OpenTelemetry type in sight. With `OTEL_EXPORTER_OTLP_ENDPOINT`
 * unset the service gets {@link NO_TRACING}: no SDK is loaded, no span is
 * built, and a request's own `traceparent` is still passed on to LiteLLM
 * untouched, so LiteLLM's spans join the caller's trace. With it set,
 * otel-tracing.ts builds real spans (GenAI semantic conventions) and exports
 * them over OTLP/HTTP.
 *
 * Parents are passed by hand (a span's handle), not through an async
 * context: the same code then behaves the same on Node, Deno and Bun, and no
 * request pays for context tracking.
 *
 * @module
 */

export type SpanAttributes = Record<string, string | number | boolean | readonly string[] | undefined>;

export type SpanKind = "server" | "client" | "internal";

/** An open span. */
export interface SpanHandle {
  set(attributes: SpanAttributes): void;
  /** Renames the span (a server span learns its route template once routed). */
  updateName(name: string): void;
  /** Marks the span failed: `error.type` and an error status. */
  fail(errorType: string): void;
  end(): void;
  /** The W3C `traceparent` naming this span, to send with an outgoing request; undefined when there is none. */
  traceparent(): string | undefined;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Whether prompt and completion text may go into spans (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`). */
  readonly captureContent: boolean;
  /** A span for an incoming request, continuing the caller's trace when it sent a valid `traceparent`. */
  serverSpan(name: string, traceparent: string | null | undefined, tracestate: string | null | undefined, attributes: SpanAttributes): SpanHandle;
  /** A span under `parent`. */
  childSpan(parent: SpanHandle, name: string, kind: SpanKind, attributes: SpanAttributes): SpanHandle;
  /** Exports what is left and stops. */
  close(): Promise<void>;
}

/** Where a run came from: the request (or socket) that started it. */
export interface RequestOrigin {
  readonly requestId: string;
  readonly span: SpanHandle;
}

const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Whether `value` is a W3C traceparent this service understands (version 00, ids not all zero). */
export function isTraceparent(value: string | null | undefined): value is string {
  return typeof value === "string" && TRACEPARENT.test(value);
}

const noop = () => {};

/** No span at all. */
export const NO_SPAN: SpanHandle = { set: noop, updateName: noop, fail: noop, end: noop, traceparent: () => undefined };

/** No span of our own, but the caller's traceparent passed on as it came. */
function passThrough(traceparent: string): SpanHandle {
  return { set: noop, updateName: noop, fail: noop, end: noop, traceparent: () => traceparent };
}

/** Tracing off: no spans; an incoming traceparent is passed on unchanged. */
export const NO_TRACING: Tracing = {
  enabled: false,
  captureContent: false,
  serverSpan: (_name, traceparent) => (isTraceparent(traceparent) ? passThrough(traceparent) : NO_SPAN),
  childSpan: (parent) => parent,
  close: () => Promise.resolve(),
};
