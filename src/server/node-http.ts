/**
 * The `node:http` path, shared by Node and Deno: srvx (Fetch API on
 * `node:http`, `FastResponse`) for requests, and `ws` (through crossws's Node
 * adapter) for sockets. Only node.ts and deno.ts import it.
 *
 * `ws` is why Deno serves through here too: it refuses an oversized frame
 * from its header, before reading the payload (1009), and it can drop a
 * socket whose writes are stuck (`terminate`). `Deno.upgradeWebSocket` can do
 * neither: it reads a frame of up to 64 MiB whole before the socket's hooks
 * see it (denoland/deno#15809), and its `close()` waits behind the unsent
 * bytes of a client that stopped reading, holding them for as long as the
 * client stays connected.
 *
 * Liveness: `ws` has none of its own; crossws pings every socket each
 * interval and terminates one that did not answer the previous ping. The
 * interval is half of `socketIdleSeconds`, so a vanished client is dropped
 * between half and all of it.
 *
 * The gateway check, on the hot path of every gateway request, is answered
 * straight from `IncomingMessage` with the same pure decision function,
 * skipping the Request/Response bridge.
 *
 * @module
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { _nodeAdapter } from "crossws/adapters/node";
import { NodeRequest, serve as srvxServe } from "srvx/node";
import { DENIED_ON_FAILURE } from "../authorize.ts";
import type { App } from "../http/app.ts";
import { badHandshake, displayUrl, handshakeProblem, resolveHooks, type RunningServer, type ServeOptions, shuttingDown, socketOptions } from "./common.ts";

export async function serveNodeHttp(app: App, options: ServeOptions): Promise<RunningServer> {
  let accepting = true;
  const { maxFrameBytes, idleSeconds } = socketOptions(options);
  const server = srvxServe({
    fetch: (request) => (accepting ? app.fetch(request) : shuttingDown()),
    hostname: options.host,
    port: options.port,
    silent: true,
    manual: true,
    // main.ts owns SIGTERM/SIGINT so it can drain agents and flush the store first.
    gracefulShutdown: false,
    maxRequestBodySize: options.maxBodyBytes,
  });
  // _nodeAdapter is crossws's Node adapter without its "not on Deno" guard:
  // on Deno it runs on Deno's node:http and node:net, which is the point.
  const ws = _nodeAdapter({
    resolve: (request: Request) => (accepting ? resolveHooks(app, request) : { upgrade: () => shuttingDown() }),
    serverOptions: { maxPayload: maxFrameBytes },
    idleTimeout: idleSeconds / 2,
  });
  const node = server.node!;
  const httpServer = node.server as HttpServer;
  httpServer.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const problem = handshakeProblem({ get: (name) => [req.headers[name]].flat()[0] ?? null });
    if (problem !== undefined) {
      const answer = badHandshake(problem);
      const head = Object.entries(answer.headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
      socket.end(`HTTP/1.1 400 Bad Request\r\n${head}connection: close\r\n\r\n${answer.body}`);
      return;
    }
    void ws.handleUpgrade(req, socket, head, new NodeRequest({ req, upgrade: { socket, head } } as never) as unknown as Request);
  });

  const fast = app.gatewayCheck;
  if (fast) {
    const srvxHandler = node.handler as (req: IncomingMessage, res: ServerResponse) => void;
    httpServer.removeAllListeners("request");
    httpServer.on("request", (req: IncomingMessage, res: ServerResponse) => {
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
  const address = httpServer.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: displayUrl(options.host, port),
    port,
    stopAccepting: () => {
      accepting = false;
      // Stop listening; upgraded sockets and keep-alive connections stay until close().
      httpServer.close();
    },
    close: async (force = false) => {
      if (force) {
        ws.closeAll(undefined, undefined, true);
        // Also stops the liveness sweep (its interval would outlive the server).
        await ws.close();
        httpServer.closeAllConnections?.();
      }
      await server.close(force);
    },
  };
}
