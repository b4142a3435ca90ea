/**
 * Serves an `App` on the current runtime: srvx + crossws, which is
 * `Deno.serve` with the native `Deno.upgradeWebSocket` on Deno and
 * `node:http` with `ws` on Node. The only runtime-specific code.
 *
 * @module
 */
import { serve } from "crossws/server";
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
  /** Stops accepting; with `force`, also drops open connections and sockets. */
  close(force?: boolean): Promise<void>;
}

/** Starts serving `app` and resolves once it listens. */
export async function startServer(app: App, options: ServeOptions): Promise<RunningServer> {
  const server = serve({
    fetch: (request) => app.fetch(request),
    hostname: options.host,
    port: options.port,
    silent: true,
    // main.ts owns SIGTERM/SIGINT so it can drain agents and flush the store first.
    gracefulShutdown: false,
    maxRequestBodySize: options.maxBodyBytes,
    websocket: {
      options: { node: { serverOptions: { maxPayload: options.maxFrameBytes ?? 1024 * 1024 } } },
    },
  });
  await server.ready();
  const url = new URL(server.url ?? `http://${options.host}:${options.port}`);
  const port = Number(url.port);
  const host = url.hostname === "0.0.0.0" || url.hostname === "[::]" ? "127.0.0.1" : url.hostname;
  return {
    url: `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`,
    port,
    close: (force = false) => server.close(force),
  };
}
