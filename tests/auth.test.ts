/** Token extraction, the role rule, and the verified-token cache (with an injected clock). */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { bearerToken, isAllowedRole, TokenVerifier } from "../src/auth.ts";
import { mintToken, TEST_SECRET } from "./helpers/tokens.ts";

describe("bearerToken", () => {
  test("takes the token after a case-insensitive Bearer scheme", () => {
    assert.equal(bearerToken("Bearer abc.def.ghi"), "abc.def.ghi");
    assert.equal(bearerToken("bearer abc"), "abc");
    assert.equal(bearerToken("BEARER   abc  "), "abc");
  });
  test("refuses other schemes, empty tokens and extra words", () => {
    for (const header of [null, undefined, "", "Bearer", "Bearer ", "Basic abc", "Token abc", "Bearer a b", "Bearerabc"]) {
      assert.equal(bearerToken(header), undefined, String(header));
    }
  });
});

describe("isAllowedRole", () => {
  test("admits REGULAR and ADMIN only, case-sensitively", () => {
    assert.ok(isAllowedRole("REGULAR"));
    assert.ok(isAllowedRole("ADMIN"));
    for (const role of ["INACTIVE", "RESTRICTED", "admin", "", "SUPERUSER"]) assert.equal(isAllowedRole(role), false, role);
  });
});

describe("TokenVerifier", () => {
  const start = Date.UTC(2026, 5, 1);

  test("a missing token is 401 missing_token; a bad one carries verifyJwt's code", () => {
    const verifier = new TokenVerifier({ keys: TEST_SECRET, now: () => start });
    assert.deepEqual(verifier.authenticate(undefined), { ok: false, status: 401, code: "missing_token" });
    const bad = verifier.authenticate("a.b.c");
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.status, 401);
    assert.equal(verifier.cachedTokens, 0, "failures are not cached");
  });

  test("a cached token is refused the moment it expires (exp + skew)", () => {
    let now = start;
    const verifier = new TokenVerifier({ keys: TEST_SECRET, now: () => now, clockSkewSeconds: 30 });
    const token = mintToken({ now: start, expiresIn: 60 });
    assert.equal(verifier.authenticate(token).ok, true);
    assert.equal(verifier.cachedTokens, 1);
    now = start + 90_000; // exactly exp + skew: still accepted
    assert.equal(verifier.authenticate(token).ok, true);
    now = start + 91_000; // one second later
    const expired = verifier.authenticate(token);
    assert.equal(expired.ok, false);
    assert.equal(!expired.ok && expired.code, "expired");
    assert.equal(verifier.cachedTokens, 0, "the expired entry is dropped");
  });

  test("msUntilExpiry counts to the first refused millisecond", () => {
    let now = start;
    const verifier = new TokenVerifier({ keys: TEST_SECRET, now: () => now });
    const result = verifier.authenticate(mintToken({ now: start, expiresIn: 60 }));
    assert.ok(result.ok);
    assert.equal(verifier.msUntilExpiry(result.exp), 91_000);
    now += 91_000;
    assert.equal(verifier.msUntilExpiry(result.exp), 0);
  });

  test("the cache is bounded and evicts the least recently used token", () => {
    const verifier = new TokenVerifier({ keys: TEST_SECRET, now: () => start, cacheSize: 2 });
    const [a, b, c] = [1, 2, 3].map((userId) => mintToken({ now: start, userId }));
    verifier.authenticate(a);
    verifier.authenticate(b);
    verifier.authenticate(a); // a is now the most recent
    verifier.authenticate(c); // evicts b
    assert.equal(verifier.cachedTokens, 2);
    // All three still verify (b again through the HMAC).
    for (const token of [a, b, c]) assert.equal(verifier.authenticate(token).ok, true);
  });

  test("a cache size of 0 disables caching but not verification", () => {
    const verifier = new TokenVerifier({ keys: TEST_SECRET, now: () => start, cacheSize: 0 });
    assert.equal(verifier.authenticate(mintToken({ now: start })).ok, true);
    assert.equal(verifier.cachedTokens, 0);
  });

  test("a cached token with a disallowed role stays 403", () => {
    const verifier = new TokenVerifier({ keys: TEST_SECRET, now: () => start });
    const token = mintToken({ now: start, role: "INACTIVE" });
    for (let i = 0; i < 2; i++) {
      const result = verifier.authenticate(token);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.status, 403);
    }
  });
});
