/**
 * What serving Deno through `node:http` and `ws` (src/server/node-http.ts)
 * costs against the `Deno.serve` + `Deno.upgradeWebSocket` path it replaced,
 * measured in one run: the service of this tree and the service of a git
 * revision that still had `Deno.serve` (default 71102ab), both on Deno,
 * alternating round by round, next to two bare baselines on Deno (a
 * `Deno.serve` hello and a `node:http` hello).
 *
 * Per round and server: the gateway check with a valid Bearer token, served
 * alone (SERVICE_MODE=authorize: no sockets, so `Deno.serve` on both) and by
 * the whole service (the `node:http` path in this tree), and `GET
 * /api/agents` (3 agents), under autocannon, req/s and p99; the first `delta` of a paced answer through the `/react` socket (p50
 * of STREAM_RUNS) and the chunks/s of a burst answer (2,000 chunks); RSS per
 * idle authenticated socket with IDLE_SOCKETS open. Medians over rounds.
 *
 *   npx tsx scripts/bench/deno-server.ts            # against 71102ab
 *   npx tsx scripts/bench/deno-server.ts <revision>
 *
 * ROUNDS (default 3), BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default
 * 50), STREAM_RUNS (default 20), IDLE_SOCKETS (default 1000). The revision is
 * exported with `git archive` into a temp directory that shares this tree's
 * node_modules, and runs with its own deno.json.
 */
import { execFileSync } from "node:child_process";
import process from "node:process";
import { defaultSettings } from "../../src/agents/settings.ts";
import {
  BENCH_SECRET,
  benchToken,
  closeSockets,
  createAgent,
  exportRevision,
  fmt,
  freePort,
  header,
  load,
  type LoadResult,
  machine,
  median,
  ms,
  openSocket,
  seedFileStore,
  settledRss,
  startChild,
  startService,
  startUpstream,
  table,
} from "./lib.ts";

const revision = process.argv[2] ?? "71102ab";
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const STREAM_RUNS = Number(process.env.STREAM_RUNS ?? 20);
const IDLE_SOCKETS = Number(process.env.IDLE_SOCKETS ?? 1000);
const CALLER = 1;

async function measure(url: string, headers: Record<string, string> = {}): Promise<LoadResult> {
  await load(url, { connections, durationSeconds: 1, headers }); // warm-up
  const result = await load(url, { connections, durationSeconds: seconds, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url} answered ${result.non2xx} non-2xx and ${result.errors} errors`);
  return result;
}

async function bare(flag: string[]): Promise<LoadResult> {
  const port = await freePort();
  const child = await startChild("deno", "scripts/bench/hello.js", { args: [String(port), ...flag], port, readyPath: "/" });
  try {
    return await measure(`http://127.0.0.1:${port}/`);
  } finally {
    await child.stop();
  }
}

async function gatewayCheck(cwd: string): Promise<LoadResult> {
  const port = await freePort();
  const child = await startChild("deno", "src/main.ts", {
    cwd,
    port,
    readyPath: "/api/healthcheck",
    env: { PORT: String(port), HOST: "127.0.0.1", AUTH_JWT_SECRET: BENCH_SECRET, SERVICE_MODE: "authorize", LOG_LEVEL: "error" },
  });
  try {
    return await measure(`http://127.0.0.1:${port}/api/auth/api/agents/bench/settings`, { authorization: `Bearer ${benchToken(CALLER)}` });
  } finally {
    await child.stop();
  }
}

const threeAgents = (dir: string) =>
  seedFileStore(dir, [0, 1, 2].map((i) => ({ id: `bench-agent-${i}`, ownerUid: CALLER, ownerName: `user${CALLER}`, settings: defaultSettings() })));

interface Streaming {
  readonly firstMs: number;
  readonly chunksPerSecond: number;
}

/** Paced answers (20 chunks 5 ms apart): time to the first delta; burst answers (2,000 chunks): chunks/s. */
async function streaming(serviceUrl: string): Promise<Streaming> {
  const token = benchToken(7);
  const agentId = await createAgent(serviceUrl, token);
  let onEvent: (event: { type: string; text?: string }) => void = () => {};
  const ws = await openSocket(`${serviceUrl.replace(/^http/, "ws")}/api/agents/${agentId}/react?access-token=${token}`, (data) => onEvent(JSON.parse(data)));
  const run = async (prompt: string) => {
    const cleared = new Promise<void>((resolveCleared) => (onEvent = (e) => e.type === "headChange" && resolveCleared()));
    const response = await fetch(`${serviceUrl}/api/agents/${agentId}/clear`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    await response.body?.cancel();
    await cleared;
    let first = 0;
    let last = 0;
    let chars = 0;
    const done = new Promise<void>((resolveDone, reject) => {
      const timer = setTimeout(() => reject(new Error("a run did not complete within 30 s")), 30_000);
      onEvent = (event) => {
        if (event.type === "delta") {
          last = performance.now();
          if (first === 0) first = last;
          chars += event.text?.length ?? 0;
        } else if (event.type === "complete" || event.type === "error") {
          clearTimeout(timer);
          if (event.type === "error") reject(new Error("error event"));
          else resolveDone();
        }
      };
    });
    const start = performance.now();
    ws.send(JSON.stringify({ type: "message", content: prompt }));
    await done;
    return { first: first - start, total: last - start, chars };
  };
  try {
    const firsts: number[] = [];
    for (let i = 0; i < STREAM_RUNS + 3; i++) {
      const { first } = await run("stream 20 4 5");
      if (i >= 3) firsts.push(first);
    }
    const rates: number[] = [];
    for (let i = 0; i < Math.max(3, STREAM_RUNS / 4) + 1; i++) {
      const { total, chars } = await run("stream 2000 4");
      if (chars !== 8000) throw new Error(`a burst delivered ${chars} of 8000 characters`);
      if (i >= 1) rates.push((chars / 4 / total) * 1000);
    }
    return { firstMs: median(firsts), chunksPerSecond: median(rates) };
  } finally {
    await closeSockets([ws]);
  }
}

/** RSS per idle authenticated `/react` socket, IDLE_SOCKETS of them on 10 agents. */
async function idleSocketBytes(serviceUrl: string, pid: number): Promise<number> {
  const token = benchToken(8);
  const agents = await Promise.all(Array.from({ length: 10 }, () => createAgent(serviceUrl, token)));
  const url = (i: number) => `${serviceUrl.replace(/^http/, "ws")}/api/agents/${agents[i % agents.length]}/react?access-token=${token}`;
  const warm = await Promise.all(Array.from({ length: 100 }, (_, i) => openSocket(url(i))));
  await closeSockets(warm);
  const before = await settledRss(pid);
  const sockets: WebSocket[] = [];
  try {
    for (let i = 0; i < IDLE_SOCKETS; i += 50) {
      sockets.push(...await Promise.all(Array.from({ length: Math.min(50, IDLE_SOCKETS - i) }, (_, j) => openSocket(url(i + j)))));
    }
    return ((await settledRss(pid)) - before) / IDLE_SOCKETS;
  } finally {
    await closeSockets(sockets);
  }
}

interface Figures {
  check: LoadResult;
  serviceCheck: LoadResult;
  rest: LoadResult;
  stream: Streaming;
  socketBytes: number;
}

async function service(cwd: string, upstreamUrl: string): Promise<Figures> {
  const check = await gatewayCheck(cwd);
  const child = await startService("deno", { cwd, llmUrl: upstreamUrl, prepare: threeAgents });
  try {
    const serviceCheck = await measure(`${child.url}/api/auth/api/agents/bench/settings`, { authorization: `Bearer ${benchToken(CALLER)}` });
    const rest = await measure(`${child.url}/api/agents`, { authorization: `Bearer ${benchToken(CALLER)}` });
    const stream = await streaming(child.url);
    const socketBytes = await idleSocketBytes(child.url, child.pid);
    return { check, serviceCheck, rest, stream, socketBytes };
  } finally {
    await child.stop();
  }
}

const loadAverage = () => machine().replace(/^.*load average /, "");

const exported = await exportRevision(revision);
const old = exported.dir;
const upstream = await startUpstream();
try {
  const here = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  const names = { native: `Deno.serve (${revision})`, nodeHttp: `node:http + ws (${here}${execFileSync("git", ["status", "--porcelain", "src"], { encoding: "utf8" }).trim() ? "+changes" : ""})` };
  const rounds: { bareServe: LoadResult; bareNode: LoadResult; native: Figures; nodeHttp: Figures; load: string }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const load = loadAverage();
    const bareServe = await bare([]);
    const bareNode = await bare(["--node-http"]);
    // Alternate which path goes first, so drift hits both alike.
    const first = round % 2 === 0 ? "native" : "nodeHttp";
    const results: Partial<Record<"native" | "nodeHttp", Figures>> = {};
    for (const path of first === "native" ? (["native", "nodeHttp"] as const) : (["nodeHttp", "native"] as const)) {
      results[path] = await service(path === "native" ? old : process.cwd(), upstream.url);
    }
    rounds.push({ bareServe, bareNode, native: results.native!, nodeHttp: results.nodeHttp!, load });
    console.error(`round ${round + 1}/${ROUNDS} done (load average ${load} at its start)`);
  }
  const med = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
  const serve = med((r) => r.bareServe.requestsPerSecond);
  const row = (name: string, path: "native" | "nodeHttp") => [
    name,
    fmt(med((r) => r[path].check.requestsPerSecond)),
    `${med((r) => r[path].check.p99)}`,
    (med((r) => r[path].check.requestsPerSecond) / serve).toFixed(2),
    fmt(med((r) => r[path].serviceCheck.requestsPerSecond)),
    `${med((r) => r[path].serviceCheck.p99)}`,
    (med((r) => r[path].serviceCheck.requestsPerSecond) / serve).toFixed(2),
    fmt(med((r) => r[path].rest.requestsPerSecond)),
    `${med((r) => r[path].rest.p99)}`,
    (med((r) => r[path].rest.requestsPerSecond) / serve).toFixed(2),
    ms(med((r) => r[path].stream.firstMs)),
    fmt(med((r) => r[path].stream.chunksPerSecond)),
    fmt(med((r) => r[path].socketBytes) / 1024, 1),
  ];
  console.log([
    header(`Deno's server paths: Deno.serve + Deno.upgradeWebSocket (${revision}) against node:http + ws (this tree)`, ["deno"]),
    `${ROUNDS} rounds, paths alternating; ${connections} connections, ${seconds} s per load after 1 s of warm-up; ${STREAM_RUNS} paced runs (20 chunks 5 ms apart) and ` +
      `${Math.max(3, STREAM_RUNS / 4)} bursts (2,000 chunks) through the /react socket; ${IDLE_SOCKETS} idle sockets. Medians over rounds; ratios against the bare Deno.serve hello.`,
    `load average at the start of each round: ${rounds.map((r) => r.load).join(" | ")}; now ${loadAverage()}`,
    table(["baseline on deno", "req/s", "p99 ms", "ratio"], [
      ["bare Deno.serve hello", fmt(serve), `${med((r) => r.bareServe.p99)}`, "1.00"],
      ["bare node:http hello", fmt(med((r) => r.bareNode.requestsPerSecond)), `${med((r) => r.bareNode.p99)}`, (med((r) => r.bareNode.requestsPerSecond) / serve).toFixed(2)],
    ]),
    table(
      ["service on deno", "check alone req/s", "p99", "ratio", "check in service req/s", "p99", "ratio", "REST req/s", "p99", "ratio", "first delta p50 ms", "burst chunks/s", "KiB/idle socket"],
      [row(names.native, "native"), row(names.nodeHttp, "nodeHttp")],
    ),
    `node:http + ws against Deno.serve: gateway check alone ${(med((r) => r.nodeHttp.check.requestsPerSecond) / med((r) => r.native.check.requestsPerSecond)).toFixed(2)}x, ` +
      `in the service ${(med((r) => r.nodeHttp.serviceCheck.requestsPerSecond) / med((r) => r.native.serviceCheck.requestsPerSecond)).toFixed(2)}x, ` +
      `REST ${(med((r) => r.nodeHttp.rest.requestsPerSecond) / med((r) => r.native.rest.requestsPerSecond)).toFixed(2)}x, ` +
      `first delta ${ms(med((r) => r.nodeHttp.stream.firstMs) - med((r) => r.native.stream.firstMs))} ms, ` +
      `burst ${(med((r) => r.nodeHttp.stream.chunksPerSecond) / med((r) => r.native.stream.chunksPerSecond)).toFixed(2)}x, ` +
      `idle socket ${fmt((med((r) => r.nodeHttp.socketBytes) - med((r) => r.native.socketBytes)) / 1024, 1)} KiB`,
  ].join("\n\n"));
} finally {
  await upstream.stop();
  await exported.remove();
}
