/**
 * Response helpers. Every error body is `{"error": string, "code": string}`; messages come
 * from our own code, never from an exception.
 *
 * `FastResponse` is srvx's Node fast path (a plain `Response` on Deno): the
 * Node adapter writes it without converting through the Fetch API classes.
 *
 * @module
 */
import { FastResponse } from "srvx";
import { type RefusalCode, WWW_AUTHENTICATE } from "../auth.ts";
import { defaultCode, type ErrorCode } from "../error-codes.ts";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } as const;

/**
 * The header objects of the responses built here, where `FastResponse` is
 * srvx's Node response (Node, and Deno through node:http): it keeps them by
 * reference and reads them only when it writes the response. Adding a header
 * through `response.headers` would build a Fetch API `Headers` for every
 * response (and iterate it back out): ~5% of a healthcheck's CPU on Node.
 */
const rawHeaders = new WeakMap<Response, Record<string, string>>();
const LAZY_HEADERS = (FastResponse as unknown) !== globalThis.Response;

function fastResponse(body: string | null, status: number, headers: Record<string, string>): Response {
  const response = new FastResponse(body, { status, headers });
  if (LAZY_HEADERS) rawHeaders.set(response, headers);
  return response;
}

/** Adds a header to a response on its way out (the request id), without building a `Headers` where it can. */
export function addHeader(response: Response, name: string, value: string): void {
  const raw = rawHeaders.get(response);
  if (raw) raw[name] = value;
  else response.headers.set(name, value);
}

/** A JSON response. */
export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return fastResponse(JSON.stringify(body), status, headers ? { ...JSON_HEADERS, ...headers } : { ...JSON_HEADERS });
}

/** A `{"error": message, "code": code}` response. */
export function errorResponse(status: number, message: string, headers?: Record<string, string>, code: ErrorCode = defaultCode(status)): Response {
  return json({ error: message, code }, status, headers);
}

/** 401 with the RFC 6750 challenge for why (see `WWW_AUTHENTICATE`); the body stays the same for every reason. */
export function unauthorized(code: RefusalCode): Response {
  return errorResponse(401, "Unauthorized", { "www-authenticate": WWW_AUTHENTICATE[code] });
}

export function forbidden(): Response {
  return errorResponse(403, "Forbidden");
}

/** An empty response (the gateway check answers with headers only). */
export function empty(status: number, headers: Record<string, string>): Response {
  return fastResponse(null, status, { ...headers });
}
