/**
 * The scripted OpenAI-compatible upstream (tests/fixtures/scripted-llm.ts)
 * as a process of its own, for benchmarks: it answers every chat request
 * from its last user message, so concurrent clients need no shared queue.
 *
 *   stream <chunks> <size> [delayMs]   a text of <chunks> pieces of <size> characters
 *   anything else                      a short text: "ok"
 *
 *   npx tsx scripts/bench/upstream.ts    # prints "listening <port>" (a free port on 127.0.0.1)
 */
import process from "node:process";
import { type Reply, startScriptedLLM } from "../../tests/fixtures/scripted-llm.ts";

/** The reply the benchmark upstream gives to a chat request body. */
function benchReply(body: Record<string, unknown>): Reply {
  const messages = Array.isArray(body.messages) ? body.messages as { role?: string; content?: unknown }[] : [];
  const last = [...messages].reverse().find((m) => m.role === "user");
  const content = typeof last?.content === "string" ? last.content : "";
  const match = /^stream (\d+) (\d+)(?: (\d+))?/.exec(content);
  if (!match) return { kind: "text", text: "ok" };
  const chunks = Number(match[1]);
  const size = Number(match[2]);
  return { kind: "text", text: streamedText(chunks, size), chunkSize: size, ...(match[3] ? { delayMs: Number(match[3]) } : {}) };
}

/** The text `stream <chunks> <size>` asks for: digits, so every piece is non-empty and JSON-plain (as streaming.ts expects). */
function streamedText(chunks: number, size: number): string {
  let text = "";
  for (let i = 0; i < chunks; i++) text += String(i % 10).repeat(size);
  return text;
}

const llm = await startScriptedLLM({ models: ["scripted-model"], fallback: benchReply });
// The fixture records every request for tests; a benchmark only needs the answers.
setInterval(() => llm.requests.splice(0), 1000);
console.log(`listening ${llm.port}`);
process.on("SIGTERM", () => void llm.close().then(() => process.exit(0)));
