/**
 * Pure HS256 JSON Web Token verification and signing.
 *
 * No environment reads, no I/O, no logging, no clock of its own and no
 * mutable module state: every input comes in through the arguments, so the
 * same call gives the same answer on Node, Deno and Bun. `verifyJwt` never
 * throws for a token; it returns either the verified user or one stable
 * failure code.
 *
 * HMAC runs on `node:crypto` (synchronous, available on all three runtimes):
 * an awaited WebCrypto call per token costs several times more than the MAC.
 *
 * @example Verify a token, rotating keys
 * ```ts
 * import assert from "node:assert/strict";
 * import { signJwt, verifyJwt } from "agent-service/jwt";
 *
 * const current = "0123456789abcdef0123456789abcdef";
 * const previous = "fedcba9876543210fedcba9876543210";
 * const token = signJwt({ sub: "alice", userId: 42, exp: Math.floor(Date.now() / 1000) + 60 }, previous);
 *
 * const result = verifyJwt(token, [current, previous]);
 * assert.ok(result.ok);
 * assert.deepEqual(result.user, { uid: 42, name: "alice", email: "", role: "REGULAR" });
 *
 * const refused = verifyJwt(token, current);
 * assert.equal(refused.ok ? "ok" : refused.code, "bad_signature");
 * ```
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";

/** Why a token was refused. Stable: callers may switch on it. */
export type JwtFailureCode =
  /** Longer than `maxTokenLength`; refused before any parsing. */
  | "too_large"
  /** Not three strict base64url segments, or a header/payload that is not a JSON object. */
  | "malformed"
  /** The header's `alg` is not exactly `HS256` (this includes `none` and a missing `alg`). */
  | "alg_not_allowed"
  /** The header carries `crit`: no critical extension is understood here. */
  | "crit_not_supported"
  /** No key produced this MAC. */
  | "bad_signature"
  /** `now > exp + clockSkew`. */
  | "expired"
  /** `nbf > now + clockSkew`. */
  | "not_yet_valid"
  /** `exp`, `sub` or `userId` is absent. */
  | "missing_claim"
  /** A claim has the wrong type or value (non-numeric `exp`, empty `sub`, `userId` "abc", …). */
  | "invalid_claim";

/** Every failure code, for exhaustive tests and metrics labels. */
export const JWT_FAILURE_CODES: readonly JwtFailureCode[] = Object.freeze([
  "too_large",
  "malformed",
  "alg_not_allowed",
  "crit_not_supported",
  "bad_signature",
  "expired",
  "not_yet_valid",
  "missing_claim",
  "invalid_claim",
]);

/** The user a verified token speaks for (the reference service's mapping). */
export interface JwtUser {
  /** `userId` claim as a positive integer. */
  readonly uid: number;
  /** `sub` claim. */
  readonly name: string;
  /** `email` claim, or "" when absent. */
  readonly email: string;
  /** `role` claim, or "REGULAR" when absent. Not checked here: authorization is the caller's job. */
  readonly role: string;
}

/** A verified token. */
export interface JwtSuccess {
  readonly ok: true;
  readonly user: JwtUser;
  /** The whole verified payload. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** `exp` in seconds since the epoch. */
  readonly exp: number;
}

/** A refused token. `message` is safe to log: it never contains the token, a claim's value or a key. */
export interface JwtFailure {
  readonly ok: false;
  readonly code: JwtFailureCode;
  readonly message: string;
}

export type JwtResult = JwtSuccess | JwtFailure;

/** A shared secret: its UTF-8 bytes (a string) or raw bytes. */
export type JwtKey = string | Uint8Array;

/** One key, or several during a rotation (the token verifies if any matches). */
export type JwtKeys = JwtKey | readonly JwtKey[];

export interface VerifyJwtOptions {
  /** Current time in milliseconds since the epoch. Default `Date.now()`. */
  readonly now?: number;
  /** Seconds of leeway for `exp`, `nbf` and `maxTokenAge`. Default 30 (the reference service's rule). */
  readonly clockSkewSeconds?: number;
  /** Longest token accepted, in characters, checked before any work. Default 8192. */
  readonly maxTokenLength?: number;
  /**
   * Expected issuer(s). When set, `iss` is required (`missing_claim`) and
   * must equal one of them (`invalid_claim`). Default: `iss` is not checked.
   */
  readonly issuer?: string | readonly string[];
  /**
   * Expected audience(s). When set, `aud` is required (`missing_claim`) and,
   * a string or an array of strings, must contain one of them
   * (`invalid_claim`). Default: `aud` is not checked.
   */
  readonly audience?: string | readonly string[];
  /**
   * Expected `typ` header parameter, compared as jose compares it: ignoring
   * case and an `application/` prefix (`"JWT"` matches `"jwt"` and
   * `"application/jwt"`). When set, a token without it is `invalid_claim`.
   * Default: `typ` is not checked.
   */
  readonly typ?: string;
  /**
   * Largest age in seconds, counted from `iat` (jose's `maxTokenAge` as a
   * number). When set, `iat` is required (`missing_claim`); a token issued
   * more than `maxTokenAge + clockSkewSeconds` ago is `expired`, one issued
   * more than `clockSkewSeconds` in the future `invalid_claim`. Default: no
   * limit (only `exp` bounds a token's life).
   */
  readonly maxTokenAge?: number;
}

/** Default leeway for `exp`/`nbf`, in seconds. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
/** Default bound on a token's length, in characters. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const DIGITS = /^[1-9][0-9]*$/;
/** An HMAC-SHA256 is 32 bytes: 43 base64url characters, the last carrying 2 unused (zero) bits. */
const SIGNATURE_LENGTH = 43;
const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// Strict UTF-8: a token whose JSON is not valid UTF-8 is malformed, not
// repaired; a byte-order mark is kept, so JSON.parse refuses it (RFC 8259 §8.1).
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The encodings of the headers that real issuers send (this module's
 * `signJwt`, jose, jjwt, jose4j), decoded once at load and frozen: a token
 * with one of them skips a base64 decode and a JSON parse. Nothing is ever
 * added, so no input can change what the next call does.
 */
const KNOWN_HEADERS: ReadonlyMap<string, Readonly<Record<string, unknown>>> = new Map(
  [{ alg: "HS256", typ: "JWT" }, { typ: "JWT", alg: "HS256" }, { alg: "HS256" }].map((header) => [
    Buffer.from(JSON.stringify(header), "utf8").toString("base64url"),
    Object.freeze(header),
  ]),
);

/** The checks a caller asked for beyond the defaults, normalised once per call. */
interface ClaimRules {
  readonly now: number;
  readonly skew: number;
  readonly issuers: readonly string[] | undefined;
  readonly audiences: readonly string[] | undefined;
  readonly typ: string | undefined;
  readonly maxTokenAge: number | undefined;
}

function fail(code: JwtFailureCode, message: string): JwtFailure {
  return { ok: false, code, message };
}

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(Buffer.from(segment, "base64url")));
  } catch {
    return undefined;
  }
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function keyList(keys: JwtKeys): readonly JwtKey[] {
  const list = typeof keys === "string" || keys instanceof Uint8Array ? [keys] : keys;
  if (!Array.isArray(list) || list.length === 0) throw new TypeError("verifyJwt needs at least one key");
  for (const key of list) {
    if (!(typeof key === "string" || key instanceof Uint8Array) || key.length === 0) {
      throw new TypeError("verifyJwt keys must be non-empty strings or Uint8Arrays");
    }
  }
  return list;
}

function finiteOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) throw new TypeError(`verifyJwt option ${name} must be a finite number`);
  return value;
}

function stringsOption(name: string, value: string | readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === "string" && item.length > 0)) {
    throw new TypeError(`verifyJwt option ${name} must be a non-empty string or a non-empty array of them`);
  }
  return list;
}

/** jose's rule: `typ` values compare without case and without an `application/` prefix. */
function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return lower.startsWith("application/") ? lower.slice("application/".length) : lower;
}

function mac(key: JwtKey, signingInput: string): Buffer {
  return createHmac("sha256", key).update(signingInput).digest();
}

/**
 * Verifies an HS256 JWT and maps its claims to a {@link JwtUser}.
 *
 * Rules: three strict base64url segments; a JSON-object header whose `alg` is
 * exactly `HS256` and that has no `crit`; an HMAC-SHA256 over the received
 * `header.payload` bytes equal (in constant time) to the signature under one
 * of `keys`; a JSON-object payload (strict UTF-8) with a numeric `exp`
 * (expired when `now > exp + skew`), an `nbf` honoured when present, a
 * non-empty string `sub` and a `userId` that is a positive integer or a
 * string of digits. `issuer`, `audience`, `typ` and `maxTokenAge` add their
 * checks when given (see {@link VerifyJwtOptions}); every claim is checked
 * only after the signature.
 *
 * Never throws for any token, however hostile: every token gives a
 * {@link JwtResult}. It throws a `TypeError` only for a programming error in
 * the call itself: no key, an empty key, or an option of the wrong type (a
 * non-finite `now` would otherwise accept expired tokens).
 *
 * @example Refuse a request whose token is not for this service
 * ```ts
 * import assert from "node:assert/strict";
 * import { signJwt, verifyJwt } from "agent-service/jwt";
 *
 * const secret = "0123456789abcdef0123456789abcdef";
 * const now = Date.UTC(2026, 0, 1);
 * const exp = now / 1000 + 3600;
 * const options = { now, issuer: "https://login.example.com", audience: "agent-service", typ: "JWT", maxTokenAge: 600 };
 *
 * const good = signJwt({ sub: "bob", userId: 7, iss: "https://login.example.com", aud: ["agent-service"], iat: now / 1000, exp }, secret);
 * const result = verifyJwt(good, secret, options);
 * assert.ok(result.ok);
 * assert.equal(result.user.uid, 7);
 *
 * const otherAudience = signJwt({ sub: "bob", userId: 7, iss: "https://login.example.com", aud: "billing", iat: now / 1000, exp }, secret);
 * const refused = verifyJwt(otherAudience, secret, options);
 * assert.ok(!refused.ok);
 * assert.equal(refused.code, "invalid_claim");
 * assert.equal(refused.message, "aud claim does not include the expected audience");
 *
 * const stale = signJwt({ sub: "bob", userId: 7, iss: "https://login.example.com", aud: "agent-service", iat: now / 1000 - 3600, exp }, secret);
 * assert.equal((verifyJwt(stale, secret, options) as { code: string }).code, "expired");
 * ```
 */
export function verifyJwt(token: unknown, keys: JwtKeys, options: VerifyJwtOptions = {}): JwtResult {
  const keyring = keyList(keys);
  const now = finiteOption("now", options.now, Number.NaN);
  const maxLength = finiteOption("maxTokenLength", options.maxTokenLength, DEFAULT_MAX_TOKEN_LENGTH);
  const typ = options.typ;
  if (typ !== undefined && (typeof typ !== "string" || typ.length === 0)) throw new TypeError("verifyJwt option typ must be a non-empty string");
  const maxTokenAge = options.maxTokenAge === undefined ? undefined : finiteOption("maxTokenAge", options.maxTokenAge, 0);
  if (maxTokenAge !== undefined && maxTokenAge < 0) throw new TypeError("verifyJwt option maxTokenAge must not be negative");
  const rules: ClaimRules = {
    now: Number.isNaN(now) ? Date.now() : now,
    skew: finiteOption("clockSkewSeconds", options.clockSkewSeconds, DEFAULT_CLOCK_SKEW_SECONDS),
    issuers: stringsOption("issuer", options.issuer),
    audiences: stringsOption("audience", options.audience),
    typ: typ === undefined ? undefined : normalizeTyp(typ),
    maxTokenAge,
  };
  try {
    return verify(token, keyring, maxLength, rules);
  } catch {
    // Unreachable by design; kept so a bug here can only ever refuse a token.
    return fail("malformed", "token could not be processed");
  }
}

function verify(token: unknown, keys: readonly JwtKey[], maxLength: number, rules: ClaimRules): JwtResult {
  if (typeof token !== "string") return fail("malformed", "token is not a string");
  if (token.length > maxLength) return fail("too_large", `token is longer than ${maxLength} characters`);
  if (!TOKEN_SHAPE.test(token)) return fail("malformed", "token must be three non-empty unpadded base64url segments");

  const firstDot = token.indexOf(".");
  const secondDot = token.indexOf(".", firstDot + 1);
  const headerSegment = token.slice(0, firstDot);
  const payloadSegment = token.slice(firstDot + 1, secondDot);
  const signatureSegment = token.slice(secondDot + 1);
  if (headerSegment.length % 4 === 1 || payloadSegment.length % 4 === 1 || signatureSegment.length % 4 === 1) {
    return fail("malformed", "a segment has an impossible base64url length");
  }

  // The header is checked before the MAC, as jose does: an alg other than
  // HS256 is refused as such, whatever its signature.
  let header = KNOWN_HEADERS.get(headerSegment);
  if (!header) {
    header = decodeJsonObject(headerSegment);
    if (!header) return fail("malformed", "header is not a JSON object");
    if (header.alg !== "HS256") return fail("alg_not_allowed", "alg must be HS256");
    if ("crit" in header) return fail("crit_not_supported", "crit header parameters are not supported");
  }

  // Only the canonical spelling of the 32 MAC bytes is accepted: 43
  // characters whose last one leaves its 2 spare bits at zero.
  if (
    signatureSegment.length !== SIGNATURE_LENGTH ||
    (BASE64URL_ALPHABET.indexOf(signatureSegment[SIGNATURE_LENGTH - 1]!) & 0b11) !== 0
  ) {
    return fail("bad_signature", "signature does not match");
  }
  const received = Buffer.from(signatureSegment, "base64url");
  const signingInput = token.slice(0, secondDot);
  let matched = false;
  for (const key of keys) {
    // Every key is tried, so the time taken does not say which one matched.
    if (timingSafeEqual(mac(key, signingInput), received)) matched = true;
  }
  if (!matched) return fail("bad_signature", "signature does not match");

  if (rules.typ !== undefined && (typeof header.typ !== "string" || normalizeTyp(header.typ) !== rules.typ)) {
    return fail("invalid_claim", "typ header parameter is not the expected type");
  }
  const claims = decodeJsonObject(payloadSegment);
  if (!claims) return fail("malformed", "payload is not a JSON object");
  return checkClaims(claims, rules);
}

function isNumericDate(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function checkClaims(claims: Record<string, unknown>, rules: ClaimRules): JwtResult {
  const { skew } = rules;
  const nowSeconds = Math.floor(rules.now / 1000);

  const { exp, nbf, iat, sub, userId, email, role } = claims;
  if (exp === undefined) return fail("missing_claim", "exp claim is required");
  if (!isNumericDate(exp)) return fail("invalid_claim", "exp claim must be a number");
  if (nbf !== undefined && !isNumericDate(nbf)) return fail("invalid_claim", "nbf claim must be a number");
  if (iat !== undefined && !isNumericDate(iat)) return fail("invalid_claim", "iat claim must be a number");
  if (nowSeconds > exp + skew) return fail("expired", "token has expired");
  if (nbf !== undefined && nbf > nowSeconds + skew) return fail("not_yet_valid", "token is not valid yet");
  if (rules.maxTokenAge !== undefined) {
    if (iat === undefined) return fail("missing_claim", "iat claim is required");
    // jose's rule, in the same order: too old is expired, issued in the future is invalid.
    const age = nowSeconds - iat;
    if (age - skew > rules.maxTokenAge) return fail("expired", "token is older than the maximum token age");
    if (age < -skew) return fail("invalid_claim", "iat claim is in the future");
  }
  const optional = checkIssuerAndAudience(claims, rules);
  if (optional) return optional;

  if (sub === undefined) return fail("missing_claim", "sub claim is required");
  if (typeof sub !== "string" || sub.length === 0 || !isWellFormed(sub)) {
    return fail("invalid_claim", "sub claim must be a non-empty string");
  }
  if (userId === undefined || userId === null) return fail("missing_claim", "userId claim is required");
  const uid = parseUserId(userId);
  if (uid === undefined) return fail("invalid_claim", "userId claim must be a positive integer");
  if (email !== undefined && email !== null && (typeof email !== "string" || !isWellFormed(email))) {
    return fail("invalid_claim", "email claim must be a string");
  }
  if (role !== undefined && role !== null && (typeof role !== "string" || role.length === 0 || !isWellFormed(role))) {
    return fail("invalid_claim", "role claim must be a non-empty string");
  }

  const user: JwtUser = Object.freeze({
    uid,
    name: sub,
    email: typeof email === "string" ? email : "",
    role: typeof role === "string" ? role : "REGULAR",
  });
  return { ok: true, user, claims: Object.freeze(claims), exp };
}

function checkIssuerAndAudience(claims: Record<string, unknown>, rules: ClaimRules): JwtFailure | undefined {
  if (rules.issuers) {
    const { iss } = claims;
    if (iss === undefined) return fail("missing_claim", "iss claim is required");
    if (typeof iss !== "string" || !rules.issuers.includes(iss)) return fail("invalid_claim", "iss claim is not an expected issuer");
  }
  if (rules.audiences) {
    const { aud } = claims;
    if (aud === undefined) return fail("missing_claim", "aud claim is required");
    const audiences = typeof aud === "string" ? [aud] : aud;
    if (!Array.isArray(audiences) || !audiences.some((a) => typeof a === "string" && rules.audiences!.includes(a))) {
      return fail("invalid_claim", "aud claim does not include the expected audience");
    }
  }
  return undefined;
}

/**
 * No lone surrogates: JSON's \ud800 escapes can put one in a string that is
 * not valid Unicode, and such a name cannot be encoded into a header or UTF-8.
 */
function isWellFormed(value: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value);
}

function parseUserId(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  if (typeof value === "string" && DIGITS.test(value)) {
    const uid = Number(value);
    return Number.isSafeInteger(uid) ? uid : undefined;
  }
  return undefined;
}

/**
 * Signs `claims` as an HS256 JWT. For tests and development tokens; the
 * service itself only verifies.
 *
 * @example Mint a development token
 * ```ts
 * import assert from "node:assert/strict";
 * import { signJwt, verifyJwt } from "agent-service/jwt";
 *
 * const secret = "0123456789abcdef0123456789abcdef";
 * const token = signJwt({ sub: "dev", userId: 1, role: "ADMIN", exp: Math.floor(Date.now() / 1000) + 3600 }, secret);
 * assert.equal(token.split(".").length, 3);
 * assert.equal(verifyJwt(token, secret).ok, true);
 * ```
 */
export function signJwt(
  claims: Record<string, unknown>,
  key: JwtKey,
  header: Record<string, unknown> = { alg: "HS256", typ: "JWT" },
): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
  const signingInput = `${encode(header)}.${encode(claims)}`;
  return `${signingInput}.${mac(key, signingInput).toString("base64url")}`;
}
