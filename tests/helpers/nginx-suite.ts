/**
 * The nginx e2e suite: deploy/nginx/nginx.conf in a real nginx (Debian's
 * package; `.ci/run` installs it) in front of an agent-service, whichever
 * runs it: the service in-process (tests/e2e/nginx.e2e.ts) or the built
 * container (tests/container/nginx.e2e.ts). Only the ports, the upstream
 * address and the file locations are changed for the test.
 */
import { describe, test } from "./node-test.ts";
import assert from "node:assert/strict";
import { Agent, createServer, type IncomingHttpHeaders, request as httpRequest } from "node:http";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { IRequest } from "itty-router";
import { callerOf, type RouteInstaller } from "../../src/http/app.ts";
import { json } from "../../src/http/responses.ts";
import { socketProtocols, tokenProtocol, TOKEN_PROTOCOL_PREFIX } from "../../src/socket-auth.ts";
import type { ScriptedLLM } from "../fixtures/scripted-llm.ts";
import { bearer, mintToken } from "./tokens.ts";
import { rawRequest, statusOf, upgradeRequest } from "./raw-http.ts";
import { type Nginx, startNginx } from "./nginx.ts";
import { openSocket } from "./socket.ts";
import { ContractViolation, serverTextProblem } from "./socket-contract.ts";

/** The service behind nginx: where it listens, its scripted model, and how to stop both. */
export interface NginxUpstream {
  readonly port: number;
  readonly llm: ScriptedLLM;
  stop(): Promise<void>;
}

/** A probe route: what the service received in x-user-* headers, next to the verified caller. */
export const echoHeaders: RouteInstaller = (router, prefix) => {
  router.get(`${prefix}/agents/echo-headers`, (request: IRequest) => {
    const received: Record<string, string> = {};
    request.headers.forEach((value: string, name: string) => {
      if (name.startsWith("x-user-")) received[name] = value;
    });
    return json({ received, caller: callerOf(request) });
  });
};


/** One request nginx sent to the service, as it arrived (raw target, x-user-* headers) and how it was answered. */
interface Upstreamed {
  readonly method: string;
  readonly url: string;
  readonly userHeaders: Record<string, string>;
  status?: number;
  answerUserId?: string;
}

/**
 * A recording HTTP proxy between nginx and the service (plain requests, no
 * upgrades): shows what nginx really forwards, raw, for each client request.
 */
async function startRecorder(servicePort: number) {
  const seen: Upstreamed[] = [];
  const agent = new Agent({ keepAlive: true });
  const users = (headers: IncomingHttpHeaders) =>
    Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith("x-user-")).map(([name, value]) => [name, String(value)]));
  const server = createServer((req, res) => {
    const entry: Upstreamed = { method: req.method ?? "", url: req.url ?? "", userHeaders: users(req.headers) };
    seen.push(entry);
    const forward = httpRequest({ host: "127.0.0.1", port: servicePort, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      entry.status = answer.statusCode;
      const id = answer.headers["x-user-id"];
      if (typeof id === "string") entry.answerUserId = id;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    seen,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Creates an agent through nginx; its id. */
async function createAgentVia(nginx: Nginx, token: string): Promise<string> {
  const created = await fetch(`${nginx.url}/api/agents`, {
    method: "POST",
    headers: { ...bearer(token), "content-type": "application/json" },
    body: JSON.stringify({ modelType: "scripted-model", name: "Via nginx" }),
  });
  assert.equal(created.status, 200);
  return (await created.json() as { id: string }).id;
}

/** Registers the suite, over a fresh upstream from `start` for each test. */
export function nginxSuite(title: string, start: () => Promise<NginxUpstream>, { echoesHeaders }: { echoesHeaders: boolean }): void {
  async function withStack(run: (nginx: Nginx, upstream: NginxUpstream) => Promise<void>) {
    const upstream = await start();
    try {
      const nginx = await startNginx(upstream.port);
      try {
        await run(nginx, upstream);
      } finally {
        await nginx.stop();
      }
    } finally {
      await upstream.stop();
    }
  }

  describe(`nginx auth_request in front of ${title} (deploy/nginx/nginx.conf)`, () => {
    test("no, garbage and expired tokens are 401 with WWW-Authenticate; INACTIVE 403; REGULAR and ADMIN 200", async () => {
      await withStack(async (nginx) => {
        const get = (authorization?: string) => fetch(`${nginx.url}/api/agents`, { headers: authorization ? { authorization } : {} });
        for (
          const [name, authorization, challenge] of [
            ["none", undefined, "Bearer"],
            ["garbage", "Bearer garbage", 'Bearer error="invalid_token", error_description="malformed"'],
            ["expired", `Bearer ${mintToken({ expiresIn: -3600 })}`, 'Bearer error="invalid_token", error_description="expired"'],
          ] as const
        ) {
          const response = await get(authorization);
          assert.equal(response.status, 401, name);
          // nginx passes the check's challenge through, error_description included.
          assert.equal(response.headers.get("www-authenticate"), challenge, name);
          await response.body?.cancel();
        }
        for (const role of ["INACTIVE", "RESTRICTED"]) {
          const response = await get(`Bearer ${mintToken({ role })}`);
          assert.equal(response.status, 403, role);
          await response.body?.cancel();
        }
        for (const role of ["REGULAR", "ADMIN"]) {
          const response = await get(`Bearer ${mintToken({ role })}`);
          assert.equal(response.status, 200, role);
          assert.deepEqual(await response.json(), { agents: [], nextCursor: null });
        }
      });
    });

    // The probe route exists in-process only; against a built service, the bypass test below checks what arrives.
    if (echoesHeaders) test("the service receives the trusted x-user-* values, never the client's forged ones", async () => {
      await withStack(async (nginx) => {
        const forged = { "X-User-Id": "999", "x-user-name": "mallory", "X-USER-EMAIL": "m@evil", "x-user-role": "ADMIN" };
        const token = mintToken({ userId: 42, sub: "alice", email: "alice@example.com", role: "REGULAR" });
        const response = await fetch(`${nginx.url}/api/agents/echo-headers`, { headers: { ...forged, ...bearer(token) } });
        assert.equal(response.status, 200);
        const body = await response.json() as { received: Record<string, string>; caller: { uid: number } };
        assert.deepEqual(body.received, { "x-user-id": "42", "x-user-name": "alice", "x-user-email": "alice@example.com", "x-user-role": "REGULAR" });
        assert.equal(body.caller.uid, 42);
        const anonymous = await fetch(`${nginx.url}/api/agents/echo-headers`, { headers: forged });
        assert.equal(anonymous.status, 401, "forged headers alone get nobody in");
        await anonymous.body?.cancel();
      });
    });

    test("bypass attempts (encoded dots, %2f, double slashes, dot segments): every request that reaches the service passed auth_request or is exactly GET /api/healthcheck, and never with the client's x-user-*", async () => {
      const upstream = await start();
      const recorder = await startRecorder(upstream.port);
      const nginx = await startNginx(recorder.port);
      try {
        const token = mintToken({ userId: 42, sub: "alice", role: "REGULAR" });
        const forged = { "X-User-Id": "999", "X-User-Name": "mallory", "X-User-Email": "m@evil", "X-User-Role": "ADMIN" };
        const targets = [
          "/api/healthcheck", "//api/healthcheck", "/api//healthcheck", "/api/./healthcheck", "/api/healthcheck/", "/api/healthcheck?x=/api/agents",
          "/api/agents/%2e%2e/healthcheck", "/api/agents/%2E%2E/healthcheck", "/api/agents/x/%2e%2e/%2e%2e/healthcheck",
          "/api/agents/..%2fhealthcheck", "/api/agents/%2e%2e%2fhealthcheck", "/api/agents/echo-headers/%2e%2e%2f%2e%2e%2fhealthcheck",
          "/api/agents/x/..%2f..%2f..%2fapi/healthcheck", "/api/agents/echo-headers/..%2F..%2Fhealthcheck", "/api/agents%2f..%2fhealthcheck",
          "/api/agents/echo-headers/%2e%2e/%2e%2e/healthcheck", "/api/agents/%252e%252e/healthcheck",
          "/api/healthcheck/../agents", "/api/healthcheck/..%2fagents", "/api/healthcheck%2f..%2fagents/echo-headers", "/api/healthcheck/%2e%2e/agents",
          "/api/agents", "/api//agents", "/api/agents/echo-headers", "/api/agents/./echo-headers", "/api/agents/x/../echo-headers",
          "/api/agents/..%5c..%5chealthcheck", "/api/agents\\..\\healthcheck", "/_agent_service_auth", "/api/auth/api/agents/echo-headers",
          "/api/playground/", "/api/agents/%2e%2e/playground/", "/api/agents/%2e%2e/dev/token",
        ];
        const outcomes: string[] = [];
        const violations: string[] = [];
        for (const target of targets) {
          for (const withToken of [false, true]) {
            recorder.seen.length = 0;
            for (const method of ["GET", "POST"]) {
              const headers = { ...forged, ...(withToken ? { Authorization: `Bearer ${token}` } : {}), ...(method === "POST" ? { "Content-Length": "2" } : {}) };
              const raw = await rawRequest(nginx.port, [`${method} ${target} HTTP/1.1`, "Host: 127.0.0.1", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "Connection: close", "", method === "POST" ? "{}" : ""].join("\r\n"), 100);
              if (!withToken && method === "GET") outcomes.push(`${target} -> ${statusOf(raw)}`);
            }
            const where = `${target} (${withToken ? "with" : "without"} a token)`;
            let vouched: string | undefined;
            for (const request of recorder.seen) {
              const arrived = `${request.method} ${request.url}`;
              if (Object.values(request.userHeaders).some((value) => value === "999" || value === "mallory" || value === "m@evil")) {
                violations.push(`${where}: ${arrived} arrived with the client's x-user-*`);
              }
              if (request.url.startsWith("/api/auth")) {
                vouched = request.status === 200 ? request.answerUserId : undefined;
                continue;
              }
              const open = request.url === "/api/healthcheck" && (request.method === "GET" || request.method === "HEAD");
              if (!open && vouched !== "42") violations.push(`${where}: ${arrived} reached the service without passing auth_request`);
              if (!open && vouched === "42" && request.userHeaders["x-user-id"] !== "42") violations.push(`${where}: ${arrived} lost the check's identity`);
              vouched = undefined; // one check per proxied request
            }
          }
        }
        console.log(`nginx bypass attempts (GET, no token): ${outcomes.join("; ")}`);
        assert.deepEqual(violations, []);
      } finally {
        await nginx.stop();
        await recorder.close();
        await upstream.stop();
      }
    });

    test("the /react WebSocket opens through nginx with ?access-token= and a conversation round-trips; without a token it is refused", async () => {
      await withStack(async (nginx, upstream) => {
        const token = mintToken({ userId: 5, sub: "carol" });
        const id = await createAgentVia(nginx, token);

        assert.equal(statusOf(await rawRequest(nginx.port, upgradeRequest(`/api/agents/${id}/react`))), 401);
        assert.equal(statusOf(await rawRequest(nginx.port, upgradeRequest(`/api/agents/${id}/react?access-token=garbage`))), 401);

        upstream.llm.enqueue({ kind: "text", text: "Hello through the gateway", chunkSize: 4 });
        const socket = await openSocket(`ws://127.0.0.1:${nginx.port}/api/agents/${id}/react?access-token=${token}`);
        await socket.waitFor((e) => e.type === "init");
        socket.send({ type: "message", content: "hi" });
        await socket.waitFor((e) => e.type === "complete");
        const deltas = socket.events.filter((e) => e.type === "delta").map((e) => e.text).join("");
        assert.equal(deltas, "Hello through the gateway");
        const steps = socket.events.filter((e) => e.type === "step");
        assert.equal(steps.length, 2);
        await socket.close();

        const log = await readFile(join(nginx.dir, "access.log"), "utf8");
        assert.match(log, /GET \/api\/agents\/[^ ]+\/react HTTP\/1\.1" 101/, "the upgrade was logged");
        assert.ok(!log.includes(token) && !log.includes("access-token"), "tokens never reach nginx's access log");
      });
    });

    test("the /react WebSocket opens through nginx with its token in Sec-WebSocket-Protocol; the 101 names only agent-service.v1", async () => {
      await withStack(async (nginx, upstream) => {
        const token = mintToken({ userId: 6, sub: "dana" });
        const id = await createAgentVia(nginx, token);
        const path = `/api/agents/${id}/react`;

        for (const bad of ["garbage", mintToken({ userId: 6, expiresIn: -100 })]) {
          const raw = await rawRequest(nginx.port, upgradeRequest(path, { "Sec-WebSocket-Protocol": socketProtocols(bad).join(", ") }));
          assert.equal(statusOf(raw), 401, "refused by the gateway check");
        }
        const raw = await rawRequest(nginx.port, upgradeRequest(path, { "Sec-WebSocket-Protocol": socketProtocols(token).join(", ") }), 100);
        assert.equal(statusOf(raw), 101);
        const head = raw.slice(0, raw.indexOf("\r\n\r\n"));
        const protocolLines = head.split("\r\n").filter((line) => /^sec-websocket-protocol:/i.test(line));
        assert.deepEqual(protocolLines.map((line) => line.toLowerCase()), ["sec-websocket-protocol: agent-service.v1"]);
        assert.ok(!raw.includes(tokenProtocol(token).slice(TOKEN_PROTOCOL_PREFIX.length)), "the token entry is not echoed");

        upstream.llm.enqueue({ kind: "text", text: "Hello without a token in the URL", chunkSize: 8 });
        const socket = new WebSocket(`ws://127.0.0.1:${nginx.port}${path}`, socketProtocols(token));
        const events: { type: string; text?: string }[] = [];
        const complete = new Promise<void>((resolve, reject) => {
          socket.onerror = () => reject(new Error("the socket failed"));
          socket.onmessage = (message) => {
            // Through the gateway too, every frame is one the protocol document describes.
            const problem = serverTextProblem(String(message.data));
            if (problem) return reject(new ContractViolation(problem));
            const event = JSON.parse(String(message.data));
            events.push(event);
            if (event.type === "init") socket.send(JSON.stringify({ type: "message", content: "hi" }));
            if (event.type === "complete") resolve();
          };
        });
        await complete;
        assert.equal(socket.protocol, "agent-service.v1");
        assert.equal(events.filter((e) => e.type === "delta").map((e) => e.text).join(""), "Hello without a token in the URL");
        const closed = new Promise((resolve) => (socket.onclose = resolve));
        socket.close();
        await closed;
      });
    });
  });
}
