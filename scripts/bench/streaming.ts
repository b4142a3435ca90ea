/**
 * Streaming overhead: answers from the scripted upstream (its own Node
 * process), read
 *
 * - directly: `fetch` + SSE parsing (eventsource-parser, as the service
 *   does) + `JSON.parse` of every chunk, from this process; and
 * - through the service: an agent's `/react` WebSocket, from `send` of the
 *   message to each `delta` event (JSON-parsed), in this process.
 *
 * Two answers, because one cannot measure both figures honestly:
 *
 * - first delta: a paced answer (20 chunks, 5 ms apart, like a fast model):
 *   the time from sending to the first chunk (p50/p99). Target: the service
 *   adds under 1 ms at p50.
 * - throughput: a long answer (2,000 chunks of 4 characters, no delay): the
 *   upstream's chunks delivered per second, from sending to the last chunk
 *   (characters received / chunk size, so a service that merged deltas is
 *   not penalised; the messages per run are shown). Target: at least 90% of
 *   direct. (In this burst the fixture writes every chunk in one synchronous
 *   loop and Node sends the first content chunk only with the rest, so its
 *   time to first chunk is the upstream's generation time, not a latency.)
 *
 * Direct and service runs alternate, so drift on a shared machine hits both
 * alike. The service emits `state` and the user `step` and persists the user
 * step (the file store writes and fsyncs it) before it sends the upstream
 * request: the first-delta latency includes that. A second service keeps its
 * state directory on tmpfs (/dev/shm) to show what the fsync costs.
 *
 *   npm run bench:streaming                 # Node, Deno and Bun
 *   npx tsx scripts/bench/streaming.ts deno
 *
 * STREAM_RUNS (default 50) measured runs of each answer after 5 warm-up
 * runs; STREAM_CHUNKS (default 2000), STREAM_CHUNK_SIZE (default 4).
 */
import { existsSync } from "node:fs";
import process from "node:process";
import { EventSourceParserStream } from "eventsource-parser/stream";
import {
  BENCH_MASTER_KEY,
  benchToken,
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
    const body = JSON.stringify({
      model: "scripted-model",
      messages: [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: answer.prompt }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const start = performance.now();
    const response = await fetch(`${upstreamUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_MASTER_KEY}` },
      body,
    });
    if (!response.ok || !response.body) throw new Error(`the upstream answered ${response.status}`);
    const reader = response.body
      .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
      .pipeThrough(new EventSourceParserStream())
      .getReader();
    let first = 0;
    let last = 0;
    let messages = 0;
    let chars = 0;
    while (true) {
      const { done, value } = await reader.read();
      if (done || value.data === "[DONE]") break;
      const chunk = JSON.parse(value.data) as { choices?: { delta?: { content?: string } }[] };
      const content = chunk.choices?.[0]?.delta?.content;
      if (content) {
        last = performance.now();
        if (messages === 0) first = last;
        messages++;
        chars += content.length;
      }
    }
    await reader.cancel().catch(() => {});
    if (chars !== answer.chars) throw new Error(`direct: got ${chars} characters, expected ${answer.chars}`);
    return { firstMs: first - start, totalMs: last - start, chunks: chars / SIZE, messages };
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

const runtimes = runtimesFromArgs();
const upstream = await startUpstream();
const rows: string[][] = [];
const notes: string[] = [];
const shm = existsSync("/dev/shm") ? "/dev/shm" : undefined;
try {
  for (const runtime of runtimes) {
    const onDisk = await startService(runtime, { llmUrl: upstream.url });
    const onShm = shm ? await startService(runtime, { llmUrl: upstream.url, stateRoot: shm }) : undefined;
    try {
      const clients = [await serviceRunner(onDisk.url), ...(onShm ? [await serviceRunner(onShm.url)] : [])];
      const runners = [directRunner(upstream.url), ...clients.map((c) => c.run)];
      const paced = await alternate(runners, PACED);
      const burst = await alternate(runners, BURST);
      for (const client of clients) client.close();
      const [direct, service, tmpfs] = runners.map((_, i) => figures(paced[i]!, burst[i]!));
      const row = (name: string, f: Figures) => [
        `${runtime} ${name}`,
        ms(f.firstP50),
        ms(f.firstP99),
        ms(f.burstFirstP50),
        fmt(f.chunksPerSecond),
        ms(f.totalP50),
        fmt(f.messagesP50),
        (f.chunksPerSecond / direct!.chunksPerSecond).toFixed(2),
      ];
      rows.push(row("direct from the upstream (baseline)", direct!));
      rows.push(row("through the service", service!));
      if (tmpfs) rows.push(row("through the service, state on tmpfs", tmpfs));
      notes.push(
        `${runtime}: added first-delta latency p50 ${ms(service!.firstP50 - direct!.firstP50)} ms (target < 1 ms)` +
          (tmpfs ? `, ${ms(tmpfs.firstP50 - direct!.firstP50)} ms with the state on tmpfs` : "") +
          `; chunk throughput ${fmt((service!.chunksPerSecond / direct!.chunksPerSecond) * 100)}% of direct (target >= 90%)`,
      );
    } finally {
      await onDisk.stop();
      await onShm?.stop();
    }
  }
} finally {
  await upstream.stop();
}
console.log([
  header("streaming overhead: answers read directly vs through the service's WebSocket", runtimes),
  `first delta: ${PACED.prompt.split(" ")[1]} chunks 5 ms apart; burst: ${CHUNKS} chunks of ${SIZE} characters, no delay; ${RUNS} runs of each after ${WARMUP} warm-up runs, ` +
  `the paths alternating; chunks/s = upstream chunks received / (last chunk - send), median over runs; messages = SSE events or delta messages per run`,
  table(["path", "first p50 ms", "first p99 ms", "burst first p50", "burst chunks/s", "burst total p50", "messages", "ratio"], rows),
  ...notes,
].join("\n"));
