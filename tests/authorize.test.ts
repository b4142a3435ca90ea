/**
 * The gateway check: the reference's AgentAccessAuthSpec cases, Envoy's
 * "any method, original path appended" form, nginx's X-Original-URI form,
 * and paths the check does not cover.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { TokenVerifier } from "../src/auth.ts";
import { authorize, originalRequestUri } from "../src/authorize.ts";
import { mintToken, TEST_SECRET } from "./helpers/tokens.ts";
import { rawRequest, statusOf, upgradeRequest } from "./helpers/raw-http.ts";
import { withServer } from "./helpers/server.ts";

const verifier = new TokenVerifier({ keys: TEST_SECRET });
const options = { apiPrefix: "/api" };
const agentUser = mintToken({ userId: 7, sub: "agent-user", email: "agent-user@example.com", role: "REGULAR" });

describe("authorize (the decision)", () => {
  test("the reference's AgentAccessAuthSpec: REGULAR and ADMIN 200 with x-user-*, no token or garbage 401, INACTIVE 403", () => {
    const checkUri = "/api/auth/api/agents/agent-1";
    const ok = authorize({ checkUri, authorization: `Bearer ${agentUser}` }, verifier, options);
    assert.deepEqual(ok, {
      status: 200,
      headers: {
        "cache-control": "no-store",
        "x-user-id": "7",
        "x-user-name": "agent-user",
        "x-user-email": "agent-user@example.com",
        "x-user-role": "REGULAR",
      },
    });
    assert.equal(authorize({ checkUri, authorization: `Bearer ${mintToken({ role: "ADMIN" })}` }, verifier, options).status, 200);
    assert.equal(authorize({ checkUri }, verifier, options).status, 401);
    assert.equal(authorize({ checkUri, authorization: "Bearer not-a-real-jwt" }, verifier, options).status, 401);
    assert.equal(authorize({ checkUri, authorization: `Bearer ${mintToken({ role: "INACTIVE" })}` }, verifier, options).status, 403);
    assert.equal(authorize({ checkUri, authorization: `Bearer ${mintToken({ role: "RESTRICTED" })}` }, verifier, options).status, 403);
  });

  test("401 carries the RFC 6750 challenge with the failure code as error_description; every answer is no-store", () => {
    const denied = authorize({ checkUri: "/api/auth/api/agents" }, verifier, options);
    assert.equal(denied.headers["www-authenticate"], "Bearer", "no token sent: no error information (RFC 6750 §3.1)");
    assert.equal(denied.headers["cache-control"], "no-store");
    const expired = authorize({ checkUri: "/api/auth/api/agents", authorization: `Bearer ${mintToken({ expiresIn: -3600 })}` }, verifier, options);
    assert.equal(expired.status, 401);
    assert.equal(expired.headers["www-authenticate"], 'Bearer error="invalid_token", error_description="expired"');
    assert.equal(expired.reason, "expired");
    const forged = authorize({ checkUri: "/api/auth/api/agents", authorization: `Bearer ${mintToken({}, "another-secret-0123456789abcdef-xyz")}` }, verifier, options);
    assert.equal(forged.headers["www-authenticate"], 'Bearer error="invalid_token", error_description="bad_signature"');
    assert.equal(authorize({ checkUri: "/api/auth/api/agents", authorization: `Bearer ${mintToken({ role: "INACTIVE" })}` }, verifier, options).reason, "role_not_allowed");
    assert.equal(authorize({ checkUri: "/api/auth/api/other" }, verifier, options).reason, "path_not_guarded");
  });

  test("every denial is one frozen answer, built once: nothing is allocated per refused request", () => {
    const expired = () => authorize({ checkUri: "/api/auth/api/agents", authorization: `Bearer ${mintToken({ expiresIn: -3600 })}` }, verifier, options);
    const first = expired();
    assert.equal(expired(), first, "the same object for the same reason");
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first.headers));
    const missing = authorize({ checkUri: "/api/auth/api/agents" }, verifier, options);
    assert.notEqual(missing, first, "one answer per reason");
    assert.equal(authorize({ checkUri: "/api/auth/api/agents" }, verifier, options), missing);
    assert.ok(Object.isFrozen(missing));
  });

  test("the access-token query parameter of a socket URI counts; beside a different header it is refused (WebSocket upgrades)", () => {
    const ws = authorize({ checkUri: `/api/auth/api/agents/a/react?access-token=${agentUser}` }, verifier, options);
    assert.equal(ws.status, 200);
    assert.equal(ws.headers["x-user-id"], "7");
    const nginx = authorize({ checkUri: "/auth-check", originalUri: `/api/agents/a/react?access-token=${agentUser}` }, verifier, options);
    assert.equal(nginx.status, 200);
    const garbageQuery = authorize({ checkUri: "/api/auth/api/agents/a/react?access-token=garbage", authorization: `Bearer ${agentUser}` }, verifier, options);
    assert.equal(garbageQuery.status, 401, "a bad query token is not rescued by a good header");
  });

  test("paths the check does not cover are 403, however they are spelled", () => {
    const token = `Bearer ${agentUser}`;
    for (const original of [
      "/api/other", "/api/agentsX", "/api/agents-admin", "/api/agents/../admin", "/api/agents/%2e%2e/admin", "/api/agents/%2E%2E/%2e%2e/x",
      "/api", "/", "//evil.example/api/agents", "/API/agents",
    ]) {
      assert.equal(authorize({ checkUri: "/x", originalUri: original, authorization: token }, verifier, options).status, 403, original);
    }
    assert.equal(authorize({ checkUri: "/api/auth", authorization: token }, verifier, options).status, 403, "no original path");
    assert.equal(authorize({ checkUri: "/api/auth?x=1", authorization: token }, verifier, options).status, 403);
    assert.equal(authorize({ checkUri: "/api/auth/api/agents/../../etc", authorization: token }, verifier, options).status, 403);
    for (const covered of ["/api/agents", "/api/agents/", "/api/agents/x/settings", "/api/agents?x=1", "/api/agents/models"]) {
      assert.equal(authorize({ checkUri: "/x", originalUri: covered, authorization: token }, verifier, options).status, 200, covered);
    }
  });

  test("names outside printable ASCII are percent-encoded, never break the header", () => {
    const token = mintToken({ sub: "Zoë\r\nX-Injected: 1", email: "zoë@example.com" });
    const decision = authorize({ checkUri: "/api/auth/api/agents", authorization: `Bearer ${token}` }, verifier, options);
    assert.equal(decision.status, 200);
    assert.equal(decision.headers["x-user-name"], "Zo%C3%AB%0D%0AX-Injected: 1");
    assert.equal(decision.headers["x-user-email"], "zo%C3%AB@example.com");
    assert.doesNotThrow(() => new Headers(decision.headers));
  });

  test("originalRequestUri: X-Original-URI first, else the check path after the prefix", () => {
    assert.equal(originalRequestUri({ checkUri: "/api/auth/api/agents/x?y=1" }, "/api/auth"), "/api/agents/x?y=1");
    assert.equal(originalRequestUri({ checkUri: "/api/auth/api/agents", originalUri: "/api/agents/z" }, "/api/auth"), "/api/agents/z");
    assert.equal(originalRequestUri({ checkUri: "/api/authx/api/agents" }, "/api/auth"), undefined);
  });
});

describe("the check over HTTP", () => {
  test("Envoy form: any method (PATCH and PUT included) on /api/auth/<original path>, empty body", async () => {
    await withServer({}, async ({ url }) => {
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]) {
        const response = await fetch(`${url}/api/auth/api/agents/x/settings`, { method, headers: { authorization: `Bearer ${agentUser}` } });
        assert.equal(response.status, 200, method);
        assert.equal(response.headers.get("x-user-id"), "7", method);
        assert.equal(response.headers.get("x-user-role"), "REGULAR", method);
        assert.equal(response.headers.get("cache-control"), "no-store");
        assert.equal(await response.text(), "", method);
      }
    });
  });

  test("Envoy forwards the original Content-Length without a body: no 413, the check still answers", async () => {
    await withServer({ maxBodyBytes: 1024 }, async ({ port }) => {
      const { rawRequest, statusOf } = await import("./helpers/raw-http.ts");
      const raw = await rawRequest(
        port,
        `POST /api/auth/api/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${agentUser}\r\nContent-Length: 0\r\nX-Envoy-Original-Content-Length: 99999999\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(statusOf(raw), 200);
    });
  });

  test("nginx form: GET with X-Original-URI; 401 with WWW-Authenticate, 403 for roles", async () => {
    await withServer({}, async ({ url }) => {
      const check = (original: string, authorization?: string) =>
        fetch(`${url}/api/auth`, { headers: { "x-original-uri": original, ...(authorization ? { authorization } : {}) } });
      const anonymous = await check("/api/agents");
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.headers.get("www-authenticate"), "Bearer");
      const expired = await check("/api/agents", `Bearer ${mintToken({ expiresIn: -3600 })}`);
      assert.equal(expired.status, 401);
      assert.equal(expired.headers.get("www-authenticate"), 'Bearer error="invalid_token", error_description="expired"');
      await expired.body?.cancel();
      assert.equal(await anonymous.text(), "");
      assert.equal((await check(`/api/agents/a/react?access-token=${agentUser}`)).status, 200);
      assert.equal((await check("/api/agents", `Bearer ${mintToken({ role: "INACTIVE" })}`)).status, 403);
      assert.equal((await check("/api/admin", `Bearer ${agentUser}`)).status, 403);
    });
  });

  test("served without WebSockets (SERVICE_MODE=authorize; Deno.serve on Deno): the same answers, and an upgrade gets an HTTP one", async () => {
    await withServer({ websockets: false }, async ({ url, port }) => {
      const envoy = await fetch(`${url}/api/auth/api/agents/x/settings`, { method: "PATCH", headers: { authorization: `Bearer ${agentUser}` } });
      assert.equal(envoy.status, 200);
      assert.equal(envoy.headers.get("x-user-id"), "7");
      assert.equal(await envoy.text(), "");
      const nginx = await fetch(`${url}/api/auth`, { headers: { "x-original-uri": "/api/agents" } });
      assert.equal(nginx.status, 401);
      assert.equal(nginx.headers.get("www-authenticate"), "Bearer");
      await nginx.body?.cancel();
      const health = await fetch(`${url}/api/healthcheck`);
      assert.equal(health.status, 200);
      assert.equal((await health.json() as { status: string }).status, "ok");
      const upgrade = await rawRequest(port, upgradeRequest(`/api/agents/a/react?access-token=${agentUser}`));
      assert.equal(statusOf(upgrade), 404);
    });
  });

  test("a refusal is logged at debug with its reason (on Node's fast path too), never the token", async () => {
    const expired = mintToken({ expiresIn: -3600 });
    await withServer({}, async ({ url, logs }) => {
      for (const [original, authorization] of [["/api/agents", undefined], ["/api/agents", `Bearer ${expired}`], ["/api/admin", `Bearer ${agentUser}`]]) {
        const response = await fetch(`${url}/api/auth`, { headers: { "x-original-uri": original!, ...(authorization ? { authorization } : {}) } });
        await response.body?.cancel();
      }
      const ok = await fetch(`${url}/api/auth/api/agents`, { headers: { authorization: `Bearer ${agentUser}` } });
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
      assert.deepEqual(
        logs.filter((line) => line.msg === "gateway check refused").map(({ level, status, code }) => ({ level, status, code })),
        [
          { level: "debug", status: 401, code: "missing_token" },
          { level: "debug", status: 401, code: "expired" },
          { level: "debug", status: 403, code: "path_not_guarded" },
        ],
      );
      assert.ok(!JSON.stringify(logs).includes(expired.slice(expired.lastIndexOf(".") + 1)));
    });
  });
});
