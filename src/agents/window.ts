/**
 * What a socket is sent of a conversation at once (`init`, and `headChange`
 * after a checkout): its latest steps, at most a number of them AND at most
 * a number of bytes of JSON. A step count alone let one 5 MB conversation
 * cost every socket that opened on it 5 MB (and 300 of them 3 GB) before any
 * event; older steps are paged over REST (`GET /api/agents/:id/conversation`).
 *
 * @module
 */

/** 256 KiB: a few dozen ordinary steps; the latest step is always sent, whatever its size. */
export const DEFAULT_WINDOW_BYTES = 256 * 1024;

/**
 * The newest steps of `steps` (oldest first) whose JSON fits in `maxBytes`,
 * at least the newest one; `cut` when older ones were left out.
 */
export function latestWithin<T>(steps: readonly T[], maxBytes: number): { steps: T[]; cut: boolean } {
  let bytes = 0;
  let first = steps.length;
  while (first > 0) {
    // UTF-16 length: close enough to the frame's bytes for a bound, and no encoding pass.
    const size = JSON.stringify(steps[first - 1]).length + 1;
    if (first < steps.length && bytes + size > maxBytes) break;
    bytes += size;
    first--;
  }
  return { steps: steps.slice(first), cut: first > 0 };
}
