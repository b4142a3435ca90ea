/**
 * What every runtime adapter shares: the options, the handle it returns, the
 * 503 of a server that is shutting down, and how an upgrade request becomes
 * socket hooks. No runtime-specific code here.
 *
 * @module
 */
import type { Hooks } from "crossws";
import { DEFAULT_SOCKET_CONFIG } from "../config/sockets.ts";
import type { App } from "../http/app.ts";

export interface ServeOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly maxBodyBytes: number;
  /** Largest WebSocket frame accepted; larger ones close the socket with 1009. Default 1 MiB. */
  readonly maxFrameBytes?: number;
  /** Whether the app serves WebSockets (default true); Deno serves an app without them through `Deno.serve` (deno.ts). */
  readonly websockets?: boolean;
  /** A socket whose client answers no ping for this long is closed (SOCKET_IDLE_SECONDS). */
  readonly socketIdleSeconds?: number;
  /** Unsent bytes past which a socket is closed rather than sent more (SOCKET_MAX_BUFFER_BYTES; Bun's own backpressure bound). */
  readonly socketMaxBufferBytes?: number;
}

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:3001`. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops taking new work while open sockets stay up: new requests get 503
   * (and, where the runtime allows it without closing sockets, the listener
   * closes). For a graceful shutdown, before the running turns are drained.
   */
  stopAccepting(): void;
  /** Stops the server; with `force`, also drops open connections and sockets. */
  close(force?: boolean): Promise<void>;
}

/** A runtime adapter: serves `app` and resolves once it listens. */
export type ServeFunction = (app: App, options: ServeOptions) => Promise<RunningServer>;

const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/** The socket options with their defaults filled in. */
export function socketOptions(options: ServeOptions): { maxFrameBytes: number; idleSeconds: number; maxBufferBytes: number } {
  return {
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    idleSeconds: options.socketIdleSeconds ?? DEFAULT_SOCKET_CONFIG.idleSeconds,
    maxBufferBytes: options.socketMaxBufferBytes ?? DEFAULT_SOCKET_CONFIG.maxBufferBytes,
  };
}

export const shuttingDown = (): Response =>
  new Response(JSON.stringify({ error: "Service is shutting down", code: "service_shutting_down" }), {
    status: 503,
    headers: { "content-type": "application/json", connection: "close", "retry-after": "5" },
  });

/**
 * The socket hooks for an upgrade request: the app answers the request as
 * usual; a response carrying `crossws` hooks upgrades, any other response
 * (401, 403, 404, ...) is sent instead of the upgrade.
 */
export async function resolveHooks(app: App, request: Request): Promise<Partial<Hooks>> {
  const response = (await app.fetch(request)) as Response & { crossws?: Partial<Hooks> };
  if (response.crossws) return response.crossws;
  return { upgrade: () => response };
}

export const isUpgrade = (request: Request): boolean => request.headers.get("upgrade")?.toLowerCase() === "websocket";

/**
 * Why a request that asks for a WebSocket upgrade is no handshake the runtime
 * can complete (RFC 6455 4.1), or undefined when it is one. Checked before the
 * runtime's own upgrade, which would answer such a request with a bare text
 * 400 (`ws`, on Node and Deno) or 500 (`Bun`'s `server.upgrade`) instead of an
 * `{error, code}` the API documents.
 */
export function handshakeProblem(headers: { get(name: string): string | null }): string | undefined {
  if (!/(?:^|,)\s*upgrade\s*(?:,|$)/i.test(headers.get("connection") ?? "")) return "Connection: Upgrade is missing";
  if (!/^[+/0-9A-Za-z]{22}==$/.test(headers.get("sec-websocket-key")?.trim() ?? "")) return "Sec-WebSocket-Key is missing or invalid";
  const version = headers.get("sec-websocket-version")?.trim();
  if (version !== "13" && version !== "8") return "Sec-WebSocket-Version must be 13";
  return undefined;
}

/** The answer to an upgrade request that is no handshake (see {@link handshakeProblem}). */
export function badHandshake(problem: string): { status: 400; headers: Record<string, string>; body: string } {
  const body = JSON.stringify({ error: `Not a WebSocket handshake: ${problem}`, code: "invalid_request" });
  return { status: 400, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": String(new TextEncoder().encode(body).byteLength) }, body };
}

/** The URL to print for a listen address (a wildcard host shows as loopback). */
export function displayUrl(host: string, port: number): string {
  const shown = host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
  return `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
}

/** Closes every peer of a crossws adapter at once (a forced close). */
export function terminateAll(peers: Iterable<[unknown, Iterable<{ terminate(): void }>]>): void {
  for (const [, group] of peers) {
    for (const peer of group) {
      try {
        peer.terminate();
      } catch {
        // already gone
      }
    }
  }
}
