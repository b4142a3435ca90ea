/** A WebSocket test client that records every event and waits for the ones a test expects. */

export interface SocketEvent {
  type: string;
  [key: string]: unknown;
}

export interface TestSocket {
  readonly events: SocketEvent[];
  /** Resolves with the first recorded event (from `from` on) that matches, waiting up to `timeoutMs`. */
  waitFor(match: (event: SocketEvent) => boolean, options?: { timeoutMs?: number; from?: number }): Promise<SocketEvent>;
  send(value: unknown): void;
  sendRaw(text: string): void;
  /** Closes the socket; rejects when the close does not complete in time (a hang fails fast). */
  close(): Promise<void>;
  /** Settles when the socket closes (never rejects: use `closedWithin` to wait for it). */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The close, waited for at most `timeoutMs` (default 10 s): a socket that stays open fails the test fast. */
  closedWithin(timeoutMs?: number): Promise<{ code: number; reason: string }>;
}

/** How long `close()` waits for the closing handshake. */
const CLOSE_TIMEOUT_MS = 5_000;

export function openSocket(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    // Headers on the upgrade (traceparent, x-request-id): a non-standard option Node, Deno and Bun all take.
    const ws = options.headers
      ? new WebSocket(url, { headers: options.headers, ...(options.protocols ? { protocols: options.protocols } : {}) } as unknown as string[])
      : options.protocols
      ? new WebSocket(url, options.protocols)
      : new WebSocket(url);
    const events: SocketEvent[] = [];
    const waiters = new Set<() => void>();
    let resolveClosed!: (value: { code: number; reason: string }) => void;
    const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));
    ws.onmessage = (message) => {
      events.push(JSON.parse(String(message.data)));
      for (const wake of waiters) wake();
    };
    ws.onclose = (event) => {
      resolveClosed({ code: event.code, reason: event.reason });
      for (const wake of waiters) wake();
    };
    ws.onerror = () => reject(new Error(`WebSocket to ${url.replace(/access-token=[^&]+/, "access-token=…")} failed`));
    ws.onopen = () => {
      const socket: TestSocket = {
        events,
        closed,
        waitFor(match, { timeoutMs = 5000, from = 0 } = {}) {
          return new Promise((resolveWait, rejectWait) => {
            const check = () => {
              const found = events.slice(from).find(match);
              if (found) {
                waiters.delete(check);
                clearTimeout(timer);
                resolveWait(found);
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rejectWait(new Error(`timed out waiting for an event; got: ${events.map((e) => e.type).join(", ")}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        send: (value) => ws.send(JSON.stringify(value)),
        sendRaw: (text) => ws.send(text),
        closedWithin: (timeoutMs = 10_000) => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const late = new Promise<never>((_, fail) => {
            timer = setTimeout(() => fail(new Error(`the socket did not close within ${timeoutMs} ms`)), timeoutMs);
          });
          return Promise.race([closed, late]).finally(() => clearTimeout(timer));
        },
        close: async () => {
          if (ws.readyState === WebSocket.CLOSED) return;
          ws.close();
          let timer: ReturnType<typeof setTimeout> | undefined;
          const late = new Promise<never>((_, fail) => {
            timer = setTimeout(() => fail(new Error(`the socket did not close within ${CLOSE_TIMEOUT_MS} ms`)), CLOSE_TIMEOUT_MS);
          });
          try {
            await Promise.race([closed, late]);
          } finally {
            clearTimeout(timer);
          }
        },
      };
      resolve(socket);
    };
  });
}
