/**
 * Request ids: the `X-Request-Id` a request came with when it is a sane
 * one (1 to 128 characters of `A-Z a-z 0-9 . _ ~ : / + = @ -`), else a new
 * UUID. It goes back on the response, on the request's log lines, and with
 * a run's calls to LiteLLM, so one id ties a user's request to all of them.
 *
 * @module
 */
import { randomUuid } from "../ids.ts";

export const REQUEST_ID_HEADER = "x-request-id";

const SANE_REQUEST_ID = /^[A-Za-z0-9._~:/+=@-]{1,128}$/;

/** The request's id: the one it sent if sane, else a fresh one. */
export function requestIdFrom(sent: string | null | undefined): string {
  return sent && SANE_REQUEST_ID.test(sent) ? sent : randomUuid();
}
