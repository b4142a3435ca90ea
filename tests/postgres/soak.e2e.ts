/**
 * The soak (scripts/soak.ts), short, across three replicas (Node, Deno,
 * Node) on one PostgreSQL database: every user's runs execute on one replica
 * while a socket on another must see exactly the same events; 0 lost,
 * duplicated or out-of-order events, memory and descriptors bounded per
 * replica. Nothing here asserts a timing: only the soak's verdict.
 *
 *   npm run test:postgres
 */
import { test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { runSoak } from "../../scripts/soak.ts";

// stopEvery 3: on a loaded machine a user gets through only ~4 runs in 15 s, and the
// test asserts that some run was stopped mid-stream.
test("12 users for 15 s across three replicas: no event lost, duplicated or out of order anywhere", { timeout: 180_000 }, async () => {
  const result = await runSoak({ users: 12, seconds: 15, runtime: "node", replicas: ["node", "deno", "node"], warmupSeconds: 5, clearEvery: 4, stopEvery: 3 });
  assert.ok(result.ok, result.summary);
  assert.ok(result.stats.runs >= 12, `only ${result.stats.runs} runs:\n${result.summary}`);
  assert.ok(result.stats.stopped > 0 && result.stats.toolCalls > 0 && result.stats.clears > 0, result.summary);
  assert.equal(result.end?.length, 3, "every replica sampled");
});
