/**
 * Node: the `node:http` path (node-http.ts: srvx and `ws`). The only file that
 * knows Node.
 *
 * @module
 */
import type { App } from "../http/app.ts";
import type { RunningServer, ServeOptions } from "./common.ts";
import { serveNodeHttp } from "./node-http.ts";

export function serve(app: App, options: ServeOptions): Promise<RunningServer> {
  return serveNodeHttp(app, options);
}
