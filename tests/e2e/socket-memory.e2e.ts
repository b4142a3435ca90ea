/**
 * What clients that misbehave on purpose cost the real process, on Node,
 * Deno and Bun, measured as its resident set size (VmRSS):
 *
 * 1. Many clients that stop reading right after the handshake, on an agent
 *    whose every event carries its ~1 MB conversation (checkouts): unbounded,
 *    the server would buffer every event for every one of them (clients x
 *    events x 1 MB). Bounded, each is closed (1013, found behind what was
 *    sent once it reads again) when its unsent bytes pass
 *    SOCKET_MAX_BUFFER_BYTES, so the process grows by about the bound plus
 *    one event per client, while a client that reads gets every event.
 * 2. Clients that each announce a 63 MiB frame and trickle its bytes: each
 *    is closed with 1009 from the header, long before most of the frame is
 *    sent, and the process does not grow by what they send.
 *
 *   node --experimental-websocket --import tsx --test tests/e2e/socket-memory.e2e.ts
 *
 * SOCKET_E2E_CLIENTS (default 100) stalled clients; the reproduction
 * used 300 on a 5 MB conversation. No timing is asserted; waits have timeouts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { readFileSync } from "node:fs";
import { mib, rssBytes, type Runtime, RUNTIMES } from "../../scripts/bench/lib.ts";
import { startScriptedLLM } from "../fixtures/scripted-llm.ts";
import { clientFrameHeader, closeCode, OPCODE, openRawSocket, type RawSocket } from "../helpers/raw-socket.ts";
import { type ServiceProcess, startServiceProcess } from "../helpers/service-process.ts";
import { openSocket } from "../helpers/socket.ts";
import { bearer, mintToken } from "../helpers/tokens.ts";

const CLIENTS = Number(process.env.SOCKET_E2E_CLIENTS ?? 100);
const MAX_BUFFER_BYTES = 4 * 1024 * 1024; // the default of SOCKET_MAX_BUFFER_BYTES
const TURNS = 12;
const ANSWER_CHARS = 90_000;
const token = mintToken({ userId: 7, sub: "mallory" });

const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

async function withProcess(runtime: Runtime, body: (service: ServiceProcess, llm: Awaited<ReturnType<typeof startScriptedLLM>>) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), `socket-memory-${runtime}-`));
  const llm = await startScriptedLLM({ models: ["scripted-model"] });
  try {
    // One user opens every socket: the per-user socket quota (20 by default,
    // closing the rest with 1008) is raised past them, since this measures
    // what each socket may cost, not how many one user may open.
    const service = await startServiceProcess(runtime, {
      AGENT_STATE_DIR: dir,
      LITELLM_BASE_URL: llm.url,
      LOG_LEVEL: "warn",
      MAX_SOCKETS_PER_USER: String(CLIENTS + 16),
      // Each event carries the whole ~1 MB conversation, as a larger window
      // allows: what is measured is the buffer bound, not the window's.
      SOCKET_WINDOW_BYTES: String(4 * 1024 * 1024),
    });
    try {
      await body(service, llm);
    } finally {
      await service.stop();
    }
  } finally {
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function api(service: ServiceProcess, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${service.url}/api${path}`, {
    method,
    headers: { ...bearer(token), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  assert.ok(response.ok, `${method} ${path} answered ${response.status}`);
  return await response.json() as Record<string, unknown>;
}

for (const runtime of RUNTIMES) {
  describe(`a socket's memory on ${runtime} is bounded`, () => {
    test(`${CLIENTS} clients that stop reading are closed (1013); the process grows by at most the bound each`, async () => {
      await withProcess(runtime, async (service, llm) => {
        const id = (await api(service, "POST", "/agents", { modelType: "scripted-model" })).id as string;
        const reader = await openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${token}`);
        const stalled: RawSocket[] = [];
        try {
          await reader.waitFor((e) => e.type === "init");
          // A conversation of about 1 MB, built as users build it.
          for (let turn = 0; turn < TURNS; turn++) {
            llm.enqueue({ kind: "text", text: String(turn % 10).repeat(ANSWER_CHARS), chunkSize: 30_000 });
            const from = reader.events.length;
            reader.send({ type: "message", content: `turn ${turn}` });
            await reader.waitFor((e) => e.type === "complete", { from, timeoutMs: 30_000 });
          }
          const headId = (await api(service, "GET", `/agents/${id}`)).headId as string;
          const before = rssBytes(service.child.pid!);

          for (let i = 0; i < CLIENTS; i++) {
            stalled.push(await openRawSocket(Number(new URL(service.url).port), `/api/agents/${id}/react?access-token=${token}`, { paused: true }));
          }
          // Every checkout sends the whole conversation to every socket.
          const checkouts = 30;
          let peak = before;
          for (let i = 0; i < checkouts; i++) {
            const from = reader.events.length;
            await api(service, "POST", `/agents/${id}/checkout`, { stepId: headId });
            await reader.waitFor((e) => e.type === "headChange", { from, timeoutMs: 30_000 });
            peak = Math.max(peak, rssBytes(service.child.pid!));
          }
          const conversation = JSON.stringify(reader.events.at(-1)?.steps).length;
          const unbounded = CLIENTS * checkouts * conversation;
          // Per stalled client: the bound, the one event queued past it, and
          // that event's serialisation not yet collected; plus the heap's slack.
          const allowed = CLIENTS * (MAX_BUFFER_BYTES + 2 * conversation) + 256 * 1024 * 1024;
          console.log(
            `${runtime}: ${CLIENTS} stalled clients, ${checkouts} events of ${mib(conversation)} MiB each (${mib(unbounded)} MiB if buffered): ` +
              `RSS ${mib(before)} -> peak ${mib(peak)} MiB (+${mib(peak - before)}); bound ${mib(allowed)} MiB; load average ${loadAverage()}`,
          );
          assert.ok(peak - before < allowed, `the process grew by ${mib(peak - before)} MiB, more than ${mib(allowed)}`);

          assert.equal(reader.events.filter((e) => e.type === "headChange").length, checkouts, "the reading client got every event");
          // Reading again, each finds the 1013 behind what was sent before it,
          // or, once the runtime's closing timeout passed (ws: 30 s, Bun: 16 s
          // at the default idle time) with the close frame still unsent, the
          // end of the connection. Either way it was not sent every event.
          let withCloseFrame = 0;
          for (const client of stalled) {
            await client.waitForEnd(60_000);
            const close = client.frames.find((f) => f.opcode === OPCODE.close);
            if (close) {
              assert.equal(closeCode(close), 1013);
              withCloseFrame++;
            }
            assert.ok(client.frames.filter((f) => f.opcode === OPCODE.text).length < checkouts, "a stalled client was not sent every event");
          }
          console.log(`${runtime}: ${withCloseFrame} of ${CLIENTS} stalled clients found the 1013 close frame when they read again, the others the end of the connection`);
        } finally {
          for (const client of stalled) client.destroy();
          await reader.close();
        }
      });
    });

    test("16 clients announcing 63 MiB frames are closed with 1009 from the header; the process does not grow by what they send", async () => {
      await withProcess(runtime, async (service) => {
        const id = (await api(service, "POST", "/agents", { modelType: "scripted-model" })).id as string;
        const port = Number(new URL(service.url).port);
        const clients = await Promise.all(Array.from({ length: 16 }, () => openRawSocket(port, `/api/agents/${id}/react?access-token=${token}`)));
        try {
          await Promise.all(clients.map((c) => c.waitForFrame((f) => f.opcode === OPCODE.text, 10_000)));
          const before = rssBytes(service.child.pid!);
          const announced = 63 * 1024 * 1024;
          const cap = 16 * 1024 * 1024;
          const piece = new Uint8Array(64 * 1024);
          let peak = before;
          const sent = await Promise.all(clients.map(async (client) => {
            client.socket.write(clientFrameHeader(OPCODE.text, announced));
            let bytes = 0;
            while (!client.ended() && !client.frames.some((f) => f.opcode === OPCODE.close) && bytes < cap) {
              await new Promise<void>((resolve) => client.socket.write(piece, () => resolve()));
              bytes += piece.length;
              peak = Math.max(peak, rssBytes(service.child.pid!));
              // A write the kernel takes at once calls back without a turn of the
              // event loop: yield one, so the server's answer is read.
              await new Promise((resolve) => setTimeout(resolve, 1));
            }
            return bytes;
          }));
          for (const client of clients) assert.equal(closeCode(await client.waitForFrame((f) => f.opcode === OPCODE.close, 10_000)), 1009);
          peak = Math.max(peak, rssBytes(service.child.pid!));
          const total = sent.reduce((a, b) => a + b, 0);
          console.log(`${runtime}: 16 frames of 63 MiB announced, ${mib(total)} MiB sent before the closes; RSS ${mib(before)} -> peak ${mib(peak)} MiB; load average ${loadAverage()}`);
          for (const bytes of sent) assert.ok(bytes < cap, `a client sent ${mib(bytes)} MiB of its frame before the server refused it`);
          assert.ok(peak - before < 64 * 1024 * 1024, `the process grew by ${mib(peak - before)} MiB`);
          const health = await fetch(`${service.url}/api/healthcheck`);
          assert.equal(health.status, 200);
          await health.body?.cancel();
        } finally {
          for (const client of clients) client.destroy();
        }
      });
    });
  });
}
