/**
 * Reading a streamed chat completion: the SSE body (as text, in whatever
 * batches the transport delivers) becomes text deltas as they arrive, and at
 * the end the tool calls (assembled by `index`), the finish reason and the
 * usage.
 *
 * Strict where LiteLLM is known to fail quietly: a stream that ends without
 * `[DONE]` or without a `finish_reason` is an error, not a short answer, and
 * an error frame is an error even under HTTP 200 and even when `[DONE]`
 * follows it. Lenient where it is known to re-chunk: `id` and `name` are
 * taken from whichever piece of a tool call carries them.
 *
 * @module
 */
import { createParser } from "eventsource-parser";
import { LiteLLMError } from "./errors.ts";
import type { ChatEvent, ToolCall } from "./types.ts";
import { readUsage, type ReportedUsage } from "./usage.ts";

/** How a complete answer ended. */
export interface StreamEnd {
  readonly finishReason: string;
  readonly toolCalls: readonly ToolCall[];
  /** The last usage LiteLLM sent (it may come with the last choice or in a chunk of its own), if any. */
  readonly usage?: ReportedUsage;
}

export interface StreamHooks {
  /** Called at the first text or tool-call piece (ends the first-token timer). */
  readonly onFirstToken: () => void;
  /** An error frame inside the stream, as a typed error. */
  readonly errorFrame: (body: Record<string, unknown>) => LiteLLMError;
  /** Bound on the characters of one answer. */
  readonly maxChars: number;
}

interface PartialCall {
  id?: string;
  name?: string;
  args: string;
}

/**
 * Yields the content deltas as `text` events; returns how the answer ended.
 * The deltas of one body batch (what arrived together) go out as one event:
 * a paced model's tokens still come one by one, a burst costs one generator
 * round trip per batch instead of one per token. Errors of the body itself
 * (a lost connection) pass through unchanged.
 */
export async function* readChatStream(body: AsyncIterable<string>, hooks: StreamHooks): AsyncGenerator<ChatEvent, StreamEnd, undefined> {
  const calls = new Map<number, PartialCall>();
  let finishReason: string | undefined;
  let usage: ReportedUsage | undefined;
  let done = false;
  let chars = 0;
  let started = false;
  const events: string[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event.data) });

  for await (const text of body) {
    chars += text.length;
    if (chars > hooks.maxChars) throw new LiteLLMError("protocol", `LiteLLM's answer is longer than ${hooks.maxChars} characters`);
    parser.feed(text);
    let delta = "";
    for (let i = 0; i < events.length && !done; i++) {
      const data = events[i]!;
      if (data === "[DONE]") {
        done = true;
        break;
      }
      const chunk = parseChunk(data);
      if (chunk.error !== undefined) throw hooks.errorFrame(chunk);
      if (isRecord(chunk.usage)) usage = readUsage(chunk.usage) ?? usage;
      const choice = Array.isArray(chunk.choices) && isRecord(chunk.choices[0]) ? chunk.choices[0] : undefined;
      if (!choice) continue;
      const choiceDelta = isRecord(choice.delta) ? choice.delta : undefined;
      if (choiceDelta) {
        if (typeof choiceDelta.content === "string") delta += choiceDelta.content;
        if (Array.isArray(choiceDelta.tool_calls)) {
          if (!started) {
            started = true;
            hooks.onFirstToken();
          }
          for (const piece of choiceDelta.tool_calls) if (isRecord(piece)) addPiece(calls, piece);
        }
      }
      if (typeof choice.finish_reason === "string" && choice.finish_reason) finishReason = choice.finish_reason;
    }
    events.length = 0;
    if (delta) {
      if (!started) {
        started = true;
        hooks.onFirstToken();
      }
      yield { type: "text", text: delta };
    }
    if (done) break;
  }

  if (!done) throw new LiteLLMError("protocol", "LiteLLM's stream ended before [DONE]: the answer is incomplete");
  if (!finishReason) throw new LiteLLMError("protocol", "LiteLLM's stream ended without a finish_reason");
  const toolCalls: ToolCall[] = [];
  for (const index of [...calls.keys()].sort((a, b) => a - b)) {
    const call = calls.get(index)!;
    if (!call.name) throw new LiteLLMError("protocol", `LiteLLM streamed a tool call (index ${index}) without a name`);
    toolCalls.push(assembleToolCall(call.id ?? `call_${crypto.randomUUID()}`, call.name, call.args));
  }
  return usage ? { finishReason, toolCalls, usage } : { finishReason, toolCalls };
}

function parseChunk(data: string): Record<string, unknown> {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    throw new LiteLLMError("protocol", "LiteLLM sent a stream chunk that is not JSON");
  }
  if (!isRecord(chunk)) throw new LiteLLMError("protocol", "LiteLLM sent a stream chunk that is not an object");
  return chunk;
}

/** One streamed piece of a tool call, added to the call of its `index`. */
function addPiece(calls: Map<number, PartialCall>, piece: Record<string, unknown>): void {
  const index = typeof piece.index === "number" ? piece.index : 0;
  let call = calls.get(index);
  if (!call) {
    call = { args: "" };
    calls.set(index, call);
  }
  // LiteLLM may repeat `id` on every piece or send it late (#20480, #39796): take it from whichever has it.
  if (typeof piece.id === "string" && piece.id) call.id = piece.id;
  const fn = isRecord(piece.function) ? piece.function : undefined;
  if (typeof fn?.name === "string" && fn.name) call.name = fn.name;
  if (typeof fn?.arguments === "string") call.args += fn.arguments;
}

function assembleToolCall(id: string, name: string, rawArguments: string): ToolCall {
  if (rawArguments.trim() === "") return { id, name, rawArguments, input: {} };
  try {
    return { id, name, rawArguments, input: JSON.parse(rawArguments) };
  } catch {
    return { id, name, rawArguments, input: undefined, argumentsError: "the arguments are not valid JSON" };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
