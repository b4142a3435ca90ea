/**
 * `GET /api/openapi.json`: the OpenAPI document (contract/openapi.ts), open
 * and cacheable. It is built on the first request, not at start-up and not
 * per request: the module that builds it (zod's JSON Schema conversion of
 * every schema) is imported then, so neither the start-up nor the hot paths
 * pay for it. Answers `304` to an `If-None-Match` with its ETag.
 *
 * @module
 */
import { FastResponse } from "srvx";

interface Served {
  readonly body: string;
  readonly etag: string;
}

/** The handler for one API prefix (one document, built once). */
export function openApiHandler(apiPrefix: string): (request: Request) => Promise<Response> {
  let served: Promise<Served> | undefined;
  const build = async (): Promise<Served> => {
    const { buildOpenApiDocument } = await import("../contract/openapi.ts");
    const body = JSON.stringify(buildOpenApiDocument({ apiPrefix }));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
    const etag = `"${Array.from(digest.subarray(0, 12), (b) => b.toString(16).padStart(2, "0")).join("")}"`;
    return { body, etag };
  };
  return async (request) => {
    served ??= build();
    // A failed build is not kept: the next request tries again (and the catch answers this one with a 500).
    served.catch(() => (served = undefined));
    const { body, etag } = await served;
    // Revalidated, not re-downloaded: the document changes only with the service's version.
    const headers = { "cache-control": "public, max-age=300, must-revalidate", etag, vary: "accept-encoding" };
    const wanted = request.headers.get("if-none-match");
    if (wanted && wanted.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag)) {
      return new FastResponse(null, { status: 304, headers });
    }
    return new FastResponse(body, { headers: { ...headers, "content-type": "application/json; charset=utf-8" } });
  };
}
