/**
 * Serves an `App` on the current runtime. The only runtime-specific code.
 *
 * - Deno: `Deno.serve` with crossws's Deno adapter (native
 *   `Deno.upgradeWebSocket`). srvx's Deno wrapper was measured here at ~60%
 *   of bare `Deno.serve` on the gateway check; calling `app.fetch` straight
 *   from `Deno.serve` keeps ~95%.
 * - Node: srvx (Fetch API on `node:http`, `FastResponse`) with crossws's
 *   Node adapter (`ws`). The gateway check, on the hot path of every gateway
 *   request, is answered straight from `IncomingMessage` with the same pure
 *   decision function, skipping the Request/Response bridge.
 *
 * @module
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Hooks } from "crossws";
import { DENIED_ON_FAILURE } from "./authorize.ts";
import type { App } from "./http/app.ts";

export interface ServeOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly maxBodyBytes: number;
  /** Largest WebSocket frame accepted; larger ones close the socket with 1009. */
  readonly maxFrameBytes?: number;
}

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:3001`. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops taking new work while open sockets stay up: new requests get 503
   * (and, on Node, the listener closes). For a graceful shutdown, before the
   * running turns are drained.
   */
  stopAccepting(): void;
  /** Stops the server; with `force`, also drops open connections and sockets. */
  close(force?: boolean): Promise<void>;
}

const SHUTTING_DOWN = () =>
  new Response(JSON.stringify({ error: "Service is shutting down" }), {
    status: 503,
    headers: { "content-type": "application/json", connection: "close", "retry-after": "5" },
  });

/**
 * The socket hooks for an upgrade request: the app answers the request as
 * usual; a response carrying `crossws` hooks upgrades, any other response
 * (401, 403, 404, ...) is sent instead of the upgrade.
 */
async function resolveHooks(app: App, request: Request): Promise<Partial<Hooks>> {
  const response = (await app.fetch(request)) as Response & { crossws?: Partial<Hooks> };
  if (response.crossws) return response.crossws;
  return { upgrade: () => response };
}

function displayUrl(host: string, port: number): string {
  const shown = host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
  return `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
}

/** Starts serving `app` and resolves once it listens. */
export function startServer(app: App, options: ServeOptions): Promise<RunningServer> {
  return "Deno" in globalThis ? startDeno(app, options) : startNode(app, options);
}

// --- Deno -------------------------------------------------------------------

interface DenoHttpServer {
  readonly addr: { port: number };
  shutdown(): Promise<void>;
  readonly finished: Promise<void>;
}
interface DenoNamespace {
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request, info: { remoteAddr?: { hostname: string; port: number } }) => Response | Promise<Response>,
  ): DenoHttpServer;
}

async function startDeno(app: App, options: ServeOptions): Promise<RunningServer> {
  const deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
  const { default: denoAdapter } = await import("crossws/adapters/deno");
  const ws = denoAdapter({ resolve: (request: Request) => resolveHooks(app, request) });
  let accepting = true;
  const server = deno.serve({ port: options.port, hostname: options.host, onListen: () => {} }, (request, info) => {
    if (!accepting) return SHUTTING_DOWN();
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return ws.handleUpgrade(request, info as never);
    }
    return app.fetch(request);
  });
  // Deno.upgradeWebSocket has no frame limit option: the socket hooks enforce it (react-socket.ts).
  const port = server.addr.port;
  return {
    url: displayUrl(options.host, port),
    port,
    stopAccepting: () => {
      // Deno.serve's shutdown() would also close the WebSockets of running turns.
      accepting = false;
    },
    close: async (force = false) => {
      if (force) {
        for (const [, peers] of ws.peers) {
          for (const peer of peers) {
            try {
              peer.terminate();
            } catch {
              // already gone
            }
          }
        }
      }
      await server.shutdown();
    },
  };
}

// --- Node -------------------------------------------------------------------

async function startNode(app: App, options: ServeOptions): Promise<RunningServer> {
  const { serve } = await import("crossws/server/node");
  let accepting = true;
  const server = serve({
    fetch: (request) => (accepting ? app.fetch(request) : SHUTTING_DOWN()),
    hostname: options.host,
    port: options.port,
    silent: true,
    manual: true,
    // main.ts owns SIGTERM/SIGINT so it can drain agents and flush the store first.
    gracefulShutdown: false,
    maxRequestBodySize: options.maxBodyBytes,
    websocket: {
      resolve: (request: Request) => (accepting ? resolveHooks(app, request) : { upgrade: () => SHUTTING_DOWN() }),
      options: { node: { serverOptions: { maxPayload: options.maxFrameBytes ?? 1024 * 1024 } } },
    },
  });
  const node = server.node!;
  const fast = app.gatewayCheck;
  if (fast) {
    const srvxHandler = node.handler as (req: IncomingMessage, res: ServerResponse) => void;
    node.server!.removeAllListeners("request");
    node.server!.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? "/";
      if (!accepting || !fast.matches(url)) return srvxHandler(req, res);
      const header = (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      let decision;
      try {
        decision = fast.decide({
          checkUri: url,
          originalUri: header("x-original-uri") ?? header("x-forwarded-uri"),
          authorization: header("authorization"),
          protocols: header("sec-websocket-protocol"),
        });
      } catch {
        // Unreachable by design; a gateway check that fails must deny, never crash the process.
        decision = DENIED_ON_FAILURE;
      }
      // The check never reads a body (nginx and Envoy send none); node:http
      // discards an unread one when the response ends.
      res.writeHead(decision.status, decision.headers);
      res.end();
    });
  }
  await server.serve();
  await server.ready();
  const address = node.server!.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: displayUrl(options.host, port),
    port,
    stopAccepting: () => {
      accepting = false;
      // Stop listening; upgraded sockets and keep-alive connections stay until close().
      node.server!.close();
    },
    close: async (force = false) => {
      if (force) (node.server as HttpServer).closeAllConnections?.();
      await server.close(force);
    },
  };
}
