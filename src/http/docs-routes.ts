/**
 * The published contract, open to anyone (no token: none of it is under
 * `${prefix}/agents`, so neither the guard nor the gateway check asks for one):
 *
 * - `GET ${prefix}/asyncapi.json`: the `/react` socket protocol as an AsyncAPI
 *   3.0 document (contract/asyncapi.ts), built on the first request, with an
 *   ETag (a 304 for `If-None-Match`) and `Cache-Control`;
 * - `GET ${prefix}/docs`: a reference page for people: Redoc (its standalone
 *   bundle, from npm, served by the service itself: no outside network)
 *   rendering the OpenAPI document, and the socket's messages listed from the
 *   AsyncAPI document, under a CSP that allows only the page's own origin;
 * - `GET ${prefix}/docs/redoc.standalone.js`, `/docs/docs.js`, `/docs/docs.css`: its files.
 *
 * Redoc's bundle is read from `dist/docs/` (scripts/build.js copies it there,
 * so the container image has it without dev dependencies) or else from
 * `node_modules/redoc/bundles/` (development, tests).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { IRequest } from "itty-router";
import { FastResponse } from "srvx";
import type { Logger } from "../log.ts";
import type { RouteInstaller } from "./app.ts";
import { errorResponse } from "./responses.ts";

export interface DocsRoutesOptions {
  /** Where the page finds the OpenAPI document. Default: `${prefix}/openapi.json`. */
  readonly openapiUrl?: string;
  /** The folder holding the page's files (default: `src/docs/`, or `dist/docs/` when built). */
  readonly assetsDir?: URL;
  readonly logger?: Logger;
}

/**
 * The CSP of the page and its files: its own origin only. Redoc (its
 * styled-components) writes its styles into `<style>` elements, which are
 * allowed with the page's nonce, new on every load; scripts only from the origin.
 */
export function docsCsp(styleNonce?: string): string {
  const style = styleNonce ? `style-src 'self' 'nonce-${styleNonce}' ${REDOC_LOAD_STYLES}; ` : "";
  return `default-src 'self'; ${style}img-src 'self' data:; worker-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

/**
 * The two `<style>` elements Redoc's bundle (redoc 2.5.4) writes as it loads,
 * before `Redoc.init` can hand it the nonce: an empty one and one stylesheet
 * of fixed text, allowed by their SHA-256 (nothing else matches them). A
 * Redoc update that changes them fails the browser test (a CSP violation).
 */
const REDOC_LOAD_STYLES = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' 'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='";

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** A nonce: 128 random bits, base64. */
const newNonce = (): string => base64(crypto.getRandomValues(new Uint8Array(16)));

const PAGE_HEADERS = {
  "content-security-policy": docsCsp(),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
} as const;

/** The documents change only with a deployment: caches may keep them a while and revalidate by ETag. */
const DOCUMENT_CACHE = "public, max-age=300";

const DEFAULT_ASSETS_DIR = new URL("../docs/", import.meta.url);

interface Asset {
  readonly body: Uint8Array;
  readonly etag: string;
}

/** A strong ETag: the body's SHA-256, base64url (computed once per asset). */
async function etagOf(body: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body as BufferSource));
  return `"${base64(digest).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}"`;
}

/** Whether `If-None-Match` names `etag` (or is `*`). */
function matches(request: IRequest, etag: string): boolean {
  const header = request.headers.get("if-none-match");
  if (!header) return false;
  return header.split(",").some((entry) => {
    const tag = entry.trim().replace(/^W\//, "");
    return tag === "*" || tag === etag;
  });
}

/** The answer for an asset: 304 when the client has it, else the body. */
function answer(request: IRequest, asset: Asset, headers: Record<string, string>): Response {
  const common = { ...headers, etag: asset.etag };
  if (matches(request, asset.etag)) return new FastResponse(null, { status: 304, headers: common });
  return new FastResponse(asset.body as BodyInit, { headers: common });
}

/** Computes an asset once; a failure is retried on the next request. */
function lazily(make: () => Promise<Uint8Array>): () => Promise<Asset> {
  let pending: Promise<Asset> | undefined;
  return () => {
    if (!pending) {
      pending = make().then(async (body) => ({ body, etag: await etagOf(body) }));
      pending.catch(() => (pending = undefined));
    }
    return pending;
  };
}

/** The one outside address Redoc's bundle loads by itself: its menu's "by Redocly" logo (an image that hides itself when it fails). */
const REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg";

/**
 * Redoc's standalone bundle: the built copy beside the page, else the npm
 * package's; with its logo's address emptied, so the page asks nothing of
 * any other origin (the CSP would refuse it anyway).
 */
async function readRedoc(assetsDir: URL): Promise<Uint8Array> {
  let text: string;
  try {
    text = await readFile(new URL("redoc.standalone.js", assetsDir), "utf8");
  } catch {
    const path = createRequire(import.meta.url).resolve("redoc/bundles/redoc.standalone.js");
    text = await readFile(pathToFileURL(path), "utf8");
  }
  return new TextEncoder().encode(text.replaceAll(REDOC_LOGO, "data:,"));
}

/**
 * Installs the contract's routes (see the module's doc).
 *
 * @example
 * ```ts
 * createService({ ...deps, extraRoutes: [docsRoutes({})] });
 * ```
 */
export function docsRoutes(options: DocsRoutesOptions = {}): RouteInstaller {
  const assetsDir = options.assetsDir ?? DEFAULT_ASSETS_DIR;
  const file = (name: string) => lazily(async () => new Uint8Array(await readFile(new URL(name, assetsDir))));

  return (router, prefix) => {
    const asyncapi = lazily(async () => {
      // Loaded on the first request: nothing of zod's JSON Schema output is on the start-up path.
      const { asyncapiDocument } = await import("../contract/asyncapi.ts");
      return new TextEncoder().encode(JSON.stringify(asyncapiDocument({ apiPrefix: prefix })));
    });
    const template = lazily(async () => {
      const html = new TextDecoder().decode(await readFile(new URL("index.html", assetsDir)));
      const openapiUrl = options.openapiUrl ?? `${prefix}/openapi.json`;
      const escaped = openapiUrl.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
      return new TextEncoder().encode(html.replaceAll("__OPENAPI_URL__", escaped).replace('href="openapi.json"', `href="${escaped}"`));
    });
    /** The page, with a nonce of its own (so never cached, nor answered 304). */
    const servePage = async (): Promise<Response> => {
      let html: string;
      try {
        html = new TextDecoder().decode((await template()).body);
      } catch (error) {
        options.logger?.error("a file of the API reference is missing", { what: "index.html", error });
        return errorResponse(503, "The API reference is not available", undefined, "service_unavailable");
      }
      const nonce = newNonce();
      return new FastResponse(html.replace("__STYLE_NONCE__", nonce), {
        headers: { ...PAGE_HEADERS, "content-security-policy": docsCsp(nonce), "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      });
    };
    const assets = {
      "docs.js": { load: file("docs.js"), type: "text/javascript; charset=utf-8" },
      "docs.css": { load: file("docs.css"), type: "text/css; charset=utf-8" },
      "redoc.standalone.js": { load: lazily(() => readRedoc(assetsDir)), type: "text/javascript; charset=utf-8" },
    } as const;

    const serve = async (request: IRequest, load: () => Promise<Asset>, headers: Record<string, string>, what: string) => {
      let asset: Asset;
      try {
        asset = await load();
      } catch (error) {
        options.logger?.error("a file of the API reference is missing", { what, error });
        return errorResponse(503, "The API reference is not available", undefined, "service_unavailable");
      }
      return answer(request, asset, headers);
    };

    router.get(`${prefix}/asyncapi.json`, (request: IRequest) =>
      serve(request, asyncapi, {
        "content-type": "application/json; charset=utf-8",
        "cache-control": DOCUMENT_CACHE,
        "access-control-allow-origin": "*",
        "x-content-type-options": "nosniff",
      }, "asyncapi.json"));

    router.get(`${prefix}/docs`, (request: IRequest) =>
      new URL(request.url).pathname.endsWith("/")
        ? new FastResponse(null, { status: 308, headers: { location: `${prefix}/docs`, "cache-control": "no-cache" } })
        : servePage());
    for (const [name, asset] of Object.entries(assets)) {
      router.get(`${prefix}/docs/${name}`, (request: IRequest) =>
        serve(request, asset.load, { ...PAGE_HEADERS, "content-type": asset.type, "cache-control": "public, max-age=3600" }, name));
    }
  };
}
