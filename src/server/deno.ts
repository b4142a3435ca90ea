/**
 * Deno: `Deno.serve` with crossws's Deno adapter (the native
 * `Deno.upgradeWebSocket`). The only file that knows Deno.
 *
 * srvx's Deno wrapper was measured here at ~60% of bare `Deno.serve` on the
 * gateway check; calling `app.fetch` straight from `Deno.serve` keeps ~95%.
 * `Deno.upgradeWebSocket` has no frame limit option: the socket hooks
 * enforce `maxFrameBytes` with 1009 (react-socket.ts).
 *
 * @module
 */
import denoAdapter from "crossws/adapters/deno";
import type { App } from "../http/app.ts";
import { displayUrl, isUpgrade, resolveHooks, type RunningServer, type ServeOptions, shuttingDown, terminateAll } from "./common.ts";

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

export function serve(app: App, options: ServeOptions): Promise<RunningServer> {
  const deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
  const ws = denoAdapter({ resolve: (request: Request) => resolveHooks(app, request) });
  let accepting = true;
  const server = deno.serve({ port: options.port, hostname: options.host, onListen: () => {} }, (request, info) => {
    if (!accepting) return shuttingDown();
    if (isUpgrade(request)) return ws.handleUpgrade(request, info as never);
    return app.fetch(request);
  });
  const port = server.addr.port;
  return Promise.resolve({
    url: displayUrl(options.host, port),
    port,
    stopAccepting: () => {
      // Deno.serve's shutdown() would also close the WebSockets of running turns.
      accepting = false;
    },
    close: async (force = false) => {
      if (force) terminateAll(ws.peers);
      await server.shutdown();
    },
  });
}
