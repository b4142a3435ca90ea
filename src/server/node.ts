/**
 * Node: srvx (Fetch API on `node:http`, `FastResponse`) with crossws's Node
 * adapter (`ws`, which refuses an oversized frame while parsing it, 1009).
 * The only file that knows Node.
 *
 * The gateway check, on the hot path of every gateway request, is answered
 * straight from `IncomingMessage` with the same pure decision function,
 * skipping the Request/Response bridge.
 *
 * @module
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { serve as crosswsServe } from "crossws/server/node";
import { DENIED_ON_FAILURE } from "../authorize.ts";
import type { App } from "../http/app.ts";
import { DEFAULT_MAX_FRAME_BYTES, displayUrl, resolveHooks, type RunningServer, type ServeOptions, shuttingDown } from "./common.ts";

export async function serve(app: App, options: ServeOptions): Promise<RunningServer> {
  let accepting = true;
  const server = crosswsServe({
    fetch: (request) => (accepting ? app.fetch(request) : shuttingDown()),
    hostname: options.host,
    port: options.port,
    silent: true,
    manual: true,
    // main.ts owns SIGTERM/SIGINT so it can drain agents and flush the store first.
    gracefulShutdown: false,
    maxRequestBodySize: options.maxBodyBytes,
    websocket: {
      resolve: (request: Request) => (accepting ? resolveHooks(app, request) : { upgrade: () => shuttingDown() }),
      options: { node: { serverOptions: { maxPayload: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES } } },
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
      } catch (error) {
        // Unreachable by design; a gateway check that fails must deny, never crash the process, and say so once.
        fast.failed(error);
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
