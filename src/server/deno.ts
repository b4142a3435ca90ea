/**
 * Deno. The only file that knows Deno.
 *
 * A service that serves WebSockets runs on the `node:http` path
 * (node-http.ts: srvx and `ws`), on Deno's own `node:http` and `node:net`.
 * Not on `Deno.serve` with `Deno.upgradeWebSocket`, though it is faster,
 * because that socket cannot be bounded: it reads a frame of up to 64 MiB
 * whole before anything can refuse it (no size option: denoland/deno#15809),
 * and it cannot drop a client that stopped reading (`close()` waits behind
 * the unsent bytes for as long as the client stays connected, and there is
 * no `terminate()`). One client could hold any amount of the process's
 * memory either way.
 *
 * A service without WebSockets (SERVICE_MODE=authorize: the gateway check
 * and the healthcheck) has none of that to fear and keeps `Deno.serve`.
 * What each costs is measured in BENCHMARKS.md ("Deno through node:http").
 *
 * @module
 */
import type { App } from "../http/app.ts";
import { displayUrl, type RunningServer, type ServeOptions, shuttingDown } from "./common.ts";
import { nativeResponse } from "./deno-srvx.ts";
import { serveNodeHttp } from "./node-http.ts";

interface DenoHttpServer {
  readonly addr: { port: number };
  shutdown(): Promise<void>;
}
interface DenoNamespace {
  serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Response | Promise<Response>): DenoHttpServer;
}

export function serve(app: App, options: ServeOptions): Promise<RunningServer> {
  return options.websockets === false ? serveWithoutSockets(app, options) : serveNodeHttp(app, options);
}

/** `Deno.serve`, calling `app.fetch` straight (srvx's Deno wrapper measured ~60% of that on the gateway check). */
function serveWithoutSockets(app: App, options: ServeOptions): Promise<RunningServer> {
  const deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
  let accepting = true;
  const server = deno.serve({ port: options.port, hostname: options.host, onListen: () => {} }, async (request) =>
    nativeResponse(accepting ? await app.fetch(request) : shuttingDown()));
  const port = server.addr.port;
  return Promise.resolve({
    url: displayUrl(options.host, port),
    port,
    stopAccepting: () => {
      accepting = false;
    },
    close: () => server.shutdown(),
  });
}
