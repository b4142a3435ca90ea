/**
 * Hostile HTTP and WebSocket input: random and oversized bodies, wrong
 * content types, header floods, a body trickled byte by byte, a flood of
 * frames from one socket. Each gets the right 4xx or a closed socket, and a
 * well-behaved client keeps being served meanwhile.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { FrameBudget } from "../src/http/react-socket.ts";
import type { MemoryAgentStore } from "../src/store/memory-store.ts";
import { bearer, mintToken } from "./helpers/tokens.ts";
import { rawRequest, statusOf } from "./helpers/raw-http.ts";
import { type TestService, withService } from "./helpers/service.ts";
import { openSocket } from "./helpers/socket.ts";

const token = mintToken({ userId: 1, sub: "alice" });

/** A well-behaved client: n sequential healthchecks and agent lists; all must be 200. */
async function wellBehaved(service: TestService, n: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const health = await fetch(`${service.url}/api/healthcheck`);
    await health.body?.cancel();
    const list = await fetch(`${service.url}/api/agents`, { headers: bearer(token) });
    await list.body?.cancel();
    if (health.status === 200 && list.status === 200) ok++;
  }
  return ok;
}

/** Deterministic pseudo-random bytes. */
function randomBytes(seed: number, length: number): Uint8Array {
  let state = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

describe("hostile HTTP input", () => {
  test("random bodies are 400, wrong content types 415, oversized 413; nothing is created", async () => {
    await withService({ maxBodyBytes: 4096 }, async (service) => {
      for (let seed = 1; seed <= 30; seed++) {
        const response = await fetch(`${service.url}/api/agents`, {
          method: "POST",
          headers: { ...bearer(token), "content-type": "application/json" },
          body: randomBytes(seed, 10 + seed * 37) as unknown as BodyInit,
        });
        assert.equal(response.status, 400, `seed ${seed}`);
        const body = await response.json() as { error: string };
        assert.equal(typeof body.error, "string");
      }
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"]) {
        const response = await fetch(`${service.url}/api/agents`, { method: "POST", headers: { ...bearer(token), "content-type": type }, body: '{"modelType":"scripted-model"}' });
        assert.equal(response.status, 415, type);
        await response.body?.cancel();
      }
      const big = await fetch(`${service.url}/api/agents`, { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: `{"modelType":"${"x".repeat(10_000)}"}` });
      assert.equal(big.status, 413);
      await big.body?.cancel();
      assert.equal((service.store as MemoryAgentStore).size, 0);
      assert.equal(await wellBehaved(service, 5), 5);
    });
  });

  test("a header flood is refused (431/400) and the server keeps serving", async () => {
    await withService({}, async (service) => {
      const many = Array.from({ length: 3000 }, (_, i) => `X-Flood-${i}: ${"v".repeat(20)}`).join("\r\n");
      const status = statusOf(await rawRequest(service.server.port, `GET /api/healthcheck HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`));
      assert.ok(status === 431 || status === 400, `got ${status}`);
      const huge = statusOf(await rawRequest(service.server.port, `GET /api/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${"a".repeat(200_000)}\r\n\r\n`));
      assert.ok(huge === 431 || huge === 400, `got ${huge}`);
      assert.equal(await wellBehaved(service, 5), 5);
    });
  });

  test("a body trickled byte by byte does not hold anyone else up", async () => {
    await withService({}, async (service) => {
      const socket = connect(service.server.port, "127.0.0.1");
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      const body = JSON.stringify({ modelType: "scripted-model", name: "slow" });
      socket.write(`POST /api/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      let answer = "";
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => (answer += chunk));
      let sent = 0;
      const trickle = setInterval(() => {
        if (sent < body.length) socket.write(body[sent++]!);
      }, 20);
      try {
        // While the slow body dribbles in, a normal client is served as usual.
        const started = Date.now();
        assert.equal(await wellBehaved(service, 20), 20);
        assert.ok(sent < body.length, "the slow client was still sending while the others were served");
        assert.ok(Date.now() - started < body.length * 20, "the good client did not wait for the slow one");
        // And the slow request itself completes correctly once its body is in.
        for (let i = 0; i < 200 && !answer.includes("\r\n\r\n"); i++) await new Promise((r) => setTimeout(r, 25));
        assert.equal(statusOf(answer), 200);
      } finally {
        clearInterval(trickle);
        socket.destroy();
      }
    });
  });
});

describe("hostile WebSocket input", () => {
  test("the frame budget allows a burst, then refills at its rate", () => {
    let now = 0;
    const budget = new FrameBudget(5, 2, () => now);
    for (let i = 0; i < 5; i++) assert.equal(budget.take(), true);
    assert.equal(budget.take(), false);
    now += 500;
    assert.equal(budget.take(), true, "one frame per 500 ms at 2/s");
    assert.equal(budget.take(), false);
  });

  test("thousands of frames per second from one socket close it (1008); another user's conversation goes on", async () => {
    await withService({}, async (service) => {
      const created = await fetch(`${service.url}/api/agents`, { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: '{"modelType":"scripted-model"}' });
      const { id } = await created.json() as { id: string };
      const bob = mintToken({ userId: 2, sub: "bob" });
      const bobsAgent = await fetch(`${service.url}/api/agents`, { method: "POST", headers: { ...bearer(bob), "content-type": "application/json" }, body: '{"modelType":"scripted-model"}' });
      const { id: bobId } = await bobsAgent.json() as { id: string };

      const flooder = await openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${token}`);
      const good = await openSocket(`${service.wsUrl}/api/agents/${bobId}/react?access-token=${bob}`);
      await good.waitFor((e) => e.type === "init");
      let closed = false;
      void flooder.closed.then(() => (closed = true));
      const started = Date.now();
      // 5,000 frames in bursts of 100 (a flood, but one the client itself can keep writing).
      for (let burst = 0; burst < 50 && !closed; burst++) {
        for (let i = 0; i < 100; i++) flooder.sendRaw(i % 2 ? '{"type":"dance"}' : "{garbage");
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.deepEqual(await flooder.closedWithin(), { code: 1008, reason: "too many messages" });
      const errors = flooder.events.filter((e) => e.type === "error").length;
      // The budget: a burst of 100, refilled at 20 per second while the flood lasted (a slow machine stretches it).
      const allowed = 100 + Math.ceil(((Date.now() - started) / 1000) * 20);
      assert.ok(errors > 0 && errors <= allowed, `the budget answered at most a burst and its refill (${errors} error events, at most ${allowed}) before closing`);
      good.send({ type: "message", content: "are you there?" });
      await good.waitFor((e) => e.type === "complete");
      const last = good.events.filter((e) => e.type === "step").at(-1)!.step as { content: string };
      assert.equal(last.content, "echo: are you there?");
      assert.equal(await wellBehaved(service, 5), 5);
      await good.close();
    });
  });
});
