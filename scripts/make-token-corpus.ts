/**
 * Generates tests/fixtures/tokens/corpus.json: crafted hostile (and a few
 * good) tokens, each with the exact outcome `verifyJwt` must give for it and
 * why. tests/token-corpus.test.ts reads the committed fixture, never this
 * script, so a change here shows up as a reviewed diff of the fixture.
 *
 *   npx tsx scripts/make-token-corpus.ts           # (re)writes the fixture
 *   npx tsx scripts/make-token-corpus.ts --check   # exit 1 if the committed fixture is stale
 *   npx deno run --allow-read --allow-write scripts/make-token-corpus.ts
 *
 * Deterministic: tokens are signed here with `node:crypto` directly (not with
 * src/jwt.ts, so a bug in `signJwt` cannot hide in the corpus), the clock is
 * fixed, and the only asymmetric material is the published RFC 7515
 * Appendix A.2 (RSA) and A.3 (EC P-256) public keys and example tokens,
 * checked against those keys below. Running it twice gives the same bytes.
 *
 * Tokens longer than 64 KiB are stored as `tokenParts` (pieces and
 * `{repeat, times}` runs) so the fixture stays small; the test expands them.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, createPublicKey, verify as verifySignature } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";

// ---------------------------------------------------------------------------
// Fixed inputs
// ---------------------------------------------------------------------------

/** The verifier's clock for every entry unless stated: ms, deliberately not on a whole second. */
const NOW = 1_750_000_000_250;
const NOW_S = Math.floor(NOW / 1000);
/** verifyJwt's default leeway, which the HTTP layer uses too. */
const SKEW = 30;

/** The service's secret in most entries. */
const SECRET = "corpus-secret-3f6c1d9a-5b2e-4e8f-a7c0-91d2e4b6f8a1";
/** A key the attacker controls. */
const ATTACKER = "attacker-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0";
/** Key rotation: the key being rotated out, and its successor. */
const OLD_KEY = "rotated-out-secret-2024-0123456789abcdef0123";
const NEW_KEY = "current-secret-2025-fedcba9876543210fedcba98";

/** RFC 7515 Appendix A.2: the example RSA public key (JWK) and the RS256 token it verifies. */
const RFC_RSA_JWK = {
  kty: "RSA",
  n:
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
  e: "AQAB",
};
const RFC_PAYLOAD = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const RFC_RS256_TOKEN =
  `eyJhbGciOiJSUzI1NiJ9.${RFC_PAYLOAD}.` +
  "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4" +
  "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv" +
  "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
/** RFC 7515 Appendix A.3: the example EC P-256 public key and the ES256 token it verifies. */
const RFC_EC_JWK = { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" };
const RFC_ES256_TOKEN = `eyJhbGciOiJFUzI1NiJ9.${RFC_PAYLOAD}.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q`;
/** RFC 7515 Appendix A.1: the HS256 example key (64 bytes) and token. */
const RFC_HS256_KEY = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
const RFC_HS256_TOKEN = `eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.${RFC_PAYLOAD}.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk`;
const RFC_EXP = 1300819380;

// ---------------------------------------------------------------------------
// The fixture's shape (tests/token-corpus.test.ts declares the same)
// ---------------------------------------------------------------------------

/** A key as a UTF-8 string, or raw bytes spelled in base64url. */
type Key = string | { base64url: string };
type Outcome =
  | "ok"
  | "too_large"
  | "malformed"
  | "alg_not_allowed"
  | "crit_not_supported"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "missing_claim"
  | "invalid_claim";
type Transport = "bearer" | "gateway" | "gatewayQuery" | "socketQuery";
type HttpOutcome = 101 | 200 | 401 | 403 | "unsendable";
type TokenPart = string | { repeat: string; times: number };

interface Entry {
  category: string;
  name: string;
  token?: string;
  tokenParts?: TokenPart[];
  /** What the verifier is configured with (the service's keyring). */
  keys: Key[];
  /** The verifier's clock, ms since the epoch. */
  now: number;
  expectedCode: Outcome;
  why: string;
  /** For tokens accepted by verifyJwt or over some HTTP transport: the user they must map to. */
  expectedUser?: { uid: number; name: string; email: string; role: string };
  /** The key that produced the MAC in the third segment, when the case depends on it (checked by the test). */
  signedWith?: Key;
  /** Where an HTTP transport legitimately differs from verifyJwt on the raw string. */
  http?: Partial<Record<Transport, HttpOutcome>> & { why: string };
  /** A weakness found while building the corpus: the entry states the desired outcome and the test runs it as a todo. */
  knownIssue?: string;
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

type Claims = Record<string, unknown>;
const HEADER = { alg: "HS256", typ: "JWT" };

const b64u = (data: string | Uint8Array): string => Buffer.from(data).toString("base64url");
const keyBytes = (key: Key): Buffer => (typeof key === "string" ? Buffer.from(key, "utf8") : Buffer.from(key.base64url, "base64url"));
const hmac = (key: Key, input: string, hash = "sha256"): string => createHmac(hash, keyBytes(key)).update(input).digest("base64url");

/** header.payload.HMAC-SHA256, from header and payload *text or bytes* exactly as given. */
function jws(header: string | Uint8Array, payload: string | Uint8Array, key: Key = SECRET): string {
  const input = `${b64u(header)}.${b64u(payload)}`;
  return `${input}.${hmac(key, input)}`;
}
const J = (value: unknown): string => JSON.stringify(value);
/** A token from header and claims objects. */
const tok = (claims: Claims, key: Key = SECRET, header: Claims = HEADER): string => jws(J(header), J(claims), key);

function alice(overrides: Claims = {}): Claims {
  return { sub: "alice", userId: 42, email: "alice@example.com", role: "REGULAR", exp: NOW_S + 3600, ...overrides };
}
function without(claims: Claims, ...names: string[]): Claims {
  const copy = { ...claims };
  for (const name of names) delete copy[name];
  return copy;
}
/** The user the service maps valid claims to, restated here independently. */
function userOf(claims: Claims): Entry["expectedUser"] {
  return {
    uid: Number(claims.userId),
    name: String(claims.sub),
    email: typeof claims.email === "string" ? claims.email : "",
    role: typeof claims.role === "string" ? claims.role : "REGULAR",
  };
}
const split = (token: string): [string, string, string] => {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error(`not three segments: ${token}`);
  return parts as [string, string, string];
};
const setChar = (s: string, i: number, ch: string) => s.slice(0, i) + ch + s.slice(i + 1);
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// ---------------------------------------------------------------------------
// Asymmetric material: the RFC's public keys, checked against the RFC's tokens
// ---------------------------------------------------------------------------

const rsaPublic = createPublicKey({ key: RFC_RSA_JWK, format: "jwk" });
const ecPublic = createPublicKey({ key: RFC_EC_JWK, format: "jwk" });
function checkRfcSignature(token: string, key: ReturnType<typeof createPublicKey>, options: { dsaEncoding?: "ieee-p1363" } = {}) {
  const [h, p, s] = split(token);
  const ok = verifySignature("sha256", Buffer.from(`${h}.${p}`), { key, ...options }, Buffer.from(s, "base64url"));
  if (!ok) throw new Error("an RFC 7515 example token does not verify: the transcription is wrong");
}
checkRfcSignature(RFC_RS256_TOKEN, rsaPublic);
checkRfcSignature(RFC_ES256_TOKEN, ecPublic, { dsaEncoding: "ieee-p1363" });
if (hmac({ base64url: RFC_HS256_KEY }, RFC_HS256_TOKEN.split(".").slice(0, 2).join(".")) !== split(RFC_HS256_TOKEN)[2]) {
  throw new Error("the RFC 7515 A.1 HS256 token does not verify");
}
/** What an attacker downloads from a JWKS endpoint or a certificate: the public key as text. */
const RSA_PEM = rsaPublic.export({ type: "spki", format: "pem" }) as string; // ends with "\n"
const RSA_PEM_PKCS1 = rsaPublic.export({ type: "pkcs1", format: "pem" }) as string;
const RSA_DER = rsaPublic.export({ type: "spki", format: "der" }) as Buffer;

// ---------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------

const entries: Entry[] = [];
function add(entry: Omit<Entry, "keys" | "now"> & { keys?: Key[]; now?: number }): void {
  const full: Entry = { keys: [SECRET], now: NOW, ...entry } as Entry;
  // Key order in the file: stable and readable.
  const ordered: Entry = {
    category: full.category,
    name: full.name,
    ...(full.token !== undefined ? { token: full.token } : {}),
    ...(full.tokenParts !== undefined ? { tokenParts: full.tokenParts } : {}),
    keys: full.keys,
    now: full.now,
    expectedCode: full.expectedCode,
    why: full.why,
    ...(full.expectedUser ? { expectedUser: full.expectedUser } : {}),
    ...(full.signedWith !== undefined ? { signedWith: full.signedWith } : {}),
    ...(full.http ? { http: full.http } : {}),
    ...(full.knownIssue ? { knownIssue: full.knownIssue } : {}),
  };
  if (entries.some((e) => e.name === ordered.name)) throw new Error(`duplicate name: ${ordered.name}`);
  const servedOverHttp = Object.values(ordered.http ?? {}).some((outcome) => outcome === 200 || outcome === 101);
  if ((ordered.expectedCode === "ok" || servedOverHttp) !== (ordered.expectedUser !== undefined)) {
    throw new Error(`${ordered.name}: expectedUser exactly when the token is accepted somewhere`);
  }
  entries.push(ordered);
}
const ok = (category: string, name: string, claims: Claims, token: string, why: string, extra: Partial<Entry> = {}) =>
  add({ category, name, token, expectedCode: "ok", why, expectedUser: userOf(claims), ...extra });

const valid = tok(alice());
const [vh, vp, vs] = split(valid);

// --- control ---------------------------------------------------------------
ok("control", "a valid token", alice(), valid, "Control: signed with the configured secret, unexpired, every claim well-formed.");
ok("control", "a valid token with the minimal header {\"alg\":\"HS256\"}", alice(), tok(alice(), SECRET, { alg: "HS256" }), "typ is optional (RFC 7519 §5.1).");

// --- alg -------------------------------------------------------------------
for (const alg of ["none", "None", "NONE", "nOnE"]) {
  add({ category: "alg", name: `alg "${alg}", signed with the real secret`, token: tok(alice(), SECRET, { alg, typ: "JWT" }), expectedCode: "alg_not_allowed", why: "Only the exact string HS256 is accepted; an unsecured JWS is never accepted, whatever its spelling or signature." });
}
{
  const [h, p] = split(tok(alice(), SECRET, { alg: "none", typ: "JWT" }));
  add({ category: "alg", name: 'alg "none" with the empty signature (the classic unsecured JWS)', token: `${h}.${p}.`, expectedCode: "malformed", why: "An empty third segment fails the three-segment shape before the header is even read." });
}
for (const alg of ["HS384", "HS512", "RS256", "ES256", "PS256", "EdDSA", "hs256", "HS256 ", " HS256", "HS256\u0000", "HS256\u200b", "", "HS 256"]) {
  const label = alg === "HS256 " ? 'alg "HS256 " (valid in every other way)' : `alg ${J(alg)}, HMAC-SHA256 with the real secret`;
  add({ category: "alg", name: label, token: tok(alice(), SECRET, { alg, typ: "JWT" }), expectedCode: "alg_not_allowed", why: "alg must equal \"HS256\" exactly: no case folding, trimming or normalisation, and the MAC is never computed for another alg." });
}
{
  const input = `${b64u(J({ alg: "HS512", typ: "JWT" }))}.${b64u(J(alice()))}`;
  add({ category: "alg", name: "alg HS512 with a genuine HMAC-SHA512 by the real secret", token: `${input}.${hmac(SECRET, input, "sha512")}`, expectedCode: "alg_not_allowed", why: "A stronger HMAC is still another algorithm: algorithms are pinned, not negotiated." });
}
for (const [label, alg] of [["missing", undefined], ["null", null], ['["HS256"]', ["HS256"]], ['{"name":"HS256"}', { name: "HS256" }], ["256", 256], ["true", true]] as const) {
  const header: Claims = { typ: "JWT" };
  if (alg !== undefined) header.alg = alg;
  add({ category: "alg", name: `alg ${label}`, token: tok(alice(), SECRET, header), expectedCode: "alg_not_allowed", why: "A missing or non-string alg is not HS256." });
}
ok("alg", "alg spelled with JSON escapes (\"HS\\u0032\\u0035\\u0036\")", alice(), jws('{"alg":"HS\\u0032\\u0035\\u0036","typ":"JWT"}', J(alice())), "The decoded JSON value is what counts: the escapes decode to exactly HS256, so this is an HS256 token signed with our key (jose agrees).");
add({ category: "alg", name: "RFC 7515 A.2 RS256 example token (a genuine RSA signature)", token: RFC_RS256_TOKEN, now: (RFC_EXP - 1) * 1000, expectedCode: "alg_not_allowed", why: "A real RS256 signature means nothing to an HS256-only verifier; refused on the header, before any key is used." });
add({ category: "alg", name: "RFC 7515 A.3 ES256 example token (a genuine ECDSA signature)", token: RFC_ES256_TOKEN, now: (RFC_EXP - 1) * 1000, expectedCode: "alg_not_allowed", why: "As for RS256: the 64-byte ECDSA signature is never looked at." });

// --- alg confusion (RS256 public key used as an HMAC secret) -----------------
add({ category: "alg-confusion", name: "RS256 header, HMAC-SHA256 keyed with the RSA public key PEM", token: tok(alice(), RSA_PEM, { alg: "RS256", typ: "JWT" }), signedWith: RSA_PEM, expectedCode: "alg_not_allowed", why: "The classic key confusion (CVE-2015-9235 class): a verifier that picks the algorithm from the header would HMAC with the public key it holds. Ours refuses anything but HS256 first." });
add({ category: "alg-confusion", name: "RS256 header, HMAC keyed with the PEM, and the verifier (mis)configured with that PEM as its secret", token: tok(alice(), RSA_PEM, { alg: "RS256", typ: "JWT" }), keys: [RSA_PEM], signedWith: RSA_PEM, expectedCode: "alg_not_allowed", why: "Even when the configured key would match the MAC, the alg check comes first and does not depend on the key." });
add({ category: "alg-confusion", name: "HS256 header, HMAC-SHA256 keyed with the RSA public key PEM (SPKI, with its final newline)", token: tok(alice(), RSA_PEM), signedWith: RSA_PEM, expectedCode: "bad_signature", why: "The header is now acceptable, but the MAC is checked only against our secret; public key text is not our key." });
add({ category: "alg-confusion", name: "HS256 header, HMAC keyed with the PEM without its final newline", token: tok(alice(), RSA_PEM.trimEnd()), signedWith: RSA_PEM.trimEnd(), expectedCode: "bad_signature", why: "Attackers try each spelling of the public key; none is our secret." });
add({ category: "alg-confusion", name: "HS256 header, HMAC keyed with the PKCS#1 PEM (BEGIN RSA PUBLIC KEY)", token: tok(alice(), RSA_PEM_PKCS1), signedWith: RSA_PEM_PKCS1, expectedCode: "bad_signature", why: "Another spelling of the public key." });
add({ category: "alg-confusion", name: "HS256 header, HMAC keyed with the DER bytes of the public key", token: tok(alice(), { base64url: b64u(RSA_DER) }), signedWith: { base64url: b64u(RSA_DER) }, expectedCode: "bad_signature", why: "Another spelling of the public key (raw DER)." });
add({ category: "alg-confusion", name: "HS256 header, HMAC keyed with the public JWK's JSON text", token: tok(alice(), J(RFC_RSA_JWK)), signedWith: J(RFC_RSA_JWK), expectedCode: "bad_signature", why: "Another spelling of the public key (what a JWKS endpoint serves)." });

// --- header parameters that name keys: kid, jku, x5u, jwk, x5c -------------
ok("header-params", "jku pointing to an attacker's JWKS, signed with our secret", alice(), tok(alice(), SECRET, { alg: "HS256", typ: "JWT", jku: "https://attacker.example/jwks.json" }), "jku is ignored (never fetched); this verifies only because the MAC is ours.", { signedWith: SECRET });
add({ category: "header-params", name: "jku pointing to an attacker's JWKS, signed with the attacker's key", token: tok(alice(), ATTACKER, { alg: "HS256", typ: "JWT", jku: "https://attacker.example/jwks.json" }), signedWith: ATTACKER, expectedCode: "bad_signature", why: "A key URL in the token never selects the key: only the configured keys are tried." });
ok("header-params", "x5u pointing to an attacker's certificate, signed with our secret", alice(), tok(alice(), SECRET, { alg: "HS256", x5u: "https://attacker.example/cert.pem" }), "x5u is ignored; the MAC is ours.", { signedWith: SECRET });
add({ category: "header-params", name: "x5u pointing to an attacker's certificate, signed with the attacker's key", token: tok(alice(), ATTACKER, { alg: "HS256", x5u: "https://attacker.example/cert.pem" }), signedWith: ATTACKER, expectedCode: "bad_signature", why: "x5u does not select the key." });
add({ category: "header-params", name: 'kid "attacker-key", signed with that other key', token: tok(alice(), ATTACKER, { alg: "HS256", typ: "JWT", kid: "attacker-key" }), signedWith: ATTACKER, expectedCode: "bad_signature", why: "kid is not a key lookup here: the token is checked against our keys only." });
add({ category: "header-params", name: 'kid "../../../../../../dev/null", signed with the empty key', token: tok(alice(), "", { alg: "HS256", kid: "../../../../../../dev/null" }), signedWith: "", expectedCode: "bad_signature", why: "The path-traversal kid trick (a key file that reads as empty) needs the verifier to load keys by kid; ours never does, and an empty key is refused at configuration time." });
add({ category: "header-params", name: "kid carrying SQL injection, signed with the injected key", token: tok(alice(), "attacker", { alg: "HS256", kid: "x' UNION SELECT 'attacker' -- " }), signedWith: "attacker", expectedCode: "bad_signature", why: "kid reaches no query and selects no key." });
add({ category: "header-params", name: "embedded jwk with the attacker's symmetric key, signed with it", token: tok(alice(), ATTACKER, { alg: "HS256", jwk: { kty: "oct", k: b64u(ATTACKER) } }), signedWith: ATTACKER, expectedCode: "bad_signature", why: "An embedded key (CVE-2018-0114 class) is never trusted." });
ok("header-params", "x5c with junk and kid naming another key, signed with our secret", alice(), tok(alice(), SECRET, { alg: "HS256", kid: "some-other-key", x5c: ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"] }), "Unknown or key-naming header parameters are ignored; the MAC is ours.", { signedWith: SECRET });
ok("header-params", "b64:false without crit (ignored, as RFC 7797 §6 requires)", alice(), tok(alice(), SECRET, { alg: "HS256", b64: false }), "b64 only means something when listed in crit; without crit the payload is ordinary base64url JSON.", { signedWith: SECRET });
add({ category: "header-params", name: "cty JWT with a nested token as the payload", token: jws(J({ alg: "HS256", cty: "JWT" }), valid), expectedCode: "malformed", why: "Nested tokens are not unwrapped: the payload must itself be a JSON object." });

// --- crit ------------------------------------------------------------------
for (const [label, header] of [
  ['crit ["exp"]', { alg: "HS256", crit: ["exp"], exp: 1 }],
  ['crit ["b64"] with b64:false (RFC 7797 unencoded payload)', { alg: "HS256", crit: ["b64"], b64: false }],
  ['crit ["b64"] with b64:true', { alg: "HS256", crit: ["b64"], b64: true }],
  ["crit []", { alg: "HS256", crit: [] }],
  ['crit "b64" (not an array)', { alg: "HS256", crit: "b64" }],
  ["crit null", { alg: "HS256", crit: null }],
] as const) {
  add({ category: "crit", name: `${label}, signed with our secret`, token: tok(alice(), SECRET, header), expectedCode: "crit_not_supported", why: "No critical extension is understood here, so any crit (even an empty or malformed one) is refused (RFC 7515 §4.1.11)." });
}
add({ category: "crit", name: "crit with a wrong key", token: tok(alice(), ATTACKER, { alg: "HS256", crit: ["exp"], exp: 1 }), expectedCode: "crit_not_supported", why: "Header checks come before the MAC; the code does not depend on the key." });
add({ category: "crit", name: 'crit together with alg "none"', token: tok(alice(), SECRET, { alg: "none", crit: ["exp"] }), expectedCode: "alg_not_allowed", why: "alg is checked first." });

// --- duplicate member names --------------------------------------------------
// RFC 7515 §4 / RFC 7519 §4: names MUST be unique, and a parser MUST either
// reject duplicates or take the lexically last one (ECMAScript JSON.parse).
// Decision: last wins, as JSON.parse and jose do; see the README.
{
  const body = J(alice()).slice(1, -1);
  ok("duplicate-keys", 'header {"alg":"none","alg":"HS256"}, signed with our secret', alice(), jws('{"alg":"none","alg":"HS256"}', J(alice())), "Last wins (RFC 7515 §4 allows it; JSON.parse and jose both do it): the header is HS256. Only the secret's holder can sign it, and every verifier of this service parses it the same way.");
  add({ category: "duplicate-keys", name: 'header {"alg":"HS256","alg":"none"}, signed with our secret', token: jws('{"alg":"HS256","alg":"none"}', J(alice())), expectedCode: "alg_not_allowed", why: "Last wins: the header says none." });
  add({ category: "duplicate-keys", name: "header with crit listed twice (array, then null)", token: jws('{"alg":"HS256","crit":["exp"],"crit":null}', J(alice())), expectedCode: "crit_not_supported", why: "crit is present either way." });
  ok("duplicate-keys", "payload with userId 1 then userId 2", alice({ userId: 2 }), jws(J(HEADER), `{${body},"userId":2}`.replace('"userId":42', '"userId":1')), "Last wins: uid 2, as jose reads it.");
  ok("duplicate-keys", 'payload with sub "admin" then sub "alice"', alice(), jws(J(HEADER), `{"sub":"admin",${body}}`), "Last wins: the user is alice.");
  add({ category: "duplicate-keys", name: "payload with a future exp then an expired one", token: jws(J(HEADER), `{${body},"exp":${NOW_S - 3600}}`), expectedCode: "expired", why: "Last wins: the expired exp is the one checked." });
  ok("duplicate-keys", "payload with an expired exp then a future one", alice(), jws(J(HEADER), `{"exp":${NOW_S - 3600},${body}}`), "Last wins: the future exp counts (the issuer signed both).");
  ok("duplicate-keys", 'payload with role "ADMIN" then role "INACTIVE"', alice({ role: "INACTIVE" }), jws(J(HEADER), `{${body.replace('"role":"REGULAR"', '"role":"ADMIN"')},"role":"INACTIVE"}`), "Last wins: INACTIVE, which the HTTP layer turns away with 403.");
}

// --- payload and header shape ------------------------------------------------
for (const [label, text] of [["an array", J([alice()])], ["a string", '"alice"'], ["a number", "42"], ["null", "null"], ["true", "true"]] as const) {
  add({ category: "payload-shape", name: `payload that is ${label}, signed with our secret`, token: jws(J(HEADER), text), expectedCode: "malformed", why: "The claims set must be a JSON object (RFC 7519 §7.2 step 10)." });
}
add({ category: "payload-shape", name: "payload that is an array, with a wrong signature", token: jws(J(HEADER), "[]", ATTACKER), expectedCode: "bad_signature", why: "The payload is not parsed before the MAC checks out." });
add({ category: "payload-shape", name: "payload {} (no claims)", token: jws(J(HEADER), "{}"), expectedCode: "missing_claim", why: "exp is required." });
add({ category: "payload-shape", name: "payload that is not JSON", token: jws(J(HEADER), '{"sub":"alice",'), expectedCode: "malformed", why: "Truncated JSON." });
add({ category: "payload-shape", name: "payload with a UTF-8 BOM before the JSON", token: jws(J(HEADER), `\uFEFF${J(alice())}`), expectedCode: "malformed", why: "JSON text must not start with a BOM (RFC 8259 §8.1): the decoder keeps it (ignoreBOM) and JSON.parse refuses it. jose's decoder strips it and accepts (a documented stricter difference)." });
add({ category: "payload-shape", name: "header with a UTF-8 BOM before the JSON", token: jws(`\uFEFF${J(HEADER)}`, J(alice())), expectedCode: "malformed", why: "As for the payload: a BOM is not JSON." });
ok("payload-shape", "payload surrounded by JSON whitespace", alice(), jws(J(HEADER), ` \r\n\t${J(alice())}\n `), "Insignificant whitespace is valid JSON; the MAC covers the exact bytes.");
ok("payload-shape", "payload pretty-printed with keys in another order", alice(), jws(J(HEADER), JSON.stringify({ exp: NOW_S + 3600, role: "REGULAR", email: "alice@example.com", userId: 42, sub: "alice" }, null, 2)), "Member order and formatting do not matter.");
for (const [label, text] of [["an array", "[]"], ['a string "HS256"', '"HS256"'], ["JSON with a trailing comma", '{"alg":"HS256",}']] as const) {
  add({ category: "payload-shape", name: `header that is ${label}, signed with our secret`, token: jws(text, J(alice())), expectedCode: "malformed", why: "The header must be a JSON object." });
}

// --- exp ---------------------------------------------------------------------
const expCases: Array<[string, string, Outcome, string]> = [
  ["exp as a numeric string", J(String(NOW_S + 3600)), "invalid_claim", "NumericDate is a JSON number (RFC 7519 §2), never a string."],
  ["exp as a float in the future", String(NOW_S + 3600.5), "ok", "Fractional seconds are a valid NumericDate."],
  ["exp as a float just past exp + skew", String(NOW_S - SKEW - 0.5), "expired", "now > exp + skew, with exp compared as is (not rounded)."],
  ["exp 1e300", "1e300", "ok", "A finite number: the token effectively never expires. The verifier enforces no maximum lifetime (jose without maxTokenAge neither); that is the issuer's decision."],
  ["exp 1e999 (parses as Infinity)", "1e999", "invalid_claim", "Not a finite number: JSON.parse gives Infinity, which would never expire. jose accepts it; we refuse it (documented stricter)."],
  ["exp -1", "-1", "expired", "1969."],
  ["exp 0", "0", "expired", "The epoch."],
  ["exp -0", "-0", "expired", "Negative zero is zero."],
  ["exp -1e300", "-1e300", "expired", "Far past, still finite."],
  ["exp null", "null", "invalid_claim", "Present but not a number (null is not absence here)."],
  ["exp true", "true", "invalid_claim", "Not a number."],
  ["exp as an array", `[${NOW_S + 3600}]`, "invalid_claim", "Not a number."],
  ["exp exactly now - skew (the boundary second)", String(NOW_S - SKEW), "ok", "now > exp + skew is false at equality: the last accepted second. jose already expires it (exp <= now - tolerance): the one documented second where we are laxer."],
  ["exp one second before the boundary", String(NOW_S - SKEW - 1), "expired", "now > exp + skew."],
  ["exp 10 s ago (inside the skew)", String(NOW_S - 10), "ok", "30 s of leeway."],
  ["exp 1e21 (exponent notation)", "1e21", "ok", "A valid JSON number in the future."],
];
for (const [name, expText, code, why] of expCases) {
  const body = J(without(alice(), "exp")).slice(0, -1);
  const token = jws(J(HEADER), `${body},"exp":${expText}}`);
  if (code === "ok") ok("exp", name, alice({ exp: JSON.parse(expText) }), token, why);
  else add({ category: "exp", name, token, expectedCode: code, why });
}
add({ category: "exp", name: "exp missing", token: tok(without(alice(), "exp")), expectedCode: "missing_claim", why: "exp is required." });

// --- nbf and iat -----------------------------------------------------------------
const nbfCases: Array<[string, Claims, Outcome, string]> = [
  ["nbf an hour in the future", { nbf: NOW_S + 3600 }, "not_yet_valid", "nbf > now + skew."],
  ["nbf one second past the skew", { nbf: NOW_S + SKEW + 1 }, "not_yet_valid", "nbf > now + skew."],
  ["nbf exactly now + skew", { nbf: NOW_S + SKEW }, "ok", "nbf > now + skew is false at equality (jose agrees)."],
  ["nbf 1e300", { nbf: 1e300 }, "not_yet_valid", "Far future."],
  ["nbf in the past", { nbf: NOW_S - 3600 }, "ok", "Already valid."],
  ["nbf as a string", { nbf: String(NOW_S) }, "invalid_claim", "Not a NumericDate."],
  ["nbf null", { nbf: null }, "invalid_claim", "Present but not a number."],
  ["iat a day in the future", { iat: NOW_S + 86_400 }, "ok", "iat is informational: not checked against the clock (like jose without maxTokenAge)."],
  ["iat as a string", { iat: "yesterday" }, "invalid_claim", "When present, iat must be a number."],
];
for (const [name, overrides, code, why] of nbfCases) {
  const claims = alice(overrides);
  if (code === "ok") ok("nbf", name, claims, tok(claims), why);
  else add({ category: "nbf", name, token: tok(claims), expectedCode: code, why });
}
add({ category: "nbf", name: "nbf -1e999 (parses as -Infinity)", token: jws(J(HEADER), `${J(alice()).slice(0, -1)},"nbf":-1e999}`), expectedCode: "invalid_claim", why: "Not a finite number." });

// --- base64url encoding --------------------------------------------------------
add({ category: "encoding", name: "'=' padding on the header", token: `${vh}=.${vp}.${vs}`, expectedCode: "malformed", why: "JWS compact serialization uses unpadded base64url (RFC 7515 §2)." });
add({ category: "encoding", name: "'==' padding on the payload", token: `${vh}.${vp}==.${vs}`, expectedCode: "malformed", why: "Unpadded base64url only." });
add({ category: "encoding", name: "'=' padding on the signature", token: `${vh}.${vp}.${vs}=`, expectedCode: "malformed", why: "Unpadded base64url only." });
add({ category: "encoding", name: "'+' in the header segment", token: `${setChar(vh, 5, "+")}.${vp}.${vs}`, expectedCode: "malformed", why: "'+' is standard base64, not base64url." });
add({ category: "encoding", name: "'/' in the payload segment", token: `${vh}.${setChar(vp, 9, "/")}.${vs}`, expectedCode: "malformed", why: "'/' is standard base64, not base64url." });
{
  // A token whose signature has '-' or '_', so its standard-alphabet spelling differs.
  let n = 0;
  let t = valid;
  while (!/[-_]/.test(split(t)[2])) t = tok(alice({ jti: `n${++n}` }));
  const [h, p, s] = split(t);
  const standard = Buffer.from(s, "base64url").toString("base64").replace(/=+$/, "");
  add({ category: "encoding", name: "the right MAC spelled in the standard base64 alphabet", token: `${h}.${p}.${standard}`, expectedCode: "malformed", why: "Same 32 bytes, but '+'/'/' are not base64url." });
  const last = ALPHABET.indexOf(s.slice(-1));
  add({ category: "encoding", name: "the right MAC with non-zero unused bits in its last character", token: `${h}.${p}.${s.slice(0, -1)}${ALPHABET[last ^ 1]}`, expectedCode: "bad_signature", why: "Decodes to the same 32 bytes, but only the canonical text is accepted (no signature malleability)." });
}
{
  // A payload whose base64url has spare bits in its last character.
  let pad = "";
  while (J(alice({ note: pad })).length % 3 !== 1) pad += "x";
  const claims = alice({ note: pad });
  const [h, p, s] = split(tok(claims));
  const last = ALPHABET.indexOf(p.slice(-1));
  const variant = `${p.slice(0, -1)}${ALPHABET[last ^ 1]}`;
  if (Buffer.from(variant, "base64url").toString() !== J(claims)) throw new Error("tail-bit variant must decode to the same JSON");
  add({ category: "encoding", name: "payload with non-zero unused tail bits, original signature", token: `${h}.${variant}.${s}`, expectedCode: "bad_signature", why: "The MAC covers the segment text, not the decoded bytes." });
  ok("encoding", "payload with non-zero unused tail bits, re-signed over that text", claims, `${h}.${variant}.${hmac(SECRET, `${h}.${variant}`)}`, "Only the key's holder can produce it; it decodes to the same JSON, and jose accepts it too.");
}
add({ category: "encoding", name: "payload segment of impossible length (4n+1)", token: `${vh}.${vp.length % 4 === 0 ? `${vp}A` : vp.length % 4 === 2 ? `${vp}AAA` : `${vp}AA`}.${vs}`, expectedCode: "malformed", why: "No byte string encodes to 4n+1 base64url characters." });
add({ category: "encoding", name: "signature of 44 characters", token: `${vh}.${vp}.${vs}A`, expectedCode: "bad_signature", why: "An HMAC-SHA256 is exactly 43 characters." });
add({ category: "encoding", name: "signature of 45 characters", token: `${vh}.${vp}.${vs}AA`, expectedCode: "malformed", why: "4n+1 characters." });
add({ category: "encoding", name: "a non-ASCII character in the payload segment", token: `${vh}.${vp}é.${vs}`, expectedCode: "malformed", why: "Segments are base64url text only." });
add({ category: "encoding", name: "percent-encoded dots", token: `${vh}%2E${vp}%2E${vs}`, expectedCode: "malformed", why: "URL decoding is the transport's job; the token itself has literal dots." });

// --- segments --------------------------------------------------------------
for (const [label, token] of [
  ["the empty string", ""],
  ['"."', "."],
  ['".."', ".."],
  ['"..."', "..."],
  ["an empty header", `.${vp}.${vs}`],
  ["an empty payload", `${vh}..${vs}`],
  ["an empty signature", `${vh}.${vp}.`],
  ["two segments (header.payload)", `${vh}.${vp}`],
  ["one segment", vh],
  ["four segments (signature repeated)", `${valid}.${vs}`],
  ["four segments (header repeated)", `${vh}.${vh}.${vp}.${vs}`],
  ["a trailing dot", `${valid}.`],
  ["five segments (JWE compact shape)", `${b64u(J({ alg: "dir", enc: "A256GCM" }))}..${b64u("twelve-bytes")}.${vp}.${b64u("sixteen-byte-tag")}`],
] as const) {
  add({ category: "segments", name: label, token, expectedCode: "malformed", why: "A JWS compact token is exactly three non-empty segments." });
}

// --- size --------------------------------------------------------------------
{
  // Correctly signed tokens of exactly 8192 and 8193 characters.
  const sized = (length: number): { token: string; claims: Claims } => {
    for (let kid = 0; kid < 8; kid++) {
      for (let pad = 5900; pad < 6200; pad++) {
        const claims = alice({ pad: "p".repeat(pad) });
        const token = tok(claims, SECRET, { alg: "HS256", typ: "JWT", kid: "k".repeat(kid) });
        if (token.length === length) return { token, claims };
      }
    }
    throw new Error(`no token of length ${length}`);
  };
  const at = sized(8192);
  ok("size", "a correctly signed token of exactly 8192 characters", at.claims, at.token, "The default maxTokenLength is inclusive.");
  add({ category: "size", name: "a correctly signed token of 8193 characters", token: sized(8193).token, expectedCode: "too_large", why: "Refused on length alone, before any parsing or HMAC." });

  const MB = 1 << 20;
  add({ category: "size", name: "1 MiB payload segment with a valid token's header and signature", tokenParts: [`${vh}.`, { repeat: "A", times: MB }, `.${vs}`], expectedCode: "too_large", why: "Bounded work for hostile input: length is checked first." });
  // A correctly signed 1 MiB token: the payload JSON is prefix + "A"*n + suffix, with the prefix a multiple of 3 bytes so the base64url splits cleanly.
  let prefix = `{"sub":"alice","userId":42,"role":"REGULAR","exp":${NOW_S + 3600},"pad":"`;
  while (prefix.length % 3 !== 0) prefix = prefix.replace('"pad":"', ' "pad":"');
  const times = MB / 4; // "AAA" -> "QUFB"
  const suffix = '"}';
  const h = b64u(J(HEADER));
  const p1 = b64u(prefix);
  const p3 = b64u(suffix);
  const mac = createHmac("sha256", SECRET).update(`${h}.${p1}`).update("QUFB".repeat(times)).update(p3).digest("base64url");
  if (Buffer.from(`${p1}${"QUFB".repeat(times)}${p3}`, "base64url").toString() !== `${prefix}${"A".repeat(times * 3)}${suffix}`) throw new Error("1 MiB payload split");
  add({ category: "size", name: "a correctly signed 1 MiB token", tokenParts: [`${h}.${p1}`, { repeat: "QUFB", times }, `${p3}.${mac}`], signedWith: SECRET, expectedCode: "too_large", why: "A valid MAC does not buy a way past the length bound." });
  add({ category: "size", name: "1 MiB of dots", tokenParts: [{ repeat: ".", times: MB }], expectedCode: "too_large", why: "Length first, shape second." });
}

// --- unicode -----------------------------------------------------------------
{
  const u1 = alice({ sub: "ålice 用户 🦕" });
  ok("unicode", "sub with Latin-1, CJK and an astral-plane emoji", u1, tok(u1), "Valid UTF-8: the user is exactly that name (the gateway percent-encodes it into x-user-name).");
  const u2 = alice({ email: "zoë@exämple.com", sub: "Zoë" });
  ok("unicode", "non-ASCII email and sub", u2, tok(u2), "Valid UTF-8 round-trips.");
  ok("unicode", "sub with a JSON-escaped surrogate pair", alice({ sub: "🦕" }), jws(J(HEADER), J(alice()).replace('"sub":"alice"', '"sub":"\\ud83e\\udd95"')), "\\ud83e\\udd95 is one well-formed code point, U+1F995.");
  const nul = alice({ sub: "al\u0000ice" });
  ok("unicode", "sub with an escaped NUL", nul, tok(nul), "NUL is data, not a terminator: the name is the full string (identity is the uid).");
  const crlf = alice({ sub: "Zoë\r\nX-User-Id: 1", email: "zoe@example.com\r\nX-User-Role: ADMIN" });
  ok("unicode", "sub and email carrying CR LF header injection", crlf, tok(crlf), "Accepted as data; the gateway percent-encodes CR LF, so no header is injected (checked by the test).");
  add({ category: "unicode", name: "sub with a JSON-escaped lone surrogate (\\ud800)", token: jws(J(HEADER), J(alice()).replace('"sub":"alice"', '"sub":"\\ud800alice"')), expectedCode: "invalid_claim", why: "An unpaired surrogate is not Unicode text (RFC 8259 §8.2) and cannot be encoded as UTF-8 or into x-user-name. Before e2ee315 this verified and the gateway check threw URIError (on Node's fast path: the process died)." });
  add({ category: "unicode", name: "email with a JSON-escaped lone low surrogate (\\udc00)", token: jws(J(HEADER), J(alice()).replace('"email":"alice@example.com"', '"email":"alice\\udc00@example.com"')), expectedCode: "invalid_claim", why: "As for sub: x-user-email cannot carry it (fixed in e2ee315)." });
  add({ category: "unicode", name: "role with a JSON-escaped lone surrogate", token: jws(J(HEADER), J(alice()).replace('"role":"REGULAR"', '"role":"REGULAR\\ud800"')), expectedCode: "invalid_claim", why: "Every string claim the service maps must be well-formed Unicode." });

  const enc = new TextEncoder();
  const bytesOf = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(enc.encode(part)) : Buffer.from(part))));
  const head = `{"sub":"al`;
  const tail = `ice","userId":42,"exp":${NOW_S + 3600}}`;
  for (const [label, bad] of [
    ["a 0xFF byte", [0xff]],
    ["an overlong encoding of '/' (C0 AF)", [0xc0, 0xaf]],
    ["a CESU-8 encoded surrogate (ED A0 80)", [0xed, 0xa0, 0x80]],
    ["a truncated 3-byte sequence (E2 82)", [0xe2, 0x82]],
    ["a lone continuation byte (0x80)", [0x80]],
  ] as const) {
    add({ category: "unicode", name: `payload with invalid UTF-8: ${label}`, token: jws(J(HEADER), bytesOf(head, [...bad], tail)), expectedCode: "malformed", why: "Strict UTF-8 decoding: never repaired to U+FFFD (jose's strict decoder agrees)." });
  }
  add({ category: "unicode", name: "header with invalid UTF-8 inside kid", token: jws(bytesOf('{"alg":"HS256","kid":"', [0xc3], '"}'), J(alice())), expectedCode: "malformed", why: "Strict UTF-8 in the header too." });
}

// --- key rotation ------------------------------------------------------------
{
  const signedOld = tok(alice(), OLD_KEY);
  add({ category: "rotation", name: "signed with the rotated-out key; only the new key configured", token: signedOld, keys: [NEW_KEY], signedWith: OLD_KEY, expectedCode: "bad_signature", why: "Once a key is removed from the keyring, its tokens stop working." });
  ok("rotation", "signed with the rotated-out key; keyring [new, old]", alice(), signedOld, "During a rotation every configured key is tried.", { keys: [NEW_KEY, OLD_KEY], signedWith: OLD_KEY });
  ok("rotation", "signed with the rotated-out key; keyring [old, new]", alice(), signedOld, "Order does not matter.", { keys: [OLD_KEY, NEW_KEY], signedWith: OLD_KEY });
  ok("rotation", "signed with the new key; keyring [new, old]", alice(), tok(alice(), NEW_KEY), "The current key.", { keys: [NEW_KEY, OLD_KEY], signedWith: NEW_KEY });
  ok("rotation", 'signed with the old key, kid "new"; keyring [new, old]', alice(), tok(alice(), OLD_KEY, { alg: "HS256", kid: "new" }), "kid selects nothing; the old key still matches.", { keys: [NEW_KEY, OLD_KEY], signedWith: OLD_KEY });
  add({ category: "rotation", name: "signed with the old key plus one character", token: tok(alice(), `${OLD_KEY}x`), keys: [NEW_KEY, OLD_KEY], signedWith: `${OLD_KEY}x`, expectedCode: "bad_signature", why: "Keys are compared exactly." });
}

// --- userId ------------------------------------------------------------------
{
  const badUserIds: Array<[string, string]> = [
    ['"abc"', '"abc"'], ["-1", "-1"], ["0", "0"], ["-0", "-0"], ["1.5", "1.5"], ['"007"', '"007"'],
    ["2^60", String(2 ** 60)], ['"2^60" as digits', J(String(2 ** 60))], ["2^53", String(2 ** 53)], ["true", "true"], ["[7]", "[7]"],
    ['"7\\n"', '"7\\n"'], ['" 7"', '" 7"'], ['"٣" (Arabic-Indic three)', '"٣"'], ['"１" (fullwidth one)', '"１"'], ['"0x1F"', '"0x1F"'], ['"1e3"', '"1e3"'],
  ];
  const body = J(without(alice(), "userId")).slice(0, -1);
  for (const [label, text] of badUserIds) {
    add({ category: "userId", name: `userId ${label}`, token: jws(J(HEADER), `${body},"userId":${text}}`), expectedCode: "invalid_claim", why: "userId must be a positive safe integer, or a string of digits without a leading zero." });
  }
  add({ category: "userId", name: "userId null", token: tok(alice({ userId: null })), expectedCode: "missing_claim", why: "null counts as absent." });
  add({ category: "userId", name: "userId missing", token: tok(without(alice(), "userId")), expectedCode: "missing_claim", why: "userId is required." });
  ok("userId", 'userId "42" (digits)', alice({ userId: "42" }), tok(alice({ userId: "42" })), "A digit string maps to the number.");
  ok("userId", "userId 2^53 - 1", alice({ userId: Number.MAX_SAFE_INTEGER }), tok(alice({ userId: Number.MAX_SAFE_INTEGER })), "The largest safe integer.");
  ok("userId", "userId written as 1.0", alice({ userId: 1 }), jws(J(HEADER), `${body},"userId":1.0}`), "1.0 is the JSON number 1 (JSON has one number type); jose reads the same value.");
}

// --- sub -----------------------------------------------------------------------
for (const [label, sub] of [['""', ""], ["0", 0], ["null", null], ["true", true], ['["alice"]', ["alice"]], ["{}", {}]] as const) {
  add({ category: "sub", name: `sub ${label}`, token: tok(alice({ sub })), expectedCode: "invalid_claim", why: "sub must be a non-empty string." });
}
add({ category: "sub", name: "sub missing", token: tok(without(alice(), "sub")), expectedCode: "missing_claim", why: "sub is required." });

// --- role and email ------------------------------------------------------------
ok("role", 'role "ADMIN"', alice({ role: "ADMIN" }), tok(alice({ role: "ADMIN" })), "An admitted role.");
ok("role", 'role "INACTIVE"', alice({ role: "INACTIVE" }), tok(alice({ role: "INACTIVE" })), "Verifies, but the HTTP layer answers 403: authentication is not authorization.");
ok("role", 'role "admin" (lower case)', alice({ role: "admin" }), tok(alice({ role: "admin" })), "Roles are case-sensitive: 403 over HTTP.");
add({ category: "role", name: 'role ""', token: tok(alice({ role: "" })), expectedCode: "invalid_claim", why: "An empty role is not absence." });
add({ category: "role", name: "role 7", token: tok(alice({ role: 7 })), expectedCode: "invalid_claim", why: "role must be a string." });
add({ category: "role", name: "email 5", token: tok(alice({ email: 5 })), expectedCode: "invalid_claim", why: "email must be a string." });

// --- prototype pollution -------------------------------------------------------
{
  const body = J(without(alice(), "userId")).slice(1, -1);
  add({ category: "prototype", name: '"__proto__": {"userId": 1} instead of userId', token: jws(J(HEADER), `{"__proto__":{"userId":1},${body}}`), expectedCode: "missing_claim", why: "JSON.parse makes __proto__ an own data property; the real prototype is untouched, so userId is absent." });
  add({ category: "prototype", name: '"constructor": {"prototype": {"userId": 1}}', token: jws(J(HEADER), `{"constructor":{"prototype":{"userId":1}},${body}}`), expectedCode: "missing_claim", why: "No prototype is reached." });
  add({ category: "prototype", name: 'header {"__proto__": {"alg": "HS256"}}', token: jws('{"__proto__":{"alg":"HS256"},"typ":"JWT"}', J(alice())), expectedCode: "alg_not_allowed", why: "alg is not inherited from a __proto__ member." });
  ok("prototype", '"__proto__": {"role": "ADMIN"} with no role', without(alice(), "role"), jws(J(HEADER), `{"__proto__":{"role":"ADMIN"},${J(without(alice(), "role")).slice(1, -1)}}`), "role is not inherited: the user gets the default REGULAR, not ADMIN.");
}

// --- whitespace and control characters around the token -------------------------
{
  const transportOws = "HTTP strips whitespace around a header value (RFC 9110 §5.5) and the Bearer syntax allows spaces, so the service receives the bare, valid token; in the query neither the gateway check nor the socket route trims the access-token value (they must agree), and verifyJwt sees the whitespace.";
  const cases: Array<[string, string, Entry["http"]]> = [
    ["a leading space", ` ${valid}`, { bearer: 200, gateway: 200, gatewayQuery: 401, socketQuery: 401, why: transportOws }],
    ["a trailing space", `${valid} `, { bearer: 200, gateway: 200, gatewayQuery: 401, socketQuery: 401, why: transportOws }],
    ["a trailing newline", `${valid}\n`, { bearer: 200, gateway: 200, gatewayQuery: 401, socketQuery: 401, why: transportOws }],
    ["a trailing CR LF", `${valid}\r\n`, { bearer: 200, gateway: 200, gatewayQuery: 401, socketQuery: 401, why: transportOws }],
    ["a leading tab", `\t${valid}`, { bearer: 200, gateway: 200, gatewayQuery: 401, socketQuery: 401, why: transportOws }],
    ["a leading no-break space (U+00A0)", `\u00a0${valid}`, { bearer: 401, gateway: 401, gatewayQuery: 401, socketQuery: 401, why: "U+00A0 is not HTTP whitespace, so the Bearer header does not parse (401); in the query it stays part of the token for the gateway check and the socket route alike (401)." }],
    ["a leading BOM (U+FEFF)", `\ufeff${valid}`, { bearer: "unsendable", gateway: "unsendable", gatewayQuery: 401, socketQuery: 401, why: "U+FEFF cannot appear in an HTTP header value at all; in the query it stays part of the token for both checks (401)." }],
    ["a space after the first dot", `${vh}. ${vp}.${vs}`, undefined],
    ["CR LF and a forged header after the token", `${valid}\r\nX-User-Id: 1`, { bearer: "unsendable", gateway: "unsendable", gatewayQuery: 401, socketQuery: 401, why: "A header value cannot contain CR LF (the Fetch API refuses to send it); in the query it is part of the token." }],
    ["a trailing NUL", `${valid}\u0000`, { bearer: "unsendable", gateway: "unsendable", gatewayQuery: 401, socketQuery: 401, why: "NUL cannot appear in a header value; in the query it is part of the token." }],
  ];
  for (const [label, token, http] of cases) {
    const served = Object.values(http ?? {}).some((outcome) => outcome === 200);
    add({
      category: "whitespace",
      name: `a valid token with ${label}`,
      token,
      expectedCode: "malformed",
      why: "verifyJwt takes the token exactly as given: whitespace and control characters are not base64url. Trimming is the transport's business.",
      ...(served ? { expectedUser: userOf(alice()) } : {}),
      ...(http ? { http } : {}),
    });
  }
}

// --- signature ---------------------------------------------------------------
{
  const input = `${vh}.${vp}`;
  add({ category: "signature", name: "an HMAC-SHA512 by our secret under an HS256 header", token: `${input}.${hmac(SECRET, input, "sha512")}`, expectedCode: "bad_signature", why: "86 characters: not an HMAC-SHA256." });
  add({ category: "signature", name: "32 zero bytes", token: `${input}.${b64u(new Uint8Array(32))}`, expectedCode: "bad_signature", why: "Not the MAC." });
  add({ category: "signature", name: "another valid token's signature", token: `${input}.${split(tok(alice({ userId: 7 })))[2]}`, expectedCode: "bad_signature", why: "A MAC is bound to its own header and payload." });
  add({ category: "signature", name: "userId changed to 1 under the original signature", token: `${vh}.${b64u(J(alice({ userId: 1 })))}.${vs}`, expectedCode: "bad_signature", why: "Tampering with any claim breaks the MAC." });
  add({ category: "signature", name: 'role changed to "ADMIN" under the original signature', token: `${vh}.${b64u(J(alice({ role: "ADMIN" })))}.${vs}`, expectedCode: "bad_signature", why: "Privilege escalation by editing the payload." });
  add({ category: "signature", name: "header re-encoded (same JSON, other spelling) under the original signature", token: `${b64u(JSON.stringify(HEADER, null, 1))}.${vp}.${vs}`, expectedCode: "bad_signature", why: "The MAC covers the received text, not a re-serialisation." });
  add({ category: "signature", name: "MAC by the secret with a trailing newline", token: tok(alice(), `${SECRET}\n`), signedWith: `${SECRET}\n`, expectedCode: "bad_signature", why: "A secret read from a file with its newline is another key." });
  add({ category: "signature", name: "MAC by the empty key", token: tok(alice(), ""), signedWith: "", expectedCode: "bad_signature", why: "The empty key is never ours (configuring it is a TypeError)." });
  add({ category: "signature", name: "the signature truncated to 42 characters", token: `${input}.${vs.slice(0, 42)}`, expectedCode: "bad_signature", why: "Not 43 characters." });
  add({ category: "signature", name: "RFC 7515 A.1 HS256 example with its key, 1 s before exp", token: RFC_HS256_TOKEN, keys: [{ base64url: RFC_HS256_KEY }], now: (RFC_EXP - 1) * 1000, signedWith: { base64url: RFC_HS256_KEY }, expectedCode: "missing_claim", why: "Known answer: the RFC's MAC verifies and exp passes; it then lacks sub (reaching that check proves the signature and time were accepted)." });
  add({ category: "signature", name: "RFC 7515 A.1 HS256 example, 31 s after exp", token: RFC_HS256_TOKEN, keys: [{ base64url: RFC_HS256_KEY }], now: (RFC_EXP + 31) * 1000, signedWith: { base64url: RFC_HS256_KEY }, expectedCode: "expired", why: "Known answer: past exp + 30 s." });
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

const fixture = {
  description:
    "Crafted hostile (and a few good) HS256 tokens with the exact verifyJwt outcome for each. Generated by scripts/make-token-corpus.ts; read by tests/token-corpus.test.ts. See README.md.",
  now: NOW,
  clockSkewSeconds: SKEW,
  entries,
};
const text = `${JSON.stringify(fixture, null, 2)}\n`;
const target = new URL("../tests/fixtures/tokens/corpus.json", import.meta.url);

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    // missing
  }
  if (current !== text) {
    console.error("tests/fixtures/tokens/corpus.json is stale: run npx tsx scripts/make-token-corpus.ts");
    process.exit(1);
  }
  console.log(`corpus.json is up to date (${entries.length} entries)`);
} else {
  writeFileSync(target, text);
  const byCategory = new Map<string, number>();
  for (const entry of entries) byCategory.set(entry.category, (byCategory.get(entry.category) ?? 0) + 1);
  console.log(`wrote ${entries.length} entries to tests/fixtures/tokens/corpus.json (${text.length} bytes)`);
  console.log([...byCategory].map(([category, n]) => `${category} ${n}`).join(", "));
}
