/**
 * The playground: a single page (HTML, CSS, the compiled client and page
 * script) under `${prefix}/playground/`, its config, and, in development mode
 * only, `POST ${prefix}/dev/token` to mint a token for it.
 *
 * None of these is under `${prefix}/agents`, so the guard and the gateway
 * check keep their one rule (everything under `/agents` needs a token). The
 * page holds no secret; it gets a token from its user and sends it with
 * every agent call through `AgentClient`.
 *
 * The page's JavaScript is compiled ahead of time into `src/playground/dist/`
 * (`npm run build:playground`; a test checks it is up to date): Deno's start
 * task may not spawn esbuild, so nothing is built at run time.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import type { IRequest } from "itty-router";
import { FastResponse } from "srvx";
import { z } from "zod";
import type { Logger } from "../log.ts";
import type { RouteInstaller } from "./app.ts";
import { errorResponse, json } from "./responses.ts";
import { readBody } from "./validation.ts";

/** What a development token says; `mintToken` signs it with the service's secret. */
export interface DevTokenClaims {
  readonly uid: number;
  readonly name: string;
  readonly email: string;
  readonly role: "REGULAR" | "ADMIN";
  /** Lifetime asked for, in seconds (60 s to 24 h; default 8 h). */
  readonly expiresInSeconds: number;
}

export interface PlaygroundOptions {
  /** Development mode: the page offers to mint tokens, and `POST /dev/token` answers. */
  readonly devMode: boolean;
  /** `GET /` redirects to the page (development: a newcomer opening the bare address finds it). */
  readonly rootRedirect?: boolean;
  /** Signs development tokens; without it there is no minting, even in development mode. */
  readonly mintToken?: (claims: DevTokenClaims) => string;
  readonly logger?: Logger;
  /** Largest `/dev/token` body. Default 4 KiB. */
  readonly maxBodyBytes?: number;
  /** The folder holding `index.html`, `style.css` and `dist/` (default: `src/playground/`). */
  readonly assetsDir?: URL;
}

/** Sent with every playground asset: no inline script or style, and the page talks to its own origin only. */
export const PLAYGROUND_CSP =
  "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const PAGE_HEADERS = {
  "content-security-policy": PLAYGROUND_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-cache",
} as const;

/** The files served, by the name after `${prefix}/playground/`. */
const ASSETS = {
  "": { file: "index.html", type: "text/html; charset=utf-8" },
  "style.css": { file: "style.css", type: "text/css; charset=utf-8" },
  "app.js": { file: "dist/app.js", type: "text/javascript; charset=utf-8" },
  "client.js": { file: "dist/client.js", type: "text/javascript; charset=utf-8" },
} as const;

type AssetName = keyof typeof ASSETS;

/** The body of `POST /dev/token`. */
export const devTokenSchema = z.strictObject({
  uid: z.number().int().min(1).max(2_147_483_647).optional(),
  name: z.string().trim().min(1, "must not be empty").max(100).optional(),
  email: z.string().trim().min(3).max(200).optional(),
  role: z.enum(["REGULAR", "ADMIN"]).optional(),
  expiresInSeconds: z.number().int().min(60).max(86_400).optional(),
});

const DEFAULT_ASSETS_DIR = new URL("../playground/", import.meta.url);

/**
 * Installs the playground's routes:
 *
 * - `GET ${prefix}/playground` → 308 to `${prefix}/playground/` (relative asset URLs need the slash);
 * - `GET ${prefix}/playground/`, `/style.css`, `/app.js`, `/client.js`: the page, with a strict CSP;
 * - `GET ${prefix}/playground/config` → `{devTokens, apiPrefix}`;
 * - `POST ${prefix}/dev/token` → `{token, expiresInSeconds, user}` when minting is on, else 404;
 * - with `rootRedirect`, `GET /` → 302 to the page.
 *
 * @example
 * ```ts
 * createService({ ...deps, extraRoutes: [playgroundRoutes({ devMode: false })] });
 * ```
 */
export function playgroundRoutes(options: PlaygroundOptions): RouteInstaller {
  const devTokens = options.devMode && options.mintToken !== undefined;
  const assetsDir = options.assetsDir ?? DEFAULT_ASSETS_DIR;
  const maxBodyBytes = options.maxBodyBytes ?? 4096;
  const cache = new Map<AssetName, Promise<Uint8Array>>();

  const load = (name: AssetName): Promise<Uint8Array> => {
    let pending = cache.get(name);
    if (!pending) {
      pending = readFile(new URL(ASSETS[name].file, assetsDir)).then((buffer) => new Uint8Array(buffer));
      // A missing file is retried on the next request (e.g. after `npm run build:playground`).
      pending.catch(() => cache.delete(name));
      cache.set(name, pending);
    }
    return pending;
  };

  const serve = async (name: AssetName): Promise<Response> => {
    let body: Uint8Array;
    try {
      body = await load(name);
    } catch (error) {
      options.logger?.error("a playground file is missing; run npm run build:playground", { file: ASSETS[name].file, error });
      return errorResponse(503, "The playground is not built: run npm run build:playground");
    }
    return new FastResponse(body as BodyInit, { headers: { ...PAGE_HEADERS, "content-type": ASSETS[name].type } });
  };

  return (router, prefix) => {
    const base = `${prefix}/playground`;
    // itty-router matches with or without the trailing slash; the page needs it for its relative URLs.
    router.get(base, (request: IRequest) =>
      new URL(request.url).pathname.endsWith("/")
        ? serve("")
        : new FastResponse(null, { status: 308, headers: { location: `${base}/`, "cache-control": "no-cache" } }));
    router.get(`${base}/style.css`, () => serve("style.css"));
    router.get(`${base}/app.js`, () => serve("app.js"));
    router.get(`${base}/client.js`, () => serve("client.js"));
    router.get(`${base}/config`, () => json({ devTokens, apiPrefix: prefix }));
    if (options.rootRedirect) {
      // The body is for curl users, who do not follow the redirect.
      router.get("/", () =>
        json({ playground: `${base}/`, healthcheck: `${prefix}/healthcheck` }, 302, { location: `${base}/` }));
    }

    router.post(`${prefix}/dev/token`, async (request: IRequest) => {
      if (!devTokens || !options.mintToken) return errorResponse(404, "Not found");
      const body = await readBody(request as unknown as Request, devTokenSchema, maxBodyBytes);
      const name = body.name ?? "dev";
      const claims: DevTokenClaims = {
        uid: body.uid ?? 1,
        name,
        email: body.email ?? `${name.replace(/[^\w.-]+/g, "_").toLowerCase() || "dev"}@example.com`,
        role: body.role ?? "REGULAR",
        expiresInSeconds: body.expiresInSeconds ?? 8 * 3600,
      };
      const token = options.mintToken(claims);
      options.logger?.info("development token minted", { uid: claims.uid, name: claims.name, role: claims.role, expiresInSeconds: claims.expiresInSeconds });
      return json({
        token,
        expiresInSeconds: claims.expiresInSeconds,
        user: { uid: claims.uid, name: claims.name, email: claims.email, role: claims.role },
      });
    });
  };
}
