/**
 * What one socket may hold on the server, on every runtime: a client that
 * stops reading is closed (1013) once its unsent bytes pass
 * SOCKET_MAX_BUFFER_BYTES; a frame announcing more than MAX_BODY_BYTES is
 * refused from its header (1009), before its payload is read; a client that
 * vanished (answers no ping) is dropped within SOCKET_IDLE_SECONDS. Each
 * time the socket's close hook runs: its event listener is released and the
 * service no longer counts it. Clients that behave are served meanwhile.
 *
 * The misbehaving clients are raw TCP (tests/helpers/raw-socket.ts). No
 * timing is asserted; every wait has a timeout. How much memory this saves
 * is measured at the process level (tests/e2e/socket-memory.e2e.ts).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { SeqEvent } from "../src/agents/events.ts";
import { LocalEventBus } from "../src/events/local-bus.ts";
import { silentLogger } from "../src/log.ts";
import { step } from "./helpers/store-contract.ts";
import { bearer, mintToken } from "./helpers/tokens.ts";
import { clientFrameHeader, closeCode, OPCODE, openRawSocket } from "./helpers/raw-socket.ts";
import type { TestService } from "./helpers/service.ts";
import { withService } from "./helpers/service.ts";
import { openSocket } from "./helpers/socket.ts";

const token = mintToken({ userId: 1, sub: "alice" });

/** The in-process bus, counting the listeners that are subscribed now (one per open socket). */
class CountingBus extends LocalEventBus {
  listeners = 0;
  override subscribe(agentId: string, listener: (event: SeqEvent) => void): () => void {
    const unsubscribe = super.subscribe(agentId, listener);
    this.listeners++;
    let done = false;
    return () => {
      if (!done) this.listeners--;
      done = true;
      unsubscribe();
    };
  }
}

async function createAgent(service: TestService): Promise<string> {
  const response = await fetch(`${service.url}/api/agents`, {
    method: "POST",
    headers: { ...bearer(token), "content-type": "application/json" },
    body: JSON.stringify({ modelType: "scripted-model" }),
  });
  assert.ok(response.ok, `creating an agent answered ${response.status}`);
  return (await response.json() as { id: string }).id;
}

const reactPath = (id: string) => `/api/agents/${id}/react?access-token=${token}`;
const portOf = (service: TestService) => Number(new URL(service.url).port);

/** Polls `condition` every 20 ms for up to `timeoutMs`; throws with `what` when it stays false. */
async function eventually(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("a socket's memory on the server is bounded", () => {
  test("clients that stop reading are closed with 1013 once their unsent bytes pass the bound; a reading client is served on", async () => {
    const bus = new CountingBus(silentLogger);
    await withService({ bus, socketMaxBufferBytes: 256 * 1024 }, async (service) => {
      const id = await createAgent(service);
      // A conversation of about 1 MB: every checkout sends all of it to every socket (headChange).
      for (let i = 0; i < 20; i++) {
        await service.store.appendStep(id, step(`s${i}`, { ...(i > 0 ? { parentId: `s${i - 1}` } : {}), content: `${i}`.repeat(50_000) }));
      }
      assert.equal(await service.store.moveHead(id, { stepId: "s19" }), "ok");

      const stalled = await Promise.all([1, 2, 3].map(() => openRawSocket(portOf(service), reactPath(id), { paused: true })));
      const reader = await openSocket(`${service.wsUrl}${reactPath(id)}`);
      try {
        assert.deepEqual(stalled.map((s) => s.status), [101, 101, 101]);
        await reader.waitFor((e) => e.type === "init");
        await eventually(() => service.sockets.peers.size === 4 && bus.listeners === 4, 5_000, "all four sockets are open");

        // The kernel takes a few MB per connection before the server has to
        // buffer anything: checkouts go on until the stalled sockets are
        // closed, at most 40 (40 MB each, far past any kernel buffer).
        let checkouts = 0;
        for (; checkouts < 40 && service.sockets.peers.size > 1; checkouts++) {
          const from = reader.events.length;
          const answer = await fetch(`${service.url}/api/agents/${id}/checkout`, {
            method: "POST",
            headers: { ...bearer(token), "content-type": "application/json" },
            body: JSON.stringify({ stepId: "s19" }),
          });
          assert.equal(answer.status, 200);
          await answer.body?.cancel();
          await reader.waitFor((e) => e.type === "headChange", { from, timeoutMs: 10_000 });
        }
        assert.equal(service.sockets.peers.size, 1, `after ${checkouts} checkouts the stalled sockets are still open`);
        assert.equal(bus.listeners, 1, "the stalled sockets' listeners are released at once");
        assert.equal(reader.events.filter((e) => e.type === "headChange").length, checkouts, "the reading client got every event");

        // A stalled client that reads again finds the close frame behind what was sent before it: 1013, try again later.
        for (const client of stalled) {
          const close = await client.waitForFrame((f) => f.opcode === OPCODE.close, 30_000);
          assert.equal(closeCode(close), 1013);
          assert.ok(client.frames.filter((f) => f.opcode === OPCODE.text).length < checkouts + 1, "it was not sent every event");
        }
      } finally {
        for (const client of stalled) client.destroy();
        await reader.close();
      }
    });
  });

  test("a frame announcing more than MAX_BODY_BYTES is refused from its header (1009), while most of it is still unsent", async () => {
    await withService({ maxBodyBytes: 64 * 1024 }, async (service) => {
      const id = await createAgent(service);
      const client = await openRawSocket(portOf(service), reactPath(id));
      try {
        await client.waitForFrame((f) => f.opcode === OPCODE.text, 5_000); // init: the socket is open
        const announced = 64 * 1024 * 1024;
        const cap = 16 * 1024 * 1024;
        client.socket.write(clientFrameHeader(OPCODE.text, announced));
        // Trickle the payload, each piece once the previous one is written,
        // until the server answers; a server that waited for the whole frame
        // would let this reach the cap.
        const piece = new Uint8Array(64 * 1024);
        let sent = 0;
        const refused = () => client.ended() || client.frames.some((f) => f.opcode === OPCODE.close);
        while (!refused() && sent < cap) {
          await new Promise<void>((resolve) => client.socket.write(piece, () => resolve()));
          sent += piece.length;
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        const close = await client.waitForFrame((f) => f.opcode === OPCODE.close, 10_000);
        assert.equal(closeCode(close), 1009);
        assert.ok(sent < cap, `the server read ${sent} bytes of a ${announced}-byte frame without refusing it`);
        await client.waitForEnd(10_000);
        await eventually(() => service.sockets.peers.size === 0, 5_000, "the socket is released");
        const health = await fetch(`${service.url}/api/healthcheck`);
        assert.equal(health.status, 200);
        await health.body?.cancel();
      } finally {
        client.destroy();
      }
    });
  });

  test("a client that answers no ping is dropped within SOCKET_IDLE_SECONDS and its listener released; a live one stays", async () => {
    const bus = new CountingBus(silentLogger);
    await withService({ bus, socketIdleSeconds: 2 }, async (service) => {
      const id = await createAgent(service);
      // The runtime's own WebSocket answers pings, as a browser does.
      const live = await openSocket(`${service.wsUrl}${reactPath(id)}`);
      // Reads everything, answers nothing: a peer whose host vanished.
      const silent = await openRawSocket(portOf(service), reactPath(id));
      try {
        await live.waitFor((e) => e.type === "init");
        await silent.waitForFrame((f) => f.opcode === OPCODE.text, 5_000);
        await eventually(() => service.sockets.peers.size === 2 && bus.listeners === 2, 5_000, "both sockets are open");

        // Pinged, then dropped: within 20 s for a 2 s setting (Bun counts idle
        // time in 4-second steps: about 8 s), not after the runtime's default
        // (30 s to 120 s).
        await silent.waitForEnd(20_000);
        assert.ok(silent.frames.some((f) => f.opcode === OPCODE.ping), "it was pinged before it was dropped");
        await eventually(() => service.sockets.peers.size === 1, 5_000, "the silent socket's close hook ran");
        assert.equal(bus.listeners, 1, "its listener is released");

        // The live socket went through the same pings and is still served.
        const from = live.events.length;
        const cleared = await fetch(`${service.url}/api/agents/${id}/clear`, { method: "POST", headers: bearer(token) });
        assert.equal(cleared.status, 200);
        await cleared.body?.cancel();
        await live.waitFor((e) => e.type === "headChange", { from });
      } finally {
        silent.destroy();
        await live.close();
      }
    });
  });
});
