/**
 * Every benchmark, one after another, on Node, Deno and Bun: `npm run bench`.
 * Each runs as its own process (as `npm run bench:<name>` would) and prints
 * its table; this one prints them as they come and, with BENCH_OUT=<file>,
 * also writes them to that file. Takes about 9 minutes on 2 cores.
 *
 *   npm run bench
 *   BENCH_OUT=bench-results.txt npm run bench
 *   bash -c 'ulimit -n 65536 && npm run bench'     # if `ulimit -n` is under ~10,300
 *
 * Arguments name the benchmarks to run (default all): jwt authorize rest
 * streaming capacity cold-start store store-saves deno-server stalled-sockets.
 */
import { spawn } from "node:child_process";
import { appendFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { commandFor, header, type Runtime, RUNTIMES } from "./lib.ts";

interface Bench {
  readonly name: string;
  readonly runtime: Runtime;
  readonly file: string;
  readonly args?: string[];
}

const ALL: Bench[] = [
  { name: "jwt", runtime: "node", file: "scripts/bench/jwt.ts" },
  { name: "jwt", runtime: "deno", file: "scripts/bench/jwt.ts" },
  { name: "jwt", runtime: "bun", file: "scripts/bench/jwt.ts" },
  { name: "authorize", runtime: "node", file: "scripts/bench/authorize.ts" },
  { name: "rest", runtime: "node", file: "scripts/bench/rest.ts" },
  { name: "streaming", runtime: "node", file: "scripts/bench/streaming.ts" },
  { name: "capacity", runtime: "node", file: "scripts/bench/capacity.ts" },
  { name: "cold-start", runtime: "node", file: "scripts/bench/cold-start.ts" },
  // Saves run in-process (on each runtime); the cold start with stored agents runs children on both.
  { name: "store", runtime: "node", file: "scripts/bench/store.ts" },
  { name: "store-saves", runtime: "deno", file: "scripts/bench/store.ts", args: ["saves"] },
  // Deno's node:http path against the Deno.serve one it replaced (71102ab), and stalled sockets' memory.
  { name: "deno-server", runtime: "node", file: "scripts/bench/deno-server.ts" },
  { name: "stalled-sockets", runtime: "node", file: "scripts/bench/stalled-sockets.ts" },
];

const wanted = process.argv.slice(2);
const benches = wanted.length > 0 ? ALL.filter((b) => wanted.includes(b.name)) : ALL;
const out = process.env.BENCH_OUT;
if (out) writeFileSync(out, "");
const print = (text: string) => {
  process.stdout.write(text);
  if (out) appendFileSync(out, text);
};

print(`${header("agent-service benchmarks", RUNTIMES)}\nstarted ${new Date().toISOString()}\n\n`);
const failed: string[] = [];
for (const bench of benches) {
  // The load generators run on Node; the in-process micro-benchmarks (JWT, store saves) run on each runtime.
  const [command, args] = commandFor(bench.runtime, bench.file, bench.args);
  const label = bench.name === "jwt" ? `${bench.name} (${bench.runtime})` : bench.name;
  print(`--- ${label}: ${command} ${args.join(" ")}\n`);
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (chunk) => print(String(chunk)));
    child.stderr!.on("data", (chunk) => print(String(chunk)));
    child.once("exit", (exitCode) => resolve(exitCode));
  });
  print(`(${label}: ${((performance.now() - started) / 1000).toFixed(0)} s${code === 0 ? "" : `, exit ${code}`})\n\n`);
  if (code !== 0) failed.push(label);
}
if (failed.length > 0) {
  print(`failed: ${failed.join(", ")}\n`);
  process.exit(1);
}
