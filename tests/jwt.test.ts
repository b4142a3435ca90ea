/**
 * Tests for the pure HS256 verifier in src/jwt.ts.
 *
 * Runs unchanged on Node (`node --import tsx --test tests/jwt.test.ts`) and on
 * Deno (`deno test --allow-all tests/jwt.test.ts`): only `node:test` `test` /
 * `describe` and `node:assert/strict`, no mocks, no timers; the clock is
 * injected through `options.now`.
 *
 * The differential test at the bottom compares verifyJwt with jose's
 * jwtVerify on a few thousand generated tokens. Its seed is printed; rerun a
 * failure with `JWT_FUZZ_SEED=<seed>`.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import process from "node:process";
import { jwtVerify, SignJWT } from "jose";
import { mulberry32 } from "./helpers/jwt-mutations.ts";
import {
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_TOKEN_LENGTH,
  JWT_FAILURE_CODES,
  type JwtFailureCode,
  type JwtKey,
  type JwtKeys,
  type JwtResult,
  type JwtSuccess,
  signJwt,
  verifyJwt,
} from "../src/jwt.ts";

// ---------------------------------------------------------------------------
// Fixtures and helpers
// ---------------------------------------------------------------------------

const SECRET = "test-secret-0123456789abcdef-0123456789abcdef";
const OTHER_SECRET = "another-secret-0123456789abcdef-0123456789ab";
const SKEW = DEFAULT_CLOCK_SKEW_SECONDS; // 30 s, the reference service's rule
/** The injected clock, in ms. Deliberately not on a whole second: seconds are floored. */
const NOW = 1_750_000_000_250;
const NOW_S = Math.floor(NOW / 1000);

type Claims = Record<string, unknown>;
type Outcome = JwtFailureCode | "ok";

function aliceClaims(overrides: Claims = {}): Claims {
  return {
    sub: "alice",
    userId: 42,
    email: "alice@example.com",
    role: "REGULAR",
    exp: NOW_S + 3600,
    ...overrides,
  };
}

function without(claims: Claims, ...names: string[]): Claims {
  const copy: Claims = { ...claims };
  for (const name of names) delete copy[name];
  return copy;
}

function verifyAt(token: unknown, keys: JwtKeys = SECRET, now: number = NOW): JwtResult {
  return verifyJwt(token, keys, { now });
}

function outcome(result: JwtResult): Outcome {
  return result.ok ? "ok" : result.code;
}

function expectOk(result: JwtResult): JwtSuccess {
  if (!result.ok) assert.fail(`expected a verified token, got ${result.code}: ${result.message}`);
  return result;
}

function expectCode(result: JwtResult, code: JwtFailureCode, why = ""): void {
  assert.equal(outcome(result), code, why);
  if (!result.ok) {
    assert.equal(typeof result.message, "string");
    assert.ok(result.message.length > 0, "a failure carries a message");
  }
}

function b64u(data: string | Uint8Array): string {
  return (typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data)).toString("base64url");
}

function fromB64u(segment: string): Uint8Array {
  return new Uint8Array(Buffer.from(segment, "base64url"));
}

function hs256(key: JwtKey, signingInput: string): string {
  return createHmac("sha256", key).update(signingInput).digest("base64url");
}

/** Signs arbitrary header/payload *text* (not necessarily what JSON.stringify would give). */
function rawToken(headerText: string | Uint8Array, payloadText: string | Uint8Array, key: JwtKey = SECRET): string {
  const signingInput = `${b64u(headerText)}.${b64u(payloadText)}`;
  return `${signingInput}.${hs256(key, signingInput)}`;
}

function split(token: string): [string, string, string] {
  const parts = token.split(".");
  assert.equal(parts.length, 3, "test fixture must have three segments");
  return parts as [string, string, string];
}

const utf8 = new TextEncoder();

// ---------------------------------------------------------------------------
// The reference service's cases
// ---------------------------------------------------------------------------

describe("reference service cases", () => {
  test("a correctly signed, unexpired token gives the user", () => {
    const claims = aliceClaims();
    const result = expectOk(verifyAt(signJwt(claims, SECRET)));
    assert.deepEqual(result.user, { uid: 42, name: "alice", email: "alice@example.com", role: "REGULAR" });
    assert.equal(result.exp, NOW_S + 3600);
    assert.deepEqual(result.claims, claims);
    assert.ok(Object.isFrozen(result.user));
  });

  test('a string userId "7" gives uid 7', () => {
    const result = expectOk(verifyAt(signJwt(aliceClaims({ userId: "7" }), SECRET)));
    assert.equal(result.user.uid, 7);
  });

  test("a different secret gives bad_signature", () => {
    expectCode(verifyAt(signJwt(aliceClaims(), OTHER_SECRET)), "bad_signature");
  });

  test("a tampered payload (userId 999 with the old signature) gives bad_signature", () => {
    const [header, , signature] = split(signJwt(aliceClaims(), SECRET));
    const tampered = `${header}.${b64u(JSON.stringify(aliceClaims({ userId: 999 })))}.${signature}`;
    expectCode(verifyAt(tampered), "bad_signature");
  });

  test("exp 60 s ago is expired", () => {
    expectCode(verifyAt(signJwt(aliceClaims({ exp: NOW_S - 60 }), SECRET)), "expired");
  });

  test("exp 10 s ago is accepted (within the 30 s skew)", () => {
    expectOk(verifyAt(signJwt(aliceClaims({ exp: NOW_S - 10 }), SECRET)));
  });

  test('alg "none" gives alg_not_allowed', () => {
    expectCode(verifyAt(signJwt(aliceClaims(), SECRET, { alg: "none", typ: "JWT" })), "alg_not_allowed");
    // The classic unsigned form (empty third segment) is refused even earlier.
    const [header, payload] = split(signJwt(aliceClaims(), SECRET, { alg: "none", typ: "JWT" }));
    expectCode(verifyAt(`${header}.${payload}.`), "malformed");
  });

  for (const claim of ["exp", "sub", "userId"]) {
    test(`a missing ${claim} gives missing_claim`, () => {
      const result = verifyAt(signJwt(without(aliceClaims(), claim), SECRET));
      expectCode(result, "missing_claim");
      assert.ok(!result.ok && result.message.includes(claim), "the message names the claim");
    });
  }

  for (const token of [undefined, "", "not-a-jwt", "only.two"]) {
    test(`${JSON.stringify(token) ?? "undefined"} is malformed`, () => {
      expectCode(verifyAt(token), "malformed");
    });
  }

  test('email defaults to "" and role to "REGULAR"', () => {
    const result = expectOk(verifyAt(signJwt(without(aliceClaims(), "email", "role"), SECRET)));
    assert.deepEqual(result.user, { uid: 42, name: "alice", email: "", role: "REGULAR" });
    // null counts as absent.
    const nulls = expectOk(verifyAt(signJwt(aliceClaims({ email: null, role: null }), SECRET)));
    assert.deepEqual(nulls.user, { uid: 42, name: "alice", email: "", role: "REGULAR" });
  });

  test("valid non-ASCII UTF-8 claims round-trip", () => {
    const result = expectOk(verifyAt(signJwt(aliceClaims({ sub: "ålice 用户 🦕", email: "ålice@exämple.com" }), SECRET)));
    assert.equal(result.user.name, "ålice 用户 🦕");
    assert.equal(result.user.email, "ålice@exämple.com");
  });

  test("role and email are passed through", () => {
    const result = expectOk(verifyAt(signJwt(aliceClaims({ role: "ADMIN", email: "a@b.c" }), SECRET)));
    assert.equal(result.user.role, "ADMIN");
    assert.equal(result.user.email, "a@b.c");
  });

  for (const userId of ["abc", 0, -1, 1.5, "007", true, "0", "", " 7", "7 ", "1e3", "+7", "-7", [7], { id: 7 }, 2 ** 53, "9007199254740993"]) {
    test(`userId ${JSON.stringify(userId)} gives invalid_claim`, () => {
      expectCode(verifyAt(signJwt(aliceClaims({ userId }), SECRET)), "invalid_claim");
    });
  }

  test("userId null counts as missing", () => {
    expectCode(verifyAt(signJwt(aliceClaims({ userId: null }), SECRET)), "missing_claim");
  });

  test("the largest safe integer userId, as number and as digits, is accepted", () => {
    const max = Number.MAX_SAFE_INTEGER;
    assert.equal(expectOk(verifyAt(signJwt(aliceClaims({ userId: max }), SECRET))).user.uid, max);
    assert.equal(expectOk(verifyAt(signJwt(aliceClaims({ userId: String(max) }), SECRET))).user.uid, max);
  });

  for (const sub of ["", 5, null, true, ["alice"], { name: "alice" }]) {
    test(`sub ${JSON.stringify(sub)} gives invalid_claim`, () => {
      expectCode(verifyAt(signJwt(aliceClaims({ sub }), SECRET)), "invalid_claim");
    });
  }

  test("email that is not a string, or role that is empty or not a string, gives invalid_claim", () => {
    for (const overrides of [{ email: 5 }, { email: ["a@b.c"] }, { role: "" }, { role: 1 }, { role: ["ADMIN"] }]) {
      expectCode(verifyAt(signJwt(aliceClaims(overrides), SECRET)), "invalid_claim", JSON.stringify(overrides));
    }
  });
});

// ---------------------------------------------------------------------------
// RFC 7515 Appendix A.1 known answer
// ---------------------------------------------------------------------------

describe("RFC 7515 appendix A.1 known-answer token", () => {
  const token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9" +
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ" +
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const key = fromB64u("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  const exp = 1300819380;
  const at = (seconds: number) => seconds * 1000;

  /** The MAC verifies but the token has no sub: reaching the sub check proves signature and time passed. */
  function expectPastSignatureAndTime(result: JwtResult): void {
    expectCode(result, "missing_claim");
    assert.ok(!result.ok && /\bsub\b/.test(result.message), "fails on sub, after signature and exp");
  }

  test("fixture sanity: 64-byte key, and the MAC is the RFC's", () => {
    assert.equal(key.length, 64);
    const [header, payload, signature] = split(token);
    assert.equal(hs256(key, `${header}.${payload}`), signature);
    assert.deepEqual(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")), {
      iss: "joe",
      exp,
      "http://example.com/is_root": true,
    });
  });

  test("1 s before exp it gets past signature and time (missing_claim for sub)", () => {
    expectPastSignatureAndTime(verifyJwt(token, key, { now: at(exp - 1) }));
  });

  test("30 s after exp (within the skew, even at .999) it still gets past the time check", () => {
    expectPastSignatureAndTime(verifyJwt(token, key, { now: at(exp + 30) }));
    expectPastSignatureAndTime(verifyJwt(token, key, { now: at(exp + 30) + 999 }));
  });

  test("31 s after exp it is expired", () => {
    expectCode(verifyJwt(token, key, { now: at(exp + 31) }), "expired");
  });

  test("a zero skew makes exp+1 expired", () => {
    expectPastSignatureAndTime(verifyJwt(token, key, { now: at(exp), clockSkewSeconds: 0 }));
    expectCode(verifyJwt(token, key, { now: at(exp + 1), clockSkewSeconds: 0 }), "expired");
  });

  test("a wrong key gives bad_signature; the right key in a rotation list works", () => {
    const wrong = new Uint8Array(key);
    wrong[0] = (wrong[0] ?? 0) ^ 1;
    expectCode(verifyJwt(token, wrong, { now: at(exp - 1) }), "bad_signature");
    expectCode(verifyJwt(token, key.subarray(0, 32), { now: at(exp - 1) }), "bad_signature");
    expectPastSignatureAndTime(verifyJwt(token, [wrong, key], { now: at(exp - 1) }));
  });

  test("the same claims re-serialized with JSON.stringify keep failing with bad_signature (MAC over received bytes)", () => {
    const [header, payload, signature] = split(token);
    const reencodedPayload = b64u(JSON.stringify(JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))));
    const reencodedHeader = b64u(JSON.stringify(JSON.parse(Buffer.from(header, "base64url").toString("utf8"))));
    assert.notEqual(reencodedPayload, payload);
    assert.notEqual(reencodedHeader, header);
    for (const variant of [
      `${header}.${reencodedPayload}.${signature}`,
      `${reencodedHeader}.${payload}.${signature}`,
      `${reencodedHeader}.${reencodedPayload}.${signature}`,
    ]) {
      expectCode(verifyJwt(variant, key, { now: at(exp - 1) }), "bad_signature");
    }
  });

  test("jose agrees that the MAC is good at exp-1 and that the token is expired at exp+31", async () => {
    const { payload } = await jwtVerify(token, key, { currentDate: new Date(at(exp - 1)), clockTolerance: SKEW });
    assert.equal(payload.iss, "joe");
    await assert.rejects(
      jwtVerify(token, key, { currentDate: new Date(at(exp + 31)), clockTolerance: SKEW }),
      (error: unknown) => (error as { code?: string }).code === "ERR_JWT_EXPIRED",
    );
  });
});

// ---------------------------------------------------------------------------
// Header: alg, crit, shape
// ---------------------------------------------------------------------------

describe("header", () => {
  // Each of these is signed with the right key, so only the header is wrong.
  const badAlgHeaders: Array<[string, Claims]> = [
    ['"none"', { alg: "none", typ: "JWT" }],
    ['"None"', { alg: "None", typ: "JWT" }],
    ['"NONE"', { alg: "NONE", typ: "JWT" }],
    ['"HS512"', { alg: "HS512", typ: "JWT" }],
    ['"HS384"', { alg: "HS384", typ: "JWT" }],
    ['"RS256"', { alg: "RS256", typ: "JWT" }],
    ['"ES256"', { alg: "ES256", typ: "JWT" }],
    ['"hs256"', { alg: "hs256", typ: "JWT" }],
    ['"HS256 " (trailing space)', { alg: "HS256 ", typ: "JWT" }],
    ['"" (empty)', { alg: "", typ: "JWT" }],
    ["missing", { typ: "JWT" }],
    ["a number", { alg: 256, typ: "JWT" }],
    ["null", { alg: null, typ: "JWT" }],
    ['["HS256"]', { alg: ["HS256"], typ: "JWT" }],
    ['{"name":"HS256"}', { alg: { name: "HS256" }, typ: "JWT" }],
  ];
  for (const [label, header] of badAlgHeaders) {
    test(`alg ${label} gives alg_not_allowed`, () => {
      expectCode(verifyAt(signJwt(aliceClaims(), SECRET, header)), "alg_not_allowed");
    });
  }

  test('a minimal header {"alg":"HS256"} without typ is fine', () => {
    expectOk(verifyAt(signJwt(aliceClaims(), SECRET, { alg: "HS256" })));
  });

  for (const headerText of ["[]", '["HS256"]', '"HS256"', "null", "42", "true", "{", '{"alg":"HS256"', "not json"]) {
    test(`header ${headerText} (not a JSON object) is malformed`, () => {
      expectCode(verifyAt(rawToken(headerText, JSON.stringify(aliceClaims()))), "malformed");
    });
  }

  for (const payloadText of ["[]", '"x"', "null", "7", "{", ""]) {
    test(`a correctly signed payload ${JSON.stringify(payloadText)} (not a JSON object) is malformed`, () => {
      expectCode(verifyAt(rawToken('{"alg":"HS256"}', payloadText)), "malformed");
    });
  }

  test("a crit header gives crit_not_supported, whatever it lists", () => {
    for (const header of [
      { alg: "HS256", crit: ["exp"], exp: 1 },
      { alg: "HS256", crit: ["b64"], b64: true }, // jose accepts this one
      { alg: "HS256", crit: [] },
      { alg: "HS256", crit: "b64" },
      { alg: "HS256", crit: null },
    ]) {
      expectCode(verifyAt(signJwt(aliceClaims(), SECRET, header)), "crit_not_supported", JSON.stringify(header));
    }
  });

  test("unknown header parameters (kid, typ, cty, jku) are ignored", () => {
    const header = { alg: "HS256", typ: "at+jwt", kid: "2024-01", cty: "JWT", jku: "https://attacker.example/jwks" };
    expectOk(verifyAt(signJwt(aliceClaims(), SECRET, header)));
  });
});

// ---------------------------------------------------------------------------
// Encoding: segments, padding, alphabet, size, input type
// ---------------------------------------------------------------------------

describe("encoding", () => {
  const token = signJwt(aliceClaims(), SECRET);
  const [header, payload, signature] = split(token);

  test("fixture sanity: the token verifies", () => {
    expectOk(verifyAt(token));
  });

  test("padding '=' in any segment is malformed", () => {
    for (const variant of [
      `${header}=.${payload}.${signature}`,
      `${header}.${payload}=.${signature}`,
      `${header}.${payload}.${signature}=`,
      `${header}.${payload}.${signature}==`,
    ]) {
      expectCode(verifyAt(variant), "malformed", variant);
    }
  });

  test("'+' or '/' (standard base64 alphabet) in any segment is malformed", () => {
    const set = (segment: string, index: number, ch: string) => segment.slice(0, index) + ch + segment.slice(index + 1);
    for (const ch of ["+", "/"]) {
      expectCode(verifyAt(`${set(header, 3, ch)}.${payload}.${signature}`), "malformed");
      expectCode(verifyAt(`${header}.${set(payload, 5, ch)}.${signature}`), "malformed");
      expectCode(verifyAt(`${header}.${payload}.${set(signature, 7, ch)}`), "malformed");
      // The same MAC bytes spelled in the standard alphabet.
      const standard = Buffer.from(signature, "base64url").toString("base64").replace(/=+$/, "");
      if (standard !== signature) expectCode(verifyAt(`${header}.${payload}.${standard}`), "malformed");
    }
  });

  test("whitespace anywhere is malformed", () => {
    for (const variant of [` ${token}`, `${token}\n`, `${header}. ${payload}.${signature}`, `${header}.${payload}.${signature.slice(0, 10)} ${signature.slice(10)}`]) {
      expectCode(verifyAt(variant), "malformed", JSON.stringify(variant));
    }
  });

  test("empty segments are malformed", () => {
    for (const variant of [`.${payload}.${signature}`, `${header}..${signature}`, `${header}.${payload}.`, "..", ".", "...", `${header}.${payload}`]) {
      expectCode(verifyAt(variant), "malformed", variant);
    }
  });

  test("four or more segments are malformed", () => {
    for (const variant of [`${token}.${signature}`, `${token}.`, `${header}.${header}.${payload}.${signature}`, `${token}.a.b`]) {
      expectCode(verifyAt(variant), "malformed", variant);
    }
  });

  test("a segment length that no encoding can produce (4n+1) is malformed", () => {
    expectCode(verifyAt(`${header}.${payload}.${signature}AA`), "malformed"); // 45 characters
    expectCode(verifyAt(`${header}.${payload}.${signature}A`), "bad_signature"); // 44: decodable, wrong MAC
  });

  test("a non-canonical spelling of the right MAC bytes is bad_signature (the text is compared)", () => {
    // 32 MAC bytes take 43 characters; the last one carries 2 unused bits.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(signature.slice(-1));
    const alternative = signature.slice(0, -1) + alphabet[last ^ 1];
    assert.deepEqual(fromB64u(alternative), fromB64u(signature), "same bytes, different text");
    expectCode(verifyAt(`${header}.${payload}.${alternative}`), "bad_signature");
  });

  test("a truncated or extended signature is bad_signature or malformed, never ok", () => {
    for (let cut = 1; cut < signature.length; cut++) {
      const result = verifyAt(`${header}.${payload}.${signature.slice(0, cut)}`);
      assert.ok(outcome(result) === "bad_signature" || outcome(result) === "malformed", `cut ${cut}: ${outcome(result)}`);
    }
  });

  test("longer than maxTokenLength is too_large, checked before anything else", () => {
    expectOk(verifyJwt(token, SECRET, { now: NOW, maxTokenLength: token.length }));
    expectCode(verifyJwt(token, SECRET, { now: NOW, maxTokenLength: token.length - 1 }), "too_large");
    // Even a string that is not a JWT at all.
    expectCode(verifyJwt("x".repeat(100), SECRET, { now: NOW, maxTokenLength: 99 }), "too_large");
  });

  test("the default bound is 8192 characters", () => {
    assert.equal(DEFAULT_MAX_TOKEN_LENGTH, 8192);
    const big = signJwt(aliceClaims({ padding: "p".repeat(7000) }), SECRET);
    assert.ok(big.length > 8192);
    expectCode(verifyAt(big), "too_large");
    expectOk(verifyJwt(big, SECRET, { now: NOW, maxTokenLength: big.length }));
    const fits = signJwt(aliceClaims({ padding: "p".repeat(5000) }), SECRET);
    assert.ok(fits.length <= 8192);
    expectOk(verifyAt(fits));
  });

  test("a 1 MB token is refused as too_large without being parsed", () => {
    const megabyte = `${header}.${"A".repeat(1 << 20)}.${signature}`;
    for (let i = 0; i < 1000; i++) expectCode(verifyAt(megabyte), "too_large");
    expectCode(verifyAt("a".repeat(1 << 20)), "too_large");
    // With the bound lifted, it is still refused (and does not throw).
    expectCode(verifyJwt(megabyte, SECRET, { now: NOW, maxTokenLength: Number.MAX_SAFE_INTEGER }), "bad_signature");
  });

  test("non-string input is malformed and never throws", () => {
    const hostile = {
      toString(): string {
        throw new Error("boom");
      },
    };
    const inputs: unknown[] = [42, 0, NaN, {}, [], null, true, Symbol("jwt"), () => token, [header, payload, signature], new String(token), utf8.encode(token), hostile, BigInt(1)];
    for (const input of inputs) {
      let result: JwtResult | undefined;
      assert.doesNotThrow(() => {
        result = verifyAt(input);
      });
      assert.ok(result);
      expectCode(result, "malformed", String(typeof input));
    }
  });

  test("non-ASCII characters in a segment are malformed", () => {
    expectCode(verifyAt(`${header}.${payload}é.${signature}`), "malformed");
    expectCode(verifyAt(`${header}\u0000.${payload}.${signature}`), "malformed");
  });

  test("a failure message never contains the token or the key", () => {
    const results = [
      verifyAt(signJwt(aliceClaims(), OTHER_SECRET)),
      verifyAt(`${token}.x`),
      verifyAt(signJwt(aliceClaims({ exp: NOW_S - 600 }), SECRET)),
      verifyJwt(token, SECRET, { now: NOW, maxTokenLength: 10 }),
    ];
    for (const result of results) {
      assert.ok(!result.ok);
      for (const secret of [SECRET, OTHER_SECRET, header, payload, signature]) assert.ok(!result.message.includes(secret));
    }
  });
});

// ---------------------------------------------------------------------------
// Claims: exp, nbf, iat types and the clock
// ---------------------------------------------------------------------------

describe("time claims", () => {
  for (const exp of [String(NOW_S + 60), null, true, [NOW_S + 60], { at: NOW_S + 60 }]) {
    test(`exp ${JSON.stringify(exp)} gives invalid_claim`, () => {
      expectCode(verifyAt(signJwt(aliceClaims({ exp }), SECRET)), "invalid_claim");
    });
  }

  test("nbf or iat that is not a number gives invalid_claim", () => {
    expectCode(verifyAt(signJwt(aliceClaims({ nbf: String(NOW_S) }), SECRET)), "invalid_claim");
    expectCode(verifyAt(signJwt(aliceClaims({ iat: "yesterday" }), SECRET)), "invalid_claim");
    expectCode(verifyAt(signJwt(aliceClaims({ nbf: null }), SECRET)), "invalid_claim");
  });

  test("a non-finite exp (1e999 parses as Infinity) gives invalid_claim", () => {
    const payload = `{"sub":"alice","userId":42,"exp":1e999}`;
    expectCode(verifyAt(rawToken('{"alg":"HS256"}', payload)), "invalid_claim");
    expectCode(verifyAt(rawToken('{"alg":"HS256"}', `{"sub":"alice","userId":42,"exp":${NOW_S + 60},"nbf":-1e999}`)), "invalid_claim");
  });

  test("exp boundary: exp + skew == now is accepted, one second later is expired", () => {
    expectOk(verifyAt(signJwt(aliceClaims({ exp: NOW_S - SKEW }), SECRET)));
    expectCode(verifyAt(signJwt(aliceClaims({ exp: NOW_S - SKEW - 1 }), SECRET)), "expired");
    // A fractional exp is compared as is.
    expectOk(verifyAt(signJwt(aliceClaims({ exp: NOW_S - SKEW - 0.5 }), SECRET), SECRET, (NOW_S - 0.5) * 1000 + 400));
    expectCode(verifyAt(signJwt(aliceClaims({ exp: NOW_S - SKEW - 0.5 }), SECRET)), "expired");
  });

  test("nbf in the future beyond the skew is not_yet_valid; within the skew it is accepted", () => {
    expectCode(verifyAt(signJwt(aliceClaims({ nbf: NOW_S + 120 }), SECRET)), "not_yet_valid");
    expectCode(verifyAt(signJwt(aliceClaims({ nbf: NOW_S + SKEW + 1 }), SECRET)), "not_yet_valid");
    expectOk(verifyAt(signJwt(aliceClaims({ nbf: NOW_S + SKEW }), SECRET)));
    expectOk(verifyAt(signJwt(aliceClaims({ nbf: NOW_S + 10 }), SECRET)));
    expectOk(verifyAt(signJwt(aliceClaims({ nbf: NOW_S - 3600 }), SECRET)));
  });

  test("a custom clockSkewSeconds is honoured for exp and nbf", () => {
    const at = (claims: Claims, clockSkewSeconds: number) => verifyJwt(signJwt(aliceClaims(claims), SECRET), SECRET, { now: NOW, clockSkewSeconds });
    expectOk(at({ exp: NOW_S }, 0));
    expectCode(at({ exp: NOW_S - 1 }, 0), "expired");
    expectOk(at({ exp: NOW_S - 299 }, 300));
    expectCode(at({ nbf: NOW_S + 1 }, 0), "not_yet_valid");
    expectOk(at({ nbf: NOW_S + 5 }, 5));
  });

  test("iat in the future is not checked (like jose without maxTokenAge)", () => {
    expectOk(verifyAt(signJwt(aliceClaims({ iat: NOW_S + 86_400 }), SECRET)));
  });

  test("the clock comes only from options.now", () => {
    const token = signJwt(aliceClaims({ exp: 1_000 }), SECRET);
    expectOk(verifyJwt(token, SECRET, { now: 1_000_000 }));
    expectCode(verifyJwt(token, SECRET, { now: 1_031_000 }), "expired");
  });
});

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

describe("keys", () => {
  const oldKey = "old-secret-0123456789abcdef-0123456789abcdef";
  const newKey = "new-secret-0123456789abcdef-0123456789abcdef";

  test("rotation: a token signed with the old key verifies with [new, old] and fails with [new]", () => {
    const token = signJwt(aliceClaims(), oldKey);
    expectOk(verifyAt(token, [newKey, oldKey]));
    expectOk(verifyAt(token, [oldKey, newKey]));
    expectCode(verifyAt(token, [newKey]), "bad_signature");
    expectCode(verifyAt(token, newKey), "bad_signature");
    expectOk(verifyAt(signJwt(aliceClaims(), newKey), [newKey, oldKey]));
  });

  test("an empty key list is a call error (TypeError), not a verdict on the token", () => {
    assert.throws(() => verifyAt(signJwt(aliceClaims(), SECRET), []), TypeError);
  });

  test("a string key and its UTF-8 bytes are the same key", () => {
    const unicodeKey = "clé-secrète-🔑-0123456789abcdef";
    const bytes = utf8.encode(unicodeKey);
    expectOk(verifyAt(signJwt(aliceClaims(), unicodeKey), bytes));
    expectOk(verifyAt(signJwt(aliceClaims(), bytes), unicodeKey));
    expectOk(verifyAt(signJwt(aliceClaims(), bytes), [new Uint8Array(32), bytes]));
  });
});

// ---------------------------------------------------------------------------
// Interoperability with jose
// ---------------------------------------------------------------------------

describe("jose interoperability", () => {
  const keyBytes = utf8.encode(SECRET);

  test("tokens minted by jose SignJWT verify", async () => {
    const token = await new SignJWT({ userId: 42, email: "alice@example.com", role: "ADMIN" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("alice")
      .setIssuedAt(NOW_S)
      .setExpirationTime(NOW_S + 600)
      .sign(keyBytes);
    const result = expectOk(verifyAt(token));
    assert.deepEqual(result.user, { uid: 42, name: "alice", email: "alice@example.com", role: "ADMIN" });
    assert.equal(result.exp, NOW_S + 600);
    expectOk(verifyAt(token, keyBytes));

    const withTyp = await new SignJWT({ userId: "7", sub: "bob", exp: NOW_S + 60 })
      .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: "k1" })
      .sign(keyBytes);
    assert.equal(expectOk(verifyAt(withTyp)).user.uid, 7);
  });

  test("jose tokens with another alg, a future nbf, or no userId are refused", async () => {
    const base = () => new SignJWT({ userId: 1 }).setSubject("alice").setExpirationTime(NOW_S + 600);
    expectCode(verifyAt(await base().setProtectedHeader({ alg: "HS512" }).sign(keyBytes)), "alg_not_allowed");
    expectCode(verifyAt(await base().setProtectedHeader({ alg: "HS256" }).setNotBefore(NOW_S + 600).sign(keyBytes)), "not_yet_valid");
    const noUser = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("alice").setExpirationTime(NOW_S + 600).sign(keyBytes);
    expectCode(verifyAt(noUser), "missing_claim");
  });

  test("tokens minted by signJwt verify under jose", async () => {
    const { payload, protectedHeader } = await jwtVerify(signJwt(aliceClaims(), SECRET), keyBytes, {
      algorithms: ["HS256"],
      currentDate: new Date(NOW),
    });
    assert.deepEqual(payload, aliceClaims());
    assert.deepEqual(protectedHeader, { alg: "HS256", typ: "JWT" });
  });
});

// ---------------------------------------------------------------------------
// Every failure code is reachable
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Optional checks: issuer, audience, typ, maxTokenAge (off by default)
// ---------------------------------------------------------------------------

describe("optional checks (off by default)", () => {
  const issuer = "https://login.example.com";
  const rich = (overrides: Claims = {}) => aliceClaims({ iss: issuer, aud: ["agent-service", "billing"], iat: NOW_S - 60, ...overrides });
  const at = (token: string, options: Parameters<typeof verifyJwt>[2] = {}) => verifyJwt(token, SECRET, { now: NOW, ...options });

  test("without options, iss, aud, typ and iat are not checked (today's behaviour)", () => {
    const odd = signJwt(aliceClaims({ iss: 12, aud: { not: "a list" }, iat: NOW_S - 10 * 365 * 86400 }), SECRET, { alg: "HS256", typ: "something/else" });
    expectOk(at(odd));
  });

  test("issuer: one or several accepted; missing is missing_claim, another or a non-string invalid_claim", () => {
    expectOk(at(signJwt(rich(), SECRET), { issuer }));
    expectOk(at(signJwt(rich(), SECRET), { issuer: ["https://other.example.com", issuer] }));
    expectCode(at(signJwt(without(rich(), "iss"), SECRET), { issuer }), "missing_claim");
    expectCode(at(signJwt(rich({ iss: "https://login.example.com/" }), SECRET), { issuer }), "invalid_claim", "exact match only");
    expectCode(at(signJwt(rich({ iss: [issuer] }), SECRET), { issuer }), "invalid_claim");
  });

  test("audience: a string or an array containing an expected one; missing is missing_claim, none in common invalid_claim", () => {
    expectOk(at(signJwt(rich(), SECRET), { audience: "agent-service" }));
    expectOk(at(signJwt(rich({ aud: "agent-service" }), SECRET), { audience: ["x", "agent-service"] }));
    expectCode(at(signJwt(without(rich(), "aud"), SECRET), { audience: "agent-service" }), "missing_claim");
    expectCode(at(signJwt(rich({ aud: "billing" }), SECRET), { audience: "agent-service" }), "invalid_claim");
    expectCode(at(signJwt(rich({ aud: [] }), SECRET), { audience: "agent-service" }), "invalid_claim");
    expectCode(at(signJwt(rich({ aud: [7, null] }), SECRET), { audience: "agent-service" }), "invalid_claim");
  });

  test("typ: compared without case and without application/; another or a missing typ is invalid_claim", () => {
    for (const typ of ["JWT", "jwt", "application/jwt", "Application/JWT"]) {
      expectOk(at(signJwt(rich(), SECRET, { alg: "HS256", typ }), { typ: "JWT" }));
      expectOk(at(signJwt(rich(), SECRET, { alg: "HS256", typ, kid: "k1" }), { typ: "jwt" }));
    }
    expectOk(at(signJwt(rich(), SECRET, { typ: "JWT", alg: "HS256" }), { typ: "application/JWT" }));
    expectCode(at(signJwt(rich(), SECRET, { alg: "HS256", typ: "at+jwt" }), { typ: "JWT" }), "invalid_claim");
    expectCode(at(signJwt(rich(), SECRET, { alg: "HS256" }), { typ: "JWT" }), "invalid_claim", "a header without typ");
    expectCode(at(signJwt(rich(), SECRET, { alg: "HS256", typ: 1 }), { typ: "JWT" }), "invalid_claim");
  });

  test("maxTokenAge: iat required; older than maxTokenAge + skew is expired, later than now + skew invalid_claim", () => {
    const max = 600;
    expectCode(at(signJwt(without(rich(), "iat"), SECRET), { maxTokenAge: max }), "missing_claim");
    expectOk(at(signJwt(rich({ iat: NOW_S - max - SKEW }), SECRET), { maxTokenAge: max }));
    expectCode(at(signJwt(rich({ iat: NOW_S - max - SKEW - 1 }), SECRET), { maxTokenAge: max }), "expired");
    expectOk(at(signJwt(rich({ iat: NOW_S + SKEW }), SECRET), { maxTokenAge: max }));
    expectCode(at(signJwt(rich({ iat: NOW_S + SKEW + 1 }), SECRET), { maxTokenAge: max }), "invalid_claim");
    expectOk(at(signJwt(rich({ iat: NOW_S - max - 5 }), SECRET), { maxTokenAge: max, clockSkewSeconds: 5 }));
    expectCode(at(signJwt(rich({ iat: NOW_S - max - 6 }), SECRET), { maxTokenAge: max, clockSkewSeconds: 5 }), "expired");
    expectOk(at(signJwt(rich({ iat: NOW_S }), SECRET), { maxTokenAge: 0, clockSkewSeconds: 0 }));
  });

  test("every optional check comes after the signature: a forged token is bad_signature, whatever its claims", () => {
    const all = { issuer, audience: "agent-service", typ: "JWT", maxTokenAge: 1 };
    const forged = signJwt(aliceClaims({ iss: "evil", aud: "evil", iat: 0 }), OTHER_SECRET, { alg: "HS256", typ: "evil" });
    expectCode(at(forged, all), "bad_signature");
  });

  test("an option of the wrong type is a call error (TypeError)", () => {
    const token = signJwt(rich(), SECRET);
    for (const options of [{ issuer: "" }, { issuer: [] }, { issuer: [1] }, { audience: [""] }, { typ: "" }, { maxTokenAge: -1 }, { maxTokenAge: NaN }]) {
      assert.throws(() => verifyJwt(token, SECRET, { now: NOW, ...(options as object) }), TypeError, JSON.stringify(options));
    }
  });

  test("each option agrees with jose's jwtVerify on the same tokens", async () => {
    const key = utf8.encode(SECRET);
    const currentDate = new Date(NOW);
    const cases: [Claims, Record<string, unknown>, Record<string, unknown>][] = [
      [rich(), { issuer }, { alg: "HS256", typ: "JWT" }],
      [rich({ iss: "other" }), { issuer }, { alg: "HS256" }],
      [without(rich(), "iss"), { issuer: [issuer, "x"] }, { alg: "HS256" }],
      [rich(), { audience: "billing" }, { alg: "HS256" }],
      [rich({ aud: "nobody" }), { audience: ["agent-service"] }, { alg: "HS256" }],
      [without(rich(), "aud"), { audience: "agent-service" }, { alg: "HS256" }],
      [rich(), { typ: "JWT" }, { alg: "HS256", typ: "application/jwt" }],
      [rich(), { typ: "JWT" }, { alg: "HS256", typ: "at+jwt" }],
      [rich(), { typ: "JWT" }, { alg: "HS256" }],
      [rich({ iat: NOW_S - 630 }), { maxTokenAge: 600 }, { alg: "HS256" }],
      [rich({ iat: NOW_S - 631 }), { maxTokenAge: 600 }, { alg: "HS256" }],
      [rich({ iat: NOW_S + 31 }), { maxTokenAge: 600 }, { alg: "HS256" }],
      [without(rich(), "iat"), { maxTokenAge: 600 }, { alg: "HS256" }],
    ];
    for (const [claims, options, header] of cases) {
      const token = signJwt(claims, SECRET, header);
      const ours = at(token, options).ok;
      const theirs = await jwtVerify(token, key, { algorithms: ["HS256"], clockTolerance: SKEW, currentDate, ...options }).then(() => true, () => false);
      assert.equal(ours, theirs, `${JSON.stringify(header)} ${JSON.stringify(claims)} with ${JSON.stringify(options)}`);
    }
  });
});

test("no call changes the next: verdicts are the same in any order, after any amount of hostile input", () => {
  const tokens = [
    signJwt(aliceClaims(), SECRET, { alg: "HS256", kid: "one" }),
    signJwt(aliceClaims(), SECRET, { alg: "none", kid: "one" }),
    signJwt(aliceClaims(), OTHER_SECRET, { alg: "HS256", kid: "two" }),
    signJwt(aliceClaims(), SECRET),
    signJwt(aliceClaims(), SECRET, { alg: "HS256", kid: "two" }),
  ];
  const verdicts = () => tokens.map((t) => outcome(verifyAt(t)));
  const first = verdicts();
  assert.deepEqual(first, ["ok", "alg_not_allowed", "bad_signature", "ok", "ok"]);
  // A stream of unsigned tokens with distinct headers (what once filled a shared header cache).
  for (let i = 0; i < 200; i++) verifyAt(`${b64u(JSON.stringify({ alg: "HS256", kid: `k${i}` }))}.${b64u("{}")}.${"A".repeat(43)}`);
  tokens.reverse();
  assert.deepEqual(verdicts().reverse(), first);
});

test("every failure code has an example", () => {
  const examples: Record<JwtFailureCode, JwtResult> = {
    too_large: verifyJwt("x".repeat(9000), SECRET, { now: NOW }),
    malformed: verifyAt("a.b"),
    alg_not_allowed: verifyAt(signJwt(aliceClaims(), SECRET, { alg: "none" })),
    crit_not_supported: verifyAt(signJwt(aliceClaims(), SECRET, { alg: "HS256", crit: ["exp"] })),
    bad_signature: verifyAt(signJwt(aliceClaims(), OTHER_SECRET)),
    expired: verifyAt(signJwt(aliceClaims({ exp: NOW_S - 3600 }), SECRET)),
    not_yet_valid: verifyAt(signJwt(aliceClaims({ nbf: NOW_S + 3600 }), SECRET)),
    missing_claim: verifyAt(signJwt(without(aliceClaims(), "sub"), SECRET)),
    invalid_claim: verifyAt(signJwt(aliceClaims({ userId: "abc" }), SECRET)),
  };
  assert.deepEqual(Object.keys(examples).sort(), [...JWT_FAILURE_CODES].sort());
  for (const [code, result] of Object.entries(examples)) assert.equal(outcome(result), code);
});

// ---------------------------------------------------------------------------
// Programming errors in the call, and strict decoding
// ---------------------------------------------------------------------------

describe("call errors and strict decoding", () => {
  // Comparing against NaN is always false: a broken clock injection or skew
  // setting would accept every expired token. jose throws a TypeError for
  // these options; so does verifyJwt (a bug in the caller, not in the token).
  test("a non-finite now, clockSkewSeconds or maxTokenLength throws a TypeError instead of failing open", () => {
    const expired = signJwt(aliceClaims({ exp: NOW_S - 3600 }), SECRET);
    for (const options of [{ now: NaN }, { now: NOW, clockSkewSeconds: NaN }, { now: NOW, clockSkewSeconds: Infinity }, { now: NOW, maxTokenLength: NaN }]) {
      assert.throws(() => verifyJwt(expired, SECRET, options), TypeError, JSON.stringify(options));
    }
  });

  // An empty secret (say AUTH_JWT_SECRET="" reaching the verifier) is a key
  // anyone can sign with; no key at all is a configuration error too.
  test("an empty key, an empty key list or a non-key throws a TypeError", () => {
    const token = signJwt(aliceClaims(), "");
    assert.throws(() => verifyAt(token, ""), TypeError);
    assert.throws(() => verifyAt(token, new Uint8Array(0)), TypeError);
    assert.throws(() => verifyAt(token, []), TypeError);
    assert.throws(() => verifyAt(token, [SECRET, ""]), TypeError);
    assert.throws(() => verifyAt(token, [undefined as unknown as string]), TypeError);
  });

  // A JSON escape can smuggle a lone surrogate into a string: not Unicode, and
  // not encodable into a header (encodeURIComponent throws on it).
  test("sub, email or role with a lone surrogate is invalid_claim", () => {
    for (const claims of [{ sub: "ali\ud800ce" }, { email: "a\udc00@example.com" }, { role: "REGULAR\ud83d" }]) {
      expectCode(verifyAt(signJwt(aliceClaims(claims), SECRET)), "invalid_claim");
    }
    expectOk(verifyAt(signJwt(aliceClaims({ sub: "emoji 😀 ok" }), SECRET)));
  });

  test("a byte-order mark before the JSON is malformed", () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expectCode(verifyAt(rawToken('{"alg":"HS256"}', Buffer.concat([bom, utf8.encode(JSON.stringify(aliceClaims()))]))), "malformed");
    expectCode(verifyAt(rawToken(Buffer.concat([bom, utf8.encode('{"alg":"HS256"}')]), JSON.stringify(aliceClaims()))), "malformed");
  });

  // RFC 7519 §7.2: header and claims are UTF-8 JSON. Like jose, a fatal
  // decoder refuses invalid UTF-8 rather than repairing it to U+FFFD.
  test("invalid UTF-8 in a signed header or payload is malformed, as jose says", () => {
    const badPayload = Buffer.concat([utf8.encode('{"sub":"alice'), Buffer.from([0xff]), utf8.encode(`","userId":1,"exp":${NOW_S + 60}}`)]);
    expectCode(verifyAt(rawToken('{"alg":"HS256"}', badPayload)), "malformed");
    const badHeader = Buffer.concat([utf8.encode('{"alg":"HS256","kid":"'), Buffer.from([0xc3]), utf8.encode('"}')]);
    expectCode(verifyAt(rawToken(badHeader, JSON.stringify(aliceClaims()))), "malformed");
  });
});

// ---------------------------------------------------------------------------
// Differential test against jose
// ---------------------------------------------------------------------------

interface Case {
  readonly label: string;
  readonly token: string;
  /** What verifyJwt is given (sometimes a rotation list). */
  readonly ourKeys: JwtKeys;
  /** The one key jose is given: the verifier's current key, as bytes. */
  readonly joseKey: Uint8Array;
}

const DIFF_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function generateCases(seed: number, count: number): Case[] {
  const rng = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const chance = (p: number) => rng() < p;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
  const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(0, 255));
  const randomText = (n: number) => Array.from({ length: n }, () => String.fromCharCode(int(0x20, 0x7e))).join("");

  // The verifier's keys: two byte keys and one string key; a decoy for rotation lists; a stranger that verifies nothing.
  const keys: Array<{ ours: JwtKey; bytes: Uint8Array }> = [
    { ours: randomBytes(32), bytes: new Uint8Array(0) },
    { ours: randomBytes(64), bytes: new Uint8Array(0) },
    { ours: `string-key-${randomText(24)}`, bytes: new Uint8Array(0) },
  ].map(({ ours }) => ({ ours, bytes: typeof ours === "string" ? utf8.encode(ours) : ours }));
  const decoy = randomBytes(32);
  const stranger = randomBytes(32);

  function randomClaims(): Claims {
    const claims: Claims = {};
    const r = rng();
    if (r < 0.9) claims.sub = pick(["alice", "bob", "ålice", "用户", "🦕 deno", "a".repeat(int(1, 60)), randomText(int(1, 20))]);
    else if (r < 0.94) claims.sub = pick(["", 5, null, true, ["alice"], {}]);
    // else: no sub

    const u = rng();
    if (u < 0.45) claims.userId = int(1, 10_000_000);
    else if (u < 0.8) claims.userId = String(int(1, 10_000_000));
    else if (u < 0.84) claims.userId = pick([Number.MAX_SAFE_INTEGER, String(Number.MAX_SAFE_INTEGER)]);
    else if (u < 0.97) claims.userId = pick(["abc", 0, -1, 1.5, "007", "0", "", true, null, 2 ** 53, "9007199254740993", " 7", "1e3", [1], {}]);
    // else: no userId

    const e = rng();
    if (e < 0.75) claims.exp = NOW_S + int(-200, 3600);
    else if (e < 0.85) claims.exp = NOW_S - SKEW + int(-3, 3) + pick([0, 0, 0.25, -0.25]);
    else if (e < 0.9) claims.exp = pick([String(NOW_S + 60), null, true, [NOW_S + 60]]);
    // else: no exp

    if (chance(0.2)) claims.nbf = NOW_S + pick([int(-3600, 3600), SKEW + int(-3, 3)]);
    else if (chance(0.02)) claims.nbf = pick(["now", null]);
    if (chance(0.3)) claims.iat = NOW_S - int(-100, 5000);
    else if (chance(0.02)) claims.iat = "yesterday";

    const m = rng();
    if (m < 0.5) claims.email = `${randomText(int(1, 10)).replace(/"/g, "")}@example.com`;
    else if (m < 0.55) claims.email = null;
    else if (m < 0.58) claims.email = pick([42, ["a@b.c"], false]);

    const ro = rng();
    if (ro < 0.5) claims.role = pick(["REGULAR", "ADMIN", "viewer"]);
    else if (ro < 0.54) claims.role = null;
    else if (ro < 0.58) claims.role = pick(["", 7, ["ADMIN"]]);

    if (chance(0.3)) claims.iss = pick(["https://issuer.example", "joe", 5]);
    if (chance(0.2)) claims.aud = pick(["agent-service", ["a", "b"], 1]);
    if (chance(0.2)) claims.jti = randomText(16);
    if (chance(0.1)) claims.ext = { nested: [1, "two", { three: null }], emoji: "🦕" };
    return claims;
  }

  function randomHeader(): Claims {
    const h = rng();
    if (h < 0.8) return { alg: "HS256", typ: "JWT" };
    if (h < 0.9) return { alg: "HS256" };
    if (h < 0.95) return { typ: "JWT", alg: "HS256", kid: randomText(8) };
    return pick<Claims>([
      { alg: "HS256", crit: ["b64"], b64: true }, // jose: understood, accepted; we: crit_not_supported
      { alg: "HS256", crit: ["exp"], exp: 1 }, // jose: not recognized, refused
      { alg: "HS256", crit: [] }, // jose: refused
    ]);
  }

  const sig = (token: string) => split(token)[2];
  const setChar = (s: string, i: number, ch: string) => s.slice(0, i) + ch + s.slice(i + 1);

  const cases: Case[] = [];
  const add = (label: string, token: string, key: { ours: JwtKey; bytes: Uint8Array }, ourKeys: JwtKeys = key.ours) =>
    cases.push({ label, token, ourKeys, joseKey: key.bytes });

  // Deterministic boundary cases, so the one allowed disagreement is always exercised.
  const key0 = keys[0] as { ours: JwtKey; bytes: Uint8Array };
  for (let d = -2; d <= 2; d++) {
    add(`boundary exp=now-skew${d >= 0 ? "+" : ""}${d}`, signJwt(aliceClaims({ exp: NOW_S - SKEW + d }), key0.ours), key0);
    add(`boundary nbf=now+skew${d >= 0 ? "+" : ""}${d}`, signJwt(aliceClaims({ nbf: NOW_S + SKEW + d }), key0.ours), key0);
  }

  while (cases.length < count) {
    const key = pick(keys);
    const header = randomHeader();
    const claims = randomClaims();
    const token = signJwt(claims, key.ours, header);
    const [h, p, s] = split(token);
    const mutation = int(0, 17);
    switch (mutation) {
      case 0:
      case 1:
        add("as signed", token, key);
        break;
      case 2:
        add("rotation list", token, key, [decoy, key.ours]);
        break;
      case 3: {
        let t = token;
        for (let n = int(1, 3); n > 0; n--) {
          const i = int(0, t.length - 1);
          t = setChar(t, i, String.fromCharCode(t.charCodeAt(i) ^ (1 << int(0, 6))));
        }
        add("bit flip", t, key);
        break;
      }
      case 4: {
        // Flip one of the two unused low bits of the last signature character: same MAC bytes, other text.
        const last = DIFF_ALPHABET.indexOf(s.slice(-1));
        add("signature tail bits", `${h}.${p}.${s.slice(0, -1)}${DIFF_ALPHABET[last ^ int(1, 3)]}`, key);
        break;
      }
      case 5:
        add("segment swap", pick([`${p}.${h}.${s}`, `${h}.${s}.${p}`, `${s}.${p}.${h}`, `${h}.${p}.${sig(signJwt(randomClaims(), key.ours))}`]), key);
        break;
      case 6:
        add("truncation", token.slice(0, int(0, token.length - 1)), key);
        break;
      case 7:
        add("dropped segment", pick([`${p}.${s}`, `${h}.${s}`, `${h}.${p}`, `${h}.${p}.`, `${token}.`, `${token}.${s}`]), key);
        break;
      case 8: {
        const alg = pick<unknown>(["none", "None", "HS512", "HS384", "RS256", "hs256", "HS256 ", 256, null, undefined]);
        const changed: Claims = { ...header, alg };
        if (alg === undefined) delete changed.alg;
        add("changed alg (re-signed)", signJwt(claims, key.ours, changed), key);
        break;
      }
      case 9: {
        const reencoded = b64u(JSON.stringify(claims, null, pick([1, 2, "\t", " "])));
        add("re-encoded payload, old signature", `${h}.${reencoded}.${s}`, key);
        break;
      }
      case 10: {
        const text = JSON.stringify(claims, null, pick([1, 2, "\t"]));
        add("re-encoded payload, re-signed", rawToken(JSON.stringify(header), text, key.ours), key);
        break;
      }
      case 11: {
        const boundary: Claims = { ...claims, exp: NOW_S - SKEW + int(-2, 2) };
        if (chance(0.3)) boundary.nbf = NOW_S + SKEW + int(-2, 2);
        add("exp near the boundary", signJwt(boundary, key.ours, header), key);
        break;
      }
      case 12:
        add("wrong key", signJwt(claims, pick([stranger, decoy, "wrong", `${String(key.ours)}x`]), header), key);
        break;
      case 13: {
        const padded = pick([`${h}=.${p}.${s}`, `${h}.${p}=.${s}`, `${h}.${p}.${s}=`, `${h}.${p}.${s}==`]);
        add("padding", padded, key);
        break;
      }
      case 14: {
        const i = int(0, s.length - 1);
        const spelled = pick([
          setChar(s, i, pick(["+", "/"])),
          Buffer.from(s, "base64url").toString("base64").replace(/=+$/, ""),
          `${s.slice(0, i)} ${s.slice(i)}`,
        ]);
        add("signature alphabet/whitespace", `${h}.${p}.${spelled}`, key);
        break;
      }
      case 15: {
        // Payload text JSON.stringify never writes, correctly signed.
        const body = JSON.stringify(claims).slice(1, -1);
        const sep = body.length > 0 ? "," : "";
        const text = pick([
          `\uFEFF${JSON.stringify(claims)}`, // BOM: jose's TextDecoder strips it; JSON.parse refuses it
          `{${body}${sep}"exp":1e999}`, // duplicate key, last wins in both; Infinity
          `{${body}${sep}"userId":"abc"}`, // duplicate key, last wins in both
          `{"userId":1,${body}}`, // duplicate key, last wins in both
          ` \n${JSON.stringify(claims)}\r\n`, // surrounding JSON whitespace
          JSON.stringify(claims).replace(/"sub":"a/, '"sub":"\\u0061'), // escape
        ]);
        const headerText = chance(0.2) ? `\uFEFF${JSON.stringify(header)}` : JSON.stringify(header);
        add("raw payload text (re-signed)", rawToken(headerText, text, key.ours), key);
        break;
      }
      case 16:
        add("extra segments", pick([`${token}.${s}`, `${h}.${h}.${p}.${s}`, `${token}..`]), key);
        break;
      default:
        add("empty or junk", pick(["", ".", "..", "...", `${h}..${s}`, `.${p}.${s}`, randomText(int(1, 200)), `${h}.${p}.${b64u(randomBytes(32))}`]), key);
    }
  }
  return cases;
}

/** The userId rule, restated independently of src/jwt.ts. */
function validUserId(value: unknown): boolean {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0;
  return typeof value === "string" && /^[1-9][0-9]*$/.test(value) && Number.isSafeInteger(Number(value));
}

/**
 * Where verifyJwt is deliberately stricter than jose: for a token jose
 * accepted, the codes verifyJwt may refuse it with. Each rule is one
 * documented difference:
 *
 * 1. userId: we require a positive safe integer or a digit string without
 *    leading zeros (missing/null → missing_claim, otherwise invalid_claim);
 *    jose knows nothing of userId.
 * 2. sub must be a non-empty string; jose (requiredClaims) only checks presence.
 *    email (when present, non-null) must be a string; role (when present,
 *    non-null) a non-empty string; jose does not look at them.
 * 3. crit: we refuse any crit header; jose understands crit ["b64"] with b64 true.
 * 4. Signature text: we compare canonical base64url text, so padding, the
 *    standard alphabet, whitespace, or non-zero unused bits in the last
 *    character are refused (malformed or bad_signature); jose decodes the
 *    signature leniently (atob on Node 20, Uint8Array.fromBase64 "loose" on
 *    Deno) and compares bytes.
 * 5. A UTF-8 BOM before the header or payload JSON: jose's TextDecoder strips
 *    it, JSON.parse refuses it (malformed).
 * 6. Non-finite exp/nbf/iat (e.g. 1e999 → Infinity): jose takes any number,
 *    we want a finite one (invalid_claim).
 * 7. too_large: tokens over 8192 characters (not generated here).
 *
 * Invalid UTF-8 inside a correctly signed header or payload is refused by
 * both (see "call errors and strict decoding").
 *
 * And the one place where verifyJwt is deliberately *laxer*: exactly `now == exp + skew`
 * (whole seconds) is still valid for us (`now > exp + skew` expires), while
 * jose expires when `exp <= now - tolerance`. Handled by
 * {@link isExpBoundary}; nothing else may be accepted by us and refused by jose.
 */
function allowedStricterCodes(token: string): Set<JwtFailureCode> {
  const allowed = new Set<JwtFailureCode>();
  const parts = token.split(".");
  const [h = "", p = "", s = ""] = parts;
  if (token.length > DEFAULT_MAX_TOKEN_LENGTH) allowed.add("too_large");
  if (!/^[A-Za-z0-9_-]+$/.test(s)) allowed.add("malformed");
  else if (Buffer.from(s, "base64url").toString("base64url") !== s) allowed.add("bad_signature");
  const decode = (segment: string) => Buffer.from(segment, "base64url").toString("utf8");
  if (decode(h).startsWith("\uFEFF") || decode(p).startsWith("\uFEFF")) allowed.add("malformed");
  let header: Claims = {};
  let claims: Claims = {};
  try {
    header = JSON.parse(decode(h).replace(/^\uFEFF/, "")) as Claims;
    claims = JSON.parse(decode(p).replace(/^\uFEFF/, "")) as Claims;
  } catch {
    return allowed; // jose accepted it, so this only happens with a BOM or similar: malformed is already allowed
  }
  if ("crit" in header) allowed.add("crit_not_supported");
  if (claims.userId === undefined || claims.userId === null) allowed.add("missing_claim");
  else if (!validUserId(claims.userId)) allowed.add("invalid_claim");
  if (typeof claims.sub !== "string" || claims.sub === "") allowed.add("invalid_claim");
  if (claims.email !== undefined && claims.email !== null && typeof claims.email !== "string") allowed.add("invalid_claim");
  if (claims.role !== undefined && claims.role !== null && (typeof claims.role !== "string" || claims.role === "")) allowed.add("invalid_claim");
  for (const name of ["exp", "nbf", "iat"]) {
    const value = claims[name];
    if (typeof value === "number" && !Number.isFinite(value)) allowed.add("invalid_claim");
  }
  return allowed;
}

/** The exact second where we still accept and jose has expired the token. */
function isExpBoundary(token: string): boolean {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Claims;
    return claims.exp === NOW_S - SKEW;
  } catch {
    return false;
  }
}

describe("differential test against jose jwtVerify", () => {
  test("verifyJwt and jose agree on accept/reject, apart from the documented exceptions", async () => {
    const envSeed = process.env.JWT_FUZZ_SEED;
    const seed = envSeed !== undefined && envSeed !== "" ? Number(envSeed) >>> 0 : (Date.now() ^ Math.floor(Math.random() * 2 ** 32)) >>> 0;
    const count = 4000;
    console.log(`jwt differential test: seed=${seed} (reproduce with JWT_FUZZ_SEED=${seed}), ${count} tokens`);
    const cases = generateCases(seed, count);

    const failures: string[] = [];
    const stats = { bothAccept: 0, bothReject: 0, stricter: 0, boundary: 0 };
    const stricterByCode = new Map<string, number>();
    for (const [index, c] of cases.entries()) {
      const ours = verifyJwt(c.token, c.ourKeys, { now: NOW });
      let joseAccepts = true;
      let joseError = "";
      let josePayload: Claims = {};
      try {
        ({ payload: josePayload } = await jwtVerify(c.token, c.joseKey, {
          algorithms: ["HS256"],
          currentDate: new Date(NOW),
          clockTolerance: SKEW,
          requiredClaims: ["exp", "sub"],
        }));
      } catch (error) {
        joseAccepts = false;
        joseError = (error as { code?: string }).code ?? String(error);
      }
      const where = `#${index} [${c.label}] token=${JSON.stringify(c.token)}`;
      if (ours.ok && joseAccepts) {
        stats.bothAccept++;
        // Same claims, and the user mapping follows them.
        if (JSON.stringify(ours.claims) !== JSON.stringify(josePayload)) failures.push(`${where}: claims differ from jose's`);
        if (ours.user.name !== josePayload.sub || ours.user.uid !== Number(josePayload.userId)) failures.push(`${where}: user mapping wrong`);
      } else if (!ours.ok && !joseAccepts) {
        stats.bothReject++;
      } else if (ours.ok) {
        // We accept, jose refuses: only the exact exp + skew second.
        if (isExpBoundary(c.token) && joseError === "ERR_JWT_EXPIRED") stats.boundary++;
        else failures.push(`${where}: verifyJwt accepts, jose refuses (${joseError})`);
      } else {
        // jose accepts, we refuse: only for a documented reason.
        const allowed = allowedStricterCodes(c.token);
        if (allowed.has(ours.code)) {
          stats.stricter++;
          stricterByCode.set(ours.code, (stricterByCode.get(ours.code) ?? 0) + 1);
        } else {
          failures.push(`${where}: jose accepts, verifyJwt refuses with ${ours.code} (allowed: ${[...allowed].join(",") || "none"})`);
        }
      }
    }
    console.log(
      `jwt differential test: both accept ${stats.bothAccept}, both refuse ${stats.bothReject}, ` +
        `stricter ${stats.stricter} (${[...stricterByCode].map(([k, v]) => `${k} ${v}`).join(", ")}), exp boundary ${stats.boundary}`,
    );
    assert.deepEqual(failures.slice(0, 10), [], `seed ${seed}: ${failures.length} disagreement(s)`);
    // The generator is not degenerate: every kind of outcome shows up.
    assert.ok(stats.bothAccept > count / 20, `seed ${seed}: too few accepted tokens (${stats.bothAccept})`);
    assert.ok(stats.bothReject > count / 4, `seed ${seed}: too few refused tokens (${stats.bothReject})`);
    assert.ok(stats.stricter > 0, `seed ${seed}: no stricter case exercised`);
    assert.ok(stats.boundary >= 1, `seed ${seed}: the exp boundary was not exercised`);
  });
});
