/**
 * The OpenAPI document: served open and cacheable at `${prefix}/openapi.json`
 * (also before the agent side is loaded), holding every route the service
 * installs, and the checker that holds every test's answers to it rejecting
 * what does not match.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { TokenVerifier } from "../src/auth.ts";
import { buildOpenApiDocument } from "../src/contract/openapi.ts";
import { agentsRoutes } from "../src/http/agents-routes.ts";
import { type AppRouter, createApp, type RouteInstaller } from "../src/http/app.ts";
import { modelsRoutes } from "../src/http/models-routes.ts";
import { operatorTypesRoute } from "../src/http/operator-types-route.ts";
import { playgroundRoutes } from "../src/http/playground-routes.ts";
import { readinessRoute } from "../src/http/readiness-route.ts";
import { json } from "../src/http/responses.ts";
import { stagedApp } from "../src/http/staged-app.ts";
import { usageRoutes } from "../src/http/usage-routes.ts";
import { silentLogger } from "../src/log.ts";
import { ContractChecker, ContractViolation, contractChecker } from "./helpers/contract.ts";
import { rawRequest } from "./helpers/raw-http.ts";
import { api, withService } from "./helpers/service.ts";
import { withServer } from "./helpers/server.ts";
import { bearer, mintToken, TEST_SECRET } from "./helpers/tokens.ts";

const headers = (entries: Record<string, string>) => new Headers(entries);
const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

describe("the contract checker", () => {
  const checker = new ContractChecker("/api");
  const exchange = (method: string, path: string, status: number, body: unknown, extra: Record<string, string> = {}) => ({
    method, path, status, headers: headers({ ...JSON_TYPE, ...extra }), body: typeof body === "string" ? body : JSON.stringify(body),
  });

  test("accepts answers that match the document", () => {
    assert.deepEqual(checker.check(exchange("GET", "/api/healthcheck", 200, { status: "ok", timestamp: "2026-12-01T09:30:00.000Z" })), []);
    assert.deepEqual(checker.check(exchange("GET", "/api/agents/abc/settings", 404, { error: "Agent not found", code: "agent_not_found" })), []);
    assert.deepEqual(checker.check(exchange("GET", "/api/agents/whoami", 200, { user: { uid: 1, name: "a", email: "", role: "REGULAR" } })), []);
    assert.deepEqual(checker.check(exchange("GET", "/api/agents?limit=2", 429, { error: "Too many", code: "too_many_requests" }, { "retry-after": "3" })), []);
    assert.deepEqual(checker.check({ method: "GET", path: "/api/auth/api/agents/x", status: 403, headers: headers({}), body: "" }), []);
  });

  test("rejects a body that does not match, naming the field", () => {
    const [problem, ...rest] = checker.check(exchange("GET", "/api/agents/whoami", 200, { user: { uid: 1, name: "a", email: "", rol: "REGULAR" } }));
    assert.equal(rest.length, 0);
    assert.match(problem ?? "", /whoami: the body does not match its schema/);
    const [renamed] = checker.check(exchange("GET", "/api/healthcheck", 200, { status: "ok", time: "2026-12-01T09:30:00.000Z" }));
    assert.match(renamed ?? "", /healthcheck: the body does not match/);
    const [badCode] = checker.check(exchange("GET", "/api/agents/x", 404, { error: "gone", code: "no_such_code" }));
    assert.match(badCode ?? "", /getAgent: the body does not match/);
  });

  test("rejects a status the operation does not document", () => {
    const [problem] = checker.check(exchange("GET", "/api/agents/whoami", 409, { error: "busy", code: "agent_busy" }));
    assert.match(problem ?? "", /whoami does not document status 409/);
    const [unrouted] = checker.check(exchange("GET", "/api/nowhere", 200, {}));
    assert.match(unrouted ?? "", /no operation documents GET \/api\/nowhere/);
  });

  test("rejects a wrong content type, a body where none is documented, a missing required header", () => {
    const [type] = checker.check({ ...exchange("GET", "/api/healthcheck", 200, { status: "ok", timestamp: "2026-12-01T09:30:00.000Z" }), headers: headers({ "content-type": "text/plain" }) });
    assert.match(type ?? "", /documents application\/json, got content type "text\/plain"/);
    const [body] = checker.check({ method: "GET", path: "/api/auth", status: 401, headers: headers({ "www-authenticate": "Bearer" }), body: "nope" });
    assert.match(body ?? "", /documents no body/);
    const [retry] = checker.check(exchange("GET", "/api/agents", 429, { error: "Too many", code: "too_many_requests" }));
    assert.match(retry ?? "", /requires header Retry-After/);
  });

  test("a wrong answer fails the fetch that received it", async () => {
    const lying: RouteInstaller = (router, prefix) => router.get(`${prefix}/agents/models`, () => json({ models: [] }));
    await withServer({ routes: [lying] }, async ({ url }) => {
      await assert.rejects(fetch(`${url}/api/agents/models`, { headers: bearer(mintToken()) }), (error: Error) =>
        error instanceof ContractViolation && /listModels: the body does not match/.test(error.message));
    });
  });
});

describe("GET /api/openapi.json", () => {
  test("open, cacheable (ETag, 304), for the configured prefix", async () => {
    await withServer({ apiPrefix: "/svc" }, async ({ url }) => {
      const response = await fetch(`${url}/svc/openapi.json`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      assert.match(response.headers.get("cache-control") ?? "", /max-age=\d+/);
      const etag = response.headers.get("etag");
      assert.match(etag ?? "", /^"[0-9a-f]{24}"$/);
      const document = await response.json() as { openapi: string; paths: Record<string, unknown> };
      assert.equal(document.openapi, "3.1.0");
      assert.ok(document.paths["/svc/agents"], "the paths carry the prefix");
      assert.equal(document.paths["/api/agents"], undefined);
      const again = await fetch(`${url}/svc/openapi.json`, { headers: { "if-none-match": etag! } });
      assert.equal(again.status, 304);
      assert.equal(await again.text(), "");
      assert.equal(again.headers.get("etag"), etag);
      const stale = await fetch(`${url}/svc/openapi.json`, { headers: { "if-none-match": '"0000"' } });
      assert.equal(stale.status, 200);
      await stale.body?.cancel();
    });
  });

  test("answered before the agent side is loaded", async () => {
    const front = createApp({ apiPrefix: "/api", maxBodyBytes: 1024, verifier: new TokenVerifier({ keys: TEST_SECRET }), logger: silentLogger });
    const app = stagedApp(front, new Promise(() => {}), "/api");
    const response = await app.fetch(new Request("http://x/api/openapi.json"));
    assert.equal(response.status, 200);
    assert.equal((await response.json() as { openapi: string }).openapi, "3.1.0");
  });
});

describe("the document", () => {
  const document = buildOpenApiDocument({ apiPrefix: "/api" });

  test("holds every route the service installs", () => {
    const installed: [string, string][] = [];
    const recorder = new Proxy({}, {
      get: (_target, method: string) => (path: string) => void installed.push([method, path.replace(/:(\w+)/g, "{$1}")]),
    }) as unknown as AppRouter;
    const fake = {} as never;
    const installers: RouteInstaller[] = [
      agentsRoutes({ registry: fake, llm: fake, logger: silentLogger, maxBodyBytes: 1024 }),
      modelsRoutes(fake, silentLogger),
      usageRoutes({ registry: fake, store: fake }),
      operatorTypesRoute({ registry: fake }),
      readinessRoute({ name: "none", check: async () => {} }, silentLogger),
      playgroundRoutes({ devMode: true }),
    ];
    for (const install of installers) install(recorder, "/api");
    // createApp's own routes (app.ts), besides the guard (`all`) and `GET /` (not the API's).
    installed.push(["get", "/api/healthcheck"], ["get", "/api/openapi.json"], ["get", "/api/agents/{id}/react"], ["get", "/api/agents/whoami"], ["get", "/api/auth"], ["post", "/api/auth/{originalPath}"]);
    const missing = installed.filter(([method, path]) => path.startsWith("/api") && !document.paths[path]?.[method]);
    assert.deepEqual(missing, []);
    assert.ok(installed.length >= 25, `${installed.length} routes recorded`);
  });

  test("every operation: a unique id, a success answer, {error, code} errors, 429s with Retry-After", () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (method === "parameters") continue;
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(!ids.has(operation.operationId), `${where}: duplicate operationId`);
        ids.add(operation.operationId);
        const statuses = Object.keys(operation.responses);
        const success = path.endsWith("/react") ? "101" : statuses.find((status) => /^2/.test(status));
        assert.ok(success && statuses.includes(success), `${where}: no success answer`);
        for (const status of statuses.filter((s) => Number(s) >= 400)) {
          const response = operation.responses[status];
          if (path.startsWith("/api/auth") && status !== "503") continue; // the gateway check answers with headers only (but while shutting down)
          assert.match(String(response.$ref), /^#\/components\/responses\//, `${where} ${status}`);
        }
        if (operation.security?.some((entry: Record<string, unknown>) => "bearerAuth" in entry) && !path.startsWith("/api/auth") && !path.endsWith("/react")) {
          for (const status of ["401", "403", "429"]) assert.ok(statuses.includes(status), `${where}: no ${status}`);
        }
      }
    }
    const responses = (document.components as { responses: Record<string, { headers?: Record<string, { required: boolean }> }> }).responses;
    assert.equal(responses.TooManyRequests?.headers?.["Retry-After"]?.required, true);
    assert.equal(responses.Unauthorized?.headers?.["WWW-Authenticate"]?.required, true);
  });

  test("is the same for the same options (the served ETag holds)", () => {
    assert.equal(JSON.stringify(buildOpenApiDocument({ apiPrefix: "/api" })), JSON.stringify(document));
  });
});

/** A raw HTTP/1.1 answer, split (a chunked body joined). */
function parseRaw(raw: string): { status: number; headers: Headers; body: string } {
  const [head = "", ...rest] = raw.split("\r\n\r\n");
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers = new Headers(lines.map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim()] as [string, string]));
  let body = rest.join("\r\n\r\n");
  if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) body = body.split("\r\n").filter((_, i) => i % 2 === 1).join("");
  return { status: Number(statusLine.split(" ")[1]), headers, body };
}

describe("what the fuzzer found (tests/contract/schemathesis.e2e.ts), fixed in the service", () => {
  test("a request that says `Upgrade: websocket` but is no handshake gets a documented answer with its {error, code}, not an empty 426 or a bare 500", async () => {
    await withService({}, async (service) => {
      const token = mintToken();
      const created = await api(service, "POST", "/api/agents", token, { modelType: "scripted-model" });
      assert.equal(created.status, 200);
      const path = `/api/agents/${created.body.id}/react`;
      const port = Number(new URL(service.url).port);
      // fetch may not send an Upgrade header: raw HTTP (then checked against the document by hand).
      for (const [why, extra] of [
        ["no Connection: upgrade (served as plain HTTP)", "Connection: close\r\n"],
        ["no Sec-WebSocket-Key", "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"],
        ["a key but no version", "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"],
      ] as const) {
        const raw = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nUpgrade: websocket\r\n${extra}\r\n`);
        const { status, headers, body } = parseRaw(raw);
        assert.ok(status === 400 || status === 426, `${why}: ${raw.slice(0, 300)}`);
        assert.equal(JSON.parse(body).code, status === 426 ? "upgrade_required" : "invalid_request", why);
        assert.deepEqual(contractChecker("/api").check({ method: "GET", path, status, headers, body }), [], why);
      }
    });
  });
});
