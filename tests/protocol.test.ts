/**
 * The socket speaks both of the reference frontend's protocols: the names it
 * has today (`message`; `init`, `state`, `headChange`) and the newer
 * reference's (`prompt` with `messageSource`; `snapshot`, `status`, a
 * `snapshot` instead of `headChange`), the newer chosen at connect with
 * `?protocol=2`. A conversation with each.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";
import type { ReActStep } from "../src/agents/types.ts";
import { bearer, mintToken } from "./helpers/tokens.ts";
import { type TestService, withService } from "./helpers/service.ts";
import { openSocket } from "./helpers/socket.ts";

const alice = mintToken({ userId: 1, sub: "alice" });

async function createAgent(service: TestService): Promise<string> {
  const response = await fetch(`${service.url}/api/agents`, {
    method: "POST",
    headers: { ...bearer(alice), "content-type": "application/json" },
    body: JSON.stringify({ modelType: "scripted-model" }),
  });
  return ((await response.json()) as { id: string }).id;
}

describe("the reference frontend's two socket protocols", () => {
  test("today's names: message in; init, state, step, complete, headChange out", async () => {
    await withService({ toolkits: () => basicToolkit() }, async (service) => {
      const id = await createAgent(service);
      const socket = await openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${alice}`);
      await socket.waitFor((e) => e.type === "init");
      socket.send({ type: "message", content: "hello" });
      await socket.waitFor((e) => e.type === "complete");
      const types = socket.events.filter((e) => e.type !== "delta").map((e) => e.type);
      assert.deepEqual(types, ["init", "state", "step", "step", "complete"]);
      assert.equal((socket.events.find((e) => e.type === "step")!.step as ReActStep).messageSource, "chat");
      const first = (socket.events.find((e) => e.type === "step")!.step as ReActStep).id;
      await fetch(`${service.url}/api/agents/${id}/checkout`, { method: "POST", headers: { ...bearer(alice), "content-type": "application/json" }, body: JSON.stringify({ stepId: first }) });
      assert.equal((await socket.waitFor((e) => e.type === "headChange")).headId, first);
      await socket.close();
    });
  });

  test("the newer names (?protocol=2): prompt with messageSource in; snapshot, status, step, complete out, and a snapshot for a checkout", async () => {
    await withService({ toolkits: () => basicToolkit() }, async (service) => {
      const id = await createAgent(service);
      const socket = await openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${alice}&protocol=2`);
      const snapshot = await socket.waitFor((e) => e.type === "snapshot");
      assert.deepEqual([snapshot.state, snapshot.steps, snapshot.headId], ["AVAILABLE", [], null]);
      socket.send({ type: "prompt", content: "this is feedback", messageSource: "feedback" });
      await socket.waitFor((e) => e.type === "complete");
      const types = socket.events.filter((e) => e.type !== "delta").map((e) => e.type);
      assert.deepEqual(types, ["snapshot", "status", "step", "step", "complete"]);
      assert.equal(socket.events.find((e) => e.type === "status")!.state, "GENERATING");
      const user = socket.events.find((e) => e.type === "step")!.step as ReActStep;
      assert.deepEqual([user.content, user.messageSource], ["this is feedback", "feedback"]);
      assert.ok(!types.includes("init") && !types.includes("state"), "no old names");
      await fetch(`${service.url}/api/agents/${id}/checkout`, { method: "POST", headers: { ...bearer(alice), "content-type": "application/json" }, body: JSON.stringify({ stepId: user.id }) });
      const after = await socket.waitFor((e) => e.type === "snapshot" && e.headId === user.id);
      assert.deepEqual((after.steps as ReActStep[]).map((s) => s.id), [user.id]);
      assert.ok(!socket.events.some((e) => e.type === "headChange"), "no headChange in the newer protocol");
      await socket.close();
    });
  });
});
