/**
 * The baseline reader of the streaming benchmarks: an answer read straight
 * from the (scripted) upstream the way any client of LiteLLM would, with
 * `fetch`, a reader, `TextDecoder`, eventsource-parser and `JSON.parse` of
 * every chunk. Runs on Node, Deno and Bun (no benchmark library imports).
 */
import { createParser } from "eventsource-parser";

/** From the request to the first and the last text, in ms, and what came. */
export interface StreamTimes {
  readonly firstMs: number;
  readonly lastMs: number;
  readonly chars: number;
  /** SSE events that carried text. */
  readonly messages: number;
}

/** The chat request body the benchmarks send for `prompt` (see scripts/bench/upstream.ts). */
export function benchChatBody(prompt: string): string {
  return JSON.stringify({
    model: "scripted-model",
    messages: [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: prompt }],
    stream: true,
    stream_options: { include_usage: true },
  });
}

/** Streams the answer to `prompt` from `upstreamUrl` and times it. */
export async function readDirect(upstreamUrl: string, prompt: string, headers: Record<string, string> = {}): Promise<StreamTimes> {
  const start = performance.now();
  const response = await fetch(`${upstreamUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: benchChatBody(prompt),
  });
  if (!response.ok || !response.body) throw new Error(`the upstream answered ${response.status}`);
  let first = 0;
  let last = 0;
  let chars = 0;
  let messages = 0;
  const parser = createParser({
    onEvent: (event) => {
      if (event.data === "[DONE]") return;
      const content = (JSON.parse(event.data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content;
      if (!content) return;
      last = performance.now();
      if (messages === 0) first = last;
      messages++;
      chars += content.length;
    },
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  return { firstMs: first - start, lastMs: last - start, chars, messages };
}
