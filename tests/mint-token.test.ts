/**
 * `npm run -s token` (scripts/mint-token.ts) as a function of its arguments,
 * environment and clock: the tokens it mints verify with the secret the
 * service resolves (or are refused the way the help says), bad input gets
 * one line and exit 2, never a stack trace. The real command line is run in
 * tests/e2e/npm-scripts.e2e.ts.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { TokenVerifier } from "../src/auth.ts";
import { verifyJwt } from "../src/jwt.ts";
import { EXPIRED_AGO_SECONDS, mintTokenCli } from "../scripts/mint-token.ts";
import { TEST_SECRET } from "./helpers/tokens.ts";

const env = { AUTH_JWT_SECRET: TEST_SECRET };
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

function minted(args: string[]) {
  const result = mintTokenCli(args, env, NOW);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, "only the token on stdout");
  return { ...result, token: result.stdout.trim() };
}

function refused(args: string[], message: RegExp) {
  const result = mintTokenCli(args, env, NOW);
  assert.equal(result.exitCode, 2, `${args.join(" ")}: ${result.stdout}`);
  assert.equal(result.stdout, "", "nothing on stdout: $(npm run -s token) is empty, not a broken token");
  assert.match(result.stderr, message);
  assert.match(result.stderr, /\nRun it with --help for the options\.\n$/);
  assert.doesNotMatch(result.stderr, /\n\s+at |Error\b|ERR_/, "no stack trace or error class");
}

describe("the token script", () => {
  test("defaults: a REGULAR token for uid 1 that the service's verifier admits for 8 hours", () => {
    const { token, stderr } = minted([]);
    assert.equal(stderr, "");
    const verifier = new TokenVerifier({ keys: TEST_SECRET, now: () => NOW });
    const result = verifier.authenticate(token);
    assert.ok(result.ok);
    assert.deepEqual({ ...result.user }, { uid: 1, name: "dev", email: "dev@example.com", role: "REGULAR" });
    assert.equal(result.exp, NOW / 1000 + 8 * 3600);
  });

  test("the options set the claims; fractional hours are allowed", () => {
    const { token } = minted(["--user", "42", "--name", "alice", "--email", "alice@example.com", "--role", "ADMIN", "--hours", "0.5"]);
    const result = verifyJwt(token, TEST_SECRET, { now: NOW });
    assert.ok(result.ok);
    assert.deepEqual({ ...result.user }, { uid: 42, name: "alice", email: "alice@example.com", role: "ADMIN" });
    assert.equal(result.exp, NOW / 1000 + 1800);
  });

  test("--expired: a token already past exp and the 30 s clock skew, so the service refuses it as expired", () => {
    const { token, stderr } = minted(["--expired"]);
    assert.match(stderr, /expired 60 minutes ago.*401 \(error_description="expired"\)/);
    const result = new TokenVerifier({ keys: TEST_SECRET, now: () => NOW }).authenticate(token);
    assert.deepEqual(result, { ok: false, status: 401, code: "expired" });
    assert.ok(EXPIRED_AGO_SECONDS > 30, "well past the skew");
    refused(["--expired", "--hours", "2"], /^token: --expired and --hours do not go together\n/);
  });

  test("--help: the options, the roles, the clock skew and the secret in force, on stdout", () => {
    const result = mintTokenCli(["--help"], env, NOW);
    assert.equal(result.exitCode, 0);
    assert.equal(result.stderr, "");
    for (const text of ["--user N", "--name NAME", "--email EMAIL", "--role ROLE", "--hours H", "--expired", "-h, --help", "INACTIVE", "30 s past its exp", "case-sensitive"]) {
      assert.ok(result.stdout.includes(text), text);
    }
    assert.match(result.stdout, /The secret in force with this environment: AUTH_JWT_SECRET\./);
    assert.ok(!result.stdout.includes(TEST_SECRET), "never the secret itself");
    assert.match(mintTokenCli(["-h"], {}, NOW).stdout, /The secret in force with this environment: the public built-in default/);
  });

  test("roles are case-sensitive: an unknown one is refused with the close match; INACTIVE and RESTRICTED warn of the 403", () => {
    refused(["--role", "admin"], /^token: unknown role "admin": roles are case-sensitive, one of REGULAR, ADMIN, INACTIVE, RESTRICTED \(did you mean ADMIN\?\)\n/);
    refused(["--role", "superuser"], /^token: unknown role "superuser": roles are case-sensitive, one of REGULAR, ADMIN, INACTIVE, RESTRICTED\n/);
    for (const role of ["INACTIVE", "RESTRICTED"]) {
      const { token, stderr } = minted(["--role", role]);
      assert.equal(stderr, `token: note: the service answers ${role} with 403 Forbidden (only REGULAR and ADMIN are admitted)\n`);
      const result = new TokenVerifier({ keys: TEST_SECRET, now: () => NOW }).authenticate(token);
      assert.equal(result.ok ? 200 : result.status, 403, "the warning is true");
    }
  });

  test("bad values: one line naming the option and the value, exit 2", () => {
    refused(["--hours", "-1"], /^token: --hours must be a number of hours above 0 and at most 8760 \(got "-1"\); for an already-expired token use --expired\n/);
    refused(["--hours=-1"], /got "-1"\); for an already-expired token use --expired/);
    refused(["--hours", "0"], /^token: --hours must be .* \(got "0"\)\n/);
    refused(["--hours", "eight"], /\(got "eight"\)/);
    refused(["--hours", "9000"], /at most 8760 \(got "9000"\)/);
    refused(["--user", "x"], /^token: --user must be a positive integer \(got "x"\)\n/);
    refused(["--user", "-3"], /^token: --user must be a positive integer \(got "-3"\)\n/);
    refused(["--user", "0"], /positive integer \(got "0"\)/);
    refused(["--name", " "], /^token: --name must not be empty\n/);
    refused(["--bogus"], /^token: Unknown option '--bogus'\n/);
    refused(["--role"], /^token: Option '--role <value>' argument missing\n/);
    refused(["stray"], /^token: Unexpected argument 'stray'/);
  });

  test("a configuration the service would refuse is refused here too, with its message (exit 1)", () => {
    const result = mintTokenCli([], { AUTH_JWT_SECRET: "short" }, NOW);
    assert.equal(result.exitCode, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^token: configuration error: AUTH_JWT_SECRET .*\n$/);
    assert.ok(!result.stderr.includes("short\""), "the secret is not echoed");
  });
});
