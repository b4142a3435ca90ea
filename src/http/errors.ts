/**
 * An error a handler throws to answer with a specific status and a message
 * that is safe to show the client. Anything else thrown becomes a 500 with a
 * generic body (see `createApp`'s catch).
 *
 * @module
 */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
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
  let text: string;
  try {
    text = await request.text();
  } catch (error) {
    if (isTooLarge(error)) throw new HttpError(413, `Request body is larger than ${maxBytes} bytes`);
    throw new HttpError(400, "Request body could not be read");
  }
  if (text.length > maxBytes) throw new HttpError(413, `Request body is larger than ${maxBytes} bytes`);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "Request body is not valid JSON");
  }
}

/** srvx rejects an over-limit body read with a 413-style error. */
export function isTooLarge(error: unknown): boolean {
  const e = error as { status?: unknown; statusCode?: unknown; code?: unknown } | null;
  return !!e && (e.status === 413 || e.statusCode === 413 || e.code === "ERR_BODY_TOO_LARGE");
}
