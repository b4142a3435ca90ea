/**
 * The container image: its size, and its start-up time from `podman run` to
 * the first 200 on `/api/healthcheck` (polled from the host every 2 ms) and
 * to the first passing HEALTHCHECK command (`podman healthcheck run`, tried
 * again as soon as one fails). Baselines measured in the same run, polled the
 * same way: the bare Node hello server (scripts/bench/hello.js) on the host
 * and in a container of the same base image, and the service on the host
 * (`node --enable-source-maps dist/main.js`, as in the image).
 *
 *   npm run test:container    # builds localhost/agent-service:test (once)
 *   npm run bench:container
 *
 * CONTAINER_RUNS (default 5) rounds of one start of each, interleaved, after
 * one unmeasured start of each. The first-200 series poll every 2 ms, which
 * itself takes CPU from a starting container on a busy 2-core machine; the
 * HEALTHCHECK series polls only as fast as `podman healthcheck run` returns.
 * The image built here sits on a local stand-in for the official base
 * (scripts/container/bases.sh); its size is that stand-in's plus the
 * service's layers, which the table shows apart.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { BASE_IMAGE, IMAGE, podman, podmanOk, RUN_FLAGS } from "../container/podman.ts";
import { BENCH_MASTER_KEY, BENCH_SECRET, ensureBuilt, freePort, header, machine, median, mib, ms, percentile, probe, sleep, table, timeToFirst200 } from "./lib.ts";

const RUNS = Number(process.env.CONTAINER_RUNS ?? 5);
const TIMEOUT_MS = 60_000;
const SERVICE_ENV = { HOST: "127.0.0.1", AUTH_JWT_SECRET: BENCH_SECRET, LITELLM_MASTER_KEY: BENCH_MASTER_KEY, LITELLM_BASE_URL: "http://127.0.0.1:9", LOG_LEVEL: "error" };

/**
 * Each start once, unmeasured (warms the page cache and podman's storage),
 * then RUNS rounds of one start of each, interleaved so that a change in the
 * machine's load falls on all of them alike.
 */
async function interleaved<K extends string>(starts: Record<K, () => Promise<number>>): Promise<Record<K, number[]>> {
  const keys = Object.keys(starts) as K[];
  for (const key of keys) await starts[key]();
  const times = Object.fromEntries(keys.map((key) => [key, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < RUNS; i++) for (const key of keys) times[key].push(await starts[key]());
  return times;
}

/**
 * `podman run -d` of `image` with `args` (listening on `port`), timed from the
 * spawn of podman to `ready()`; the container is removed afterwards.
 */
async function timeContainer(image: string, port: number, env: Record<string, string>, command: readonly string[], ready: (name: string) => Promise<boolean>, extra: readonly string[] = []): Promise<number> {
  const name = `agent-service-bench-${process.pid}-${port}`;
  const set = { ...env, PORT: String(port) };
  const start = performance.now();
  const run = podman(["run", "-d", "--name", name, ...RUN_FLAGS, ...Object.keys(set).flatMap((key) => ["-e", key]), ...extra, image, ...command], { env: set });
  try {
    while (true) {
      if (await ready(name)) return performance.now() - start;
      if (performance.now() - start > TIMEOUT_MS) throw new Error(`${image} was not ready within ${TIMEOUT_MS} ms: ${(await run).stderr}`);
      await sleep(2);
    }
  } finally {
    const ran = await run;
    if (ran.code !== 0) throw new Error(`podman run ${image} failed: ${ran.stderr}`);
    await podman(["rm", "-f", "-t", "0", name]);
  }
}

const httpReady = (port: number, path: string) => async () => (await probe(port, path)) === 200;
const healthcheckReady = async (name: string) => (await podman(["healthcheck", "run", name])).code === 0;

/** Milliseconds the HEALTHCHECK command takes once the service answers (what each periodic check costs). */
async function healthcheckDuration(): Promise<number[]> {
  const port = await freePort();
  const name = `agent-service-bench-hc-${process.pid}`;
  const set = { ...SERVICE_ENV, PORT: String(port) };
  await podmanOk(["run", "-d", "--name", name, ...RUN_FLAGS, ...Object.keys(set).flatMap((key) => ["-e", key]), IMAGE], { env: set });
  try {
    while ((await probe(port, "/api/healthcheck")) !== 200) await sleep(10);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      if (!(await healthcheckReady(name))) throw new Error("the HEALTHCHECK failed on a healthy service");
      times.push(performance.now() - start);
    }
    return times;
  } finally {
    await podman(["rm", "-f", "-t", "0", name]);
  }
}

const size = async (image: string) => Number(await podmanOk(["image", "inspect", "--format", "{{.Size}}", image]));

ensureBuilt();
const loadBefore = machine();
const imageBytes = await size(IMAGE);
const baseBytes = await size(BASE_IMAGE);
const hello = resolve("scripts/bench/hello.js");

const rows: string[][] = [];
const stateRoot = await mkdtemp(join(tmpdir(), "bench-container-"));
try {
  const { hostHello, hostService, containerHello, containerService, containerHealthcheck } = await interleaved({
    hostHello: () => timeToFirst200("node", "scripts/bench/hello.js", "/", {}, (port) => [String(port)]),
    hostService: async () => {
      const dir = await mkdtemp(join(stateRoot, "state-"));
      return timeToFirst200("node", "src/main.ts", "/api/healthcheck", { ...SERVICE_ENV, AGENT_STATE_DIR: dir }, () => []);
    },
    containerHello: async () => {
      const port = await freePort();
      return timeContainer(BASE_IMAGE, port, {}, ["node", "/hello.js", String(port)], httpReady(port, "/"), ["-v", `${hello}:/hello.js:ro`]);
    },
    containerService: async () => {
      const port = await freePort();
      return timeContainer(IMAGE, port, SERVICE_ENV, [], httpReady(port, "/api/healthcheck"));
    },
    containerHealthcheck: async () => {
      const port = await freePort();
      return timeContainer(IMAGE, port, SERVICE_ENV, [], healthcheckReady);
    },
  });
  const checkCost = await healthcheckDuration();

  const row = (name: string, times: number[]) => [
    name,
    ms(median(times)),
    ms(percentile(times, 90)),
    ms(Math.min(...times)),
    ms(Math.max(...times)),
    (median(times) / median(hostHello)).toFixed(2),
  ];
  rows.push(row("host: node hello.js (baseline)", hostHello));
  rows.push(row("host: node dist/main.js, first 200", hostService));
  rows.push(row("container (base): node hello.js, first 200", containerHello));
  rows.push(row("container: the service, first 200", containerService));
  rows.push(row("container: the service, first passing HEALTHCHECK", containerHealthcheck));
  console.log([
    header("the container: image size, and start-up to the first healthcheck", ["node"]),
    `engine: ${(await podmanOk(["--version"]))}, runc, cgroupfs, --network host; ${RUNS} rounds of one start of each, interleaved, after one unmeasured start of each`,
    `image ${IMAGE}: ${mib(imageBytes)} MiB (${imageBytes} bytes) = base ${BASE_IMAGE} ${mib(baseBytes)} MiB + the service's layers ${mib(imageBytes - baseBytes)} MiB`,
    table(["start", "p50 ms", "p90 ms", "min ms", "max ms", "ratio to host hello"], rows),
    `the HEALTHCHECK command on a healthy service (podman healthcheck run): p50 ${ms(median(checkCost))} ms, max ${ms(Math.max(...checkCost))} ms`,
    `container overhead: the service in its container starts ${(median(containerService) / median(hostService)).toFixed(2)}x the host's time (${ms(median(containerService) - median(hostService))} ms more); a hello in the same base ${ms(median(containerHello) - median(hostHello))} ms more than on the host`,
    `load before: ${loadBefore.slice(loadBefore.indexOf("load average"))}; after: ${machine().slice(machine().indexOf("load average"))}`,
  ].join("\n"));
} finally {
  await rm(stateRoot, { recursive: true, force: true });
}

