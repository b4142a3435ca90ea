/**
 * The baseline for HTTP benchmarks: the barest hello server of the runtime
 * it runs on (`node:http` on Node, `Deno.serve` on Deno). Prints its port.
 *
 *   npx tsx scripts/bench/hello.ts 0
 *   npx deno run --allow-net scripts/bench/hello.ts 0
 */
import process from "node:process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

interface DenoServe {
  serve(options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void }, handler: () => Response): unknown;
}

const port = Number(process.argv[2] ?? 0);
const deno = (globalThis as { Deno?: DenoServe }).Deno;
if (deno) {
  deno.serve({ port, hostname: "127.0.0.1", onListen: (addr) => console.log(`listening ${addr.port}`) }, () => new Response("ok"));
} else {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
  server.listen(port, "127.0.0.1", () => console.log(`listening ${(server.address() as AddressInfo).port}`));
}
