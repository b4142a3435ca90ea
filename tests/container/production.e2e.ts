/**
 * The image's production behaviour: the public default JWT secret refuses to
 * start; a read-only root filesystem with only the state directory writable
 * works; the service runs as the non-root user; the file store's data
 * survives a new container on the same volume, and a restart after a kill
 * (the lock held by pid 1 on the same host is taken over).
 *
 *   npm run test:container
 */
import { describe, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import type { ReActStep } from "../../src/agents/types.ts";
import { startScriptedLLM, type ScriptedLLM } from "../fixtures/scripted-llm.ts";
import { openSocket } from "../helpers/socket.ts";
import { bearer, mintToken } from "../helpers/tokens.ts";
import { type Container, createAgent, createVolume, IMAGE, podman, runContainer, ULIMIT_FLAGS } from "./podman.ts";

const erin = mintToken({ userId: 21, sub: "erin" });

/** One full turn over the socket; resolves once it completed. */
async function turn(container: Container, id: string, content: string) {
  const socket = await openSocket(`${container.wsUrl}/api/agents/${id}/react?access-token=${erin}`);
  try {
    socket.send({ type: "message", content });
    await socket.waitFor((e) => e.type === "complete", { timeoutMs: 10_000 });
  } finally {
    await socket.close();
  }
}

async function stepsOf(container: Container, id: string): Promise<string[]> {
  const response = await fetch(`${container.url}/api/agents/${id}/react-steps`, { headers: bearer(erin) });
  assert.equal(response.status, 200);
  return ((await response.json()) as { steps: ReActStep[] }).steps.map((s) => s.content);
}

/** A scripted upstream (its fallback echoes) and a named volume for the state directory, for `body`. */
async function withUpstreamAndVolume(body: (llm: ScriptedLLM, volume: string) => Promise<void>) {
  const llm = await startScriptedLLM({ models: ["scripted-model"] });
  const volume = await createVolume();
  try {
    await body(llm, volume.name);
  } finally {
    await llm.close();
    await volume.remove();
  }
}

describe("the container in production", () => {
  test("without AUTH_JWT_SECRET (the public default secret) it refuses to start, exit 1, with one clear message", async () => {
    const container = await runContainer({ env: { AUTH_JWT_SECRET: undefined }, waitHealthy: false });
    try {
      assert.equal(await container.waitExit(), 1);
      const logs = await container.logs();
      assert.match(logs, /^agent-service: configuration error: .*public default.*refusing to start with AGENT_ENV=production \(set AUTH_JWT_SECRET/m);
      assert.doesNotMatch(logs, /\n\s+at /, "no stack trace");
      const answered = await fetch(`${container.url}/api/healthcheck`).then(() => true, () => false);
      assert.equal(answered, false, "nothing listens");
    } finally {
      await container.remove();
    }
  });

  test("a read-only root filesystem with only the state directory writable: it serves, saves and keeps a conversation", async () => {
    await withUpstreamAndVolume(async (llm, volume) => {
      const args = ["--read-only", "--read-only-tmpfs=false", "-v", `${volume}:/app/data`];
      const first = await runContainer({ env: { LITELLM_BASE_URL: llm.url }, args });
      let id: string;
      try {
        for (const path of ["/app/written", "/tmp/written", "/home/node/written"]) {
          const write = await first.exec(["sh", "-c", `echo x > ${path}`]);
          assert.notEqual(write.code, 0, `${path} is not writable`);
          assert.match(write.stderr, /Read-only file system/);
        }
        id = await createAgent(first.url, erin);
        await turn(first, id, "read-only root");
        assert.equal(await first.stop(), 0, await first.logs());
      } finally {
        await first.remove();
      }
      const second = await runContainer({ env: { LITELLM_BASE_URL: llm.url }, args });
      try {
        assert.deepEqual(await stepsOf(second, id), ["read-only root", "echo: read-only root"]);
      } finally {
        await second.remove();
      }
    });
  });

  test("the service process is the non-root user node (uid 1000), pid 1", async () => {
    const container = await runContainer();
    try {
      const status = await container.exec(["cat", "/proc/1/status"]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
      assert.match(status.stdout, /^Gid:\s+1000\s+1000\s+1000\s+1000$/m);
      const cmdline = await container.exec(["sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline"]);
      assert.equal(cmdline.stdout.trim(), "node --enable-source-maps dist/main.js");
      const top = await podman(["top", container.name, "user", "args"]);
      assert.match(top.stdout, /^node\s+node --enable-source-maps dist\/main\.js\s*$/m);
    } finally {
      await container.remove();
    }
  });

  test("the file store's data survives a new container on the same volume after a stop, and a restart after a kill", async () => {
    await withUpstreamAndVolume(async (llm, volume) => {
      const args = ["-v", `${volume}:/app/data`];
      const env = { LITELLM_BASE_URL: llm.url };
      const first = await runContainer({ env, args });
      let id: string;
      try {
        assert.match(await first.logs(), /agent state \/app\/data,/, "the file store is in the volume");
        id = await createAgent(first.url, erin);
        await turn(first, id, "before the stop");
        assert.equal(await first.stop(), 0, await first.logs());
      } finally {
        await first.remove();
      }
      // A clean stop released the directory's LOCK: a new container takes it at once.
      const second = await runContainer({ env, args });
      try {
        assert.deepEqual(await stepsOf(second, id), ["before the stop", "echo: before the stop"]);
        await turn(second, id, "before the kill");
        const lock = await second.exec(["cat", "/app/data/LOCK"]);
        assert.equal(JSON.parse(lock.stdout).pid, 1, "the lock names pid 1");
        // SIGKILL: no release. The same container started again is pid 1 on the same host,
        // a previous life of itself, so it takes the lock over instead of waiting for it to go stale.
        await podman(["kill", "--signal", "KILL", second.name]);
        assert.equal(await second.waitExit(), 137);
        assert.equal((await podman(["run", "--rm", "-v", `${volume}:/data`, "--network", "none", ...ULIMIT_FLAGS, IMAGE, "cat", "/data/LOCK"])).code, 0, "the kill left the LOCK behind");
        const started = Date.now();
        await second.start();
        assert.ok(Date.now() - started < 20_000, "not held up until the lock went stale (30 s)");
        assert.deepEqual(await stepsOf(second, id), ["before the stop", "echo: before the stop", "before the kill", "echo: before the kill"]);
      } finally {
        await second.remove();
      }
    });
  });
});
