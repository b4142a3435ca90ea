/**
 * Throughput of verifyJwt against jose's jwtVerify on the same tokens.
 *
 *   npx tsx scripts/bench/jwt.ts
 *   npx deno run --allow-all scripts/bench/jwt.ts
 *   npx bun scripts/bench/jwt.ts
 *
 * Every candidate verifies the same few hundred distinct, valid, ~300-character
 * HS256 tokens under the same 32-byte key, one after another (jose's calls are
 * awaited one at a time, as a request handler would). After a warm-up, each
 * candidate runs for a fixed time per round; the rounds are interleaved so
 * drift (turbo, GC, a noisy neighbour) hits every candidate alike, and the
 * table reports the median round.
 *
 * Environment: JWT_BENCH_MS (time per candidate per round, default 2000),
 * JWT_BENCH_ROUNDS (default 3), JWT_BENCH_TOKENS (default 256).
 */
import process from "node:process";
import { jwtVerify } from "jose";
import { signJwt, verifyJwt } from "../../src/jwt.ts";
import { TokenVerifier } from "../../src/auth.ts";
import { machine } from "./lib.ts";
import { runtimeName } from "../../src/runtime.ts";

const ROUND_MS = positiveNumber(process.env.JWT_BENCH_MS, 2000);
const ROUNDS = positiveNumber(process.env.JWT_BENCH_ROUNDS, 3);
const TOKEN_COUNT = positiveNumber(process.env.JWT_BENCH_TOKENS, 256);
const WARMUP_MS = Math.min(500, ROUND_MS);

function positiveNumber(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}


// --- Fixtures ---------------------------------------------------------------

const keyBytes = crypto.getRandomValues(new Uint8Array(32));
const cryptoKey = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);

const nowSeconds = Math.floor(Date.now() / 1000);
const randomId = (length: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(length)), (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");

const tokens: string[] = Array.from({ length: TOKEN_COUNT }, (_, i) =>
  signJwt(
    {
      sub: `user-${randomId(6)}`,
      userId: 100_000 + i,
      email: `user.${randomId(6)}@example.com`,
      role: i % 10 === 0 ? "ADMIN" : "REGULAR",
      iss: "https://auth.example.com",
      iat: nowSeconds,
      exp: nowSeconds + 3600,
      jti: randomId(12),
    },
    keyBytes,
  ),
);
const averageLength = tokens.reduce((sum, t) => sum + t.length, 0) / tokens.length;

const joseOptions = { algorithms: ["HS256"], clockTolerance: 30, requiredClaims: ["exp", "sub"] };

const cachedVerifier = new TokenVerifier({ keys: keyBytes, cacheSize: tokens.length });

// --- Candidates -------------------------------------------------------------

interface Candidate {
  readonly name: string;
  /** Verifies tokens for about `ms` milliseconds; returns how many and how long it took. */
  readonly run: (ms: number) => Promise<{ ops: number; elapsed: number }>;
  readonly roundsOps: number[];
}

function fail(name: string, token: string): never {
  throw new Error(`${name} refused a valid token: ${token}`);
}

/** Verifies every token, round after round, for about `ms`; a synchronous verifier is called without an await. */
function timed(verify: (token: string) => boolean): (ms: number) => Promise<{ ops: number; elapsed: number }>;
function timed(verify: (token: string) => Promise<boolean>, async: true): (ms: number) => Promise<{ ops: number; elapsed: number }>;
function timed(verify: (token: string) => boolean | Promise<boolean>, async = false) {
  return async (ms: number) => {
    let ops = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      for (const token of tokens) {
        const ok = async ? await verify(token) : verify(token);
        if (!ok) fail("a candidate", token);
      }
      ops += tokens.length;
      elapsed = performance.now() - start;
    } while (elapsed < ms);
    return { ops, elapsed };
  };
}

const joseAccepts = async (token: string, key: CryptoKey | Uint8Array) => (await jwtVerify(token, key, joseOptions)).payload.sub !== undefined;

const candidates: Candidate[] = [
  { name: "verifyJwt", roundsOps: [], run: timed((token) => verifyJwt(token, keyBytes).ok) },
  // What the service does per request: the verified-token cache in front of verifyJwt.
  { name: "TokenVerifier (cached)", roundsOps: [], run: timed((token) => cachedVerifier.authenticate(token).ok) },
  { name: "jose jwtVerify (CryptoKey)", roundsOps: [], run: timed((token) => joseAccepts(token, cryptoKey), true) },
  { name: "jose jwtVerify (Uint8Array)", roundsOps: [], run: timed((token) => joseAccepts(token, keyBytes), true) },
];

// --- Run --------------------------------------------------------------------

const runtime = runtimeName();
console.log(`runtime: ${runtime}`);
console.log(`machine: ${machine()}`);
console.log(
  `tokens: ${tokens.length} distinct valid HS256 tokens, ${Math.round(averageLength)} chars on average; ` +
    `${ROUNDS} interleaved rounds of ${ROUND_MS} ms per candidate after ${WARMUP_MS} ms warm-up`,
);

for (const candidate of candidates) await candidate.run(WARMUP_MS);
for (let round = 0; round < ROUNDS; round++) {
  for (const candidate of candidates) {
    const { ops, elapsed } = await candidate.run(ROUND_MS);
    candidate.roundsOps.push((ops / elapsed) * 1000);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const grouped = (n: number) => Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const medians = new Map(candidates.map((c) => [c.name, median(c.roundsOps)]));
const joseCryptoKey = medians.get("jose jwtVerify (CryptoKey)") ?? 1;

const rows = candidates.map((c) => {
  const ops = medians.get(c.name) ?? 0;
  return [
    c.name,
    grouped(ops),
    (1e6 / ops).toFixed(2),
    `${(ops / joseCryptoKey).toFixed(2)}x`,
    c.roundsOps.map(grouped).join(" / "),
  ];
});
const headers = ["name", "ops/s (median)", "µs/op", "vs jose (CryptoKey)", "rounds ops/s"];
const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
const line = (cells: readonly string[]) =>
  cells.map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ").trimEnd();

console.log("");
console.log(line(headers));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of rows) console.log(line(row));
console.log("");
const ratio = (name: string, base: string) => ((medians.get(name) ?? 0) / (medians.get(base) ?? 1)).toFixed(1);
console.log(`verifyJwt is ${ratio("verifyJwt", "jose jwtVerify (CryptoKey)")}x jose jwtVerify with a CryptoKey, ${ratio("verifyJwt", "jose jwtVerify (Uint8Array)")}x with a Uint8Array secret; cached ${ratio("TokenVerifier (cached)", "jose jwtVerify (CryptoKey)")}x (${runtime})`);
