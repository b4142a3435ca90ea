/**
 * Cold start: the time from spawning the service to its first 200 on
 * `/api/healthcheck`, on each runtime, started as its users start it; baseline:
 * the bare hello server of the same runtime (scripts/bench/hello.js, plain
 * JavaScript), spawned and polled the same way. Then, in the same start, the
 * time to the first 200 on `/api/readyz`: the service listens before its agent
 * side (store, catalog, LiteLLM client, routes) is loaded, and readiness is
 * when a load balancer sends it users.
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
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { BENCH_SECRET, commandFor, header, median, ms, percentile, runtimesFromArgs, table, timesToFirst200 } from "./lib.ts";

const RUNS = Number(process.env.COLD_START_RUNS ?? 10);

/**
 * RUNS starts of each of `starters`, interleaved (one of each in turn, so a
 * change in the machine's load falls on all of them alike), after one
 * unmeasured start of each (it fills the module caches: Deno's, Bun's).
 * Each start gives one time per polled path: [starter][path][run].
 */
async function interleaved(starters: (() => Promise<number[]>)[]): Promise<number[][][]> {
  for (const start of starters) await start();
  const times: number[][][] = starters.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, start] of starters.entries()) times[k]!.push(await start());
  }
  return times.map((runs) => runs[0]!.map((_, path) => runs.map((run) => run[path]!)));
}

const runtimes = runtimesFromArgs();
const rows: string[][] = [];
const notes: string[] = [];
const stateRoot = await mkdtemp(join(tmpdir(), "cold-start-"));
try {
  for (const runtime of runtimes) {
    const [[hello], [service, ready]] = (await interleaved([
      () => timesToFirst200(runtime, "scripts/bench/hello.js", ["/"], {}, (port) => [String(port)]),
      async () => {
        const dir = await mkdtemp(join(stateRoot, "state-"));
        try {
          return await timesToFirst200(runtime, "src/main.ts", ["/api/healthcheck", "/api/readyz"], {
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
      },
    ])) as [[number[]], [number[], number[]]];
    const row = (name: string, times: number[]) => [
      `${runtime} ${name}`,
      ms(median(times)),
      ms(percentile(times, 90)),
      ms(Math.min(...times)),
      ms(Math.max(...times)),
      (median(times) / median(hello)).toFixed(2),
    ];
    rows.push(row("bare hello (baseline)", hello));
    const entry = commandFor(runtime, "src/main.ts")[1].filter((a) => !a.startsWith("-")).at(-1);
    rows.push(row(`service (${entry}): healthcheck`, service));
    rows.push(row(`service (${entry}): readyz`, ready));
    notes.push(`${runtime}: the service answers its healthcheck ${ms(median(service))} ms after spawn (p50), ${ms(median(service) - median(hello))} ms more than the bare hello; ready (store open, agent routes loaded) at ${ms(median(ready))} ms`);
  }
} finally {
  await rm(stateRoot, { recursive: true, force: true });
}

console.log([
  header("cold start: spawn to the first 200 on the healthcheck, then on /api/readyz", runtimes),
  `${RUNS} starts each, the bare hello's and the service's interleaved, after one unmeasured start of each; polled every 2 ms`,
  table(["process", "p50 ms", "p90 ms", "min ms", "max ms", "ratio"], rows),
  ...notes,
].join("\n"));
