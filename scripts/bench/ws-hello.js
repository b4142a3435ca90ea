// The baseline for WebSocket benchmarks: the barest WebSocket server of the
// runtime it runs on. On Deno, `Deno.serve` + `Deno.upgradeWebSocket`; on
// Bun, `Bun.serve` + `server.upgrade`; on Node, `node:http` + the `ws` server
// (through crossws's Node adapter, which bundles it; the service uses the
// same). Every socket gets a small `init` message when it opens (as the
// service sends one); a text message `broadcast <n>` sends `n` bytes of JSON
// to every open socket. `GET /` answers 200 (readiness). Plain JavaScript, so
// every runtime runs it as it is.
//
//   node scripts/bench/ws-hello.js 0
//   npx deno run --allow-net scripts/bench/ws-hello.js 0
//   npx bun scripts/bench/ws-hello.js 0
import process from "node:process";
import { createServer } from "node:http";

const port = Number(process.argv[2] ?? 0);
const INIT = JSON.stringify({ type: "init", state: "AVAILABLE", steps: [], headId: null });
const payload = (bytes) => JSON.stringify({ type: "step", step: { content: "x".repeat(Math.max(0, bytes - 40)) } });
const broadcastSize = (text) => {
  const match = /^broadcast (\d+)$/.exec(text);
  return match ? Number(match[1]) : undefined;
};

const { Deno: deno, Bun: bun } = globalThis;
if (deno) {
  const sockets = new Set();
  deno.serve({ port, hostname: "127.0.0.1", onListen: (addr) => console.log(`listening ${addr.port}`) }, (request) => {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("ok");
    const { socket, response } = deno.upgradeWebSocket(request);
    socket.onopen = () => {
      sockets.add(socket);
      socket.send(INIT);
    };
    socket.onmessage = (event) => {
      const size = broadcastSize(String(event.data));
      if (size === undefined) return;
      const text = payload(size);
      for (const peer of sockets) peer.send(text);
    };
    socket.onclose = () => sockets.delete(socket);
    return response;
  });
} else if (bun) {
  const sockets = new Set();
  const server = bun.serve({
    port,
    hostname: "127.0.0.1",
    development: false,
    fetch: (request, server) => (server.upgrade(request) ? undefined : new Response("ok")),
    websocket: {
      open(socket) {
        sockets.add(socket);
        socket.send(INIT);
      },
      message(_socket, message) {
        const size = broadcastSize(String(message));
        if (size === undefined) return;
        const text = payload(size);
        for (const peer of sockets) peer.send(text);
      },
      close(socket) {
        sockets.delete(socket);
      },
    },
  });
  console.log(`listening ${server.port}`);
} else {
  const { default: nodeAdapter } = await import("crossws/adapters/node");
  const ws = nodeAdapter({
    hooks: {
      open(peer) {
        peer.send(INIT);
      },
      message(peer, message) {
        const size = broadcastSize(message.text());
        if (size === undefined) return;
        const text = payload(size);
        for (const other of peer.peers) other.send(text);
      },
    },
  });
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
  server.on("upgrade", (req, socket, head) => void ws.handleUpgrade(req, socket, head));
  server.listen(port, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
}
