/**
 * HTTP for the LiteLLM client: one request, its status and headers, and its
 * body as text in whatever batches arrive.
 *
 * The default is `node:http` (Node, Deno and Bun all provide it): a batch is
 * everything that arrived since the reader last looked, so a burst of SSE
 * chunks costs one promise round trip, not one per chunk. Deno's `fetch`
 * yields one body chunk per upstream chunk, each a promise round trip: the
 * same 2,000-chunk burst took 37 ms to read through Deno's `fetch` and 10 ms
 * through Deno's `node:http` (Node's `fetch` and `node:http` both 10 ms;
 * scripts/bench/streaming.ts measures them side by side). On Node it also
 * reaches the first token ~0.5 ms sooner than undici's `fetch`.
 *
 * On Bun it is the other way round: its `fetch` delivers a burst in a few
 * reads, and its `node:http` costs more than its `fetch` (+0.5 ms to the
 * first token, 0.74 of its throughput, against +0.2 ms and 0.92 for the
 * client over `fetch`), so `defaultTransport` picks `fetch` there.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import http from "node:http";
import https from "node:https";
import type { HeaderReader } from "./errors.ts";

export interface TransportRequest {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Aborting it ends the request and makes reading the body throw. */
  readonly signal: AbortSignal;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: HeaderReader;
  /** The body as UTF-8 text, batch by batch. Throws if the connection is lost. */
  readonly body: AsyncIterable<string>;
  /** Stops reading and releases the connection (safe to call twice). */
  cancel(): void;
}

/** Sends one request; rejects when no answer comes (no connection, reset before the headers, aborted). */
export interface Transport {
  request(request: TransportRequest): Promise<TransportResponse>;
  /** Closes idle pooled connections. */
  close(): void;
}

/** A batch queue over push events: the reader takes everything queued at once. */
class TextBatches implements AsyncIterable<string> {
  #queue: string[] = [];
  #queued = 0;
  #ended = false;
  #error: unknown;
  #failed = false;
  #wake: (() => void) | undefined;
  readonly #pause: () => void;
  readonly #resume: () => void;
  readonly #highWater: number;
  #paused = false;

  constructor(pause: () => void, resume: () => void, highWater = 1 << 20) {
    this.#pause = pause;
    this.#resume = resume;
    this.#highWater = highWater;
  }

  push(text: string): void {
    this.#queue.push(text);
    this.#queued += text.length;
    // Bounded memory when the consumer is slower than the upstream: stop reading the socket.
    if (this.#queued > this.#highWater && !this.#paused) {
      this.#paused = true;
      this.#pause();
    }
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  fail(error: unknown): void {
    if (this.#ended || this.#failed) return;
    this.#failed = true;
    this.#error = error;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string, void, undefined> {
    while (true) {
      if (this.#queue.length > 0) {
        const batch = this.#queue.length === 1 ? this.#queue[0]! : this.#queue.join("");
        this.#queue = [];
        this.#queued = 0;
        if (this.#paused) {
          this.#paused = false;
          this.#resume();
        }
        yield batch;
        continue;
      }
      if (this.#failed) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

function headerReader(headers: http.IncomingHttpHeaders): HeaderReader {
  return {
    get: (name) => {
      const value = headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
    },
  };
}

export interface NodeHttpTransportOptions {
  /**
   * How long an idle pooled connection is kept, in ms. Under uvicorn's
   * keep-alive timeout (LiteLLM's server, 5 s) so that we close first.
   */
  readonly idleMs?: number;
}

/** The default transport: `node:http`/`node:https` with a keep-alive pool. */
export function nodeHttpTransport(options: NodeHttpTransportOptions = {}): Transport {
  const agentOptions = { keepAlive: true, timeout: options.idleMs ?? 4000, scheduling: "lifo" as const };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };

  const once = (request: TransportRequest): Promise<TransportResponse & { reused: boolean }> =>
    new Promise((resolve, reject) => {
      const url = new URL(request.url);
      const secure = url.protocol === "https:";
      const headers: Record<string, string | number> = { ...request.headers };
      if (request.body !== undefined) headers["content-length"] = Buffer.byteLength(request.body);
      let settled = false;
      const req = (secure ? https : http).request(url, { method: request.method, headers, agent: secure ? agents.https : agents.http });
      const onAbort = () => req.destroy(abortError());
      request.signal.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => request.signal.removeEventListener("abort", onAbort);
      req.on("error", (error) => {
        if (!settled) {
          settled = true;
          cleanup();
          reject(Object.assign(error, { reusedSocket: req.reusedSocket === true }));
        }
      });
      req.on("response", (res) => {
        settled = true;
        res.setEncoding("utf8");
        const batches = new TextBatches(() => res.pause(), () => res.resume());
        res.on("data", (text: string) => batches.push(text));
        res.on("end", () => {
          cleanup();
          batches.end();
        });
        // A connection lost mid-body: "aborted" (Node), an error, or a close before "end".
        res.on("error", (error) => batches.fail(error));
        res.on("aborted", () => batches.fail(new Error("the connection was lost mid-answer")));
        res.on("close", () => {
          cleanup();
          if (!res.complete) batches.fail(request.signal.aborted ? abortError() : new Error("the connection was lost mid-answer"));
        });
        resolve({
          status: res.statusCode ?? 0,
          headers: headerReader(res.headers),
          body: batches,
          reused: req.reusedSocket === true,
          cancel: () => {
            cleanup();
            if (!res.complete) res.destroy();
          },
        });
      });
      if (request.signal.aborted) {
        req.destroy(abortError());
        return;
      }
      req.end(request.body);
    });

  return {
    async request(request) {
      try {
        return await once(request);
      } catch (error) {
        // A pooled connection the server closed while idle fails with a reset before any
        // answer. A GET is retried once on a fresh connection. A POST is not: the same
        // reset could come from a LiteLLM that got the chat request and then died, and
        // a second call would be billed twice; closing idle connections before the
        // server does (idleMs) keeps that race rare.
        const e = error as { code?: string; reusedSocket?: boolean };
        if (request.method === "GET" && e.reusedSocket && e.code === "ECONNRESET" && !request.signal.aborted) return await once(request);
        throw error;
      }
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** The WHATWG `fetch` transport (one body chunk per read; see the module notes). */
export function fetchTransport(fetchImpl: typeof fetch = globalThis.fetch): Transport {
  return {
    async request(request) {
      const response = await fetchImpl(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal: request.signal,
      });
      const reader = response.body?.getReader();
      let cancelled = false;
      const body = async function* (): AsyncGenerator<string, void, undefined> {
        if (!reader) return;
        const decoder = new TextDecoder();
        while (true) {
          const next = await reader.read();
          if (next.done) {
            const rest = decoder.decode();
            if (rest) yield rest;
            return;
          }
          yield decoder.decode(next.value, { stream: true });
        }
      };
      return {
        status: response.status,
        headers: response.headers,
        body: body(),
        cancel: () => {
          if (cancelled) return;
          cancelled = true;
          if (reader) reader.cancel().catch(() => {});
          else response.body?.cancel().catch(() => {});
        },
      };
    },
    close() {},
  };
}

/** The measured best per runtime: `fetch` on Bun, `node:http` on Node and Deno. */
export function defaultTransport(): Transport {
  return "Bun" in globalThis ? fetchTransport() : nodeHttpTransport();
}

function abortError(): Error {
  const error = new Error("The request was aborted");
  error.name = "AbortError";
  return error;
}
