/**
 * Streaming overhead: answers from the scripted upstream (its own Node
 * process), on each runtime under test, two ways:
 *
 * 1. The LiteLLM client's share (scripts/bench/streaming-client.ts, a child
 *    on the runtime under test): `LiteLLMClient.chat` against a direct reader
 *    (scripts/bench/direct-reader.ts: fetch + eventsource-parser +
 *    JSON.parse) in the same process, with the candidate ways of reading the
 *    upstream (the client over `fetch`, a raw `node:net` reader, fetch's reads
 *    alone). Target: the client adds < 0.5 ms to the first delta at p50.
 * 2. Through the service: an agent's `/react` WebSocket, from `send` of the
 *    message to each `delta` event (JSON-parsed), in this process, against
 *    the direct reader in this (Node) process. Targets: burst throughput
 *    >= 0.9 of direct; added first delta < 0.5 ms at p50 (of which the
 *    client's share is figure 1; the rest is the service: the work before
 *    the model request is sent (loading the agent, its messages; the state
 *    and the user step are kept and sent while the model thinks), the
 *    WebSocket hop).
 *
 * Two answers, because one cannot measure both figures honestly:
 *
 * - first delta: a paced answer (20 chunks, 5 ms apart, like a fast model):
 *   the time from sending to the first chunk (p50/p99).
 * - throughput: a long answer (2,000 chunks of 4 characters, no delay): the
 *   upstream's chunks delivered per second, from sending to the last chunk
 *   (characters received / chunk size, so a service that merged deltas is
 *   not penalised; the messages per run are shown). (In this burst the
 *   fixture writes every chunk in one synchronous loop and Node sends the
 *   first content chunk only with the rest, so its time to first chunk is the
 *   upstream's generation time, not a latency.)
 *
 * The readers alternate run by run, so drift on a shared machine hits all
 * alike; the load average is printed with each runtime's figures.
 *
 *   npm run bench:streaming                 # Node, Deno and Bun
 *   npx tsx scripts/bench/streaming.ts deno
 *   npx tsx scripts/bench/streaming.ts bun  # node_modules/.bin/bun, or BUN_BINARY
 *
 * STREAM_RUNS (default 50) measured runs of each answer after 5 warm-up
 * runs; STREAM_CHUNKS (default 2000), STREAM_CHUNK_SIZE (default 4).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { readDirect } from "./direct-reader.ts";
import {
  BENCH_MASTER_KEY,
  benchToken,
  commandFor,
  createAgent,
  fmt,
  header,
  median,
  ms,
  openSocket,
  percentile,
  type Runtime,
  runtimesFromArgs,
  startService,
  startUpstream,
  table,
} from "./lib.ts";

const RUNS = Number(process.env.STREAM_RUNS ?? 50);
const WARMUP = 5;
const CHUNKS = Number(process.env.STREAM_CHUNKS ?? 2000);
const SIZE = Number(process.env.STREAM_CHUNK_SIZE ?? 4);
const BURST = { prompt: `stream ${CHUNKS} ${SIZE}`, chars: CHUNKS * SIZE };
const PACED = { prompt: `stream 20 ${SIZE} 5`, chars: 20 * SIZE };
type Answer = typeof BURST;

interface Sample {
  /** From sending the request (or message) to the first chunk (delta). */
  readonly firstMs: number;
  /** From sending to the last chunk. */
  readonly totalMs: number;
  /** Upstream chunks delivered (characters / chunk size). */
  readonly chunks: number;
  /** SSE events or WebSocket `delta` messages that carried them. */
  readonly messages: number;
}

type Runner = (answer: Answer) => Promise<Sample>;

/** One answer read straight from the upstream, the way a client of LiteLLM would. */
function directRunner(upstreamUrl: string): Runner {
  return async (answer) => {
    const times = await readDirect(upstreamUrl, answer.prompt, { authorization: `Bearer ${BENCH_MASTER_KEY}` });
    if (times.chars !== answer.chars) throw new Error(`direct: got ${times.chars} characters, expected ${answer.chars}`);
    return { firstMs: times.firstMs, totalMs: times.lastMs, chunks: times.chars / SIZE, messages: times.messages };
  };
}

/** A socket on one agent of a service that runs conversations and times their deltas. */
async function serviceRunner(serviceUrl: string): Promise<{ run: Runner; close(): void }> {
  const token = benchToken(7);
  const agentId = await createAgent(serviceUrl, token);
  let onEvent: (event: { type: string; [key: string]: unknown }) => void = () => {};
  const ws = await openSocket(`${serviceUrl.replace(/^http/, "ws")}/api/agents/${agentId}/react?access-token=${token}`, (data) => onEvent(JSON.parse(data)));
  const waitFor = (type: string, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeoutMs} ms`)), timeoutMs);
      onEvent = (event) => {
        if (event.type === type) {
          clearTimeout(timer);
          resolve();
        }
      };
    });

  const run: Runner = async (answer) => {
    // A fresh conversation every run: history would grow every request and every save.
    const cleared = waitFor("headChange");
    const response = await fetch(`${serviceUrl}/api/agents/${agentId}/clear`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`clear answered ${response.status}`);
    await cleared;

    let first = 0;
    let last = 0;
    let messages = 0;
    let chars = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the run did not complete within 30 s")), 30_000);
      onEvent = (event) => {
        if (event.type === "delta") {
          last = performance.now();
          if (messages === 0) first = last;
          messages++;
          chars += (event.text as string).length;
        } else if (event.type === "complete") {
          clearTimeout(timer);
          resolve();
        } else if (event.type === "error") {
          clearTimeout(timer);
          reject(new Error(`error event: ${String(event.error)}`));
        }
      };
    });
    const start = performance.now();
    ws.send(JSON.stringify({ type: "message", content: answer.prompt }));
    await done;
    if (chars !== answer.chars) throw new Error(`service: got ${chars} characters, expected ${answer.chars}`);
    return { firstMs: first - start, totalMs: last - start, chunks: chars / SIZE, messages };
  };
  return { run, close: () => ws.close() };
}

/** Runs every runner on `answer`, alternating, WARMUP + RUNS times; the samples of each. */
async function alternate(runners: readonly Runner[], answer: Answer): Promise<Sample[][]> {
  const samples: Sample[][] = runners.map(() => []);
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const [r, run] of runners.entries()) {
      const sample = await run(answer);
      if (i >= WARMUP) samples[r]!.push(sample);
    }
  }
  return samples;
}

interface Figures {
  readonly firstP50: number;
  readonly firstP99: number;
  readonly burstFirstP50: number;
  readonly chunksPerSecond: number;
  readonly totalP50: number;
  readonly messagesP50: number;
}

function figures(paced: readonly Sample[], burst: readonly Sample[]): Figures {
  return {
    firstP50: median(paced.map((s) => s.firstMs)),
    firstP99: percentile(paced.map((s) => s.firstMs), 99),
    burstFirstP50: median(burst.map((s) => s.firstMs)),
    chunksPerSecond: median(burst.map((s) => (s.chunks / s.totalMs) * 1000)),
    totalP50: median(burst.map((s) => s.totalMs)),
    messagesP50: median(burst.map((s) => s.messages)),
  };
}

/** The load average now (1, 5, 15 min). */
const loadAverage = () => {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "n/a";
  }
};

interface ClientSample {
  readonly first: number;
  readonly last: number;
}

/** Runs streaming-client.ts on `runtime`; its samples per reader. */
async function clientShare(runtime: Runtime, upstreamUrl: string): Promise<Record<string, { paced: ClientSample[]; burst: ClientSample[] }>> {
  const [command, args] = commandFor(runtime, "scripts/bench/streaming-client.ts", [upstreamUrl, String(RUNS)]);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk) => (out += String(chunk)));
  child.stderr!.on("data", (chunk) => (err += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`streaming-client.ts on ${runtime} exited ${code}:\n${err.slice(-3000)}`);
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

const runtimes = runtimesFromArgs();
const upstream = await startUpstream();
const sections: string[] = [];
try {
  for (const runtime of runtimes) {
    const lines: string[] = [`-- ${runtime}, load average ${loadAverage()} at the start`];

    // 1. The client's share, in one process on this runtime.
    const readers = await clientShare(runtime, upstream.url);
    const entries = Object.entries(readers);
    const base = entries[0]![1];
    const baseFirst = median(base.paced.map((s) => s.first));
    const baseLast = median(base.burst.map((s) => s.last));
    lines.push(table(
      ["reader (one process)", "first p50 ms", "first p99 ms", "added first p50", "burst total p50 ms", "burst throughput vs direct"],
      entries.map(([name, samples]) => {
        const first = median(samples.paced.map((s) => s.first));
        const last = median(samples.burst.map((s) => s.last));
        return [`${runtime} ${name}`, ms(first), ms(percentile(samples.paced.map((s) => s.first), 99)), ms(first - baseFirst), ms(last), (baseLast / last).toFixed(2)];
      }),
    ));
    const shipped = entries.find(([name]) => name.includes("(default)"))![1];
    const clientAdded = median(shipped.paced.map((s) => s.first)) - baseFirst;
    lines.push(
      `${runtime}: the client adds ${ms(clientAdded)} ms to the first delta at p50 (target < 0.5 ms); ` +
        `its burst throughput is ${(baseLast / median(shipped.burst.map((s) => s.last))).toFixed(2)} of the direct reader's on ${runtime}`,
    );

    // 2. Through the service.
    let service;
    try {
      service = await startService(runtime, { llmUrl: upstream.url });
    } catch (error) {
      lines.push(`${runtime}: the service did not start, so no figures through it: ${String((error as Error).message).split("\n")[0]}`);
      sections.push([...lines, `load average ${loadAverage()} at the end`].join("\n"));
      continue;
    }
    try {
      const client = await serviceRunner(service.url);
      const runners = [directRunner(upstream.url), client.run];
      const paced = await alternate(runners, PACED);
      const burst = await alternate(runners, BURST);
      client.close();
      const [direct, through] = runners.map((_, i) => figures(paced[i]!, burst[i]!));
      const row = (name: string, f: Figures) => [
        `${runtime} ${name}`,
        ms(f.firstP50),
        ms(f.firstP99),
        ms(f.firstP50 - direct!.firstP50),
        ms(f.burstFirstP50),
        fmt(f.chunksPerSecond),
        ms(f.totalP50),
        fmt(f.messagesP50),
        (f.chunksPerSecond / direct!.chunksPerSecond).toFixed(2),
      ];
      lines.push(table(
        ["path", "first p50 ms", "first p99 ms", "added first p50", "burst first p50", "burst chunks/s", "burst total p50", "messages", "ratio"],
        [row("direct from the upstream (node, baseline)", direct!), row("through the service", through!)],
      ));
      lines.push(
        `${runtime}: through the service the first delta comes ${ms(through!.firstP50 - direct!.firstP50)} ms later at p50 (target < 0.5 ms; ` +
          `the client's share ${ms(clientAdded)} ms); burst throughput ${(through!.chunksPerSecond / direct!.chunksPerSecond).toFixed(2)} of direct (target >= 0.90)`,
      );
    } finally {
      await service.stop();
    }
    sections.push([...lines, `load average ${loadAverage()} at the end`].join("\n"));
  }
} finally {
  await upstream.stop();
}
console.log([
  header("streaming overhead: the LiteLLM client's share, and answers read directly vs through the service's WebSocket", runtimes),
  `first delta: ${PACED.prompt.split(" ")[1]} chunks 5 ms apart; burst: ${CHUNKS} chunks of ${SIZE} characters, no delay; ${RUNS} runs of each after ${WARMUP} warm-up runs, ` +
  `the readers alternating; chunks/s = upstream chunks received / (last chunk - send), median over runs; messages = SSE events or delta messages per run`,
  ...sections,
].join("\n\n"));
