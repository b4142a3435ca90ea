/**
 * Shared pieces of the benchmarks: start a server (the service, a bare
 * baseline, the scripted upstream) as a child process on a runtime, load it
 * from this process, read the child's memory and file descriptors from
 * /proc, and print tables of figures against a baseline measured in the same
 * run, under a header naming the runtimes and the machine.
 *
 * The load generator (this process) always runs on Node; the servers run on
 * the runtime under test.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import process from "node:process";
import autocannon from "autocannon";
import NodeWebSocket from "crossws/websocket";
import { signJwt } from "../../src/jwt.ts";

export type Runtime = "node" | "deno" | "bun";

export const RUNTIMES: readonly Runtime[] = ["node", "deno", "bun"];

/** The server of each runtime's bare baselines (scripts/bench/hello.js, ws-hello.js). */
export const BARE_SERVER: Readonly<Record<Runtime, string>> = { node: "node:http", deno: "Deno.serve", bun: "Bun.serve" };

/** The bun binary: from npm (node_modules/.bin), or BUN_BINARY. */
const bunBinary = () => process.env.BUN_BINARY ?? "node_modules/.bin/bun";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let built = false;

/** Builds dist/ if a source is newer than it (`node scripts/build.js --if-stale`, what `npm start` does first); once per process. */
export function ensureBuilt(): void {
  if (built) return;
  execFileSync("node", ["scripts/build.js", "--if-stale"], { stdio: ["ignore", "ignore", "inherit"] });
  built = true;
}

/**
 * The command that runs a file on a runtime, as its users run it. Deno and
 * Bun run TypeScript as it is. On Node: the service's own sources (`src/`)
 * run compiled from dist/ with source maps, as `npm start` runs them (built
 * first when stale); plain JavaScript runs as it is; other TypeScript (the
 * benchmarks' helpers, the scripted upstream) runs through tsx.
 */
export function commandFor(runtime: Runtime, file: string, args: string[] = []): [string, string[]] {
  // "node" from PATH: under Deno or Bun, process.execPath is their binary.
  switch (runtime) {
    case "node":
      if (file.endsWith(".js")) return ["node", [file, ...args]];
      if (file.startsWith("src/") && file.endsWith(".ts")) {
        ensureBuilt();
        return ["node", ["--enable-source-maps", `dist/${file.slice("src/".length, -".ts".length)}.js`, ...args]];
      }
      return ["node", ["--import", "tsx", file, ...args]];
    case "deno":
      return ["node_modules/.bin/deno", ["run", "--allow-all", file, ...args]];
    case "bun":
      return [bunBinary(), ["run", file, ...args]];
  }
}

export interface Child {
  readonly process: ChildProcess;
  /** What the child wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts a server child and waits until `GET readyPath` answers 200. */
export async function startChild(
  runtime: Runtime,
  file: string,
  options: { args?: string[]; env?: Record<string, string>; port: number; readyPath: string; timeoutMs?: number; cwd?: string },
): Promise<Child> {
  const [command, args] = commandFor(runtime, file, options.args);
  const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"], ...(options.cwd ? { cwd: options.cwd } : {}) });
  let output = "";
  // Only the tail is kept: a long soak must not grow this process's memory.
  const keep = (chunk: unknown) => {
    output += String(chunk);
    if (output.length > 256_000) output = output.slice(-128_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let ready = false;
  while (!ready) {
    if (child.exitCode !== null) throw new Error(`${file} exited early:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${file} did not answer 200 on ${options.readyPath} within ${options.timeoutMs ?? 30_000} ms:\n${output}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${options.port}${options.readyPath}`);
      await response.body?.cancel();
      ready = response.status === 200;
    } catch {
      // not up yet
    }
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    process: child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      }),
  };
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** Loads `url` with autocannon. */
export async function load(url: string, options: { connections: number; durationSeconds: number; headers?: Record<string, string> }): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationSeconds,
    headers: options.headers ?? {},
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** Prints rows as an aligned table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

// --- Statistics -------------------------------------------------------------

/** The `p`-th percentile (0..100) of `values`, nearest-rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** Milliseconds with a precision that suits them. */
export const ms = (value: number) => (value >= 100 ? fmt(value, 0) : value >= 10 ? fmt(value, 1) : fmt(value, 2));

export const mib = (bytes: number) => fmt(bytes / 1048576, 1);

// --- Where we run -----------------------------------------------------------

/** Cores, CPU model (from /proc/cpuinfo), memory and kernel of this machine. */
export function machine(): string {
  let model = cpus()[0]?.model ?? "unknown CPU";
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
    if (line) model = line.slice(line.indexOf(":") + 1).trim();
  } catch {
    // not Linux
  }
  const load = (() => {
    try {
      return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    } catch {
      return "n/a";
    }
  })();
  return `${cpus().length} cores, ${model}, ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, Linux ${release()}, load average ${load}`;
}

const versions = new Map<Runtime, string>();

/** `node v20.x` / `deno 2.x (v8 …)` / `bun 1.x`, as the child processes will run. */
export function runtimeVersion(runtime: Runtime): string {
  let version = versions.get(runtime);
  if (version === undefined) {
    try {
      if (runtime === "node") {
        version = `node ${execFileSync("node", ["--version"], { encoding: "utf8" }).trim()}`;
      } else if (runtime === "bun") {
        version = `bun ${execFileSync(bunBinary(), ["--version"], { encoding: "utf8" }).trim()}`;
      } else {
        const lines = execFileSync("node_modules/.bin/deno", ["--version"], { encoding: "utf8" }).trim().split("\n");
        version = `${lines[0]?.replace(/ \(.*\)$/, "")} (${lines[1]?.trim()})`;
      }
    } catch {
      version = `${runtime} (version unknown)`;
    }
    versions.set(runtime, version);
  }
  return version;
}

/** The lines every benchmark prints first. */
export function header(title: string, runtimes: readonly Runtime[]): string {
  return [
    `== ${title}`,
    `servers on: ${runtimes.map(runtimeVersion).join("; ")}; load generator: node ${process.version} (this process)`,
    `machine: ${machine()}`,
  ].join("\n");
}

/** The runtimes named on the command line (default all three). */
export function runtimesFromArgs(args = process.argv.slice(2)): Runtime[] {
  const named = args.filter((a): a is Runtime => (RUNTIMES as readonly string[]).includes(a));
  return named.length > 0 ? named : [...RUNTIMES];
}

// --- A child's resources ------------------------------------------------------

/** Resident set size of a process, in bytes (`VmRSS` of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** Open file descriptors of a process (entries of /proc/<pid>/fd). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** This process's soft limit on open files (from /proc/self/limits), or Infinity when unknown. */
export function openFileLimit(): number {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === "unlimited" ? Infinity : Number(soft);
  } catch {
    return Infinity;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** RSS after letting the process settle: the median of a few samples. */
export async function settledRss(pid: number): Promise<number> {
  await sleep(1500);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssBytes(pid));
    await sleep(100);
  }
  return median(samples);
}

// --- The service under test ---------------------------------------------------

/** The JWT secret of every benchmark's service. */
export const BENCH_SECRET = "bench-secret-0123456789abcdef-0123456789";
export const BENCH_MASTER_KEY = "sk-bench-master-key-0123";

/** A valid token for user `userId`, for an hour. */
export function benchToken(userId: number, role = "REGULAR"): string {
  return signJwt(
    { sub: `user${userId}`, userId, email: `user${userId}@example.com`, role, exp: Math.floor(Date.now() / 1000) + 3600 },
    BENCH_SECRET,
  );
}

export interface ServiceChild extends Child {
  readonly url: string;
  readonly wsUrl: string;
  readonly pid: number;
  /** The file store's directory (removed by `stop`). */
  readonly stateDir: string;
}

/**
 * Starts `src/main.ts` on `runtime` with a file store in a fresh temp
 * directory (under `stateRoot`, default the OS temp dir) and waits for its
 * healthcheck. `prepare` may write agent files into the directory first.
 */
/** Per-user limits a benchmark cannot reach, with every limit still counted (0 would switch one off). */
export const BENCH_LIMITS: Readonly<Record<string, string>> = {
  MAX_SOCKETS_PER_USER: "100000",
  REQUESTS_PER_MINUTE_PER_USER: "10000000",
  REQUEST_BURST_PER_USER: "1000000",
};

export async function startService(
  runtime: Runtime,
  options: { llmUrl?: string; env?: Record<string, string>; stateRoot?: string; prepare?: (dir: string) => Promise<void>; cwd?: string } = {},
): Promise<ServiceChild> {
  const stateDir = await mkdtemp(join(options.stateRoot ?? tmpdir(), "agent-bench-"));
  await options.prepare?.(stateDir);
  const port = await freePort();
  const child = await startChild(runtime, "src/main.ts", {
    port,
    // Ready, not only alive: the service listens before its agent side is loaded.
    readyPath: "/api/readyz",
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      AUTH_JWT_SECRET: BENCH_SECRET,
      LITELLM_BASE_URL: options.llmUrl ?? "http://127.0.0.1:9",
      LITELLM_MASTER_KEY: BENCH_MASTER_KEY,
      // The PostgreSQL store keeps nothing on disk (and refuses AGENT_STATE_DIR).
      ...(options.env?.AGENT_STORE === "postgres" ? {} : { AGENT_STATE_DIR: stateDir }),
      LOG_LEVEL: "error",
      // The per-user limits stay on (their bookkeeping is in every figure) but out of
      // reach: a benchmark is one or a few users doing what a whole platform does.
      ...BENCH_LIMITS,
      ...options.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    ...child,
    url,
    wsUrl: url.replace(/^http/, "ws"),
    pid: child.process.pid!,
    stateDir,
    stop: async () => {
      await child.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Creates an agent through the REST API; returns its id. */
export async function createAgent(serviceUrl: string, token: string, modelType = "scripted-model"): Promise<string> {
  const response = await fetch(`${serviceUrl}/api/agents`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ modelType }),
  });
  const body = await response.json() as { id?: string; error?: string };
  if (!response.ok || !body.id) throw new Error(`creating an agent answered ${response.status}: ${JSON.stringify(body)}`);
  return body.id;
}

/**
 * Writes agents into a file store's directory as `FileAgentStore` lays them
 * out (agents/<id>.json and an index line each; no steps yet), so a
 * benchmark can start a service holding many agents without creating each
 * through the API.
 */
export async function seedFileStore(dir: string, records: readonly { id: string; ownerUid: number; ownerName: string; settings: unknown }[]): Promise<void> {
  await mkdir(join(dir, "agents"), { recursive: true });
  const createdAt = Date.now();
  let index = "";
  for (const [i, record] of records.entries()) {
    const meta = { name: "Bob", modelType: "scripted-model", createdAt: new Date(createdAt + i).toISOString(), ...record };
    await writeFile(join(dir, "agents", `${record.id}.json`), `${JSON.stringify(meta)}\n`);
    index += `${JSON.stringify({ a: record.id, o: record.ownerUid, c: meta.createdAt })}\n`;
  }
  await appendFile(join(dir, "index.jsonl"), index);
}

// --- Another revision ---------------------------------------------------------

/**
 * The tree of a git revision (`git archive`) in a temp directory sharing this
 * tree's node_modules, to run its service beside this one's in the same run
 * (startService/startChild with `cwd: dir`; Deno then reads that tree's
 * deno.json), with its dist/ built for Node.
 */
export async function exportRevision(revision: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "agent-bench-revision-"));
  execFileSync("sh", ["-c", `git archive "$1" | tar -x -C "$2"`, "sh", revision, dir], { stdio: ["ignore", "ignore", "inherit"] });
  await symlink(join(process.cwd(), "node_modules"), join(dir, "node_modules"));
  // Node runs the service compiled (commandFor): build that tree's dist/ too.
  execFileSync("node", ["scripts/build.js"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

// --- Cold start ---------------------------------------------------------------

const COLD_START_TIMEOUT_MS = 60_000;

/** Resolves with the status of one GET, or 0 when the connection fails. */
export function probe(port: number, path: string): Promise<number> {
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
export async function timeToFirst200(runtime: Runtime, file: string, path: string, env: Record<string, string>, args: (port: number) => string[]): Promise<number> {
  return (await timesToFirst200(runtime, file, [path], env, args))[0]!;
}

/**
 * Spawns `file` and polls each of `paths` in turn until it answers 200: the
 * times from spawn to each path's first 200 (e.g. the healthcheck, then the
 * readiness probe of a service that listens before it is ready).
 */
export async function timesToFirst200(runtime: Runtime, file: string, paths: readonly string[], env: Record<string, string>, args: (port: number) => string[]): Promise<number[]> {
  const port = await freePort();
  const [command, commandArgs] = commandFor(runtime, file, args(port));
  const start = performance.now();
  const child = spawn(command, commandArgs, { env: { ...process.env, ...env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const times: number[] = [];
  try {
    for (const path of paths) {
      while (true) {
        if (child.exitCode !== null) throw new Error(`${file} exited: ${stderr}`);
        if (performance.now() - start > COLD_START_TIMEOUT_MS) throw new Error(`${file} gave no 200 on ${path} within ${COLD_START_TIMEOUT_MS} ms: ${stderr}`);
        if ((await probe(port, path)) === 200) break;
        await sleep(2);
      }
      times.push(performance.now() - start);
    }
    return times;
  } finally {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

// --- The scripted upstream as a child ---------------------------------------------

export interface UpstreamChild extends Child {
  readonly url: string;
}

/**
 * Starts the scripted OpenAI-compatible upstream (`scripts/bench/upstream.ts`)
 * as its own Node process, so that neither the service nor the load generator
 * shares an event loop with it.
 */
export async function startUpstream(): Promise<UpstreamChild> {
  const [command, args] = commandFor("node", "scripts/bench/upstream.ts");
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the scripted upstream did not start:\n${output}`)), 30_000);
    child.stdout!.on("data", (chunk) => {
      output += String(chunk);
      const match = /listening (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.stderr!.on("data", (chunk) => (output += String(chunk)));
    child.once("exit", () => reject(new Error(`the scripted upstream exited:\n${output}`)));
  });
  return {
    process: child,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      }),
  };
}

// --- WebSocket clients ---------------------------------------------------------

/**
 * The WebSocket class of the load generator: Node's global one when present
 * (`--experimental-websocket`), else the `ws` client bundled with crossws.
 */
export const WebSocketClient = NodeWebSocket;

/**
 * Opens a socket and resolves once its first message (the service's `init`)
 * arrived, so the socket is authenticated and subscribed. `onMessage` gets
 * every later message.
 */
export function openSocket(url: string, onMessage?: (data: string) => void, timeoutMs = 10_000): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocketClient(url) as WebSocket;
    let opened = false;
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`no init from ${url.replace(/access-token=[^&]+/, "access-token=…")} within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.onmessage = (event) => {
      if (!opened) {
        opened = true;
        clearTimeout(timer);
        resolve(ws);
        return;
      }
      onMessage?.(String(event.data));
    };
    ws.onerror = () => {
      clearTimeout(timer);
      if (!opened) reject(new Error(`WebSocket to ${url.replace(/access-token=[^&]+/, "access-token=…")} failed`));
    };
    ws.onclose = (event) => {
      clearTimeout(timer);
      if (!opened) reject(new Error(`WebSocket closed before init: ${event.code} ${event.reason}`));
    };
  });
}

/** Closes sockets and waits (bounded) until they are closed. */
export async function closeSockets(sockets: readonly WebSocket[], timeoutMs = 10_000): Promise<void> {
  await Promise.all(sockets.map((ws) =>
    new Promise<void>((resolve) => {
      if (ws.readyState === 3) return resolve();
      const timer = setTimeout(resolve, timeoutMs);
      ws.addEventListener("close", () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close();
    })
  ));
}

/**
 * A process's open file descriptors by kind: TCP connections to `peerPort`
 * (e.g. the upstream's keep-alive pool, which grows and shrinks with the
 * load) and everything else. Sockets are matched to connections through
 * /proc/<pid>/net/tcp{,6} inodes.
 */
export function fdBreakdown(pid: number, peerPort: number): { total: number; toPeer: number; other: number } {
  const peerInodes = new Set<string>();
  const hexPort = peerPort.toString(16).toUpperCase().padStart(4, "0");
  for (const file of ["tcp", "tcp6"]) {
    let text = "";
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      if (fields[2]!.endsWith(`:${hexPort}`)) peerInodes.add(fields[9]!);
    }
  }
  let total = 0;
  let toPeer = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    total++;
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && peerInodes.has(inode)) toPeer++;
    } catch {
      // closed meanwhile
    }
  }
  return { total, toPeer, other: total - toPeer };
}

/** Which service runs a benchmark measures: without metrics, with `METRICS_PORT` set, or both (`BENCH_METRICS=off|on|both`, default both). */
export function metricsModes(): readonly ("off" | "on")[] {
  const mode = process.env.BENCH_METRICS ?? "both";
  if (mode === "off" || mode === "on") return [mode];
  if (mode === "both") return ["off", "on"];
  throw new Error(`BENCH_METRICS must be off, on or both (got ${mode})`);
}

/** The environment that turns metrics on (a free METRICS_PORT), and where to read them. */
export async function metricsEnv(mode: "off" | "on"): Promise<{ env: Record<string, string>; url?: string }> {
  if (mode === "off") return { env: {} };
  const port = await freePort();
  return { env: { METRICS_PORT: String(port), METRICS_HOST: "127.0.0.1" }, url: `http://127.0.0.1:${port}/metrics` };
}

/** The sum of a metric's samples whose label text contains `labels` (proof that a run with metrics on counted). */
export async function scrapeCount(url: string, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " ")) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
