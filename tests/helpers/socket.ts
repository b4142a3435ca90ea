/**
 * A WebSocket test client that records every event and waits for the ones a
 * test expects. Every frame received is checked against the published socket
 * protocol (socket-contract.ts): a frame that does not match fails the test's
 * next `waitFor`, `close` or `closedWithin`; `send` refuses a message that is
 * not a valid client message (`sendUnchecked` is for tests of bad input).
 */
import { ContractViolation, contractProblem, serverTextProblem } from "./socket-contract.ts";

export interface SocketEvent {
  type: string;
  [key: string]: unknown;
}

export interface TestSocket {
  readonly events: SocketEvent[];
  /** Resolves with the first recorded event (from `from` on) that matches, waiting up to `timeoutMs`. */
  waitFor(match: (event: SocketEvent) => boolean, options?: { timeoutMs?: number; from?: number }): Promise<SocketEvent>;
  /** Sends a valid client message (throws a ContractViolation for anything else). */
  send(value: unknown): void;
  /** Sends `value` as JSON unchecked: for tests of what the service does with bad input. */
  sendUnchecked(value: unknown): void;
  sendRaw(text: string): void;
  /** Frames received that do not match the protocol (each one also fails the next wait or close). */
  readonly violations: string[];
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
    const violations: string[] = [];
    const failIfViolated = () => {
      if (violations.length > 0) throw new ContractViolation(`the service sent ${violations.length} frame(s) outside the protocol; the first: ${violations[0]}`);
    };
    ws.onmessage = (message) => {
      const text = String(message.data);
      const problem = serverTextProblem(text);
      if (problem) violations.push(problem);
      let event: SocketEvent;
      try {
        event = JSON.parse(text);
      } catch {
        event = { type: "(not JSON)", text };
      }
      events.push(event);
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
        violations,
        waitFor(match, { timeoutMs = 5000, from = 0 } = {}) {
          return new Promise((resolveWait, rejectWait) => {
            const check = () => {
              if (violations.length > 0) {
                waiters.delete(check);
                clearTimeout(timer);
                try {
                  failIfViolated();
                } catch (error) {
                  rejectWait(error);
                }
                return;
              }
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
        send: (value) => {
          const problem = contractProblem(value, "client");
          if (problem) throw new ContractViolation(`${problem} (use sendUnchecked for bad input on purpose)`);
          ws.send(JSON.stringify(value));
        },
        sendUnchecked: (value) => ws.send(JSON.stringify(value)),
        sendRaw: (text) => ws.send(text),
        closedWithin: (timeoutMs = 10_000) => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const late = new Promise<never>((_, fail) => {
            timer = setTimeout(() => fail(new Error(`the socket did not close within ${timeoutMs} ms`)), timeoutMs);
          });
          return Promise.race([closed, late]).finally(() => clearTimeout(timer)).then((result) => {
            failIfViolated();
            return result;
          });
        },
        close: async () => {
          if (ws.readyState === WebSocket.CLOSED) return failIfViolated();
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
          failIfViolated();
        },
      };
      resolve(socket);
    };
  });
}
