/**
 * Capacity of one service process:
 *
 * 1. Memory per idle authenticated WebSocket: the process's RSS (VmRSS)
 *    before, with 1,000 and with 5,000 open `/react` sockets (one agent per
 *    100 sockets, one user per agent, each socket authenticated by
 *    `?access-token=` and subscribed: it got its `init`), per socket.
 *    Baseline: the barest WebSocket server of the same runtime
 *    (scripts/bench/ws-hello.js) holding as many sockets.
 * 2. Broadcast: 100 sockets on one agent; one of them sends a message whose
 *    answer is a short text; for every socket, the time from sending to
 *    receiving the user `step` (the fan-out of an event the service emits
 *    before calling the model) and the agent `step` (a whole short turn:
 *    user step persisted, model called, answer streamed). p50/p99 over all
 *    sockets and rounds, and the spread (last socket - first socket) per
 *    round, median over rounds. Baseline: the bare server sending a JSON
 *    message of the same size to its 100 sockets on request.
 *
 *   npm run bench:capacity                  # Node, Deno and Bun
 *   npx tsx scripts/bench/capacity.ts node
 *
 * Needs about 2 x 5,000 file descriptors in this process and the child
 * (client and server ends): raise `ulimit -n` first if it is lower, e.g.
 *   bash -c 'ulimit -n 65536 && npm run bench:capacity'
 *
 * CAPACITY_LEVELS (default "1000,5000"), BROADCAST_SOCKETS (default 100),
 * BROADCAST_ROUNDS (default 20). Everything on 127.0.0.1.
 */
import process from "node:process";
import {
  benchToken,
  closeSockets,
  createAgent,
  fdCount,
  fmt,
  freePort,
  header,
  median,
  mib,
  ms,
  openFileLimit,
  openSocket,
  percentile,
  settledRss,
  type Runtime,
  runtimesFromArgs,
  sleep,
  startChild,
  startService,
  startUpstream,
  table,
} from "./lib.ts";

const LEVELS = (process.env.CAPACITY_LEVELS ?? "1000,5000").split(",").map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const MAX = LEVELS.at(-1) ?? 0;
const PER_AGENT = 100;
const BROADCAST_SOCKETS = Number(process.env.BROADCAST_SOCKETS ?? 100);
const ROUNDS = Number(process.env.BROADCAST_ROUNDS ?? 20);
const OPEN_CONCURRENCY = 50;
/** Bytes of the bare server's broadcast message: about a user step event. */
const BROADCAST_BYTES = 400;

const limit = openFileLimit();
if (limit < MAX * 2 + 200) {
  console.error(
    `capacity: this process may open ${limit} files, and ${MAX} sockets need about ${MAX * 2 + 200} (client and server ends).\n` +
      `Raise the limit first, e.g.: bash -c 'ulimit -n 65536 && npm run bench:capacity'`,
  );
  process.exit(2);
}

async function openMany(urlFor: (i: number) => string, from: number, to: number, into: WebSocket[]): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      into[i] = await openSocket(urlFor(i));
    }
  };
  await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, worker));
}

interface MemoryResult {
  readonly before: number;
  readonly perLevel: { sockets: number; rss: number; perSocket: number; fds: number }[];
}

async function socketMemory(pid: number, urlFor: (i: number) => string): Promise<MemoryResult> {
  // Warm-up: the code paths of an upgrade, loaded and compiled before the first sample.
  const warm: WebSocket[] = [];
  await openMany(urlFor, 0, Math.min(200, MAX), warm);
  await closeSockets(warm);
  const before = await settledRss(pid);
  const sockets: WebSocket[] = [];
  const perLevel: MemoryResult["perLevel"] = [];
  let open = 0;
  try {
    for (const level of LEVELS) {
      await openMany(urlFor, open, level, sockets);
      open = level;
      const rss = await settledRss(pid);
      perLevel.push({ sockets: level, rss, perSocket: (rss - before) / level, fds: fdCount(pid) });
    }
  } finally {
    await closeSockets(sockets.filter(Boolean));
  }
  return { before, perLevel };
}

interface BroadcastResult {
  readonly p50: number;
  readonly p99: number;
  readonly spread: number;
}

function broadcastSummary(rounds: number[][]): BroadcastResult {
  const all = rounds.flat();
  return {
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    spread: median(rounds.map((r) => Math.max(...r) - Math.min(...r))),
  };
}

/** Rounds of: `trigger` on socket 0, then the time until each socket saw a message `match`es. */
async function broadcastRounds(
  urls: string[],
  trigger: (first: WebSocket) => void,
  matchers: ((message: string) => boolean)[],
  settle: (message: string) => boolean,
): Promise<number[][][]> {
  const perMatcher: number[][][] = matchers.map(() => []);
  let start = 0;
  let got: number[][] = [];
  let settled = 0;
  let onSettled: () => void = () => {};
  const sockets: WebSocket[] = [];
  for (const [index, url] of urls.entries()) {
    sockets.push(
      await openSocket(url, (message) => {
        const at = performance.now() - start;
        matchers.forEach((match, m) => {
          if (got[m]![index] === undefined && match(message)) got[m]![index] = at;
        });
        if (settle(message) && ++settled === urls.length) onSettled();
      }),
    );
  }
  try {
    for (let round = 0; round < ROUNDS + 2; round++) {
      got = matchers.map(() => []);
      settled = 0;
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("a broadcast round did not finish within 30 s")), 30_000);
        onSettled = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      start = performance.now();
      trigger(sockets[0]!);
      await done;
      // The first two rounds warm up.
      if (round >= 2) matchers.forEach((_, m) => perMatcher[m]!.push(got[m]!.slice()));
      await sleep(20);
    }
  } finally {
    await closeSockets(sockets);
  }
  return perMatcher;
}

const runtimes = runtimesFromArgs();
const memoryRows: string[][] = [];
const broadcastRows: string[][] = [];
const notes: string[] = [];
const upstream = await startUpstream();
try {
  for (const runtime of runtimes) {
    // --- baseline: the bare WebSocket server
    const basePort = await freePort();
    const bare = await startChild(runtime, "scripts/bench/ws-hello.js", { args: [String(basePort)], port: basePort, readyPath: "/" });
    let baseMemory: MemoryResult;
    let baseBroadcast: BroadcastResult;
    try {
      baseMemory = await socketMemory(bare.process.pid!, () => `ws://127.0.0.1:${basePort}/`);
      const urls = Array.from({ length: BROADCAST_SOCKETS }, () => `ws://127.0.0.1:${basePort}/`);
      const [rounds] = await broadcastRounds(urls, (ws) => ws.send(`broadcast ${BROADCAST_BYTES}`), [() => true], () => true);
      baseBroadcast = broadcastSummary(rounds!);
    } finally {
      await bare.stop();
    }

    // --- the service
    const service = await startService(runtime, { llmUrl: upstream.url });
    try {
      const agentCount = Math.ceil(MAX / PER_AGENT);
      const agents: { id: string; token: string }[] = [];
      for (let i = 0; i < agentCount; i++) {
        const token = benchToken(1000 + i);
        agents.push({ id: await createAgent(service.url, token), token });
      }
      const socketUrl = (i: number) => {
        const agent = agents[Math.floor(i / PER_AGENT) % agents.length]!;
        return `${service.wsUrl}/api/agents/${agent.id}/react?access-token=${agent.token}`;
      };
      const memory = await socketMemory(service.pid, socketUrl);
      memoryRows.push([`${runtime} bare WebSocket server (baseline)`, "0", mib(baseMemory.before), "", "", ""]);
      for (const level of baseMemory.perLevel) {
        memoryRows.push([`${runtime} bare WebSocket server (baseline)`, fmt(level.sockets), mib(level.rss), fmt(level.perSocket), fmt(level.fds), "1.00"]);
      }
      memoryRows.push([`${runtime} service /react sockets`, "0", mib(memory.before), "", "", ""]);
      for (const [i, level] of memory.perLevel.entries()) {
        const base = baseMemory.perLevel[i]!;
        memoryRows.push([`${runtime} service /react sockets`, fmt(level.sockets), mib(level.rss), fmt(level.perSocket), fmt(level.fds), (level.perSocket / base.perSocket).toFixed(2)]);
      }

      const token = benchToken(999);
      const agentId = await createAgent(service.url, token);
      const url = `${service.wsUrl}/api/agents/${agentId}/react?access-token=${token}`;
      const [userStep, agentStep] = await broadcastRounds(
        Array.from({ length: BROADCAST_SOCKETS }, () => url),
        (ws) => ws.send(JSON.stringify({ type: "message", content: "hello" })),
        [(m) => m.includes('"type":"step"') && m.includes('"role":"user"'), (m) => m.includes('"type":"step"') && m.includes('"role":"agent"')],
        (m) => m.startsWith('{"type":"complete"'),
      );
      const user = broadcastSummary(userStep!);
      const agent = broadcastSummary(agentStep!);
      const row = (name: string, r: BroadcastResult) => [`${runtime} ${name}`, ms(r.p50), ms(r.p99), ms(r.spread), (r.p50 / baseBroadcast.p50).toFixed(2)];
      broadcastRows.push(row("bare server broadcast (baseline)", baseBroadcast));
      broadcastRows.push(row("service: user step", user));
      broadcastRows.push(row("service: agent step (whole turn)", agent));
      const last = memory.perLevel.at(-1)!;
      notes.push(
        `${runtime}: ${fmt(last.perSocket)} bytes of RSS per idle authenticated socket at ${fmt(last.sockets)} sockets ` +
          `(bare: ${fmt(baseMemory.perLevel.at(-1)!.perSocket)}); broadcast of a step to ${BROADCAST_SOCKETS} sockets: ` +
          `user step p50 ${ms(user.p50)} ms, p99 ${ms(user.p99)} ms, spread ${ms(user.spread)} ms`,
      );
    } finally {
      await service.stop();
    }
  }
} finally {
  await upstream.stop();
}

console.log([
  header("capacity: memory per idle authenticated WebSocket, and broadcast latency", runtimes),
  `memory: RSS of the server process (median of 5 samples after 1.5 s settling), ${PER_AGENT} sockets per agent, one user per agent`,
  table(["server", "sockets", "RSS MiB", "bytes/socket", "fds", "ratio"], memoryRows),
  "",
  `broadcast: ${BROADCAST_SOCKETS} sockets on one agent (bare: on one server), ${ROUNDS} rounds after 2 warm-up rounds; ` +
  `time from sending on socket 0 to each socket's event; spread = last - first socket, median over rounds; ratio = p50 / baseline p50`,
  table(["event", "p50 ms", "p99 ms", "spread ms", "ratio"], broadcastRows),
  ...notes,
].join("\n"));
