// The baseline for HTTP benchmarks: the barest hello server of the runtime it
// runs on (`node:http` on Node, `Deno.serve` on Deno, `Bun.serve` on Bun).
// Prints its port. Plain JavaScript, so every runtime runs it as it is, with
// no compiler or loader in front (the service on Node runs compiled too).
//
//   node scripts/bench/hello.js 0
//   npx deno run --allow-net scripts/bench/hello.js 0
//   npx bun scripts/bench/hello.js 0
//   npx deno run --allow-net scripts/bench/hello.js 0 --node-http   # node:http on Deno or Bun too
import process from "node:process";
import { createServer } from "node:http";

const port = Number(process.argv[2] ?? 0);
const nodeHttp = process.argv.includes("--node-http");
const { Deno: deno, Bun: bun } = nodeHttp ? {} : globalThis;
if (deno) {
  deno.serve({ port, hostname: "127.0.0.1", onListen: (addr) => console.log(`listening ${addr.port}`) }, () => new Response("ok"));
} else if (bun) {
  const server = bun.serve({ port, hostname: "127.0.0.1", development: false, fetch: () => new Response("ok") });
  console.log(`listening ${server.port}`);
} else {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
  server.listen(port, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
}
