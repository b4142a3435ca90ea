/**
 * A CI-sized run of the mutation fuzzer (tests/helpers/jwt-mutations.ts):
 * mutated valid tokens through verifyJwt and jose's jwtVerify side by side.
 * The full run is `npx tsx scripts/fuzz-jwt.ts 100000`.
 *
 * The seed is random and printed; pin it with JWT_FUZZ_SEED=<seed> (and the
 * size with JWT_FUZZ_COUNT). Runs unchanged on Node and Deno: for one seed
 * both runtimes generate the same tokens.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import process from "node:process";
import { type JwtKey, signJwt, verifyJwt } from "../src/jwt.ts";
import { caseAt, compare, formatReport, FUZZ_NOW, MUTATIONS, randomSeed, runFuzz, type Verifier, VIOLATIONS } from "./helpers/jwt-mutations.ts";

function envInt(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  assert.ok(Number.isSafeInteger(n) && n >= 0, `${name} must be a non-negative integer`);
  return n;
}

const seed = (envInt("JWT_FUZZ_SEED") ?? randomSeed()) >>> 0;
const count = envInt("JWT_FUZZ_COUNT") ?? 5000;
const runtime = "Deno" in globalThis ? "Deno" : `Node ${process.version}`;

describe("mutation fuzzing: verifyJwt against jose", () => {
  test(`${count} mutations of valid tokens: no crash, nothing accepted that jose refuses`, async () => {
    console.log(`jwt fuzz: seed=${seed} (reproduce with JWT_FUZZ_SEED=${seed}, or npx tsx scripts/fuzz-jwt.ts ${count} ${seed})`);
    const report = await runFuzz({ seed, count });
    console.log(formatReport(report, runtime));

    assert.equal(report.violationCount, 0, `seed ${seed}: ${report.violations.map((v) => `#${v.index} ${v.comparison.kind}`).join(", ")}`);
    // Not degenerate: the run reached every verdict and every operator.
    const classes = report.byClass;
    assert.equal((classes["both-accept"] ?? 0) + (classes["both-refuse"] ?? 0) + (classes.stricter ?? 0) + (classes["exp-boundary"] ?? 0), count);
    assert.ok((classes["both-accept"] ?? 0) > count * 0.05, `seed ${seed}: too few accepted mutations`);
    assert.ok((classes["both-refuse"] ?? 0) > count * 0.4, `seed ${seed}: too few refused mutations`);
    assert.ok((classes.stricter ?? 0) > 0, `seed ${seed}: no documented difference exercised`);
    for (const op of Object.keys(MUTATIONS)) assert.ok((report.ops[op] ?? 0) > 0, `seed ${seed}: mutation ${op} never applied`);
    for (const code of ["malformed", "bad_signature", "alg_not_allowed", "crit_not_supported", "too_large", "invalid_claim", "missing_claim", "expired", "ok"]) {
      assert.ok((report.ours[code] ?? 0) > 0, `seed ${seed}: verifyJwt never answered ${code}`);
    }
  });

  test("a case is a pure function of (seed, index): a reported index replays alone", () => {
    for (const index of [0, 1, 17, 4999]) {
      const a = caseAt(seed, index);
      const b = caseAt(seed, index);
      assert.deepEqual({ ...a, ourKeys: a.ourKeys.map(String) }, { ...b, ourKeys: b.ourKeys.map(String) });
    }
    assert.notEqual(caseAt(seed, 1).token, caseAt(seed, 2).token);
  });

  // The oracle itself must be able to fail: broken stand-ins for verifyJwt are caught, each on a token made to expose it.
  const nowS = Math.floor(FUZZ_NOW / 1000);
  const claims = (extra: Record<string, unknown> = {}) => ({ sub: "alice", userId: 42, role: "REGULAR", exp: nowS + 600, ...extra });
  const broken: Array<{ name: string; verify: Verifier; token: (key: JwtKey) => string; kind: string }> = [
    {
      name: "a verifier whose clock is stuck an hour behind (accepts expired tokens)",
      verify: (token, keys, options) => verifyJwt(token, keys, { ...options, now: FUZZ_NOW - 3_600_000 }),
      token: (key) => signJwt(claims({ exp: nowS - 600 }), key),
      kind: "accepted-refused-by-jose",
    },
    {
      name: "a verifier that also trusts a key nobody configured",
      verify: (token, keys, options) => verifyJwt(token, [...([keys].flat() as JwtKey[]), "a-key-nobody-configured"], options),
      token: () => signJwt(claims(), "a-key-nobody-configured"),
      kind: "accepted-refused-by-jose",
    },
    {
      name: 'a verifier that trusts alg "none" (the classic bug)',
      verify: (token, keys, options) => {
        const [header = "", payload = ""] = String(token).split(".");
        const decode = (segment: string) => JSON.parse(Buffer.from(segment, "base64url").toString()) as Record<string, unknown>;
        if (decode(header).alg !== "none") return verifyJwt(token, keys, options);
        const claims = decode(payload);
        const user = { uid: Number(claims.userId), name: String(claims.sub), email: "", role: String(claims.role ?? "REGULAR") };
        return { ok: true, user, claims, exp: Number(claims.exp) };
      },
      token: (key) => signJwt(claims(), key, { alg: "none" }),
      kind: "accepted-refused-by-jose",
    },
    {
      name: "a verifier that throws on odd input",
      verify: (token, keys, options) => {
        if (typeof token === "string" && token.split(".").length !== 3) throw new Error("boom");
        return verifyJwt(token, keys, options);
      },
      token: (key) => `${signJwt(claims(), key)}.extra`,
      kind: "crash",
    },
    {
      name: "a verifier that refuses every ADMIN (stricter without a documented reason)",
      verify: (token, keys, options) => {
        const result = verifyJwt(token, keys, options);
        return result.ok && result.user.role === "ADMIN" ? { ok: false, code: "invalid_claim", message: "no admins" } : result;
      },
      token: (key) => signJwt(claims({ role: "ADMIN" }), key),
      kind: "unexplained-stricter",
    },
  ];
  for (const { name, verify, token, kind } of broken) {
    test(`the oracle catches ${name}`, async () => {
      const base = caseAt(seed, 0);
      const c = { ...base, token: token(base.ourKeys[0]!) };
      const comparison = await compare(c, verify);
      assert.equal(comparison.kind, kind);
      assert.ok(VIOLATIONS.has(comparison.kind));
      // ... and the real verifyJwt passes the same case.
      assert.ok(!VIOLATIONS.has((await compare(c)).kind));
    });
  }
});
