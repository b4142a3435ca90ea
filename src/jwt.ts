/**
 * Pure HS256 JSON Web Token verification and signing.
 *
 * No environment reads, no I/O, no logging and no clock of its own: every
 * input comes in through the arguments, so the same call gives the same
 * answer on Node and on Deno. `verifyJwt` never throws; it returns either the
 * verified user or one stable failure code.
 *
 * HMAC runs on `node:crypto` (synchronous, available on Node and Deno): an
 * awaited WebCrypto call per token costs several times more than the MAC.
 *
 * @example
 * ```ts
 * import { signJwt, verifyJwt } from "agent-service/jwt";
 *
 * const secret = "0123456789abcdef0123456789abcdef";
 * const token = signJwt({ sub: "alice", userId: 42, exp: Math.floor(Date.now() / 1000) + 60 }, secret);
 * const result = verifyJwt(token, secret);
 * if (result.ok) console.log(result.user.uid); // 42
 * else console.log(result.code); // e.g. "expired"
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

/** A refused token. `message` is safe to log: it never contains the token or a key. */
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
  /** Seconds of leeway for `exp` and `nbf`. Default 30 (the reference service's rule). */
  readonly clockSkewSeconds?: number;
  /** Longest token accepted, in characters, checked before any work. Default 8192. */
  readonly maxTokenLength?: number;
}

/** Default leeway for `exp`/`nbf`, in seconds. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
/** Default bound on a token's length, in characters. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DIGITS = /^[1-9][0-9]*$/;

function fail(code: JwtFailureCode, message: string): JwtFailure {
  return { ok: false, code, message };
}

/** Strict base64url: the URL-safe alphabet only, no padding, no impossible length. */
function isBase64url(segment: string): boolean {
  return segment.length % 4 !== 1 && BASE64URL.test(segment);
}

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function keyList(keys: JwtKeys): readonly JwtKey[] {
  return typeof keys === "string" || keys instanceof Uint8Array ? [keys] : keys;
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
 * of `keys`; a JSON-object payload with a numeric `exp` (expired when
 * `now > exp + skew`), an `nbf` honoured when present, a non-empty string
 * `sub` and a `userId` that is a positive integer or a string of digits.
 *
 * Never throws: any input, however hostile, gives a {@link JwtResult}.
 *
 * @example
 * ```ts
 * const result = verifyJwt(token, [currentSecret, previousSecret], { now: Date.now() });
 * if (!result.ok) return new Response(null, { status: 401 });
 * ```
 */
export function verifyJwt(token: unknown, keys: JwtKeys, options: VerifyJwtOptions = {}): JwtResult {
  try {
    return verify(token, keys, options);
  } catch {
    // Unreachable by design; kept so a bug here can only ever refuse a token.
    return fail("malformed", "token could not be processed");
  }
}

function verify(token: unknown, keys: JwtKeys, options: VerifyJwtOptions): JwtResult {
  if (typeof token !== "string") return fail("malformed", "token is not a string");
  const maxLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (token.length > maxLength) return fail("too_large", `token is longer than ${maxLength} characters`);

  const firstDot = token.indexOf(".");
  const secondDot = firstDot < 0 ? -1 : token.indexOf(".", firstDot + 1);
  if (secondDot < 0 || token.indexOf(".", secondDot + 1) >= 0) {
    return fail("malformed", "token must have exactly three segments");
  }
  const headerSegment = token.slice(0, firstDot);
  const payloadSegment = token.slice(firstDot + 1, secondDot);
  const signatureSegment = token.slice(secondDot + 1);
  if (!isBase64url(headerSegment) || !isBase64url(payloadSegment) || !isBase64url(signatureSegment)) {
    return fail("malformed", "segments must be non-empty unpadded base64url");
  }

  const header = decodeJsonObject(headerSegment);
  if (!header) return fail("malformed", "header is not a JSON object");
  if (header.alg !== "HS256") return fail("alg_not_allowed", "alg must be HS256");
  if ("crit" in header) return fail("crit_not_supported", "crit header parameters are not supported");

  // The signature is compared as its canonical base64url text, so an
  // alternative encoding of the same bytes is refused too.
  const signingInput = token.slice(0, secondDot);
  const received = Buffer.from(signatureSegment, "latin1");
  let matched = false;
  for (const key of keyList(keys)) {
    const expected = Buffer.from(mac(key, signingInput).toString("base64url"), "latin1");
    if (expected.length === received.length && timingSafeEqual(expected, received)) {
      matched = true;
      break;
    }
  }
  if (!matched) return fail("bad_signature", "signature does not match");

  const claims = decodeJsonObject(payloadSegment);
  if (!claims) return fail("malformed", "payload is not a JSON object");
  return checkClaims(claims, options);
}

function isNumericDate(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function checkClaims(claims: Record<string, unknown>, options: VerifyJwtOptions): JwtResult {
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;

  const { exp, nbf, iat, sub, userId, email, role } = claims;
  if (exp === undefined) return fail("missing_claim", "exp claim is required");
  if (!isNumericDate(exp)) return fail("invalid_claim", "exp claim must be a number");
  if (nbf !== undefined && !isNumericDate(nbf)) return fail("invalid_claim", "nbf claim must be a number");
  if (iat !== undefined && !isNumericDate(iat)) return fail("invalid_claim", "iat claim must be a number");
  if (nowSeconds > exp + skew) return fail("expired", "token has expired");
  if (nbf !== undefined && nbf > nowSeconds + skew) return fail("not_yet_valid", "token is not valid yet");

  if (sub === undefined) return fail("missing_claim", "sub claim is required");
  if (typeof sub !== "string" || sub.length === 0) return fail("invalid_claim", "sub claim must be a non-empty string");
  if (userId === undefined || userId === null) return fail("missing_claim", "userId claim is required");
  const uid = parseUserId(userId);
  if (uid === undefined) return fail("invalid_claim", "userId claim must be a positive integer");
  if (email !== undefined && email !== null && typeof email !== "string") {
    return fail("invalid_claim", "email claim must be a string");
  }
  if (role !== undefined && role !== null && (typeof role !== "string" || role.length === 0)) {
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
 * @example
 * ```ts
 * const token = signJwt({ sub: "dev", userId: 1, role: "ADMIN", exp: Math.floor(Date.now() / 1000) + 3600 }, secret);
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
