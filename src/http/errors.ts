/**
 * An error a handler throws to answer with a specific status and a message
 * that is safe to show the client. Anything else thrown becomes a 500 with a
 * generic body (see `createApp`'s catch).
 *
 * @module
 */
import { defaultCode, type ErrorCode } from "../error-codes.ts";

export class HttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly headers: Record<string, string> | undefined;
  constructor(status: number, message: string, code: ErrorCode = defaultCode(status), headers?: Record<string, string>) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** Reads a request body as JSON within `maxBytes`; 413 when larger, 400 when not JSON. */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new HttpError(413, `Request body is larger than ${maxBytes} bytes`);
  const type = request.headers.get("content-type") ?? "";
  if (type && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new HttpError(415, "Content-Type must be application/json");
  }
  const text = await readText(request, maxBytes);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "Request body is not valid JSON", "invalid_json");
  }
}

/** srvx rejects an over-limit body read with a 413-style error. */
export function isTooLarge(error: unknown): boolean {
  const e = error as { status?: unknown; statusCode?: unknown; code?: unknown } | null;
  return !!e && (e.status === 413 || e.statusCode === 413 || e.code === "ERR_BODY_TOO_LARGE");
}

/**
 * The body as UTF-8 text, read chunk by chunk and abandoned as soon as it
 * passes `maxBytes`, so a chunked upload without Content-Length cannot make
 * the service buffer more than the limit.
 */
export async function readText(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => new HttpError(413, `Request body is larger than ${maxBytes} bytes`);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if (isTooLarge(error)) throw tooLarge();
    throw new HttpError(400, "Request body could not be read");
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "Request body is not valid UTF-8", "invalid_json");
  }
}
