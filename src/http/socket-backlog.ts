/**
 * The bound on what a socket may have waiting unsent: a client that stops
 * reading is closed instead of buffered for (SOCKET_MAX_BUFFER_BYTES).
 *
 * Checked before each frame is queued, so one frame always goes out whole
 * (a long conversation's `init` is not refused by it): what is bounded is
 * the backlog behind it, and a socket holds at most the bound plus one
 * frame. Every runtime reports the unsent bytes through crossws's
 * `peer.bufferedAmount` (`ws` on Node and Deno, `getBufferedAmount()` on Bun).
 *
 * The close frame waits behind the backlog: a client that reads again gets
 * it; for one that does not, the runtime drops the connection after its
 * closing timeout (`ws`: 30 s) or the liveness ping goes unanswered
 * (SOCKET_IDLE_SECONDS), whichever comes first.
 *
 * @module
 */
import type { Peer } from "crossws";

/** Try again later: the client fell behind; it may reconnect (with `?after=`) once it reads again. */
export const BACKLOG_CLOSE_CODE = 1013;

/** Whether `peer` has more than `maxBytes` unsent; if so it is closed with 1013, and the caller sends nothing more. */
export function closeIfBacklogged(peer: Peer, maxBytes: number): boolean {
  if (peer.bufferedAmount <= maxBytes) return false;
  try {
    peer.close(BACKLOG_CLOSE_CODE, "client is not reading");
  } catch {
    // Already closing.
  }
  return true;
}
