/**
 * Who is calling: token extraction (Bearer header; on the socket, also the
 * `access-token` query or a `Sec-WebSocket-Protocol` entry),
 * the role rule, and a verifier with a bounded cache of verified tokens.
 *
 * Identity comes from a verified token only; client-supplied `x-user-*`
 * headers are never read here. The gateway check and the service find a
 * request's token with the same function, {@link requestToken}, so the
 * identity the gateway vouches for is the one the service acts as.
 *
 * @module
 */
import { JWT_FAILURE_CODES, type JwtFailureCode, type JwtKeys, type JwtUser, verifyJwt } from "./jwt.ts";
import { protocolTokens, TOKEN_PROTOCOL_PREFIX } from "./socket-auth.ts";

/** Why a request was answered 401: no token, two different tokens, or the token's verification failure. */
export type RefusalCode = JwtFailureCode | "missing_token" | "ambiguous_token";

/**
 * The RFC 6750 challenge of a 401, one per refusal code, built once (the
 * gateway check sends these on its hot path). A request that carried no
 * token gets the bare scheme (§3.1: no error information when no
 * credentials were sent); a refused token gets `error="invalid_token"` and
 * its failure code as `error_description` (`expired`, `bad_signature`, ...),
 * so whoever holds the token can tell why it was refused. The code says
 * nothing about the secret or the token beyond what its holder can check.
 */
export const WWW_AUTHENTICATE: Readonly<Record<RefusalCode, string>> = Object.freeze(
  Object.fromEntries([
    ["missing_token", "Bearer"],
    // RFC 6750 §3.1: more than one method of passing a token is an invalid request.
    ["ambiguous_token", 'Bearer error="invalid_request", error_description="ambiguous_token"'],
    ...JWT_FAILURE_CODES.map((code) => [code, `Bearer error="invalid_token", error_description="${code}"`]),
  ]) as Record<RefusalCode, string>,
);

/** Roles admitted to agents; the gateway check and the service agree on it. */
export const ALLOWED_ROLES: ReadonlySet<string> = new Set(["REGULAR", "ADMIN"]);

export function isAllowedRole(role: string): boolean {
  return ALLOWED_ROLES.has(role);
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or undefined. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  return BEARER.exec(header)?.[1];
}

/** The query parameter that carries a token (the reference frontend's WebSocket URL). */
export const ACCESS_TOKEN_PARAM = "access-token";

/** Where a request may carry its token. */
export interface TokenSources {
  /** The request target: a path with its query (`/api/agents/a/react?access-token=…`) or an absolute URL. */
  readonly target: string;
  /** The `Authorization` header. */
  readonly authorization?: string | null | undefined;
  /** The `Sec-WebSocket-Protocol` header (see socket-auth.ts). */
  readonly protocols?: string | null | undefined;
}

/** A request that carries two different tokens: refused, since no one can say whose it is. */
export const AMBIGUOUS_TOKEN: unique symbol = Symbol("ambiguous token");

const PARSE_BASE = "http://request-token.invalid";

/**
 * The token of a request, for the gateway check and the service alike, so
 * both always act for the same user:
 *
 * - `Authorization: Bearer`, on every route;
 * - on the socket route (`${apiPrefix}/agents/:id/react`) only, also a
 *   `Sec-WebSocket-Protocol` token entry (socket-auth.ts), and the
 *   `access-token` query parameter of the reference frontend (browsers cannot
 *   set a WebSocket's other headers), read as the WHATWG URL parser reads
 *   it: `acc%65ss-token=` counts, what follows a `#` does not. On other
 *   routes these are not credentials (URLs end up in logs).
 *
 * Empty values count as absent. Several different tokens (two parameters, or
 * a parameter and a header that disagree) give {@link AMBIGUOUS_TOKEN}; the
 * same one twice is fine. The usual requests cost a few string scans: the
 * URL is parsed only when its query could name the parameter or a protocol
 * entry carries a token.
 */
export function requestToken(sources: TokenSources, apiPrefix: string): string | undefined | typeof AMBIGUOUS_TOKEN {
  let token = bearerToken(sources.authorization);
  const target = sources.target;
  const inQuery = mayHaveQueryToken(target);
  const inProtocols = sources.protocols?.includes(TOKEN_PROTOCOL_PREFIX) === true;
  if (!inQuery && !inProtocols) return token;
  let url: URL;
  try {
    url = new URL(target, PARSE_BASE);
  } catch {
    return AMBIGUOUS_TOKEN; // a target no one reads the same way twice
  }
  if (!isSocketPath(url.pathname, apiPrefix)) return token;
  const found = [
    ...(inQuery ? url.searchParams.getAll(ACCESS_TOKEN_PARAM) : []),
    ...(inProtocols ? protocolTokens(sources.protocols) : []),
  ];
  for (const value of found) {
    if (value === "") continue;
    if (token !== undefined && token !== value) return AMBIGUOUS_TOKEN;
    token = value;
  }
  return token;
}

/** Whether a target's query could hold an `access-token` parameter once decoded; false for nearly every REST call. */
function mayHaveQueryToken(target: string): boolean {
  const queryAt = target.indexOf("?");
  if (queryAt < 0) return false;
  // What the URL parser decodes (%) or drops (tab, newline) could spell the name.
  return target.indexOf(ACCESS_TOKEN_PARAM, queryAt) >= 0 || target.indexOf("%", queryAt) >= 0 ||
    target.indexOf("\t", queryAt) >= 0 || target.indexOf("\n", queryAt) >= 0 || target.indexOf("\r", queryAt) >= 0;
}

/** `${apiPrefix}/agents/<id>/react`, with the trailing slashes the router tolerates. */
function isSocketPath(path: string, apiPrefix: string): boolean {
  const base = `${apiPrefix}/agents/`;
  if (!path.startsWith(base)) return false;
  const slash = path.indexOf("/", base.length);
  return slash > base.length && /^\/react\/*$/.test(path.slice(slash));
}

/** The outcome of authenticating a request. */
export type AuthResult =
  | { readonly ok: true; readonly user: JwtUser; readonly exp: number }
  | { readonly ok: false; readonly status: 401; readonly code: RefusalCode }
  | { readonly ok: false; readonly status: 403; readonly code: "role_not_allowed"; readonly user: JwtUser };

export interface TokenVerifierOptions {
  /** Current key first, then keys being rotated out. */
  readonly keys: JwtKeys;
  readonly clockSkewSeconds?: number;
  /** Verified tokens kept; 0 disables the cache. */
  readonly cacheSize?: number;
  /** Clock in ms; injected by tests. */
  readonly now?: () => number;
}

interface CachedToken {
  readonly user: JwtUser;
  readonly exp: number;
}

/**
 * Verifies tokens and remembers the ones that passed, so a repeated token
 * costs a map lookup instead of an HMAC. A cached token is still refused the
 * moment it expires: expiry is checked on every hit.
 */
export class TokenVerifier {
  readonly #keys: JwtKeys;
  readonly #skew: number;
  readonly #cacheSize: number;
  readonly #now: () => number;
  // Map iteration order is insertion order: re-inserting on a hit makes it an LRU.
  readonly #cache = new Map<string, CachedToken>();

  constructor(options: TokenVerifierOptions) {
    this.#keys = options.keys;
    this.#skew = options.clockSkewSeconds ?? 30;
    this.#cacheSize = options.cacheSize ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Seconds of leeway applied to `exp` and `nbf`. */
  get clockSkewSeconds(): number {
    return this.#skew;
  }

  /** The current time in ms, from the injected clock. */
  now(): number {
    return this.#now();
  }

  /** Authenticates a raw token: 401 when missing or invalid, 403 when the role is not admitted. */
  authenticate(token: string | undefined): AuthResult {
    if (!token) return { ok: false, status: 401, code: "missing_token" };
    const now = this.#now();
    const cached = this.#cache.get(token);
    let user: JwtUser;
    let exp: number;
    if (cached && Math.floor(now / 1000) <= cached.exp + this.#skew) {
      ({ user, exp } = cached);
      this.#cache.delete(token);
      this.#cache.set(token, cached);
    } else {
      if (cached) this.#cache.delete(token);
      const result = verifyJwt(token, this.#keys, { now, clockSkewSeconds: this.#skew });
      if (!result.ok) return { ok: false, status: 401, code: result.code };
      ({ user, exp } = result);
      this.#remember(token, { user, exp });
    }
    if (!isAllowedRole(user.role)) return { ok: false, status: 403, code: "role_not_allowed", user };
    return { ok: true, user, exp };
  }

  /** Milliseconds until a token with this `exp` stops being accepted. */
  msUntilExpiry(exp: number): number {
    return (exp + this.#skew + 1) * 1000 - this.#now();
  }

  /** Number of tokens currently cached (for tests and metrics). */
  get cachedTokens(): number {
    return this.#cache.size;
  }

  #remember(token: string, entry: CachedToken): void {
    if (this.#cacheSize <= 0) return;
    if (this.#cache.size >= this.#cacheSize) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
    this.#cache.set(token, entry);
  }
}

/** Authenticates the token {@link requestToken} finds; two different tokens are a 401. */
export function authenticateSources(verifier: TokenVerifier, sources: TokenSources, apiPrefix: string): AuthResult {
  const token = requestToken(sources, apiPrefix);
  if (token === AMBIGUOUS_TOKEN) return { ok: false, status: 401, code: "ambiguous_token" };
  return verifier.authenticate(token);
}

/** Authenticates an HTTP request by the token {@link requestToken} finds in it. */
export function authenticateRequest(verifier: TokenVerifier, request: Request, apiPrefix: string): AuthResult {
  const { headers } = request;
  const sources = { target: request.url, authorization: headers.get("authorization"), protocols: headers.get("sec-websocket-protocol") };
  return authenticateSources(verifier, sources, apiPrefix);
}
