/**
 * `ReactConnection`: one agent's `/react` WebSocket as a typed event stream
 * that survives drops.
 *
 * - Close 4401 (the token expired): reconnect at once with a fresh token from
 *   `getToken()`; the new socket starts with `init`, the agent as it is now.
 * - Any other drop, or an attempt that fails: reconnect with exponential
 *   backoff and jitter. An attempt that fails before the socket opens asks
 *   the REST API why; a 404 or 403 (the agent is gone or not the caller's)
 *   ends the connection instead of retrying forever.
 * - `close()` ends it for good.
 *
 * @module
 */
import { AgentClientError } from "./errors.ts";
import type { ConnectionHost } from "./agent-client.ts";
import type { InitEvent, ReactEvent, ReactEventOf, ReactEventType } from "./types.ts";

/** The part of the WebSocket API the connection uses (the browser's, Deno's and Node's all fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // deno-lint-ignore no-explicit-any
  onopen: ((event: any) => void) | null;
  // deno-lint-ignore no-explicit-any
  onmessage: ((event: any) => void) | null;
  // deno-lint-ignore no-explicit-any
  onclose: ((event: any) => void) | null;
  // deno-lint-ignore no-explicit-any
  onerror: ((event: any) => void) | null;
}

/** Close code the server uses when the socket's token expires. */
export const TOKEN_EXPIRED_CLOSE_CODE = 4401;

export interface ReconnectOptions {
  /** Wait before the first retry after a drop. Default 500 ms. */
  readonly initialDelayMs?: number;
  /** Longest wait between retries. Default 15 s. */
  readonly maxDelayMs?: number;
  /** Growth per failed attempt. Default 2. */
  readonly factor?: number;
  /** Random spread, a fraction of the delay (0.2 = ±20%). Default 0.2. */
  readonly jitter?: number;
  /** Consecutive failed attempts before giving up. Default: never give up. */
  readonly maxAttempts?: number;
  /** Source of randomness for the jitter, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** A change of the connection's state. */
export interface ConnectionStatus {
  readonly state: ConnectionState;
  /** Consecutive failed attempts so far (0 once an `init` arrived). */
  readonly attempt: number;
  /** When reconnecting: how long until the next attempt. */
  readonly delayMs?: number;
  /** The close that caused this reconnect (4401 for an expired token). */
  readonly closeCode?: number;
  readonly closeReason?: string;
  /** When closed for good because of a failure (e.g. the agent is gone): why. */
  readonly error?: AgentClientError;
}

// Well under the server's per-socket burst (100 frames), so flushing the queue never trips it.
const MAX_QUEUED_FRAMES = 20;
/** A 4401 sooner than this after opening means the fresh token was not fresh: back off instead. */
const MIN_TOKEN_LIFE_MS = 1000;
const OPEN = 1;
/** How long to wait for the close event that should follow an error. */
const ERROR_CLOSE_GRACE_MS = 100;

type Listener<E> = (event: E) => void;

/**
 * A `/react` socket that reconnects by itself. Made by `AgentClient.connect`.
 *
 * @example
 * ```ts
 * const connection = client.connect(agentId);
 * connection.on("init", (event) => render(event.steps));
 * connection.on("delta", (event) => appendText(event.text));
 * connection.send("hello");
 * for await (const event of connection) if (event.type === "complete") break;
 * await connection.close();
 * ```
 */
export class ReactConnection implements AsyncIterable<ReactEvent> {
  readonly agentId: string;
  readonly #host: ConnectionHost;
  readonly #options: Required<Omit<ReconnectOptions, "maxAttempts">> & { maxAttempts: number };
  readonly #listeners = new Map<string, Set<Listener<never>>>();
  readonly #anyListeners = new Set<Listener<ReactEvent>>();
  readonly #statusListeners = new Set<Listener<ConnectionStatus>>();
  readonly #closeWaiters: (() => void)[] = [];
  #socket: WebSocketLike | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #queue: string[] = [];
  #attempt = 0;
  #everOpened = false;
  #closed = false;
  #status: ConnectionStatus = { state: "connecting", attempt: 0 };
  #lastInit: InitEvent | undefined;

  constructor(host: ConnectionHost, agentId: string, options: { reconnect?: ReconnectOptions } = {}) {
    this.agentId = agentId;
    this.#host = host;
    const r = options.reconnect ?? {};
    this.#options = {
      initialDelayMs: r.initialDelayMs ?? 500,
      maxDelayMs: r.maxDelayMs ?? 15_000,
      factor: r.factor ?? 2,
      jitter: r.jitter ?? 0.2,
      maxAttempts: r.maxAttempts ?? Number.POSITIVE_INFINITY,
      random: r.random ?? Math.random,
    };
    void this.#connect();
  }

  /** The connection's state now. */
  get status(): ConnectionStatus {
    return this.#status;
  }

  /** The latest `init` event: the agent's steps and state when the socket last (re)opened. */
  get lastInit(): InitEvent | undefined {
    return this.#lastInit;
  }

  /** Listens to one event type; returns a function that stops listening. */
  on<T extends ReactEventType>(type: T, listener: Listener<ReactEventOf<T>>): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Listens to every event. */
  onEvent(listener: Listener<ReactEvent>): () => void {
    this.#anyListeners.add(listener);
    return () => this.#anyListeners.delete(listener);
  }

  /** Listens to state changes (connecting, open, reconnecting with the delay, closed). */
  onStatus(listener: Listener<ConnectionStatus>): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /**
   * The next event of a type (that `match` accepts); rejects if the connection
   * closes first. Ask before doing what causes the event: a runtime may
   * deliver several frames in one task, before an `await` resumes. To read
   * events in order, iterate the connection instead (it buffers).
   */
  once<T extends ReactEventType>(type: T, match: (event: ReactEventOf<T>) => boolean = () => true): Promise<ReactEventOf<T>> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(this.#closedError());
      const stopEvents = this.on(type, (event) => {
        if (!match(event)) return;
        stopEvents();
        stopStatus();
        resolve(event);
      });
      const stopStatus = this.onStatus((status) => {
        if (status.state !== "closed") return;
        stopEvents();
        stopStatus();
        reject(this.#closedError());
      });
    });
  }

  /** Sends a user message; queued until the socket is open. */
  send(content: string): void {
    if (typeof content !== "string" || content.trim() === "") throw new TypeError("send: content must be a non-empty string");
    this.#sendFrame(JSON.stringify({ type: "message", content }));
  }

  /** Stops the agent's run: over the socket when it is open, else by `POST /agents/:id/stop`. */
  async stop(): Promise<void> {
    if (this.#closed) throw this.#closedError();
    const socket = this.#socket;
    if (socket && socket.readyState === OPEN) {
      socket.send(JSON.stringify({ type: "stop" }));
      return;
    }
    await this.#host.stop(this.agentId);
  }

  /** Closes the socket for good; resolves once it is closed. */
  close(): Promise<void> {
    if (this.#closed && !this.#socket) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    if (!this.#closed) {
      this.#closed = true;
      this.#queue = [];
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      const socket = this.#socket;
      this.#setStatus({ state: "closed", attempt: this.#attempt });
      if (socket) {
        try {
          socket.close(1000, "client closed");
        } catch {
          this.#socket = undefined;
        }
      }
    }
    if (!this.#socket) this.#settleClose();
    return done;
  }

  /** Every event until the connection closes for good. */
  async *[Symbol.asyncIterator](): AsyncIterator<ReactEvent> {
    const buffer: ReactEvent[] = [];
    let wake: (() => void) | undefined;
    const stopEvents = this.onEvent((event) => {
      buffer.push(event);
      wake?.();
    });
    const stopStatus = this.onStatus(() => wake?.());
    try {
      while (true) {
        const next = buffer.shift();
        if (next) {
          yield next;
          continue;
        }
        if (this.#closed) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      stopEvents();
      stopStatus();
    }
  }

  // --- internals -----------------------------------------------------------

  #closedError(): AgentClientError {
    return this.#status.error ?? new AgentClientError("The connection is closed", { status: 0, kind: "gone" });
  }

  #sendFrame(frame: string): void {
    if (this.#closed) throw this.#closedError();
    const socket = this.#socket;
    if (socket && socket.readyState === OPEN) {
      socket.send(frame);
      return;
    }
    if (this.#queue.length >= MAX_QUEUED_FRAMES) {
      throw new AgentClientError(`Not connected and ${MAX_QUEUED_FRAMES} messages are already waiting`, { status: 0, kind: "network" });
    }
    this.#queue.push(frame);
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    for (const listener of [...this.#statusListeners]) this.#call(listener, status);
  }

  #call<E>(listener: Listener<E>, event: E): void {
    try {
      listener(event);
    } catch (error) {
      // A listener's bug must not break the connection; surface it where the runtime shows errors.
      const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
      if (report) report(error);
      else console.error(error);
    }
  }

  #dispatch(event: ReactEvent): void {
    for (const listener of [...(this.#listeners.get(event.type) ?? [])]) this.#call(listener as Listener<ReactEvent>, event);
    for (const listener of [...this.#anyListeners]) this.#call(listener, event);
  }

  #delay(attempt: number): number {
    const { initialDelayMs, maxDelayMs, factor, jitter, random } = this.#options;
    const base = Math.min(maxDelayMs, initialDelayMs * factor ** Math.max(0, attempt - 1));
    const spread = base * jitter * (2 * random() - 1);
    return Math.max(0, Math.round(Math.min(maxDelayMs, base + spread)));
  }

  #schedule(delayMs: number, close?: { code: number; reason: string }): void {
    if (this.#closed) return;
    this.#setStatus({
      state: this.#everOpened ? "reconnecting" : "connecting",
      attempt: this.#attempt,
      delayMs,
      ...(close ? { closeCode: close.code, closeReason: close.reason } : {}),
    });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect();
    }, delayMs);
  }

  #giveUp(error: AgentClientError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#setStatus({ state: "closed", attempt: this.#attempt, error });
    this.#settleClose();
  }

  #settleClose(): void {
    for (const resolve of this.#closeWaiters.splice(0)) resolve();
  }

  /** An attempt failed before the socket opened: retry with backoff, unless the agent is gone. */
  async #failed(error?: unknown, close?: { code: number; reason: string }): Promise<void> {
    this.#attempt++;
    if (this.#attempt >= this.#options.maxAttempts) {
      const cause = error instanceof AgentClientError ? error : undefined;
      this.#giveUp(cause ?? new AgentClientError(`Could not connect to the agent after ${this.#attempt} attempts`, { status: 0, kind: "network" }));
      return;
    }
    if (!(error instanceof AgentClientError)) {
      // The upgrade's status is hidden from WebSocket clients: ask the REST API what is wrong.
      try {
        await this.#host.getAgent(this.agentId);
      } catch (probe) {
        if (probe instanceof AgentClientError && (probe.status === 404 || probe.status === 403)) {
          this.#giveUp(new AgentClientError(probe.message, { status: probe.status, kind: "gone", body: probe.body }));
          return;
        }
      }
    }
    this.#schedule(this.#delay(this.#attempt), close);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    let token: string;
    try {
      token = await this.#host.token();
    } catch (error) {
      return this.#failed(error);
    }
    if (this.#closed) return;

    let socket: WebSocketLike;
    try {
      socket = this.#host.openSocket(this.agentId, token);
    } catch (error) {
      // No WebSocket implementation, or a URL the runtime refuses: retrying will not help.
      this.#giveUp(error instanceof AgentClientError ? error : new AgentClientError(String(error), { status: 0, kind: "network", cause: error }));
      return;
    }
    this.#socket = socket;
    let openedAt: number | undefined;

    socket.onopen = () => {
      if (this.#socket !== socket) return;
      openedAt = Date.now();
      this.#everOpened = true;
      this.#setStatus({ state: "open", attempt: this.#attempt });
      const queued = this.#queue;
      this.#queue = [];
      for (const frame of queued) socket.send(frame);
    };
    socket.onmessage = (message: { data: unknown }) => {
      if (this.#socket !== socket) return;
      let event: ReactEvent;
      try {
        event = JSON.parse(String(message.data)) as ReactEvent;
      } catch {
        return;
      }
      if (event === null || typeof event !== "object" || typeof event.type !== "string") return;
      if (event.type === "init") {
        this.#attempt = 0;
        this.#lastInit = event;
      }
      this.#dispatch(event);
    };
    let finished = false;
    let fallback: ReturnType<typeof setTimeout> | undefined;
    const finish = (event: { code: number; reason: string }) => {
      if (finished) return;
      finished = true;
      if (fallback !== undefined) clearTimeout(fallback);
      socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      if (this.#closed) {
        this.#settleClose();
        return;
      }
      const close = { code: event.code, reason: event.reason };
      if (openedAt === undefined) {
        void this.#failed(undefined, close);
      } else if (event.code === TOKEN_EXPIRED_CLOSE_CODE && Date.now() - openedAt >= MIN_TOKEN_LIFE_MS) {
        this.#schedule(0, close);
      } else {
        this.#attempt++;
        this.#schedule(this.#delay(this.#attempt), close);
      }
    };
    socket.onclose = (event: { code: number; reason: string }) => finish(event);
    socket.onerror = () => {
      // A close event normally follows and decides what to do; Node 20's WebSocket
      // sends none after a refused connection, so do not wait for it forever.
      if (fallback === undefined && !finished) {
        fallback = setTimeout(() => {
          try {
            socket.close();
          } catch {
            // Already closed.
          }
          finish({ code: 1006, reason: "" });
        }, ERROR_CLOSE_GRACE_MS);
      }
    };
  }
}
