/**
 * Cold start: the time from spawning the service to its first 200 on
 * `/api/healthcheck`, on each runtime, started as its users start it; baseline:
 * the bare hello server of the same runtime (scripts/bench/hello.js, plain
 * JavaScript), spawned and polled the same way.
 *
 * Polling: a new connection every 2 ms until one answers 200 (a refused
 * connection on loopback returns at once). The service starts with an empty
 * file store in a temp directory and the default settings otherwise. On
 * Node, `node --enable-source-maps dist/main.js` (what `npm start` runs; built
 * first if stale) against `node hello.js`; on Deno, `deno run` without type
 * checking, with Deno's module cache warm from the first (unmeasured) start;
 * on Bun, `bun src/main.ts` (Bun transpiles as it loads, with its cache).
 *
 *   npm run bench:cold-start                 # Node, Deno and Bun
 *   npx tsx scripts/bench/cold-start.ts bun
 *
 * COLD_START_RUNS (default 10) starts of each, after one unmeasured start.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { BENCH_SECRET, commandFor, freePort, header, median, ms, percentile, type Runtime, runtimesFromArgs, sleep, table } from "./lib.ts";

const RUNS = Number(process.env.COLD_START_RUNS ?? 10);
const TIMEOUT_MS = 30_000;

/** Resolves with the status of one GET, or 0 when the connection fails. */
function probe(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.setTimeout(1000, () => req.destroy());
    req.end();
  });
}

/** Milliseconds from spawn to the first 200 on `path`. */
async function timeToFirst200(runtime: Runtime, file: string, path: string, env: Record<string, string>, args: (port: number) => string[]): Promise<number> {
  const port = await freePort();
  const [command, commandArgs] = commandFor(runtime, file, args(port));
  const start = performance.now();
  const child = spawn(command, commandArgs, { env: { ...process.env, ...env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    while (true) {
      if (child.exitCode !== null) throw new Error(`${file} exited: ${stderr}`);
      if (performance.now() - start > TIMEOUT_MS) throw new Error(`${file} gave no 200 within ${TIMEOUT_MS} ms: ${stderr}`);
      if ((await probe(port, path)) === 200) return performance.now() - start;
      await sleep(2);
    }
  } finally {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

async function series(runOnce: () => Promise<number>): Promise<number[]> {
  await runOnce(); // unmeasured: fills the module caches (tsx's, Deno's)
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await runOnce());
  return times;
}

const runtimes = runtimesFromArgs();
const rows: string[][] = [];
const notes: string[] = [];
const stateRoot = await mkdtemp(join(tmpdir(), "cold-start-"));
try {
  for (const runtime of runtimes) {
    const hello = await series(() => timeToFirst200(runtime, "scripts/bench/hello.js", "/", {}, (port) => [String(port)]));
    const service = await series(async () => {
      const dir = await mkdtemp(join(stateRoot, "state-"));
      try {
        return await timeToFirst200(runtime, "src/main.ts", "/api/healthcheck", {
          HOST: "127.0.0.1",
          AUTH_JWT_SECRET: BENCH_SECRET,
          LITELLM_BASE_URL: "http://127.0.0.1:9",
          LITELLM_MASTER_KEY: "sk-cold-start",
          AGENT_STATE_DIR: dir,
          LOG_LEVEL: "error",
        }, () => []);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
    const row = (name: string, times: number[]) => [
      `${runtime} ${name}`,
      ms(median(times)),
      ms(percentile(times, 90)),
      ms(Math.min(...times)),
      ms(Math.max(...times)),
      (median(times) / median(hello)).toFixed(2),
    ];
    rows.push(row("bare hello (baseline)", hello));
    rows.push(row(`service (${commandFor(runtime, "src/main.ts")[1].filter((a) => !a.startsWith("-")).at(-1)})`, service));
    notes.push(`${runtime}: the service answers its healthcheck ${ms(median(service))} ms after spawn (p50), ${ms(median(service) - median(hello))} ms more than the bare hello`);
  }
} finally {
  await rm(stateRoot, { recursive: true, force: true });
}

console.log([
  header("cold start: spawn to the first 200 on the healthcheck", runtimes),
  `${RUNS} starts each after one unmeasured start; polled every 2 ms`,
  table(["process", "p50 ms", "p90 ms", "min ms", "max ms", "ratio"], rows),
  ...notes,
].join("\n"));
