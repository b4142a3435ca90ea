/**
 * The stable, machine-readable codes of every error the service answers:
 * `{"error": "<message for people>", "code": "<one of these>"}` on REST, and
 * the same pair in socket `error` events. Messages may change; codes do not.
 * The client library exports {@link ErrorCode} and exposes the code on its
 * errors.
 *
 * @module
 */

/** Every code, with the HTTP status it comes with on REST (the socket sends the same codes). */
export const ERROR_CODES = {
  /** The request is malformed or a field is invalid (the message names the field). */
  invalid_request: 400,
  /** The body is not valid JSON (or not UTF-8). */
  invalid_json: 400,
  /** No token, or a token that is not valid (expired, bad signature, ...). */
  unauthorized: 401,
  /** A valid token whose role may not use agents. */
  forbidden: 403,
  /** No such route. */
  not_found: 404,
  /** No such agent, or not the caller's. */
  agent_not_found: 404,
  /** No such step in the agent. */
  step_not_found: 404,
  /** The agent has a run going (one per agent, across every replica). */
  agent_busy: 409,
  /** The body is larger than `MAX_BODY_BYTES`. */
  payload_too_large: 413,
  /** Only `application/json` bodies are accepted. */
  unsupported_media_type: 415,
  /** The socket endpoint needs a WebSocket upgrade. */
  upgrade_required: 426,
  /** A per-user limit was reached (agents, sockets, runs, tokens or cost per day). */
  quota_exceeded: 429,
  /** Too many requests from this user in a short time; `Retry-After` says when to retry. */
  too_many_requests: 429,
  /** The agent's history has as many steps as it may: clear it or start a new agent (socket only). */
  history_full: 409,
  /** The model's answer was longer than MAX_STEP_CHARS (socket only; in the run's last step). */
  answer_too_long: 502,
  /** LiteLLM (or a provider behind it) is rate limiting. */
  rate_limited: 429,
  /** The user's LiteLLM budget is spent. */
  budget_exceeded: 429,
  /** An unexpected failure; the details are in the service log. */
  internal_error: 500,
  /** LiteLLM answered with an error. */
  upstream_error: 502,
  /** LiteLLM refused the request as malformed (e.g. an unknown model). */
  upstream_bad_request: 502,
  /** LiteLLM refused the service's own credentials: a server misconfiguration. */
  upstream_misconfigured: 502,
  /** LiteLLM sent something that is not a valid answer. */
  upstream_protocol: 502,
  /** LiteLLM cannot be reached. */
  upstream_unavailable: 502,
  /** LiteLLM did not answer in time. */
  upstream_timeout: 504,
  /** The service is shutting down. */
  service_shutting_down: 503,
  /** The service cannot serve this now (e.g. the playground is not built). */
  service_unavailable: 503,
  /** The agent store (the database) cannot be reached; retry shortly. */
  store_unavailable: 503,
  /** A run was stopped by its user (socket only). */
  stopped: 200,
  /** A run's service instance stopped mid-turn (socket only; in the run's last step). */
  interrupted: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The code an error answer with this status has when no more specific one applies. */
export function defaultCode(status: number): ErrorCode {
  switch (status) {
    case 400:
      return "invalid_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 409:
      return "agent_busy";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 426:
      return "upgrade_required";
    case 429:
      return "quota_exceeded";
    case 503:
      return "service_unavailable";
    default:
      return status >= 500 && status < 600 && status !== 500 ? "upstream_error" : "internal_error";
  }
}
