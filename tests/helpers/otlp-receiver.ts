/**
 * An OTLP/HTTP trace receiver for tests: accepts `POST /v1/traces` in
 * `http/json` or `http/protobuf` (gzip or not), decodes every span, and
 * keeps the raw bodies so a test can look for what must not be there.
 */
import { createServer, type IncomingMessage } from "node:http";
import { gunzipSync } from "node:zlib";
import { Buffer } from "node:buffer";

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** "" for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly resource: Record<string, unknown>;
}

export interface OtlpReceiver {
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Every request body as received text (protobuf bytes as latin1), for negative checks. */
  readonly bodies: string[];
  readonly contentTypes: string[];
  readonly headers: Record<string, string | string[] | undefined>[];
  close(): Promise<void>;
}

// --- protobuf wire format, only as far as OTLP traces need -----------------

type Field = { no: number; wire: number; value: bigint | Uint8Array };

function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 1) {
      out.push({ no, wire, value: bytes.subarray(at, at + 8) });
      at += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      out.push({ no, wire, value: bytes.subarray(at, at + length) });
      at += length;
    } else if (wire === 5) {
      out.push({ no, wire, value: bytes.subarray(at, at + 4) });
      at += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const text = (value: Field["value"]) => new TextDecoder().decode(value as Uint8Array);
const hex = (value: Field["value"]) => Buffer.from(value as Uint8Array).toString("hex");
const all = (bytes: Uint8Array, no: number) => fields(bytes).filter((f) => f.no === no).map((f) => f.value as Uint8Array);

function anyValue(bytes: Uint8Array): unknown {
  const [field] = fields(bytes);
  if (!field) return undefined;
  switch (field.no) {
    case 1:
      return text(field.value);
    case 2:
      return field.value === 1n;
    case 3:
      return Number(BigInt.asIntN(64, field.value as bigint));
    case 4:
      return Buffer.from(field.value as Uint8Array).readDoubleLE(0);
    case 5:
      return all(field.value as Uint8Array, 1).map(anyValue);
    default:
      return undefined;
  }
}

function protoAttributes(list: Uint8Array[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list) {
    const parts = fields(kv);
    const key = parts.find((f) => f.no === 1);
    const value = parts.find((f) => f.no === 2);
    if (key) out[text(key.value)] = value ? anyValue(value.value as Uint8Array) : undefined;
  }
  return out;
}

function decodeProtobuf(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of all(body, 1)) {
    const [resourceBytes] = all(resourceSpans, 1);
    const resource = resourceBytes ? protoAttributes(all(resourceBytes, 1)) : {};
    for (const scopeSpans of all(resourceSpans, 2)) {
      for (const span of all(scopeSpans, 2)) {
        const parts = fields(span);
        const one = (no: number) => parts.find((f) => f.no === no)?.value;
        const status = one(15) as Uint8Array | undefined;
        spans.push({
          traceId: hex(one(1)!),
          spanId: hex(one(2)!),
          parentSpanId: one(4) ? hex(one(4)!) : "",
          name: text(one(5)!),
          kind: Number(one(6) ?? 0n),
          attributes: protoAttributes(all(span, 9)),
          statusCode: status ? Number(fields(status).find((f) => f.no === 3)?.value ?? 0n) : 0,
          resource,
        });
      }
    }
  }
  return spans;
}

// --- OTLP/JSON ---------------------------------------------------------------

type JsonAny = { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number; arrayValue?: { values?: JsonAny[] } };
type JsonKeyValue = { key: string; value: JsonAny };

function jsonValue(value: JsonAny): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

const jsonAttributes = (list: JsonKeyValue[] = []) => Object.fromEntries(list.map((kv) => [kv.key, jsonValue(kv.value)]));

function decodeJson(body: string): ReceivedSpan[] {
  // deno-lint-ignore no-explicit-any
  const request = JSON.parse(body) as any;
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = jsonAttributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? "",
          name: span.name,
          kind: span.kind,
          attributes: jsonAttributes(span.attributes),
          statusCode: span.status?.code ?? 0,
          resource,
        });
      }
    }
  }
  return spans;
}

async function bodyOf(request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return request.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: string[] = [];
  const contentTypes: string[] = [];
  const headers: Record<string, string | string[] | undefined>[] = [];
  const server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    const type = String(request.headers["content-type"] ?? "");
    contentTypes.push(type);
    headers.push(request.headers);
    bodies.push(Buffer.from(body).toString("latin1"));
    spans.push(...(type.startsWith("application/json") ? decodeJson(new TextDecoder().decode(body)) : decodeProtobuf(body)));
    response.writeHead(200, { "content-type": type.startsWith("application/json") ? "application/json" : "application/x-protobuf" });
    response.end(type.startsWith("application/json") ? "{}" : "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    bodies,
    contentTypes,
    headers,
    close: () => {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
