/**
 * The LiteLLM client's own share of streaming, on the runtime that runs this
 * file (Node, Deno or Bun): readers of the same answers from the scripted
 * upstream, alternating run by run, in one process:
 *
 * - `direct`: fetch + eventsource-parser + JSON.parse, what any client of
 *   LiteLLM does (the baseline: direct-reader.ts, as in streaming.ts);
 * - `LiteLLMClient over node:http` and `over fetch`: the client over each
 *   transport, the runtime's default marked (`node:http` on Node and Deno,
 *   `fetch` on Bun; over `fetch` is how the client read before: one `read()`
 *   per body chunk);
 * - `node:net raw HTTP/1.1`: a bare socket and a minimal HTTP/1.1 reader
 *   (chunked framing only), to show what reading in large batches is worth;
 * - `fetch, reads only`: fetch's body read chunk by chunk with no parsing at
 *   all: the floor of any fetch-based reader.
 *
 * For each: time to the first text of a paced answer (20 chunks 5 ms apart)
 * and time to the last text of a burst (2,000 chunks, no delay), as JSON on
 * stdout (streaming.ts prints the table).
 *
 *   node --import tsx scripts/bench/streaming-client.ts <upstream url> [runs]
 *   node_modules/.bin/deno run --allow-all scripts/bench/streaming-client.ts <upstream url> [runs]
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import process from "node:process";
import { createParser } from "eventsource-parser";
import { fetchTransport, LiteLLMClient, nodeHttpTransport } from "../../src/litellm.ts";
import { benchChatBody, readDirect } from "./direct-reader.ts";

const args = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const upstream = args[0] ?? "";
if (!upstream) throw new Error("usage: streaming-client.ts <upstream url> [runs]");
const RUNS = Number(args[1] ?? 50);
const WARMUP = 5;
const CHUNKS = Number(process.env.STREAM_CHUNKS ?? 2000);
const SIZE = Number(process.env.STREAM_CHUNK_SIZE ?? 4);
const ANSWERS = {
  paced: { prompt: `stream 20 ${SIZE} 5`, chars: 20 * SIZE },
  burst: { prompt: `stream ${CHUNKS} ${SIZE}`, chars: CHUNKS * SIZE },
};
type Answer = (typeof ANSWERS)[keyof typeof ANSWERS];

/** From the call to the first text and to the last text, in ms. */
interface Sample {
  readonly first: number;
  readonly last: number;
}
type Reader = (answer: Answer) => Promise<Sample>;

const requestBody = (answer: Answer) => benchChatBody(answer.prompt);

/** Times text events fed to it: the first and the last, and counts the characters. */
class Timer {
  readonly start = performance.now();
  first = 0;
  last = 0;
  chars = 0;
  text(text: string): void {
    this.last = performance.now();
    if (this.chars === 0) this.first = this.last;
    this.chars += text.length;
  }
  sample(answer: Answer, name: string): Sample {
    if (this.chars !== answer.chars) throw new Error(`${name}: got ${this.chars} characters, expected ${answer.chars}`);
    return { first: this.first - this.start, last: this.last - this.start };
  }
}

/** An SSE parser that feeds each chunk's text to `timer`. */
function sseTimer(timer: Timer) {
  return createParser({
    onEvent: (event) => {
      if (event.data === "[DONE]") return;
      const content = (JSON.parse(event.data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content;
      if (content) timer.text(content);
    },
  });
}

const direct: Reader = async (answer) => {
  const times = await readDirect(upstream, answer.prompt);
  if (times.chars !== answer.chars) throw new Error(`direct: got ${times.chars} characters, expected ${answer.chars}`);
  return { first: times.firstMs, last: times.lastMs };
};

const fetchReadsOnly: Reader = async (answer) => {
  const timer = new Timer();
  const response = await fetch(`${upstream}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: requestBody(answer),
  });
  const reader = response.body!.getReader();
  let first = 0;
  let bytes = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes === 0) first = performance.now();
    bytes += value.byteLength;
  }
  // No parsing: the first and last body bytes stand in for the first and last text.
  return { first: first - timer.start, last: performance.now() - timer.start };
};

function clientReader(client: LiteLLMClient): Reader {
  return async (answer) => {
    const timer = new Timer();
    for await (const event of client.chat({ model: "scripted-model", messages: [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: answer.prompt }] })) {
      if (event.type === "text") timer.text(event.text);
    }
    return timer.sample(answer, "client");
  };
}

/** A bare socket per request and a minimal reader of a chunked HTTP/1.1 answer. */
const rawSocket: Reader = (answer) =>
  new Promise((resolve, reject) => {
    const timer = new Timer();
    const url = new URL(upstream);
    const body = requestBody(answer);
    const socket = net.connect(Number(url.port), url.hostname);
    const parser = sseTimer(timer);
    const decoder = new TextDecoder();
    let buffer: Buffer = Buffer.alloc(0);
    let inBody = false;
    socket.on("connect", () =>
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      ));
    socket.on("data", (data: Buffer) => {
      buffer = buffer.length > 0 ? Buffer.concat([buffer, data]) : data;
      if (!inBody) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        inBody = true;
        buffer = buffer.subarray(end + 4);
      }
      let text = "";
      while (true) {
        const line = buffer.indexOf("\r\n");
        if (line < 0) break;
        const size = parseInt(buffer.subarray(0, line).toString("latin1"), 16);
        if (size === 0 || buffer.length < line + 2 + size + 2) break;
        text += decoder.decode(buffer.subarray(line + 2, line + 2 + size), { stream: true });
        buffer = buffer.subarray(line + 2 + size + 2);
      }
      if (text) parser.feed(text);
    });
    socket.on("end", () => {
      try {
        resolve(timer.sample(answer, "raw socket"));
      } catch (error) {
        reject(error);
      }
    });
    socket.on("error", reject);
  });

// The client over each transport; the one defaultTransport() picks on this runtime is marked "(default)".
const onBun = "Bun" in globalThis;
const overNodeHttp = new LiteLLMClient({ baseUrl: upstream, transport: nodeHttpTransport(), modelCacheTtlMs: 3_600_000 });
const overFetch = new LiteLLMClient({ baseUrl: upstream, transport: fetchTransport(), modelCacheTtlMs: 3_600_000 });
const readers: Array<[string, Reader]> = [
  ["direct: fetch + SSE parser (baseline)", direct],
  [`LiteLLMClient over node:http${onBun ? "" : " (default)"}`, clientReader(overNodeHttp)],
  [`LiteLLMClient over fetch${onBun ? " (default)" : ""}`, clientReader(overFetch)],
  ["node:net raw HTTP/1.1 + SSE parser", rawSocket],
  ["fetch, reads only (no parsing; first = first byte)", fetchReadsOnly],
];

const results: Record<string, { paced: Sample[]; burst: Sample[] }> = {};
for (const kind of ["paced", "burst"] as const) {
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const [name, read] of readers) {
      const sample = await read(ANSWERS[kind]);
      if (i >= WARMUP) (results[name] ??= { paced: [], burst: [] })[kind].push(sample);
    }
  }
}
overNodeHttp.close();
overFetch.close();
process.stdout.write(`${JSON.stringify(results)}\n`);
