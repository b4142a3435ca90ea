/**
 * Deno: the `node:http` path (node-http.ts: srvx and `ws`), on Deno's own
 * `node:http` and `node:net`. The only file that knows Deno.
 *
 * Not `Deno.serve` with `Deno.upgradeWebSocket`, though it is faster for
 * plain requests, because that socket cannot be bounded: it reads a frame of
 * up to 64 MiB whole before anything can refuse it (it has no size option:
 * denoland/deno#15809), and it cannot drop a client that stopped reading
 * (`close()` waits behind the unsent bytes for as long as the client stays
 * connected, and there is no `terminate()`). One client could hold any
 * amount of the process's memory either way. What this costs is measured in
 * BENCHMARKS.md ("Deno through node:http").
 *
 * @module
 */
import type { App } from "../http/app.ts";
import type { RunningServer, ServeOptions } from "./common.ts";
import { serveNodeHttp } from "./node-http.ts";

export function serve(app: App, options: ServeOptions): Promise<RunningServer> {
  return serveNodeHttp(app, options);
}
