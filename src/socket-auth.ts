/**
 * The `/react` WebSocket's token in a `Sec-WebSocket-Protocol` entry instead
 * of its URL: URLs end up in logs (nginx writes the whole request line, query
 * included, to its error log when an upstream fails), and a browser cannot
 * set any other header on a WebSocket. Kubernetes' API server does the same
 * with `base64url.bearer.authorization.k8s.io.<token>`.
 *
 * The client offers two subprotocols: {@link SOCKET_PROTOCOL}, which the
 * service selects, and {@link TOKEN_PROTOCOL_PREFIX} followed by the token
 * as unpadded base64url. The 101 answer names only {@link SOCKET_PROTOCOL},
 * never the entry with the token.
 *
 * The one contract between the service and its clients: pure, Web APIs only,
 * bundled into the browser client.
 *
 * @example
 * ```ts
 * const socket = new WebSocket(`wss://example.org/api/agents/${id}/react`, socketProtocols(token));
 * ```
 *
 * @module
 */

/** The subprotocol the service selects; a client that sends its token in a protocol entry offers it too. */
export const SOCKET_PROTOCOL = "agent-service.v1";

/** Starts the protocol entry that carries the token (base64url, no padding, after the prefix). */
export const TOKEN_PROTOCOL_PREFIX = "base64url.bearer.authorization.agent-service.";

/** The subprotocols to offer for a token: the one the service selects, and the token's entry. */
export function socketProtocols(token: string): string[] {
  return [SOCKET_PROTOCOL, tokenProtocol(token)];
}

/** The protocol entry carrying `token`: the prefix and the token's UTF-8 bytes as unpadded base64url. */
export function tokenProtocol(token: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(token)) binary += String.fromCharCode(byte);
  return TOKEN_PROTOCOL_PREFIX + btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The subprotocols a `Sec-WebSocket-Protocol` header offers, in order (entries are comma-separated). */
export function offeredProtocols(header: string | null | undefined): string[] {
  if (!header) return [];
  return header.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The tokens carried by the header's token entries. An entry that is not
 * valid unpadded base64url of UTF-8 stands for itself: a token that will not
 * verify, so the request is refused rather than read as carrying none.
 */
export function protocolTokens(header: string | null | undefined): string[] {
  const tokens: string[] = [];
  for (const entry of offeredProtocols(header)) {
    if (!entry.startsWith(TOKEN_PROTOCOL_PREFIX)) continue;
    const encoded = entry.slice(TOKEN_PROTOCOL_PREFIX.length);
    tokens.push(decodeBase64url(encoded) ?? entry);
  }
  return tokens;
}

function decodeBase64url(encoded: string): string | undefined {
  if (encoded === "" || encoded.length % 4 === 1 || !BASE64URL.test(encoded)) return undefined;
  try {
    const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}
