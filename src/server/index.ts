/**
 * Serves an `App` on the runtime this process runs on: picks the one adapter
 * for it (node.ts, deno.ts, bun.ts), loading only that one.
 *
 * @module
 */
import type { App } from "../http/app.ts";
import type { RunningServer, ServeOptions } from "./common.ts";

export type { RunningServer, ServeOptions } from "./common.ts";

/** Starts serving `app` and resolves once it listens. */
export async function startServer(app: App, options: ServeOptions): Promise<RunningServer> {
  if ("Bun" in globalThis) return (await import("./bun.ts")).serve(app, options);
  if ("Deno" in globalThis) return (await import("./deno.ts")).serve(app, options);
  return (await import("./node.ts")).serve(app, options);
}
