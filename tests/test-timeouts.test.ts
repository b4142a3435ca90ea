/**
 * Every test has a timeout on both runtimes: a test that hangs fails by it
 * (tests/helpers/node-test.ts), it does not hold the run until CI's own limit.
 * Runs a hanging fixture under Node's and Deno's runners with a short
 * TEST_TIMEOUT_MS and checks each reports a failure, soon.
 */
import { test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import process from "node:process";

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // Without NODE_TEST_CONTEXT: the runner that runs this file sets it, and a nested runner would then report to it instead.
    const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
    execFile(command, args, { env: { ...env, TEST_TIMEOUT_MS: "300", NO_COLOR: "1" }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

test("a hanging test fails by its timeout under node --test", async () => {
  const { code, output } = await run("node", ["--import", "tsx", "--test", "--test-force-exit", "tests/fixtures/hang/hang.fixture.ts"]);
  assert.notEqual(code, 0);
  assert.match(output, /timed out|cancelled|timeout/i);
});

test("a hanging test fails by its timeout under deno test", async () => {
  const { code, output } = await run("node_modules/.bin/deno", ["test", "--allow-all", "--config", "deno.json", "tests/fixtures/hang/hang.fixture.ts"]);
  assert.notEqual(code, 0);
  assert.match(output, /FAILED|timed out|timeout/i);
});
