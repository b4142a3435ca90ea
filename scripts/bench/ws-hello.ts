/**
 * The baseline for WebSocket benchmarks: the barest WebSocket server of the
 * runtime it runs on. On Deno, `Deno.serve` + `Deno.upgradeWebSocket`; on
 * Node, `node:http` + the `ws` server (through crossws's Node adapter, which
 * bundles it; the service uses the same). Every socket gets a small `init`
 * message when it opens (as the service sends one); a text message
 * `broadcast <n>` sends `n` bytes of JSON to every open socket. `GET /`
 * answers 200 (readiness).
 *
 *   npx tsx scripts/bench/ws-hello.ts 0
 *   npx deno run --allow-net scripts/bench/ws-hello.ts 0
 */
import process from "node:process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

interface DenoServe {
  serve(options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void }, handler: (request: Request) => Response): unknown;
  upgradeWebSocket(request: Request): { socket: WebSocket; response: Response };
}

const port = Number(process.argv[2] ?? 0);
const INIT = JSON.stringify({ type: "init", state: "AVAILABLE", steps: [], headId: null });
const payload = (bytes: number) => JSON.stringify({ type: "step", step: { content: "x".repeat(Math.max(0, bytes - 40)) } });

const deno = (globalThis as { Deno?: DenoServe }).Deno;
if (deno) {
  const sockets = new Set<WebSocket>();
  deno.serve({ port, hostname: "127.0.0.1", onListen: (addr) => console.log(`listening ${addr.port}`) }, (request) => {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("ok");
    const { socket, response } = deno.upgradeWebSocket(request);
    socket.onopen = () => {
      sockets.add(socket);
      socket.send(INIT);
    };
    socket.onmessage = (event) => {
      const match = /^broadcast (\d+)$/.exec(String(event.data));
      if (!match) return;
      const text = payload(Number(match[1]));
      for (const peer of sockets) peer.send(text);
    };
    socket.onclose = () => sockets.delete(socket);
    return response;
  });
} else {
  const { default: nodeAdapter } = await import("crossws/adapters/node");
  const ws = nodeAdapter({
    hooks: {
      open(peer) {
        peer.send(INIT);
      },
      message(peer, message) {
        const match = /^broadcast (\d+)$/.exec(message.text());
        if (!match) return;
        const text = payload(Number(match[1]));
        for (const other of peer.peers) other.send(text);
      },
    },
  });
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
  server.on("upgrade", (req, socket, head) => void ws.handleUpgrade(req, socket, head));
  server.listen(port, "127.0.0.1", () => console.log(`listening ${(server.address() as AddressInfo).port}`));
}
