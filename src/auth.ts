/**
 * Who is calling: token extraction (Bearer header or `access-token` query),
 * the role rule, and a verifier with a bounded cache of verified tokens.
 *
 * Identity comes from a verified token only; client-supplied `x-user-*`
 * headers are never read here.
 *
 * @module
 */
import { JWT_FAILURE_CODES, type JwtFailureCode, type JwtKeys, type JwtUser, verifyJwt } from "./jwt.ts";

/** Why a request was answered 401: no token, or the token's verification failure. */
export type RefusalCode = JwtFailureCode | "missing_token";

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

/** Authenticates an HTTP request by its `Authorization: Bearer` header. */
export function authenticateRequest(verifier: TokenVerifier, request: Request): AuthResult {
  return verifier.authenticate(bearerToken(request.headers.get("authorization")));
}
