/**
 * Mutation fuzzing of `verifyJwt` against jose's `jwtVerify`, shared by
 * scripts/fuzz-jwt.ts (100,000+ mutations) and tests/jwt-fuzz.test.ts (a
 * CI-sized run).
 *
 * Each case starts from a valid HS256 token and applies one to three
 * mutations: bit flips in the base64url text and in the decoded bytes,
 * segment swaps between tokens, truncation, duplication, re-encoding of the
 * header or payload with changed JSON (whitespace, key order, duplicate
 * members, changed alg/exp/nbf/userId/role/sub/crit), padding and alphabet
 * changes, re-signing with the right, a rotated or a wrong key. Both
 * verifiers get the same key bytes and clock (`algorithms: ["HS256"]`,
 * `clockTolerance: 30`, `requiredClaims: ["exp", "sub"]`).
 *
 * Violations (any one fails a run):
 * - `crash`: verifyJwt threw, or returned something that is not a JwtResult;
 * - `accepted-refused-by-jose`: verifyJwt accepted a token jose refuses,
 *   except the documented `exp + skew == now` second (counted as `exp-boundary`);
 * - `claims-differ`: both accepted, but the claims or the user mapping differ;
 * - `unexplained-stricter`: jose accepted and verifyJwt refused with a code
 *   not covered by one of the documented differences (see {@link allowedStricterCodes}).
 *
 * Every case is a pure function of (seed, index): `caseAt(seed, i)` rebuilds
 * any reported failure on its own.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { jwtVerify } from "jose";
import {
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_TOKEN_LENGTH,
  JWT_FAILURE_CODES,
  type JwtFailureCode,
  type JwtKey,
  type JwtResult,
  verifyJwt,
} from "../../src/jwt.ts";

/** The clock both verifiers get, in ms (not on a whole second: seconds are floored). */
export const FUZZ_NOW = 1_750_000_000_250;
const NOW_S = Math.floor(FUZZ_NOW / 1000);
const SKEW = DEFAULT_CLOCK_SKEW_SECONDS;

// ---------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------

/** mulberry32: small, fast, seedable. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit mix of seed and index, so every case has its own stream. */
function mix(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

class Rng {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  next(): number {
    return this.#next();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.#next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)] as T;
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(0, 255));
  }
  text(n: number): string {
    return Array.from({ length: n }, () => String.fromCharCode(this.int(0x20, 0x7e))).join("");
  }
}

/** A fresh random seed (printed by every run so a failure can be replayed). */
export function randomSeed(): number {
  return (Date.now() ^ Math.floor(Math.random() * 2 ** 32)) >>> 0;
}

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

type Claims = Record<string, unknown>;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const b64u = (data: string | Uint8Array): string => Buffer.from(data).toString("base64url");
const fromB64u = (segment: string): Uint8Array => new Uint8Array(Buffer.from(segment, "base64url"));
const mac = (key: JwtKey, input: string): string => createHmac("sha256", key).update(input).digest("base64url");
const resign = (header: string, payload: string, key: JwtKey): string => `${header}.${payload}.${mac(key, `${header}.${payload}`)}`;
/** Placeholders for JSON number text JSON.stringify cannot write (1e999, -0, 1.0 ...). */
const RAW = "\u0000raw:";
const raw = (text: string) => `${RAW}${text}`;
function serialize(value: unknown, indent?: number | string): string {
  return (JSON.stringify(value, null, indent) ?? "").replace(/"\\u0000raw:([^"]*)"/g, "$1");
}

/** The keys of one run: derived from the seed, so a replay gets the same ones. */
interface RunKeys {
  /** What the service is configured with; jose gets the same bytes. */
  readonly keys: ReadonlyArray<{ readonly ours: JwtKey; readonly bytes: Uint8Array }>;
  /** Another configured key during a rotation. */
  readonly decoy: Uint8Array;
  /** A key nobody configured. */
  readonly stranger: Uint8Array;
}

function runKeys(seed: number): RunKeys {
  const rng = new Rng(mix(seed, -1));
  const string = `string-key-${rng.text(24)}`;
  const first = rng.bytes(32);
  const second = rng.bytes(64);
  return {
    keys: [
      { ours: first, bytes: first },
      { ours: second, bytes: second },
      { ours: string, bytes: new Uint8Array(Buffer.from(string, "utf8")) },
    ],
    decoy: rng.bytes(32),
    stranger: rng.bytes(32),
  };
}

const keyCache = new Map<number, RunKeys>();
function keysFor(seed: number): RunKeys {
  let keys = keyCache.get(seed);
  if (!keys) {
    if (keyCache.size > 8) keyCache.clear();
    keys = runKeys(seed);
    keyCache.set(seed, keys);
  }
  return keys;
}

const NAMES = ["alice", "bob", "ålice", "用户", "🦕 deno", "Zoë\r\nX-Injected: 1", "o'brien", "a".repeat(40)];

function validClaims(rng: Rng): Claims {
  const claims: Claims = {
    sub: rng.pick(NAMES),
    userId: rng.chance(0.6) ? rng.int(1, 10_000_000) : String(rng.int(1, 10_000_000)),
    exp: NOW_S + rng.int(60, 86_400),
  };
  if (rng.chance(0.7)) claims.email = `${rng.pick(["alice", "bob", "zoë"])}@example.com`;
  if (rng.chance(0.8)) claims.role = rng.pick(["REGULAR", "ADMIN", "REGULAR", "INACTIVE"]);
  if (rng.chance(0.4)) claims.iat = NOW_S - rng.int(0, 5000);
  if (rng.chance(0.2)) claims.nbf = NOW_S - rng.int(0, 5000);
  if (rng.chance(0.3)) claims.jti = rng.text(12);
  if (rng.chance(0.1)) claims.ext = { nested: [1, "two", { three: null }], emoji: "🦕" };
  return claims;
}

function validHeader(rng: Rng): Claims {
  return rng.pick<Claims>([{ alg: "HS256", typ: "JWT" }, { alg: "HS256", typ: "JWT" }, { alg: "HS256" }, { typ: "JWT", alg: "HS256", kid: "k1" }]);
}

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

/** What a mutation works on: the current token text and how to re-sign. */
interface State {
  token: string;
  /** The key the case re-signs with (the run's key, or the rotation decoy). */
  readonly key: JwtKey;
  readonly rng: Rng;
  readonly run: RunKeys;
  /** Another valid token, for swaps. */
  readonly donor: string;
}

function segments(token: string): string[] {
  return token.split(".");
}

// Decodes as both verifiers do: strict UTF-8, a leading BOM dropped (RFC 8259 §8.1 allows ignoring it).
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(strictUtf8.decode(Buffer.from(segment, "base64url")));
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Claims => value !== null && typeof value === "object" && !Array.isArray(value);

/** A changed value for a claim or header parameter, hostile as often as not. */
function changeValue(rng: Rng, name: string): unknown {
  switch (name) {
    case "alg":
      return rng.pick<unknown>(["HS256", "none", "None", "HS512", "HS384", "RS256", "ES256", "hs256", "HS256 ", "", null, 256, ["HS256"], undefined]);
    case "exp":
      return rng.pick<unknown>([
        NOW_S + rng.int(-200, 3600), NOW_S - SKEW, NOW_S - SKEW - 1, NOW_S - SKEW + 1, NOW_S - SKEW - 0.5, NOW_S - SKEW + 0.25,
        String(NOW_S + 600), null, true, [NOW_S + 600], 1e300, raw("1e999"), raw("-1e999"), -1, 0, raw("-0"), undefined,
      ]);
    case "nbf":
      return rng.pick<unknown>([NOW_S + SKEW + rng.int(-2, 2), NOW_S + 3600, NOW_S - 60, "now", null, raw("1e999"), undefined]);
    case "iat":
      return rng.pick<unknown>([NOW_S + 86_400, NOW_S - 10, "yesterday", raw("1e999"), null, undefined]);
    case "userId":
      return rng.pick<unknown>([
        rng.int(1, 1000), String(rng.int(1, 1000)), Number.MAX_SAFE_INTEGER, String(Number.MAX_SAFE_INTEGER), "abc", 0, -1, 1.5, "007", "0", "",
        true, null, 2 ** 53, 2 ** 60, "9007199254740993", " 7", "7\n", "1e3", raw("1.0"), raw("-0"), [1], {}, undefined,
      ]);
    case "role":
      return rng.pick<unknown>(["REGULAR", "ADMIN", "INACTIVE", "admin", "", 7, null, ["ADMIN"], undefined]);
    case "sub":
      return rng.pick<unknown>(["alice", "bob", "", 5, null, true, ["alice"], {}, "\ud83e\udd95", undefined]);
    case "email":
      return rng.pick<unknown>(["a@b.c", 42, null, ["a@b.c"], undefined]);
    case "crit":
      return rng.pick<unknown>([["b64"], ["exp"], [], "b64", null, undefined]);
    case "b64":
      return rng.pick<unknown>([true, false, undefined]);
    case "kid":
    case "jku":
      return rng.pick<unknown>(["k1", "../../dev/null", "https://attacker.example/jwks", undefined]);
    default:
      return rng.pick<unknown>([rng.text(8), 1, null, undefined]);
  }
}

/** Re-serializes a JSON object with changes; returns the new segment text (base64url). */
function rejsonSegment(rng: Rng, segment: string, isHeader: boolean): string {
  const decoded = decodeJson(segment);
  let value: unknown = isObject(decoded) ? { ...decoded } : decoded;
  const obj = isObject(value) ? value : undefined;
  const names = isHeader ? ["alg", "crit", "b64", "kid", "jku", "typ"] : ["exp", "nbf", "iat", "userId", "role", "sub", "email", "jti"];
  if (obj) {
    for (let n = rng.int(0, 2); n > 0; n--) {
      const name = rng.pick(names);
      const changed = changeValue(rng, name);
      if (changed === undefined) delete obj[name];
      else obj[name] = changed;
    }
    if (rng.chance(0.2)) {
      // Another member order.
      const entries = Object.entries(obj);
      for (let i = entries.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [entries[i], entries[j]] = [entries[j]!, entries[i]!];
      }
      value = Object.fromEntries(entries);
    }
  }
  if (rng.chance(0.05)) value = rng.pick<unknown>([[value], "text", 42, null, true]);
  // A segment that is not JSON (after an earlier mutation) keeps its text.
  let text = decoded === undefined
    ? Buffer.from(segment, "base64url").toString("utf8")
    : serialize(value, rng.chance(0.2) ? rng.pick<number | string>([1, 2, "\t", " "]) : undefined);
  const shape = rng.int(0, 9);
  if (shape === 0 && text.startsWith("{") && obj) {
    // A duplicate member after the original: JSON.parse keeps the last.
    const name = rng.pick(names);
    const dup = changeValue(rng, name);
    if (dup !== undefined) text = `${text.slice(0, -1)}${text.length > 2 ? "," : ""}${JSON.stringify(name)}:${serialize(dup)}}`;
  } else if (shape === 1 && text.startsWith("{")) {
    // A duplicate member before the original.
    const name = rng.pick(names);
    const dup = changeValue(rng, name);
    if (dup !== undefined) text = `{${JSON.stringify(name)}:${serialize(dup)}${text.length > 2 ? "," : ""}${text.slice(1)}`;
  } else if (shape === 2) {
    text = rng.pick([`\uFEFF${text}`, ` \r\n${text}\t `, `${text}x`, text.slice(0, -1), `${text}${text}`]);
  } else if (shape === 3) {
    // A character written as a \u escape.
    text = text.replace(/"(alg|sub|role)":"(.)/, (_m, name: string, ch: string) => `"${name}":"\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
  } else if (shape === 4 && text.startsWith("{")) {
    text = `{"__proto__":{"userId":1,"role":"ADMIN","alg":"HS256"},${text.slice(1)}`;
  }
  return b64u(text);
}

type Mutation = (state: State) => void;

/** The mutation operators, by name (the names are reported). */
export const MUTATIONS: Readonly<Record<string, Mutation>> = {
  "text-bitflip"(s) {
    for (let n = s.rng.int(1, 3); n > 0; n--) {
      if (s.token.length === 0) return;
      const i = s.rng.int(0, s.token.length - 1);
      s.token = s.token.slice(0, i) + String.fromCharCode(s.token.charCodeAt(i) ^ (1 << s.rng.int(0, 6))) + s.token.slice(i + 1);
    }
  },
  "text-replace"(s) {
    if (s.token.length === 0) return;
    const i = s.rng.int(0, s.token.length - 1);
    s.token = s.token.slice(0, i) + s.rng.pick([...ALPHABET]) + s.token.slice(i + 1);
  },
  "text-insert"(s) {
    const i = s.rng.int(0, s.token.length);
    const ch = s.rng.pick([...ALPHABET, ".", "=", " ", "\n", "\t", "+", "/", "\u0000", "é", "\uFEFF", "%", "\u00a0"]);
    s.token = s.token.slice(0, i) + ch + s.token.slice(i);
  },
  "text-delete"(s) {
    if (s.token.length === 0) return;
    const i = s.rng.int(0, s.token.length - 1);
    s.token = s.token.slice(0, i) + s.token.slice(i + s.rng.int(1, 4));
  },
  "case-flip"(s) {
    const letters = [...s.token].flatMap((ch, i) => (/[a-z]/i.test(ch) ? [i] : []));
    if (letters.length === 0) return;
    const i = s.rng.pick(letters);
    const ch = s.token[i]!;
    s.token = s.token.slice(0, i) + (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()) + s.token.slice(i + 1);
  },
  "byte-bitflip"(s) {
    const parts = segments(s.token);
    if (parts.length !== 3) return;
    const which = s.rng.int(0, 2);
    const bytes = fromB64u(parts[which]!);
    if (bytes.length === 0) return;
    for (let n = s.rng.int(1, 2); n > 0; n--) {
      const i = s.rng.int(0, bytes.length - 1);
      bytes[i] = bytes[i]! ^ (1 << s.rng.int(0, 7));
    }
    parts[which] = b64u(bytes);
    // Mostly re-signed, so the flipped JSON or UTF-8 reaches the parser.
    s.token = which < 2 && s.rng.chance(0.7) ? resign(parts[0]!, parts[1]!, s.key) : parts.join(".");
  },
  "segment-swap"(s) {
    const parts = segments(s.token);
    const donor = segments(s.donor);
    if (parts.length !== 3) return;
    const mode = s.rng.int(0, 2);
    if (mode === 0) {
      const i = s.rng.int(0, 2);
      parts[i] = donor[i]!;
      s.token = parts.join(".");
    } else if (mode === 1) {
      const [h, p, g] = parts as [string, string, string];
      s.token = s.rng.pick([`${p}.${h}.${g}`, `${h}.${g}.${p}`, `${g}.${p}.${h}`, `${h}.${h}.${g}`, `${p}.${p}.${g}`]);
    } else {
      // Another token's payload, re-signed: valid unless the donor's claims are not.
      s.token = resign(parts[0]!, donor[1]!, s.key);
    }
  },
  truncate(s) {
    s.token = s.token.slice(0, s.rng.int(0, Math.max(0, s.token.length - 1)));
  },
  duplicate(s) {
    const parts = segments(s.token);
    const mode = s.rng.int(0, 3);
    if (mode === 0) s.token = `${s.token}.${s.token}`;
    else if (mode === 1 && parts.length > 0) {
      const i = s.rng.int(0, parts.length - 1);
      parts.splice(i, 0, parts[i]!);
      s.token = parts.join(".");
    } else if (mode === 2 && s.token.length > 0) {
      const i = s.rng.int(0, s.token.length - 1);
      const j = Math.min(s.token.length, i + s.rng.int(1, 8));
      s.token = s.token.slice(0, j) + s.token.slice(i, j) + s.token.slice(j);
    } else {
      s.token = `${s.token}${s.token.slice(s.token.lastIndexOf("."))}`;
    }
  },
  "rejson-header"(s) {
    const parts = segments(s.token);
    if (parts.length !== 3) return;
    const header = rejsonSegment(s.rng, parts[0]!, true);
    s.token = s.rng.chance(0.8) ? resign(header, parts[1]!, s.key) : `${header}.${parts[1]}.${parts[2]}`;
  },
  "rejson-payload"(s) {
    const parts = segments(s.token);
    if (parts.length !== 3) return;
    const payload = rejsonSegment(s.rng, parts[1]!, false);
    const r = s.rng.next();
    if (r < 0.75) s.token = resign(parts[0]!, payload, s.key);
    else if (r < 0.9) s.token = `${parts[0]}.${payload}.${parts[2]}`;
    else s.token = resign(parts[0]!, payload, s.run.stranger);
  },
  padding(s) {
    const parts = segments(s.token);
    if (parts.length === 0) return;
    const i = s.rng.int(0, parts.length - 1);
    parts[i] = `${parts[i]}${s.rng.pick(["=", "==", "==="])}`;
    // Sometimes re-signed over the padded text, which jose accepts and we do not (documented).
    s.token = parts.length === 3 && i < 2 && s.rng.chance(0.5) ? resign(parts[0]!, parts[1]!, s.key) : parts.join(".");
  },
  alphabet(s) {
    const parts = segments(s.token);
    if (parts.length === 0) return;
    const i = s.rng.int(0, parts.length - 1);
    const standard = Buffer.from(parts[i]!, "base64url").toString("base64");
    parts[i] = s.rng.chance(0.5) ? standard : standard.replace(/=+$/, "");
    s.token = parts.length === 3 && i < 2 && s.rng.chance(0.5) ? resign(parts[0]!, parts[1]!, s.key) : parts.join(".");
  },
  "sig-tail"(s) {
    const parts = segments(s.token);
    const sig = parts[2];
    if (parts.length !== 3 || !sig) return;
    const last = ALPHABET.indexOf(sig.slice(-1));
    if (last < 0) return;
    parts[2] = sig.slice(0, -1) + ALPHABET[last ^ s.rng.int(1, 3)];
    s.token = parts.join(".");
  },
  "wrong-key"(s) {
    const parts = segments(s.token);
    if (parts.length !== 3) return;
    const base = s.key;
    const wrong = s.rng.pick<JwtKey>([
      s.run.stranger,
      typeof base === "string" ? `${base}x` : base.subarray(0, base.length - 1),
      typeof base === "string" ? base.toUpperCase() : Buffer.from(base).toString("base64url"),
      "",
    ]);
    s.token = resign(parts[0]!, parts[1]!, wrong);
  },
  bloat(s) {
    const parts = segments(s.token);
    if (parts.length !== 3) return;
    const claims = decodeJson(parts[1]!);
    if (!isObject(claims)) return;
    // Around the 8192 bound: jose has none, we refuse longer tokens (documented).
    const target = DEFAULT_MAX_TOKEN_LENGTH + s.rng.int(-80, 80);
    const room = Math.max(0, Math.floor(((target - parts[0]!.length - 45) * 3) / 4) - serialize(claims).length - 10);
    s.token = resign(parts[0]!, b64u(serialize({ ...claims, pad: "p".repeat(room) })), s.key);
  },
  "whitespace-wrap"(s) {
    s.token = s.rng.pick([` ${s.token}`, `${s.token} `, `${s.token}\n`, `\t${s.token}`, `${s.token}\r\n`, `\u00a0${s.token}`]);
  },
};
const MUTATION_NAMES = Object.keys(MUTATIONS);
/** Operators weighted by how much they find: re-encoding and re-signing reach the deepest code. */
const WEIGHTED = [
  ...MUTATION_NAMES,
  "rejson-payload", "rejson-payload", "rejson-payload", "rejson-header", "byte-bitflip", "byte-bitflip", "text-bitflip", "segment-swap",
];

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

export interface FuzzCase {
  readonly seed: number;
  readonly index: number;
  /** The mutations applied, in order. */
  readonly ops: readonly string[];
  readonly token: string;
  /** The service's keyring (a rotation list in some cases). */
  readonly ourKeys: readonly JwtKey[];
  /** The same keys as bytes, for jose (a token is valid for jose if any of them verifies it). */
  readonly joseKeys: readonly Uint8Array[];
}

/** Case `index` of the run with `seed`: a valid token and one to three mutations of it. */
export function caseAt(seed: number, index: number): FuzzCase {
  const run = keysFor(seed);
  const rng = new Rng(mix(seed, index));
  const main = rng.pick(run.keys);
  const rotation = rng.chance(0.15);
  const ourKeys: JwtKey[] = rotation ? (rng.chance(0.5) ? [run.decoy, main.ours] : [main.ours, run.decoy]) : [main.ours];
  const joseKeys: Uint8Array[] = rotation ? [main.bytes, run.decoy] : [main.bytes];
  // With a rotation, the base token is sometimes signed with the other configured key.
  const signer: JwtKey = rotation && rng.chance(0.5) ? run.decoy : main.ours;
  const header = validHeader(rng);
  const token = resign(b64u(JSON.stringify(header)), b64u(JSON.stringify(validClaims(rng))), signer);
  const donorKey = rng.chance(0.7) ? signer : run.stranger;
  const donor = resign(b64u(JSON.stringify(validHeader(rng))), b64u(JSON.stringify(validClaims(rng))), donorKey);

  const state: State = { token, key: signer, rng, run, donor };
  const ops: string[] = [];
  const r = rng.next();
  const count = r < 0.6 ? 1 : r < 0.9 ? 2 : 3;
  for (let n = 0; n < count; n++) {
    const op = rng.pick(WEIGHTED);
    MUTATIONS[op]!(state);
    ops.push(op);
  }
  return { seed, index, ops, token: state.token, ourKeys, joseKeys };
}

// ---------------------------------------------------------------------------
// The oracle and the comparison
// ---------------------------------------------------------------------------

export type JoseVerdict = { readonly ok: true; readonly payload: Claims } | { readonly ok: false; readonly code: string };

/**
 * jose's verdict with the service's options; a keyring verifies if any key
 * does. When none does, the reported error is the one from a key whose MAC
 * matched (e.g. ERR_JWT_EXPIRED), not another key's signature mismatch.
 */
export async function joseVerify(token: string, keys: readonly Uint8Array[], now = FUZZ_NOW): Promise<JoseVerdict> {
  let first: string | undefined;
  let pastSignature: string | undefined;
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ["HS256"],
        currentDate: new Date(now),
        clockTolerance: SKEW,
        requiredClaims: ["exp", "sub"],
      });
      return { ok: true, payload: payload as Claims };
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).name ?? String(error);
      first ??= code;
      if (code !== "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") pastSignature ??= code;
    }
  }
  return { ok: false, code: pastSignature ?? first ?? "no key" };
}

/** The userId rule, restated independently of src/jwt.ts. */
function validUserId(value: unknown): boolean {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0;
  return typeof value === "string" && /^[1-9][0-9]*$/.test(value) && Number.isSafeInteger(Number(value));
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * For a token jose accepted: the codes verifyJwt may refuse it with, one per
 * documented, deliberate difference.
 *
 * 1. too_large: longer than 8192 characters (jose has no bound).
 * 2. malformed: anything but three strict base64url segments (jose's
 *    decoders skip whitespace and padding, and it MACs the text as sent).
 * 3. bad_signature: a non-canonical spelling of the right MAC bytes (jose
 *    compares decoded bytes; we compare the canonical text).
 * 4. crit_not_supported: any crit (jose understands crit ["b64"]).
 * 5. userId: a positive safe integer or digits without a leading zero
 *    (missing/null: missing_claim; otherwise invalid_claim); jose knows no userId.
 * 6. sub must be a non-empty string; email a string; role a non-empty string
 *    (jose checks only that sub is present).
 * 7. exp/nbf/iat must be finite (JSON 1e999 parses as Infinity, which jose takes).
 * 8. A UTF-8 byte-order mark before the header or payload JSON is malformed
 *    (JSON.parse refuses it; jose's TextDecoder strips it).
 * 9. sub, email and role must be well-formed Unicode: a JSON-escaped lone
 *    surrogate is invalid_claim (jose takes any string).
 */
export function allowedStricterCodes(token: string): Set<JwtFailureCode> {
  const allowed = new Set<JwtFailureCode>();
  if (token.length > DEFAULT_MAX_TOKEN_LENGTH) allowed.add("too_large");
  if (!TOKEN_SHAPE.test(token)) {
    allowed.add("malformed");
    return allowed;
  }
  const [h = "", p = "", s = ""] = token.split(".");
  if (Buffer.from(s, "base64url").toString("base64url") !== s) allowed.add("bad_signature");
  const startsWithBom = (segment: string) => Buffer.from(segment, "base64url").subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]));
  if (startsWithBom(h) || startsWithBom(p)) allowed.add("malformed");
  const header = decodeJson(h);
  const claims = decodeJson(p);
  if (!isObject(header) || !isObject(claims)) return allowed;
  if ("crit" in header) allowed.add("crit_not_supported");
  if (claims.userId === undefined || claims.userId === null) allowed.add("missing_claim");
  else if (!validUserId(claims.userId)) allowed.add("invalid_claim");
  if (typeof claims.sub !== "string" || claims.sub === "") allowed.add("invalid_claim");
  if (claims.email !== undefined && claims.email !== null && typeof claims.email !== "string") allowed.add("invalid_claim");
  if (claims.role !== undefined && claims.role !== null && (typeof claims.role !== "string" || claims.role === "")) allowed.add("invalid_claim");
  for (const name of ["sub", "email", "role"]) {
    const value = claims[name];
    if (typeof value === "string" && LONE_SURROGATE.test(value)) allowed.add("invalid_claim");
  }
  for (const name of ["exp", "nbf", "iat"]) {
    const value = claims[name];
    if (typeof value === "number" && !Number.isFinite(value)) allowed.add("invalid_claim");
  }
  return allowed;
}

/** The one second where verifyJwt still accepts (now > exp + skew is false) and jose has expired the token (exp <= now - tolerance). */
function isExpBoundary(claims: Readonly<Record<string, unknown>>, joseCode: string): boolean {
  return joseCode === "ERR_JWT_EXPIRED" && claims.exp === NOW_S - SKEW;
}

export type Classification =
  | "both-accept"
  | "both-refuse"
  | "stricter"
  | "exp-boundary"
  | "crash"
  | "accepted-refused-by-jose"
  | "claims-differ"
  | "unexplained-stricter";

export const VIOLATIONS: ReadonlySet<Classification> = new Set(["crash", "accepted-refused-by-jose", "claims-differ", "unexplained-stricter"]);

export interface Comparison {
  readonly kind: Classification;
  /** verifyJwt's outcome ("ok", a failure code, or "threw"). */
  readonly ours: string;
  /** jose's outcome ("ok" or its error code). */
  readonly jose: string;
  readonly detail?: string;
}

function isJwtResult(value: unknown): value is JwtResult {
  if (!isObject(value)) return false;
  if (value.ok === true) return isObject(value.user) && isObject(value.claims) && typeof value.exp === "number";
  return value.ok === false && JWT_FAILURE_CODES.includes(value.code as JwtFailureCode) && typeof value.message === "string" && value.message.length > 0;
}

/** The verifier under test: verifyJwt, or a deliberately broken stand-in (to prove the oracle catches it). */
export type Verifier = typeof verifyJwt;

/** Runs both verifiers on one case and classifies the pair of verdicts. */
export async function compare(c: FuzzCase, verify: Verifier = verifyJwt): Promise<Comparison> {
  let ours: JwtResult;
  try {
    const result: unknown = verify(c.token, c.ourKeys, { now: FUZZ_NOW });
    if (!isJwtResult(result)) return { kind: "crash", ours: "bad result", jose: "-", detail: JSON.stringify(result) };
    ours = result;
  } catch (error) {
    return { kind: "crash", ours: "threw", jose: "-", detail: String((error as Error)?.stack ?? error) };
  }
  const jose = await joseVerify(c.token, c.joseKeys);
  const oursLabel = ours.ok ? "ok" : ours.code;
  const joseLabel = jose.ok ? "ok" : jose.code;
  if (ours.ok && jose.ok) {
    const u = ours.user;
    if (JSON.stringify(ours.claims) !== JSON.stringify(jose.payload)) return { kind: "claims-differ", ours: oursLabel, jose: joseLabel, detail: "claims differ from jose's" };
    if (u.name !== jose.payload.sub || u.uid !== Number(jose.payload.userId)) return { kind: "claims-differ", ours: oursLabel, jose: joseLabel, detail: "user mapping differs" };
    return { kind: "both-accept", ours: oursLabel, jose: joseLabel };
  }
  if (!ours.ok && !jose.ok) return { kind: "both-refuse", ours: oursLabel, jose: joseLabel };
  if (ours.ok && !jose.ok) {
    return isExpBoundary(ours.claims, jose.code)
      ? { kind: "exp-boundary", ours: oursLabel, jose: joseLabel }
      : { kind: "accepted-refused-by-jose", ours: oursLabel, jose: joseLabel };
  }
  const allowed = allowedStricterCodes(c.token);
  return !ours.ok && allowed.has(ours.code)
    ? { kind: "stricter", ours: oursLabel, jose: joseLabel }
    : { kind: "unexplained-stricter", ours: oursLabel, jose: joseLabel, detail: `allowed: ${[...allowed].join(",") || "none"}` };
}

// ---------------------------------------------------------------------------
// A run
// ---------------------------------------------------------------------------

export interface FuzzViolation {
  readonly index: number;
  readonly ops: readonly string[];
  readonly comparison: Comparison;
  readonly token: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly count: number;
  readonly elapsedMs: number;
  /** both-accept, both-refuse, stricter, exp-boundary, and any violation kinds. */
  readonly byClass: Record<string, number>;
  /** verifyJwt's outcomes. */
  readonly ours: Record<string, number>;
  /** jose's outcomes. */
  readonly jose: Record<string, number>;
  /** stricter cases by verifyJwt's code. */
  readonly stricterBy: Record<string, number>;
  /** How often each mutation was applied. */
  readonly ops: Record<string, number>;
  readonly violationCount: number;
  /** The first violations (up to 20), each replayable with caseAt(seed, index). */
  readonly violations: readonly FuzzViolation[];
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** Runs `count` cases of `seed`; `onProgress` is called every 10,000 cases. */
export async function runFuzz(options: { seed: number; count: number; verify?: Verifier; onProgress?: (done: number) => void }): Promise<FuzzReport> {
  const { seed, count } = options;
  const started = performance.now();
  const byClass: Record<string, number> = {};
  const ours: Record<string, number> = {};
  const jose: Record<string, number> = {};
  const stricterBy: Record<string, number> = {};
  const ops: Record<string, number> = {};
  const violations: FuzzViolation[] = [];
  let violationCount = 0;
  for (let index = 0; index < count; index++) {
    const c = caseAt(seed, index);
    for (const op of c.ops) bump(ops, op);
    const comparison = await compare(c, options.verify);
    bump(byClass, comparison.kind);
    bump(ours, comparison.ours);
    bump(jose, comparison.jose);
    if (comparison.kind === "stricter") bump(stricterBy, comparison.ours);
    if (VIOLATIONS.has(comparison.kind)) {
      violationCount++;
      if (violations.length < 20) violations.push({ index, ops: c.ops, comparison, token: c.token.length > 300 ? `${c.token.slice(0, 300)}…(${c.token.length} chars)` : c.token });
    }
    if (options.onProgress && (index + 1) % 10_000 === 0) options.onProgress(index + 1);
  }
  return { seed, count, elapsedMs: performance.now() - started, byClass, ours, jose, stricterBy, ops, violationCount, violations };
}

/** A human-readable summary of a report, one item per line. */
export function formatReport(report: FuzzReport, runtime: string): string {
  const sorted = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  const lines = [
    `jwt fuzz on ${runtime}: seed=${report.seed}, ${report.count} mutations in ${(report.elapsedMs / 1000).toFixed(1)} s (${Math.round(report.count / (report.elapsedMs / 1000))}/s)`,
    `  classes: ${sorted(report.byClass)}`,
    `  verifyJwt: ${sorted(report.ours)}`,
    `  jose: ${sorted(report.jose)}`,
    `  stricter by code: ${sorted(report.stricterBy) || "none"}`,
    `  mutations applied: ${sorted(report.ops)}`,
    `  violations: ${report.violationCount}`,
  ];
  for (const v of report.violations) {
    lines.push(`    #${v.index} [${v.ops.join(" + ")}] ${v.comparison.kind}: verifyJwt ${v.comparison.ours}, jose ${v.comparison.jose}${v.comparison.detail ? ` (${v.comparison.detail.split("\n")[0]})` : ""} token=${JSON.stringify(v.token)}`);
  }
  if (report.violationCount > 0) lines.push(`  replay one case: caseAt(${report.seed}, <index>) in tests/helpers/jwt-mutations.ts`);
  return lines.join("\n");
}
