/**
 * The verifier is reachable through the package name, as a consumer would
 * import it: `agent-service/jwt` (package.json `name` + `exports["./jwt"]`).
 *
 * Node resolves this through package self-reference. Deno 2 resolves it from
 * the same package.json when it finds the project's config (run from the
 * project directory, or with `--config deno.json`).
 */
import { test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import * as viaPackage from "agent-service/jwt";
import * as viaPath from "../src/jwt.ts";

const SECRET = "package-test-secret-0123456789abcdef";
const NOW = 1_750_000_000_000;

test("agent-service/jwt resolves to src/jwt.ts (the same module instance)", () => {
  assert.equal(viaPackage.verifyJwt, viaPath.verifyJwt);
  assert.equal(viaPackage.signJwt, viaPath.signJwt);
  assert.deepEqual([...viaPackage.JWT_FAILURE_CODES], [...viaPath.JWT_FAILURE_CODES]);
});

test("verifyJwt imported by package name verifies and refuses", () => {
  const { signJwt, verifyJwt } = viaPackage;
  const token = signJwt({ sub: "alice", userId: 42, exp: NOW / 1000 + 60 }, SECRET);
  const result = verifyJwt(token, SECRET, { now: NOW });
  assert.ok(result.ok);
  assert.deepEqual(result.user, { uid: 42, name: "alice", email: "", role: "REGULAR" });
  const refused = verifyJwt(token, "wrong-secret", { now: NOW });
  assert.equal(refused.ok ? "ok" : refused.code, "bad_signature");
});
