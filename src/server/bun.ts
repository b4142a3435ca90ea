/**
 * Bun: `Bun.serve` with crossws's Bun adapter (the native `server.upgrade`
 * and uWebSockets). The only file that knows Bun.
 *
 * The frame limit is Bun's own `maxPayloadLength`, enforced from the frame's
 * header before its payload is read (1009, like `ws` on Node and Deno). A
 * client that stops reading is closed with 1013 by the socket protocol once
 * its unsent bytes pass `socketMaxBufferBytes` (socket-backlog.ts). Bun's own
 * bound (`backpressureLimit`) is set to twice that, as a backstop that closes
 * instead of silently dropping messages (Bun's default): at the same value
 * it would also drop the 1013 close frame queued behind the backlog.
 *
 * Liveness is Bun's own: it pings a socket that has been quiet and closes it
 * when the next idle period passes without an answer, so a vanished client
 * is dropped after about `socketIdleSeconds` (in Bun's 4-second steps).
 *
 * @module
 */
import bunAdapter from "crossws/adapters/bun";
import type { App } from "../http/app.ts";
import {
  displayUrl,
  handshakeProblem,
  isUpgrade,
  resolveHooks,
  type RunningServer,
  type ServeOptions,
  shuttingDown,
  socketOptions,
  terminateAll,
} from "./common.ts";

interface BunServer {
  readonly port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}
interface BunNamespace {
  serve(options: {
    hostname: string;
    port: number;
    development: boolean;
    reusePort: boolean;
    fetch(request: Request, server: BunServer): Response | undefined | Promise<Response | undefined>;
    error(error: unknown): Response;
    websocket: unknown;
  }): BunServer;
}

export function serve(app: App, options: ServeOptions): Promise<RunningServer> {
  const bun = (globalThis as unknown as { Bun: BunNamespace }).Bun;
  const { maxFrameBytes, idleSeconds, maxBufferBytes } = socketOptions(options);
  const ws = bunAdapter({ resolve: (request: Request) => resolveHooks(app, request) });
  let accepting = true;
  const server = bun.serve({
    hostname: options.host,
    port: options.port,
    // Development mode would answer an uncaught error with its stack trace.
    development: false,
    // Outside development mode Bun sets SO_REUSEPORT unless told not to: a
    // second service on the same port would then share it silently instead
    // of failing with EADDRINUSE (checked with Bun 1.4.5).
    reusePort: false,
    // No maxRequestBodySize: Bun answers a bare 413 before the app sees the
    // request. The app refuses bodies over maxBodyBytes itself, with its JSON
    // 413, by Content-Length and while reading; Bun's default stays the backstop.
    fetch: (request, server) => {
      if (!accepting) return shuttingDown();
      // What is no handshake (server.upgrade would answer it with a bare 500) is served as
      // plain HTTP, as Node and Deno serve a request without Connection: Upgrade.
      if (isUpgrade(request) && handshakeProblem(request.headers) === undefined) return ws.handleUpgrade(request, server as never);
      return app.fetch(request);
    },
    // app.fetch catches its own errors; this is the last line, never a stack trace.
    error: () =>
      new Response(JSON.stringify({ error: "Internal server error" }), { status: 500, headers: { "content-type": "application/json" } }),
    websocket: {
      ...ws.websocket,
      maxPayloadLength: maxFrameBytes,
      backpressureLimit: 2 * maxBufferBytes,
      closeOnBackpressureLimit: true,
      idleTimeout: idleSeconds,
      sendPings: true,
    },
  });
  const port = server.port;
  return Promise.resolve({
    url: displayUrl(options.host, port),
    port,
    stopAccepting: () => {
      accepting = false;
      // Stops listening, as on Node; open sockets and keep-alive connections stay until close().
      void server.stop(false);
    },
    close: async (force = false) => {
      if (force) terminateAll(ws.peers);
      await server.stop(force);
    },
  });
}
