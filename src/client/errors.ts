/**
 * The one error type the client throws: it carries the server's status, its
 * stable error `code` and its `{"error": "…", "code": "…"}` message, so a
 * failed call never goes unnoticed or unexplained, and a program can branch
 * on the code (the table is `ERROR_CODES` in the service, `ErrorCode` here).
 *
 * @module
 */

import type { ErrorCode } from "../error-codes.ts";

export type { ErrorCode };

/**
 * Where a call failed:
 * - `http`: the server answered with a non-2xx status (see `status` and `message`);
 * - `network`: no answer at all (server down, DNS, CORS, aborted);
 * - `no_token`: `getToken()` gave no token, so nothing was sent;
 * - `bad_response`: a 2xx answer that is not the JSON expected;
 * - `gone`: the agent's socket will not reconnect (the agent is missing or not the caller's).
 */
export type AgentClientErrorKind = "http" | "network" | "no_token" | "bad_response" | "gone";

/**
 * A failed client call.
 *
 * @example
 * ```ts
 * try {
 *   await client.getAgent("nope");
 * } catch (error) {
 *   if (error instanceof AgentClientError && error.code === "agent_not_found") console.log(error.message); // "Agent not found"
 * }
 * ```
 */
export class AgentClientError extends Error {
  /** The HTTP status; 0 when there was no answer. */
  readonly status: number;
  /** Where it failed (`http`: the server answered with an error). */
  readonly kind: AgentClientErrorKind;
  /** The service's stable error code (`agent_not_found`, `agent_busy`, `quota_exceeded`, ...), when it sent one. */
  readonly code: ErrorCode | undefined;
  /** The parsed error body, when the server sent one. */
  readonly body: unknown;
  /**
   * A 401's reason: the `error_description` of its `WWW-Authenticate`
   * challenge (`expired`, `bad_signature`, `malformed`, ...); undefined when
   * the server gave none (no token reached it).
   */
  readonly reason: string | undefined;

  constructor(message: string, options: { status: number; kind: AgentClientErrorKind; code?: ErrorCode | undefined; body?: unknown; cause?: unknown; reason?: string | undefined }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AgentClientError";
    this.status = options.status;
    this.kind = options.kind;
    const bodyCode = (options.body as { code?: unknown } | null | undefined)?.code;
    this.code = options.code ?? (typeof bodyCode === "string" ? bodyCode as ErrorCode : undefined);
    this.body = options.body;
    this.reason = options.reason;
  }
}
