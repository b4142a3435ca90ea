/**
 * Every failure talking to LiteLLM is one {@link LiteLLMError} with a stable,
 * machine-readable `code` and a message that is safe to show a user.
 *
 * LiteLLM's own error text is content from outside: it can carry provider
 * details, internal host names and (echoed back, cut short) credentials. It
 * never reaches a user: they get the category, the HTTP status, the retry
 * time of a rate limit, and LiteLLM's request id to quote. The text itself,
 * with the master key masked, stays on the error as `upstreamMessage` for the
 * log.
 *
 * | code                     | kind              | when |
 * |--------------------------|-------------------|------|
 * | `upstream_unavailable`   | `unreachable`     | no connection, the connection lost, HTTP 502/503 |
 * | `upstream_timeout`       | `timeout`         | no answer or no first token in time, HTTP 408/504 |
 * | `upstream_misconfigured` | `auth`            | LiteLLM refused the service's master key (401/403, `auth_error`, `no_db_connection`) |
 * | `rate_limited`           | `rate_limited`    | HTTP 429 that is not a budget refusal; `retryAfterMs` when LiteLLM said when |
 * | `budget_exceeded`        | `budget_exceeded` | `error.type` `budget_exceeded` (HTTP 400, 422 or 429 by version), or a deployment's budget crossed |
 * | `upstream_bad_request`   | `bad_request`     | any other 4xx: the request was refused (an unknown model, a context too long) |
 * | `upstream_error`         | `upstream`        | any other 5xx, or an error sent inside the stream |
 * | `upstream_protocol`      | `protocol`        | an answer we cannot use: not JSON, no `[DONE]`, no `finish_reason`, too large |
 * | `aborted`                | `aborted`         | the caller stopped the request (not a failure of LiteLLM) |
 *
 * @example
 * ```ts
 * try {
 *   for await (const event of llm.chat(request)) handle(event);
 * } catch (error) {
 *   if (!(error instanceof LiteLLMError)) throw error;
 *   logger.warn("chat failed", { code: error.code, status: error.status, upstream: error.upstreamMessage });
 *   socket.send({ type: "error", code: error.code, error: describeLiteLLMFailure(error) });
 * }
 * ```
 *
 * @module
 */
import { redact } from "../log.ts";

/** What went wrong talking to LiteLLM, coarsely (see the table above for the stable `code`). */
export type LiteLLMErrorKind =
  | "unreachable"
  | "timeout"
  | "auth"
  | "rate_limited"
  | "budget_exceeded"
  | "bad_request"
  | "upstream"
  | "protocol"
  | "aborted";

/** The stable, machine-readable codes: safe to show, to branch on, and to put in `{error, code}` bodies. */
export type LiteLLMErrorCode =
  | "upstream_unavailable"
  | "upstream_timeout"
  | "upstream_misconfigured"
  | "rate_limited"
  | "budget_exceeded"
  | "upstream_bad_request"
  | "upstream_error"
  | "upstream_protocol"
  | "aborted";

/** Every code, in the order of the table above. */
export const LITELLM_ERROR_CODES: readonly LiteLLMErrorCode[] = [
  "upstream_unavailable",
  "upstream_timeout",
  "upstream_misconfigured",
  "rate_limited",
  "budget_exceeded",
  "upstream_bad_request",
  "upstream_error",
  "upstream_protocol",
  "aborted",
];

const CODE_OF_KIND: Readonly<Record<LiteLLMErrorKind, LiteLLMErrorCode>> = {
  unreachable: "upstream_unavailable",
  timeout: "upstream_timeout",
  auth: "upstream_misconfigured",
  rate_limited: "rate_limited",
  budget_exceeded: "budget_exceeded",
  bad_request: "upstream_bad_request",
  upstream: "upstream_error",
  protocol: "upstream_protocol",
  aborted: "aborted",
};

export interface LiteLLMErrorDetails {
  /** HTTP status, when LiteLLM answered with one. */
  readonly status?: number;
  /** LiteLLM's own `error.message`, masked: for the log only. */
  readonly upstreamMessage?: string;
  /** LiteLLM's `error.type`, for the log. */
  readonly upstreamType?: string;
  /** LiteLLM's id for the request (`x-litellm-call-id`, else `x-request-id`). */
  readonly requestId?: string;
  /** For `rate_limited`: how long LiteLLM asked us to wait, when it said. */
  readonly retryAfterMs?: number;
}

/**
 * One typed error for every LiteLLM failure. Neither `message` nor
 * `userMessage` ever contains LiteLLM's own text or the master key.
 */
export class LiteLLMError extends Error {
  readonly kind: LiteLLMErrorKind;
  readonly code: LiteLLMErrorCode;
  readonly status?: number;
  readonly upstreamMessage?: string;
  readonly upstreamType?: string;
  readonly requestId?: string;
  readonly retryAfterMs?: number;

  /** `message` is ours (for the log); the user sees {@link describeLiteLLMFailure}. */
  constructor(kind: LiteLLMErrorKind, message: string, details: LiteLLMErrorDetails = {}) {
    super(message);
    this.name = "LiteLLMError";
    this.kind = kind;
    this.code = CODE_OF_KIND[kind];
    if (details.status !== undefined) this.status = details.status;
    if (details.upstreamMessage !== undefined) this.upstreamMessage = details.upstreamMessage;
    if (details.upstreamType !== undefined) this.upstreamType = details.upstreamType;
    if (details.requestId !== undefined) this.requestId = details.requestId;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }

  /** The same error with more details (e.g. the request id, known only to the caller). */
  withDetails(extra: LiteLLMErrorDetails): LiteLLMError {
    const details: LiteLLMErrorDetails = {
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.upstreamMessage !== undefined ? { upstreamMessage: this.upstreamMessage } : {}),
      ...(this.upstreamType !== undefined ? { upstreamType: this.upstreamType } : {}),
      ...(this.requestId !== undefined ? { requestId: this.requestId } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
    };
    return new LiteLLMError(this.kind, this.message, { ...extra, ...details });
  }

  /** What a user may be told: the category in our words, never LiteLLM's. */
  get userMessage(): string {
    const status = this.status !== undefined ? ` (HTTP ${this.status})` : "";
    switch (this.kind) {
      case "unreachable":
        return "LiteLLM is unreachable";
      case "timeout":
        return "LiteLLM did not answer in time";
      case "auth":
        return "LiteLLM refused the service's credentials (a server misconfiguration)";
      case "rate_limited":
        return `LiteLLM is rate limiting requests${status}` +
          (this.retryAfterMs !== undefined ? `; try again in ${Math.max(1, Math.ceil(this.retryAfterMs / 1000))} s` : "");
      case "budget_exceeded":
        return "LiteLLM refused the request: the spending budget is used up";
      case "bad_request":
        return `LiteLLM refused the request${status}`;
      case "upstream":
        return this.status !== undefined ? `LiteLLM failed${status}` : "LiteLLM reported an error during the answer";
      case "protocol":
        // Our own words about the shape of the answer, never its content.
        return this.message;
      case "aborted":
        return "the request was stopped";
    }
  }
}

/**
 * The reason to show a user: the category in our words and, when LiteLLM
 * gave one, its request id (what an operator needs to find the details).
 */
export function describeLiteLLMFailure(error: LiteLLMError): string {
  return error.requestId ? `${error.userMessage} [LiteLLM request ${error.requestId}]` : error.userMessage;
}

// ---------------------------------------------------------------------------
// Reading LiteLLM's answers
// ---------------------------------------------------------------------------

/** Response headers, read by name (a `Headers` fits). */
export interface HeaderReader {
  get(name: string): string | null;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** LiteLLM's id of a request: `x-litellm-call-id`, else `x-request-id`; only when it looks like an id. */
export function requestIdOf(headers: HeaderReader): string | undefined {
  for (const name of ["x-litellm-call-id", "x-request-id"]) {
    const value = headers.get(name)?.trim();
    if (value && REQUEST_ID.test(value)) return value;
  }
  return undefined;
}

const DAY_MS = 86_400_000;

/**
 * How long a 429 asks us to wait, in ms: `retry-after-ms`, `retry-after`
 * (seconds or an HTTP date), the provider's own `retry-after` that LiteLLM
 * passes on as `llm_provider-retry-after`, else the later of the
 * `x-ratelimit-reset-{requests,tokens}` (seconds, or OpenAI's `1m30s`/`20ms`).
 * Undefined when none says; capped at a day.
 */
export function retryAfterMsOf(headers: HeaderReader, now: number): number | undefined {
  const cap = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) || ms < 0 ? undefined : Math.min(ms, DAY_MS));
  for (const prefix of ["", "llm_provider-"]) {
    const ms = headers.get(`${prefix}retry-after-ms`);
    if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return cap(Number(ms));
    const after = headers.get(`${prefix}retry-after`)?.trim();
    if (after) {
      if (/^\d+(\.\d+)?$/.test(after)) return cap(Number(after) * 1000);
      // An HTTP date names its day and month ("Tue, 01 Dec 2026 21:16:04 GMT").
      const date = /[a-z]/i.test(after) ? Date.parse(after) : Number.NaN;
      if (!Number.isNaN(date)) return cap(Math.max(0, date - now));
    }
  }
  const resets = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]
    .map((name) => durationMs(headers.get(name)))
    .filter((ms): ms is number => ms !== undefined);
  return resets.length > 0 ? cap(Math.max(...resets)) : undefined;
}

/** `"12"` (seconds), `"1.5s"`, `"20ms"`, `"6m0s"`, `"1h2m3.5s"` -> ms. */
function durationMs(value: string | null): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(text);
  if (!match || match.slice(1).every((part) => part === undefined)) return undefined;
  const [, h, m, s, ms] = match;
  return Number(h ?? 0) * 3_600_000 + Number(m ?? 0) * 60_000 + Number(s ?? 0) * 1000 + Number(ms ?? 0);
}

/** LiteLLM's `{"error": {message, type, code}}` (or a FastAPI `{"detail": …}`), read leniently. */
export function upstreamErrorOf(body: unknown): { message?: string; type?: string; code?: string } {
  if (typeof body === "string") return { message: body };
  if (!isRecord(body)) return {};
  const error = isRecord(body.error) ? body.error : undefined;
  const message = typeof error?.message === "string"
    ? error.message
    : typeof body.error === "string"
    ? body.error
    : typeof body.detail === "string"
    ? body.detail
    : typeof body.message === "string"
    ? body.message
    : undefined;
  const type = typeof error?.type === "string" ? error.type : undefined;
  const code = typeof error?.code === "string" || typeof error?.code === "number" ? String(error.code) : undefined;
  return { ...(message !== undefined ? { message } : {}), ...(type !== undefined ? { type } : {}), ...(code !== undefined ? { code } : {}) };
}

/**
 * A DB-less LiteLLM refuses a deployment over its `max_budget` with HTTP 429,
 * `type: "internal_server_error"` and this message (litellm
 * `RouterErrors.no_deployments_with_provider_budget_routing`, 1.108.7).
 */
const DEPLOYMENT_BUDGET_CROSSED = "No deployments available - crossed budget";

/**
 * Maps one LiteLLM error answer (an HTTP status with its body, or an error
 * frame inside a stream, whose `error.code` holds the status as a string)
 * to a {@link LiteLLMError}. The decision rests on `error.type` first (a
 * budget refusal is 400, 422 or 429 depending on LiteLLM's version), then on
 * the status. `mask` cleans LiteLLM's text before it is kept for the log.
 */
export function errorFromAnswer(
  answer: { status?: number; body: unknown; headers?: HeaderReader; inStream?: boolean },
  mask: (text: string) => string,
  now: number,
): LiteLLMError {
  const upstream = upstreamErrorOf(answer.body);
  const codeStatus = upstream.code !== undefined && /^\d{3}$/.test(upstream.code) ? Number(upstream.code) : undefined;
  const status = answer.status ?? codeStatus;
  const requestId = answer.headers ? requestIdOf(answer.headers) : undefined;
  const details: LiteLLMErrorDetails = {
    ...(answer.status !== undefined ? { status: answer.status } : {}),
    ...(upstream.message !== undefined ? { upstreamMessage: mask(upstream.message) } : {}),
    ...(upstream.type !== undefined ? { upstreamType: upstream.type } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
  };
  const where = answer.inStream ? "inside the stream" : `HTTP ${status ?? "?"}`;
  const type = upstream.type ?? "";

  if (type === "budget_exceeded" || (status === 429 && upstream.message?.startsWith(DEPLOYMENT_BUDGET_CROSSED))) {
    return new LiteLLMError("budget_exceeded", `LiteLLM refused the request for budget (${where})`, details);
  }
  // Without a database LiteLLM answers a wrong master key with 400 "no_db_connection"
  // (it tried to look the key up as a virtual key): that is our credentials too.
  if (status === 401 || status === 403 || type === "auth_error" || type === "no_db_connection") {
    return new LiteLLMError("auth", `LiteLLM refused the service's credentials (${where}); check LITELLM_MASTER_KEY`, details);
  }
  if (status === 429) {
    const retryAfterMs = answer.headers ? retryAfterMsOf(answer.headers, now) : undefined;
    return new LiteLLMError("rate_limited", `LiteLLM is rate limiting requests (${where})`, {
      ...details,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (status === 408 || status === 504) return new LiteLLMError("timeout", `LiteLLM timed out (${where})`, details);
  if (status === 502 || status === 503) return new LiteLLMError("unreachable", `LiteLLM or its provider is unavailable (${where})`, details);
  if (status !== undefined && status >= 400 && status < 500) {
    return new LiteLLMError("bad_request", `LiteLLM refused the request (${where})`, details);
  }
  return new LiteLLMError("upstream", `LiteLLM failed (${where})`, details);
}

/**
 * LiteLLM's own text, made safe to log: the master key is masked whole and in
 * any 8-character piece (LiteLLM echoes keys cut short, e.g. "Received API
 * Key = sk-...abcd"), then the generic token and key patterns; at most 500
 * characters.
 */
export function maskSecret(text: string, secret: string | undefined): string {
  let masked = text;
  if (secret) {
    masked = masked.split(secret).join("[redacted]");
    for (let i = 0; i + 8 <= secret.length; i++) {
      const piece = secret.slice(i, i + 8);
      if (masked.includes(piece)) masked = masked.split(piece).join("[redacted]");
    }
  }
  return redact(masked).slice(0, 500);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
