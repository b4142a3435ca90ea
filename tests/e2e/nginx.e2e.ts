/**
 * deploy/nginx/nginx.conf in front of the service, with a real nginx
 * (Debian's package; `.ci/run` installs it). Only the ports, the upstream
 * address and the file locations are changed for the test.
 *
 *   npm run test:e2e
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IRequest } from "itty-router";
import { callerOf, type RouteInstaller } from "../../src/http/app.ts";
import { json } from "../../src/http/responses.ts";
import { freePort } from "../../scripts/bench/lib.ts";
import { bearer, mintToken } from "../helpers/tokens.ts";
import { rawRequest, statusOf, upgradeRequest } from "../helpers/raw-http.ts";
import { startTestService, stopTestService, type TestService } from "../helpers/service.ts";
import { openSocket } from "../helpers/socket.ts";

/** A probe route: what the service received in x-user-* headers, next to the verified caller. */
const echoHeaders: RouteInstaller = (router, prefix) => {
  router.get(`${prefix}/agents/echo-headers`, (request: IRequest) => {
    const received: Record<string, string> = {};
    request.headers.forEach((value: string, name: string) => {
      if (name.startsWith("x-user-")) received[name] = value;
    });
    return json({ received, caller: callerOf(request) });
  });
};

interface Nginx {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  stop(): Promise<void>;
}

async function startNginx(upstreamPort: number): Promise<Nginx> {
  const dir = await mkdtemp(join(tmpdir(), "nginx-e2e-"));
  await chmod(dir, 0o755); // workers run as an unprivileged user
  const port = await freePort();
  const shipped = await readFile("deploy/nginx/nginx.conf", "utf8");
  const rendered = shipped
    .replace("server agent-service:3001;", `server 127.0.0.1:${upstreamPort};`)
    .replace("listen 8080;", `listen 127.0.0.1:${port};`)
    .replace("worker_processes auto;", "worker_processes 1;")
    .replace("access_log /dev/stdout agent_service;", `access_log ${dir}/access.log agent_service;
    client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`);
  assert.notEqual(rendered, shipped);
  assert.match(rendered, new RegExp(`server 127\\.0\\.0\\.1:${upstreamPort};`), "the upstream was substituted");
  await writeFile(join(dir, "nginx.conf"), rendered);
  const child = spawn("nginx", ["-p", dir, "-c", join(dir, "nginx.conf"), "-g", `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log info;`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (chunk) => (output += chunk));
  child.stdout?.on("data", (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${output}`);
    try {
      const response = await fetch(`${url}/api/healthcheck`);
      await response.body?.cancel();
      if (response.status === 200) break;
    } catch {
      // starting
    }
    if (i > 100) throw new Error(`nginx did not come up: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    port,
    dir,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function withStack(run: (nginx: Nginx, service: TestService) => Promise<void>) {
  const service = await startTestService({ extraRoutes: [echoHeaders] });
  const nginx = await startNginx(service.server.port);
  try {
    await run(nginx, service);
  } finally {
    await nginx.stop();
    await stopTestService(service);
  }
}

describe("nginx auth_request in front of the service (deploy/nginx/nginx.conf)", () => {
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
        assert.deepEqual(await response.json(), { agents: [] });
      }
    });
  });

  test("the service receives the trusted x-user-* values, never the client's forged ones", async () => {
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

  test("the /react WebSocket opens through nginx with ?access-token= and a conversation round-trips; without a token it is refused", async () => {
    await withStack(async (nginx, service) => {
      const token = mintToken({ userId: 5, sub: "carol" });
      const created = await fetch(`${nginx.url}/api/agents`, {
        method: "POST",
        headers: { ...bearer(token), "content-type": "application/json" },
        body: JSON.stringify({ modelType: "scripted-model", name: "Via nginx" }),
      });
      assert.equal(created.status, 200);
      const { id } = await created.json() as { id: string };

      assert.equal(statusOf(await rawRequest(nginx.port, upgradeRequest(`/api/agents/${id}/react`))), 401);
      assert.equal(statusOf(await rawRequest(nginx.port, upgradeRequest(`/api/agents/${id}/react?access-token=garbage`))), 401);

      service.upstream.enqueue({ kind: "text", text: "Hello through the gateway", chunkSize: 4 });
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
});
