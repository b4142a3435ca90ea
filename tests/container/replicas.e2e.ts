/**
 * Three containers of the image on one PostgreSQL database (the host's, on
 * 127.0.0.1:5432; a fresh database per run): an agent made on one, a run
 * started on another, its events seen on the third in the same order, and
 * its steps read back anywhere.
 *
 *   npm run test:container
 */
import { after, before, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import type { ReActStep } from "../../src/agents/types.ts";
import { startScriptedLLM, type ScriptedLLM } from "../fixtures/scripted-llm.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { openSocket, type SocketEvent } from "../helpers/socket.ts";
import { bearer, mintToken } from "../helpers/tokens.ts";
import { type Container, createAgent, runContainer } from "./podman.ts";

const frank = mintToken({ userId: 31, sub: "frank" });

let database: TestDatabase;
let upstream: ScriptedLLM;
const replicas: Container[] = [];

before(async () => {
  database = await createTestDatabase();
  upstream = await startScriptedLLM({ models: ["scripted-model"] });
  const env = { AGENT_STORE: "postgres", DATABASE_URL: database.url, LITELLM_BASE_URL: upstream.url, RUN_LEASE_SECONDS: "2", SHUTDOWN_GRACE_SECONDS: "1" };
  // One after another: the first migrates, the others find it done.
  for (let i = 0; i < 3; i++) replicas.push(await runContainer({ env }));
});

after(async () => {
  await Promise.all(replicas.map((replica) => replica.remove()));
  await upstream?.close();
  await database?.drop();
});

const live = (events: SocketEvent[]) => events.filter((e) => e.type !== "init");

test("three containers, one database: an agent made on A, a run on B, its events on C in the same order; the steps anywhere", async () => {
  const [a, b, c] = replicas as [Container, Container, Container];
  const id = await createAgent(a.url, frank);
  const socket = (replica: Container) => openSocket(`${replica.wsUrl}/api/agents/${id}/react?access-token=${frank}`);
  const [onB, onC] = await Promise.all([socket(b), socket(c)]);
  try {
    await Promise.all([onB, onC].map((s) => s.waitFor((e) => e.type === "init")));
    const answer = "Made on A, run on B, watched on C.";
    upstream.enqueue({ kind: "text", text: answer, chunkSize: 3, delayMs: 10 });
    onB.send({ type: "message", content: "across the fleet" });
    await Promise.all([onB, onC].map((s) => s.waitFor((e) => e.type === "complete", { timeoutMs: 15_000 })));
    const fromB = live(onB.events);
    const fromC = live(onC.events);
    assert.deepEqual(fromC, fromB, "C saw exactly what B saw");
    assert.equal(fromC.filter((e) => e.type === "delta").map((e) => e.text).join(""), answer);
    const seqs = fromC.map((e) => e.seq as number);
    assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), "numbered without gaps or repeats");
  } finally {
    await Promise.all([onB.close(), onC.close()]);
  }
  for (const replica of [a, b, c]) {
    const response = await fetch(`${replica.url}/api/agents/${id}/react-steps`, { headers: bearer(frank) });
    assert.equal(response.status, 200);
    const { steps } = await response.json() as { steps: ReActStep[] };
    assert.deepEqual(steps.map((s) => s.content), ["across the fleet", "Made on A, run on B, watched on C."]);
  }
  for (const replica of replicas) assert.match(await replica.logs(), /agent store ready.*"store":"postgres"/);
});
