/**
 * The running container, checked as the bare processes are in
 * tests/e2e/process.e2e.ts: the image's HEALTHCHECK command; 401, 403 and
 * 200 on a guarded route and the gateway check; a socket turn streamed from a
 * scripted upstream on the host; the socket closed with 4401 when its token
 * expires; and `podman stop` (SIGTERM) draining a running turn, exit 0 within
 * the grace period.
 *
 *   npm run test:container
 */
import { describe, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import type { ReActStep } from "../../src/agents/types.ts";
import { startScriptedLLM, type ScriptedLLM } from "../fixtures/scripted-llm.ts";
import { openSocket } from "../helpers/socket.ts";
import { bearer, mintToken } from "../helpers/tokens.ts";
import { type Container, createAgent, podman, withContainer } from "./podman.ts";

const dora = mintToken({ userId: 9, sub: "dora" });

/** A container in front of a scripted upstream of its own. */
async function withService(env: Record<string, string>, body: (container: Container, llm: ScriptedLLM) => Promise<void>) {
  const llm = await startScriptedLLM({ models: ["scripted-model"] });
  try {
    await withContainer({ env: { LITELLM_BASE_URL: llm.url, ...env } }, (container) => body(container, llm));
  } finally {
    await llm.close();
  }
}


const socketUrl = (container: Container, id: string, as = dora) => `${container.wsUrl}/api/agents/${id}/react?access-token=${as}`;

describe("the service in its container", () => {
  test("the image's HEALTHCHECK command passes while the service answers, and fails when it does not", async () => {
    await withService({}, async (container) => {
      const passing = await podman(["healthcheck", "run", container.name]);
      assert.equal(passing.code, 0, passing.stderr + passing.stdout);
      // The same command where nothing listens: it must be able to fail.
      const check = JSON.parse((await podman(["inspect", "--format", "{{json .Config.Healthcheck.Test}}", container.name])).stdout) as string[];
      assert.equal(check[0], "CMD");
      const failing = await container.exec(check.slice(1), ["-e", "PORT=1"]);
      assert.notEqual(failing.code, 0, "the check fails with nothing on its port");
    });
  });

  test("REST: 401 without a token, 403 for an inactive user, 200 for a regular one; the gateway check answers with x-user-*", async () => {
    await withService({}, async (container) => {
      const health = await fetch(`${container.url}/api/healthcheck`);
      assert.equal(health.status, 200);
      assert.equal((await health.json() as { status: string }).status, "ok");

      const anonymous = await fetch(`${container.url}/api/agents`);
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.headers.get("www-authenticate"), "Bearer");
      await anonymous.body?.cancel();
      const inactive = await fetch(`${container.url}/api/agents`, { headers: bearer(mintToken({ userId: 11, role: "INACTIVE" })) });
      assert.equal(inactive.status, 403);
      await inactive.body?.cancel();
      const id = await createAgent(container.url, dora);
      const list = await (await fetch(`${container.url}/api/agents`, { headers: bearer(dora) })).json() as { agents: { id: string }[] };
      assert.deepEqual(list.agents.map((a) => a.id), [id]);

      const check = await fetch(`${container.url}/api/auth/api/agents/${id}/settings`, { method: "PATCH", headers: bearer(dora) });
      assert.equal(check.status, 200);
      assert.equal(check.headers.get("x-user-id"), "9");
      assert.equal(check.headers.get("x-user-name"), "dora");
      await check.body?.cancel();
      const nginxForm = await fetch(`${container.url}/api/auth`, { headers: { "x-original-uri": `/api/agents/${id}/react?access-token=${dora}` } });
      assert.equal(nginxForm.status, 200);
      assert.equal(nginxForm.headers.get("x-user-role"), "REGULAR");
      await nginxForm.body?.cancel();
      for (const [headers, status] of [[{}, 401], [bearer("garbage"), 401], [bearer(mintToken({ role: "INACTIVE" })), 403]] as const) {
        const denied = await fetch(`${container.url}/api/auth/api/agents`, { headers });
        assert.equal(denied.status, status, JSON.stringify(headers));
        assert.equal(denied.headers.get("x-user-id"), null);
        await denied.body?.cancel();
      }
    });
  });

  test("a socket turn streams from the upstream on the host: deltas, the step, complete; the steps are stored", async () => {
    await withService({}, async (container, llm) => {
      const id = await createAgent(container.url, dora);
      const socket = await openSocket(socketUrl(container, id));
      try {
        await socket.waitFor((e) => e.type === "init");
        const answer = "streamed out of the container in small pieces";
        llm.enqueue({ kind: "text", text: answer, chunkSize: 3, delayMs: 2 });
        socket.send({ type: "message", content: "stream please" });
        await socket.waitFor((e) => e.type === "complete", { timeoutMs: 10_000 });
        assert.equal(socket.events.filter((e) => e.type === "delta").map((e) => e.text).join(""), answer);
        assert.ok(socket.events.filter((e) => e.type === "delta").length > 5, "streamed, not in one piece");
      } finally {
        await socket.close();
      }
      const steps = await (await fetch(`${container.url}/api/agents/${id}/react-steps`, { headers: bearer(dora) })).json() as { steps: ReActStep[] };
      assert.deepEqual(steps.steps.map((s) => s.content), ["stream please", "streamed out of the container in small pieces"]);
      const chat = llm.requests.find((r) => r.path === "/v1/chat/completions");
      assert.ok(chat, "the container called the upstream");
    });
  });

  test("a socket whose token expires is closed with 4401", async () => {
    await withService({}, async (container) => {
      const id = await createAgent(container.url, dora);
      // exp 28 s ago with the 30 s leeway: valid now, expired within ~3 s.
      const shortLived = mintToken({ userId: 9, sub: "dora", expiresIn: -28 });
      const socket = await openSocket(socketUrl(container, id, shortLived));
      await socket.waitFor((e) => e.type === "init");
      const closed = await Promise.race([socket.closed, new Promise<"open">((resolve) => setTimeout(() => resolve("open"), 10_000))]);
      assert.deepEqual(closed, { code: 4401, reason: "token expired" });
    });
  });

  test("podman stop (SIGTERM) mid-turn: the turn finishes, the socket closes with 1001, exit 0 within the grace period; the answer is kept", async () => {
    await withService({ SHUTDOWN_GRACE_SECONDS: "20" }, async (container, llm) => {
      const id = await createAgent(container.url, dora);
      const socket = await openSocket(socketUrl(container, id));
      const answer = "a".repeat(150);
      llm.enqueue({ kind: "text", text: answer, chunkSize: 1, delayMs: 10 });
      socket.send({ type: "message", content: "take your time" });
      await socket.waitFor((e) => e.type === "delta");
      const started = Date.now();
      // podman's own grace (-t) is longer than the service's: the service must exit by itself.
      const code = await container.stop(30);
      const took = Date.now() - started;
      assert.equal(code, 0, await container.logs());
      assert.ok(took < 20_000, `exited within the service's grace period (${took} ms)`);
      await socket.waitFor((e) => e.type === "complete", { timeoutMs: 1_000 });
      assert.equal(socket.events.filter((e) => e.type === "delta").map((e) => e.text).join(""), answer, "the running turn finished");
      assert.equal((await socket.closed).code, 1001);
      assert.doesNotMatch(await container.logs(), /\n\s+at /, "no stack trace");

      await container.start();
      const steps = await (await fetch(`${container.url}/api/agents/${id}/react-steps`, { headers: bearer(dora) })).json() as { steps: ReActStep[] };
      assert.deepEqual(steps.steps.map((s) => s.content), ["take your time", answer]);
    });
  });

  test("podman stop with a turn longer than the grace period: it is stopped, exit 0, the stopped step is kept", async () => {
    await withService({ SHUTDOWN_GRACE_SECONDS: "1" }, async (container, llm) => {
      const id = await createAgent(container.url, dora);
      const socket = await openSocket(socketUrl(container, id));
      llm.enqueue({ kind: "text", text: "b".repeat(3000), chunkSize: 1, delayMs: 10 });
      socket.send({ type: "message", content: "a very long answer" });
      await socket.waitFor((e) => e.type === "delta");
      const started = Date.now();
      assert.equal(await container.stop(30), 0, await container.logs());
      assert.ok(Date.now() - started < 10_000, "the service gave up after its 1 s grace, long before podman's SIGKILL");
      await container.start();
      const steps = await (await fetch(`${container.url}/api/agents/${id}/react-steps`, { headers: bearer(dora) })).json() as { steps: ReActStep[] };
      assert.deepEqual(steps.steps.map((s) => [s.role, s.content]), [["user", "a very long answer"], ["agent", "Generation stopped by user."]]);
    });
  });
});
