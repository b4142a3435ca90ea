/**
 * The server through real HTTP on an ephemeral port: the open healthcheck,
 * the guard's 401/403/200, the WebSocket upgrade refused before it happens,
 * and bad requests answered with a clear 4xx while the process keeps serving.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { TokenVerifier } from "../src/auth.ts";
import { readJson } from "../src/http/errors.ts";
import { json } from "../src/http/responses.ts";
import { createLogger } from "../src/log.ts";
import type { IRequest } from "itty-router";
import type { ReactSocketProvider } from "../src/http/app.ts";
import { bearer, mintToken, TEST_SECRET } from "./helpers/tokens.ts";
import { rawRequest, statusOf, upgradeRequest } from "./helpers/raw-http.ts";
import { withServer } from "./helpers/server.ts";

const UNAUTHORIZED = { error: "Unauthorized", code: "unauthorized" };

describe("healthcheck", () => {
  test("is open: 200 with status ok and an ISO timestamp, no token needed", async () => {
    await withServer({ now: () => Date.UTC(2026, 0, 2, 3, 4, 5) }, async ({ url }) => {
      const response = await fetch(`${url}/api/healthcheck`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: "ok", timestamp: "2026-01-02T03:04:05.000Z" });
    });
  });
});

describe("REST guard on /api/agents", () => {
  test("no Authorization header: 401, exact body, RFC 6750 challenge without error information (§3.1)", async () => {
    await withServer({}, async ({ url }) => {
      const response = await fetch(`${url}/api/agents/whoami`);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get("www-authenticate"), "Bearer");
      assert.deepEqual(await response.json(), UNAUTHORIZED);
    });
  });

  test("garbage, expired, wrong-secret and non-Bearer tokens: 401 with why in error_description", async () => {
    await withServer({}, async ({ url }) => {
      const cases: Record<string, [string, string]> = {
        garbage: ["Bearer not-a-valid-jwt", 'Bearer error="invalid_token", error_description="malformed"'],
        expired: [`Bearer ${mintToken({ expiresIn: -3600 })}`, 'Bearer error="invalid_token", error_description="expired"'],
        "wrong secret": [`Bearer ${mintToken({}, "another-secret-0123456789abcdef-xyz")}`, 'Bearer error="invalid_token", error_description="bad_signature"'],
        // No Bearer token sent at all: the bare challenge.
        "basic scheme": [`Basic ${mintToken()}`, "Bearer"],
        "bare token": [mintToken(), "Bearer"],
        "empty bearer": ["Bearer ", "Bearer"],
      };
      for (const [name, [authorization, challenge]] of Object.entries(cases)) {
        const response = await fetch(`${url}/api/agents/whoami`, { headers: { authorization } });
        assert.equal(response.status, 401, name);
        assert.equal(response.headers.get("www-authenticate"), challenge, name);
        assert.deepEqual(await response.json(), UNAUTHORIZED, name);
      }
    });
  });

  test("a refused token: its failure code is logged at debug (never the token); the same at info logs nothing", async () => {
    const token = mintToken({}, "another-secret-0123456789abcdef-xyz");
    await withServer({}, async ({ url, logs }) => {
      const response = await fetch(`${url}/api/agents/whoami`, { headers: bearer(token) });
      assert.equal(response.status, 401);
      await response.body?.cancel();
      const refused = logs.filter((line) => line.msg === "request refused");
      assert.equal(refused.length, 1, JSON.stringify(logs));
      assert.deepEqual({ ...refused[0], time: undefined }, { time: undefined, level: "debug", msg: "request refused", status: 401, code: "bad_signature", path: "/api/agents/whoami" });
      assert.ok(!JSON.stringify(logs).includes(token.slice(token.lastIndexOf(".") + 1)), "no part of the token is logged");
    });
    const lines: string[] = [];
    await withServer({ logger: createLogger({ level: "info", write: (line) => lines.push(line) }) }, async ({ url }) => {
      const response = await fetch(`${url}/api/agents/whoami`, { headers: bearer(token) });
      assert.equal(response.status, 401);
      await response.body?.cancel();
    });
    assert.deepEqual(lines, []);
  });

  test("guards every path and method under /api/agents, including unknown ones", async () => {
    await withServer({}, async ({ url }) => {
      for (const [method, path] of [["GET", "/api/agents"], ["POST", "/api/agents"], ["GET", "/api/agents/models"], ["PATCH", "/api/agents/x/settings"], ["DELETE", "/api/agents/x"]]) {
        const response = await fetch(`${url}${path}`, { method });
        assert.equal(response.status, 401, `${method} ${path}`);
        await response.body?.cancel();
      }
    });
  });

  test("a valid REGULAR or ADMIN token passes; the scheme is case-insensitive", async () => {
    await withServer({}, async ({ url }) => {
      for (const [role, scheme] of [["REGULAR", "Bearer"], ["ADMIN", "bearer"], ["REGULAR", "BEARER"]]) {
        const token = mintToken({ role, userId: 42, sub: "alice", email: "alice@example.com" });
        const response = await fetch(`${url}/api/agents/whoami`, { headers: { authorization: `${scheme} ${token}` } });
        assert.equal(response.status, 200, role);
        assert.deepEqual(await response.json(), { user: { uid: 42, name: "alice", email: "alice@example.com", role } });
      }
    });
  });

  test("INACTIVE and RESTRICTED roles: 403 Forbidden, as the gateway answers", async () => {
    await withServer({}, async ({ url }) => {
      for (const role of ["INACTIVE", "RESTRICTED", "regular"]) {
        const response = await fetch(`${url}/api/agents/whoami`, { headers: bearer(mintToken({ role })) });
        assert.equal(response.status, 403, role);
        assert.deepEqual(await response.json(), { error: "Forbidden", code: "forbidden" });
      }
    });
  });

  test("client-supplied x-user-* headers are ignored: identity comes from the token", async () => {
    await withServer({}, async ({ url }) => {
      const forged = { "x-user-id": "999", "x-user-name": "mallory", "x-user-role": "ADMIN" };
      const anonymous = await fetch(`${url}/api/agents/whoami`, { headers: forged });
      assert.equal(anonymous.status, 401);
      await anonymous.body?.cancel();
      const response = await fetch(`${url}/api/agents/whoami`, { headers: { ...forged, ...bearer(mintToken({ userId: 7, sub: "bob" })) } });
      const body = await response.json() as { user: { uid: number; name: string; role: string } };
      assert.equal(body.user.uid, 7);
      assert.equal(body.user.name, "bob");
      assert.equal(body.user.role, "REGULAR");
    });
  });

  test("a previous (rotated-out) secret still verifies when configured, and not otherwise", async () => {
    const oldSecret = "old-secret-0123456789abcdef-0123456789";
    const token = mintToken({}, oldSecret);
    await withServer({ verifier: new TokenVerifier({ keys: [TEST_SECRET, oldSecret] }) }, async ({ url }) => {
      const response = await fetch(`${url}/api/agents/whoami`, { headers: bearer(token) });
      assert.equal(response.status, 200);
      await response.body?.cancel();
    });
    await withServer({}, async ({ url }) => {
      const response = await fetch(`${url}/api/agents/whoami`, { headers: bearer(token) });
      assert.equal(response.status, 401);
      await response.body?.cancel();
    });
  });
});

describe("WebSocket /api/agents/:id/react", () => {
  const echo: ReactSocketProvider = async (agentId, caller) =>
    agentId === "echo"
      ? {
        open: (peer) => {
          peer.send(JSON.stringify({ type: "init", uid: caller.user.uid }));
        },
        message: (peer, message) => {
          peer.send(message.text());
        },
      }
      : undefined;

  test("refused before the upgrade: 401 without or with a bad token, 403 for INACTIVE, 404 for an unknown agent", async () => {
    await withServer({ reactSocket: echo }, async ({ port }) => {
      const cases: [string, number][] = [
        ["/api/agents/echo/react", 401],
        ["/api/agents/echo/react?access-token=garbage", 401],
        [`/api/agents/echo/react?access-token=${mintToken({ expiresIn: -100 })}`, 401],
        [`/api/agents/echo/react?access-token=${mintToken({ role: "INACTIVE" })}`, 403],
        [`/api/agents/nope/react?access-token=${mintToken()}`, 404],
      ];
      for (const [path, status] of cases) {
        const raw = await rawRequest(port, upgradeRequest(path));
        assert.equal(statusOf(raw), status, path);
        assert.doesNotMatch(raw, /^HTTP\/1\.1 101/, path);
      }
    });
  });

  test("a refused upgrade says why in WWW-Authenticate, and logs the code at debug", async () => {
    await withServer({ reactSocket: echo }, async ({ port, logs }) => {
      const challenge = (raw: string) => /^www-authenticate: (.*)\r$/im.exec(raw)?.[1];
      assert.equal(challenge(await rawRequest(port, upgradeRequest("/api/agents/echo/react"))), "Bearer");
      const expired = await rawRequest(port, upgradeRequest(`/api/agents/echo/react?access-token=${mintToken({ expiresIn: -100 })}`));
      assert.equal(challenge(expired), 'Bearer error="invalid_token", error_description="expired"');
      assert.deepEqual(
        logs.filter((line) => line.msg === "request refused").map(({ code, path }) => ({ code, path })),
        [{ code: "missing_token", path: "/api/agents/echo/react" }, { code: "expired", path: "/api/agents/echo/react" }],
      );
    });
  });

  test("without any agent provider, a valid token gets 404 Agent not found", async () => {
    await withServer({}, async ({ port }) => {
      const raw = await rawRequest(port, upgradeRequest(`/api/agents/any/react?access-token=${mintToken()}`));
      assert.equal(statusOf(raw), 404);
      assert.match(raw, /Agent not found/);
    });
  });

  test("a plain GET (no upgrade) gets 426", async () => {
    await withServer({ reactSocket: echo }, async ({ url }) => {
      const response = await fetch(`${url}/api/agents/echo/react?access-token=${mintToken()}`);
      assert.equal(response.status, 426);
      await response.body?.cancel();
    });
  });

  test("a valid token opens the socket and the hooks see the verified caller", async () => {
    await withServer({ reactSocket: echo }, async ({ wsUrl }) => {
      const socket = new WebSocket(`${wsUrl}/api/agents/echo/react?access-token=${mintToken({ userId: 5 })}`);
      const received: string[] = [];
      await new Promise<void>((resolve, reject) => {
        socket.onerror = () => reject(new Error("socket failed"));
        socket.onmessage = (event) => {
          received.push(String(event.data));
          if (received.length === 1) socket.send("ping");
          else socket.close();
        };
        socket.onclose = () => resolve();
      });
      assert.deepEqual(received, ['{"type":"init","uid":5}', "ping"]);
    });
  });
});

describe("bad requests get a clear 4xx and the process keeps serving", () => {
  const echoBody = (router: { post: (path: string, handler: (request: IRequest) => Promise<Response>) => unknown }, prefix: string) => {
    router.post(`${prefix}/agents/echo-body`, async (request) => json({ received: await readJson(request as unknown as Request, 1024) }));
  };
  const boom = (router: { get: (path: string, handler: () => Response) => unknown }, prefix: string) => {
    router.get(`${prefix}/agents/boom`, () => {
      throw new Error("internal detail: db password is hunter2");
    });
  };

  test("oversized bodies are 413, by Content-Length and when streamed", async () => {
    await withServer({ maxBodyBytes: 1024, routes: [echoBody as never] }, async ({ url, port }) => {
      const headers = { ...bearer(mintToken()), "content-type": "application/json" };
      const big = await fetch(`${url}/api/agents/echo-body`, { method: "POST", headers, body: JSON.stringify({ x: "y".repeat(5000) }) });
      assert.equal(big.status, 413);
      assert.match((await big.json() as { error: string }).error, /larger than 1024 bytes/);
      // Chunked, no Content-Length: the limit applies while reading.
      const chunk = "a".repeat(600);
      const chunked = [
        "POST /api/agents/echo-body HTTP/1.1", "Host: x", `Authorization: Bearer ${mintToken()}`,
        "Content-Type: application/json", "Transfer-Encoding: chunked", "Connection: close", "", "",
      ].join("\r\n") + `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(3) + "0\r\n\r\n";
      assert.equal(statusOf(await rawRequest(port, chunked)), 413);
      const ok = await fetch(`${url}/api/agents/echo-body`, { method: "POST", headers, body: '{"a":1}' });
      assert.deepEqual(await ok.json(), { received: { a: 1 } });
    });
  });

  test("malformed JSON is 400, a wrong content type 415", async () => {
    await withServer({ routes: [echoBody as never] }, async ({ url }) => {
      const auth = bearer(mintToken());
      const bad = await fetch(`${url}/api/agents/echo-body`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{nope" });
      assert.equal(bad.status, 400);
      assert.deepEqual(await bad.json(), { error: "Request body is not valid JSON", code: "invalid_json" });
      const wrongType = await fetch(`${url}/api/agents/echo-body`, { method: "POST", headers: { ...auth, "content-type": "text/plain" }, body: "{}" });
      assert.equal(wrongType.status, 415);
      await wrongType.body?.cancel();
    });
  });

  test("an unexpected error is a generic 500; its message is logged, never sent", async () => {
    await withServer({ routes: [boom as never] }, async ({ url, logs }) => {
      const response = await fetch(`${url}/api/agents/boom`, { headers: bearer(mintToken()) });
      assert.equal(response.status, 500);
      const text = await response.text();
      assert.deepEqual(JSON.parse(text), { error: "Internal server error", code: "internal_error" });
      assert.doesNotMatch(text, /hunter2|internal detail/);
      assert.ok(logs.some((line) => JSON.stringify(line).includes("internal detail")), "the error is logged for operators");
    });
  });

  test("unknown routes are 404 JSON; broken request lines and huge headers are refused", async () => {
    await withServer({}, async ({ url, port }) => {
      const missing = await fetch(`${url}/api/nothing-here`);
      assert.equal(missing.status, 404);
      assert.deepEqual(await missing.json(), { error: "Not found", code: "not_found" });
      assert.equal(statusOf(await rawRequest(port, "NOT AN HTTP REQUEST\r\n\r\n")), 400);
      const hugeHeader = `GET /api/healthcheck HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100_000)}\r\n\r\n`;
      const status = statusOf(await rawRequest(port, hugeHeader));
      assert.ok(status === 431 || status === 400, `huge header refused, got ${status}`);
      const after = await fetch(`${url}/api/healthcheck`);
      assert.equal(after.status, 200, "still serving");
      await after.body?.cancel();
    });
  });
});
