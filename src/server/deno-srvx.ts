/**
 * What `import ... from "srvx"` means on Deno (deno.json maps it here): the
 * `node:http` adapter's `FastResponse`, since Deno serves through `node:http`
 * too (deno.ts). srvx's own Deno build gives a plain `Response`, which the
 * `node:http` path can only send as a stream (chunked, through the Fetch API
 * classes); this one it writes directly, with its length, as on Node.
 *
 * @module
 */
import { FastResponse as NodeFastResponse } from "srvx/node";

/** A `Response` the `node:http` path writes without converting it. */
export const FastResponse = NodeFastResponse as unknown as typeof Response;

/**
 * The Fetch API `Response` behind one of these, for `Deno.serve` (which takes
 * only real ones): built from the body and init it was given.
 */
export function nativeResponse(response: Response): Response {
  const lazy = response as unknown as { readonly _response?: Response };
  return lazy._response ?? response;
}
