/**
 * The service's Prometheus metrics, with prom-client: what the rest of the
 * service calls when something worth counting happens, and the registry the
 * metrics listener (metrics-server.ts) serves.
 *
 * prom-client rather than the OpenTelemetry metrics SDK: it runs unchanged
 * on Node, Deno and Bun (checked here, process metrics included), it is the
 * Prometheus text format's reference client for JavaScript, and a labelled
 * observation is a string key and an add, where the OpenTelemetry SDK hashes
 * an attribute set per call (and its 3.x line needs Node 22).
 *
 * Hot paths pay nothing they can avoid: the gateway check (every gateway
 * request) and the authentication refusals only add to plain numbers, read
 * into the exported counters when Prometheus scrapes (`collect`); nothing
 * allocates per request there. A disabled service gets {@link NO_METRICS},
 * whose methods do nothing.
 *
 * No label carries a user or agent id: every label's values come from a
 * fixed set (route templates, status codes, outcome and error codes, model
 * names LiteLLM lists, tool names of the toolkit).
 *
 * @module
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

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

/** Close codes by name; anything else is `other`. A fixed set, so the label stays bounded. */
const CLOSE_REASONS: Readonly<Record<number, string>> = {
  1000: "normal",
  1001: "going_away",
  1005: "no_status",
  1006: "abnormal",
  1008: "policy_violation",
  1009: "message_too_big",
  1011: "server_error",
  4401: "token_expired",
};

/** Names of the metrics, exported so tests and the README name them from one place. */
export const METRIC_NAMES = {
  httpDuration: "agent_service_http_request_duration_seconds",
  gatewayChecks: "agent_service_gateway_checks_total",
  authRefusals: "agent_service_auth_refusals_total",
  socketsOpen: "agent_service_sockets_open",
  socketsClosed: "agent_service_sockets_closed_total",
  runsStarted: "agent_service_runs_started_total",
  runsEnded: "agent_service_runs_ended_total",
  runDuration: "agent_service_run_duration_seconds",
  modelCalls: "agent_service_model_calls_total",
  modelDuration: "agent_service_model_call_duration_seconds",
  timeToFirstToken: "agent_service_model_time_to_first_token_seconds",
  modelTokens: "agent_service_model_tokens_total",
  toolCalls: "agent_service_tool_calls_total",
  toolDuration: "agent_service_tool_call_duration_seconds",
  storeDuration: "agent_service_store_operation_duration_seconds",
  verifiedTokens: "agent_service_verified_tokens_cached",
  info: "agent_service_info",
} as const;

export interface MetricsOptions {
  /** `node`, `deno` or `bun`, for `agent_service_info`. */
  readonly runtime: string;
  /** Verified tokens cached now (the token verifier's cache), read at scrape time. */
  readonly cachedTokens?: () => number;
  /** Process metrics (CPU, memory, event loop, GC). Default true; tests that only look at counters turn them off. */
  readonly processMetrics?: boolean;
}

/** Seconds: HTTP answers are fast; model calls and runs are slow. */
const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SLOW_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];

/** Metrics on: a prom-client registry of its own (never the global one). */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  new Gauge({ name: METRIC_NAMES.info, help: "Always 1; the runtime this process runs on", labelNames: ["runtime"], registers }).set({ runtime: options.runtime }, 1);

  const httpDuration = new Histogram({
    name: METRIC_NAMES.httpDuration,
    help: "HTTP requests answered, by method, route template and status (its _count is the number of requests), in seconds",
    labelNames: ["method", "route", "status"],
    buckets: FAST_BUCKETS,
    registers,
  });

  // The gateway check and the refusals: plain numbers on the request path, read into the counters at scrape time.
  const gatewayAnswers = { allowed: 0, unauthorized: 0, forbidden: 0 };
  const refusals = new Map<string, number>();
  const serviceRefusals = new Map<string, number>();
  let gatewayExported = { allowed: 0, unauthorized: 0, forbidden: 0 };
  const exportedRefusals = new Map<string, number>();
  new Counter({
    name: METRIC_NAMES.gatewayChecks,
    help: "Gateway checks (/api/auth) decided, by answer: allowed (200), unauthorized (401), forbidden (403)",
    labelNames: ["answer"],
    registers,
    collect() {
      for (const answer of ["allowed", "unauthorized", "forbidden"] as const) {
        const delta = gatewayAnswers[answer] - gatewayExported[answer];
        this.inc({ answer }, delta);
      }
      gatewayExported = { ...gatewayAnswers };
    },
  });
  new Counter({
    name: METRIC_NAMES.authRefusals,
    help: "Requests refused, by refusal code (expired, bad_signature, missing_token, role_not_allowed, ...) and by whom: the gateway check or the service's own guard",
    labelNames: ["code", "by"],
    registers,
    collect() {
      for (const [by, counts] of [["gateway", refusals], ["service", serviceRefusals]] as const) {
        for (const [code, count] of counts) {
          const key = `${by} ${code}`;
          this.inc({ code, by }, count - (exportedRefusals.get(key) ?? 0));
          exportedRefusals.set(key, count);
        }
      }
    },
  });

  const socketsOpen = new Gauge({ name: METRIC_NAMES.socketsOpen, help: "Agent sockets open now", registers });
  const socketsClosed = new Counter({
    name: METRIC_NAMES.socketsClosed,
    help: "Agent sockets closed, by reason (the close code's name: normal, going_away, token_expired, message_too_big, policy_violation, abnormal, ...)",
    labelNames: ["reason"],
    registers,
  });

  const runsStarted = new Counter({ name: METRIC_NAMES.runsStarted, help: "Agent runs started on this replica", registers });
  const runsEnded = new Counter({
    name: METRIC_NAMES.runsEnded,
    help: "Agent runs ended, by outcome: completed, stopped, error, interrupted (ended by this replica after another died)",
    labelNames: ["outcome"],
    registers,
  });
  const runDuration = new Histogram({ name: METRIC_NAMES.runDuration, help: "Agent run duration, by outcome, in seconds", labelNames: ["outcome"], buckets: SLOW_BUCKETS, registers });

  const modelCalls = new Counter({ name: METRIC_NAMES.modelCalls, help: "LiteLLM chat calls, by model and outcome (ok, or the error code)", labelNames: ["model", "outcome"], registers });
  const modelDuration = new Histogram({
    name: METRIC_NAMES.modelDuration,
    help: "LiteLLM chat calls, whole call (stream included), by model and outcome, in seconds",
    labelNames: ["model", "outcome"],
    buckets: SLOW_BUCKETS,
    registers,
  });
  const timeToFirstToken = new Histogram({
    name: METRIC_NAMES.timeToFirstToken,
    help: "From sending a chat request to its first streamed token, by model, in seconds",
    labelNames: ["model"],
    buckets: SLOW_BUCKETS,
    registers,
  });
  const modelTokens = new Counter({ name: METRIC_NAMES.modelTokens, help: "Tokens LiteLLM reported, by model and type (input, output)", labelNames: ["model", "type"], registers });

  const toolCalls = new Counter({ name: METRIC_NAMES.toolCalls, help: "Tool calls, by tool and outcome (ok, error)", labelNames: ["tool", "outcome"], registers });
  const toolDuration = new Histogram({ name: METRIC_NAMES.toolDuration, help: "Tool call duration, by tool, in seconds", labelNames: ["tool"], buckets: FAST_BUCKETS, registers });

  const storeDuration = new Histogram({
    name: METRIC_NAMES.storeDuration,
    help: "Agent store operations, by operation and outcome (ok, error), in seconds",
    labelNames: ["operation", "outcome"],
    buckets: FAST_BUCKETS,
    registers,
  });

  const cachedTokens = options.cachedTokens;
  if (cachedTokens) {
    new Gauge({
      name: METRIC_NAMES.verifiedTokens,
      help: "Verified tokens in the verifier's cache (TOKEN_CACHE_SIZE bounds it)",
      registers,
      collect() {
        this.set(cachedTokens());
      },
    });
  }

  const count = (counts: Map<string, number>, code: string) => counts.set(code, (counts.get(code) ?? 0) + 1);

  return {
    enabled: true,
    httpRequest: (method, route, status, seconds) => httpDuration.observe({ method, route, status: String(status) }, seconds),
    gatewayDecision: (status, reason) => {
      if (status === 200) gatewayAnswers.allowed++;
      else if (status === 401) gatewayAnswers.unauthorized++;
      else gatewayAnswers.forbidden++;
      if (reason !== undefined) count(refusals, reason);
    },
    authRefused: (code) => void count(serviceRefusals, code),
    socketOpened: () => socketsOpen.inc(),
    socketClosed: (code) => {
      socketsOpen.dec();
      socketsClosed.inc({ reason: (code !== undefined && CLOSE_REASONS[code]) || "other" });
    },
    runStarted: () => runsStarted.inc(),
    runEnded: (outcome, seconds) => {
      runsEnded.inc({ outcome });
      if (seconds !== undefined) runDuration.observe({ outcome }, seconds);
    },
    modelCall: (model, outcome, seconds, firstTokenSeconds, tokens) => {
      modelCalls.inc({ model, outcome });
      modelDuration.observe({ model, outcome }, seconds);
      if (firstTokenSeconds !== undefined) timeToFirstToken.observe({ model }, firstTokenSeconds);
      if (tokens) {
        modelTokens.inc({ model, type: "input" }, tokens.input);
        modelTokens.inc({ model, type: "output" }, tokens.output);
      }
    },
    toolCall: (tool, outcome, seconds) => {
      toolCalls.inc({ tool, outcome });
      toolDuration.observe({ tool }, seconds);
    },
    storeOperation: (operation, outcome, seconds) => storeDuration.observe({ operation, outcome }, seconds),
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
