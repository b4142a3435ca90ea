/**
 * What the service records, and "nothing" when metrics are off: the
 * interface every caller uses, without prom-client, so a service without
 * METRICS_PORT never loads it (metrics.ts is the implementation).
 *
 * @module
 */
/** How a run ended; `interrupted` is a run whose replica died, ended by another. */
export type RunEnd = "completed" | "stopped" | "error" | "interrupted";

/** What the service records; {@link NO_METRICS} when metrics are off. */
export interface Metrics {
  readonly enabled: boolean;
  /** One HTTP request answered: its route template (`/api/agents/:id`), never its path. */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /** One gateway check decided: its status, and why it refused (`expired`, `role_not_allowed`, ...). */
  gatewayDecision(status: number, reason: string | undefined): void;
  /** The service's own guard (REST, socket upgrade) refused a token: the refusal code. */
  authRefused(code: string): void;
  socketOpened(): void;
  /** A socket closed, with its close code (1000, 1001, 1008, 1009, 4401, ...). */
  socketClosed(code: number | undefined): void;
  runStarted(): void;
  /** A run ended; `seconds` unknown for an interrupted run (its replica died). */
  runEnded(outcome: RunEnd, seconds?: number): void;
  /** One model call ended: `outcome` is `ok` or the LiteLLM error code. */
  modelCall(model: string, outcome: string, seconds: number, firstTokenSeconds: number | undefined, tokens?: { input: number; output: number }): void;
  /** One tool call ended: `ok` or `error` (and the tool `unknown` when the model named none of the toolkit's). */
  toolCall(tool: string, outcome: string, seconds: number): void;
  /** One store operation (`getAgent`, `appendStep`, ...) ended. */
  storeOperation(operation: string, outcome: "ok" | "error", seconds: number): void;
  /** The Prometheus text of every metric. */
  render(): Promise<string>;
  readonly contentType: string;
}

const noop = () => {};

/** Metrics off: every call does nothing. */
export const NO_METRICS: Metrics = {
  enabled: false,
  httpRequest: noop,
  gatewayDecision: noop,
  authRefused: noop,
  socketOpened: noop,
  socketClosed: noop,
  runStarted: noop,
  runEnded: noop,
  modelCall: noop,
  toolCall: noop,
  storeOperation: noop,
  render: () => Promise.resolve(""),
  contentType: "text/plain",
};

