/**
 * `GET /api/readyz` follows its store: 503 store_unavailable while the file
 * store's directory is gone, 200 again once it is back; the healthcheck (the
 * liveness probe) answers 200 throughout. (The PostgreSQL case:
 * tests/postgres/replicas.e2e.ts.)
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";
import { silentLogger } from "../src/log.ts";
import { FileAgentStore } from "../src/store/file/file-store.ts";
import { withService } from "./helpers/service.ts";

async function status(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("readiness", () => {
  test("readyz goes 503 when the file store's directory is unreachable and back to 200 after; the healthcheck stays 200", async () => {
    const root = await mkdtemp(join(tmpdir(), "agent-readyz-"));
    const dir = join(root, "state");
    const away = join(root, "moved-away");
    try {
      const store = await FileAgentStore.open({ dir, logger: silentLogger });
      await withService({ store, toolkits: () => basicToolkit([]) }, async (service) => {
        const ready = await status(`${service.url}/api/readyz`);
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.body, { status: "ready", store: "file" });

        await rename(dir, away);
        const down = await status(`${service.url}/api/readyz`);
        assert.equal(down.status, 503);
        assert.equal(down.body.code, "store_unavailable");
        assert.doesNotMatch(String(down.body.error), /ENOENT|moved-away|\//, "no path or system error reaches the answer");
        assert.equal((await status(`${service.url}/api/healthcheck`)).status, 200, "liveness does not depend on the store");

        await rename(away, dir);
        const back = await status(`${service.url}/api/readyz`);
        assert.equal(back.status, 200);
        assert.equal(back.body.status, "ready");
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
