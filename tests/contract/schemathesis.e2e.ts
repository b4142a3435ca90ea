/**
 * The contract tier (npm run test:contract): the OpenAPI document passes
 * Redocly's recommended lint, the client library's types match the
 * document's schemas (tsc on client-types.ts), and schemathesis fuzzes the
 * real service (a process, with a scripted upstream and a valid token)
 * against `GET /api/openapi.json`, stateful phase included, and finds
 * nothing.
 *
 * Needs scripts/contract/setup.sh (the npm script runs it first).
 * CONTRACT_RUNTIMES=node,deno,bun fuzzes each (default: node);
 * CONTRACT_MAX_TIME (seconds per runtime, default 90) bounds the fuzz.
 */
import { after, before, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { Runtime } from "../../scripts/bench/lib.ts";
import { startScriptedLLM, type ScriptedLLM } from "../fixtures/scripted-llm.ts";
import { startServiceProcess } from "../helpers/service-process.ts";
import { mintToken } from "../helpers/tokens.ts";

const venv = process.env.CONTRACT_VENV ?? ".venv-contract";
const runtimes = (process.env.CONTRACT_RUNTIMES ?? "node").split(",").map((name) => name.trim()) as Runtime[];
const maxTime = Number(process.env.CONTRACT_MAX_TIME ?? "90");
const CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance", "ignored_auth", "use_after_free"];

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), "contract-"));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs a command to its end: exit code and output (both streams). */
function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} took longer than ${timeoutMs} ms:\n${output.slice(-4000)}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test("the document passes Redocly's recommended lint, warnings included", async () => {
  const file = join(work, "openapi.json");
  const written = await run("node", ["--import", "tsx", "scripts/contract/write-openapi.ts", file], 60_000);
  assert.equal(written.code, 0, written.output);
  const lint = await run("node_modules/.bin/redocly", ["lint", "--format=json", file], 120_000);
  const report = JSON.parse(lint.output.slice(lint.output.indexOf("{"), lint.output.lastIndexOf("}") + 1)) as { totals: { errors: number; warnings: number }; problems: unknown[] };
  assert.deepEqual(report.totals, { errors: 0, warnings: 0, ignored: 0 }, JSON.stringify(report.problems, null, 2).slice(0, 4000));
});

test("the client library's types match the document's schemas (tsc)", async () => {
  const tsc = await run("node_modules/.bin/tsc", ["--noEmit", "-p", "tests/contract/tsconfig.json"], 180_000);
  assert.equal(tsc.code, 0, tsc.output);
});

for (const runtime of runtimes) {
  test(`schemathesis against the service on ${runtime}: every operation, stateful phase included, no failure`, async () => {
    assert.ok(existsSync(join(venv, "bin", "schemathesis")), `no schemathesis in ${venv}: run scripts/contract/setup.sh`);
    // The first model is the one the document's examples name, so the examples phase creates agents.
    const upstream: ScriptedLLM = await startScriptedLLM({ models: ["gpt-4o-mini", "scripted-model"] });
    const state = mkdtempSync(join(work, `${runtime}-state-`));
    const service = await startServiceProcess(runtime, {
      LITELLM_BASE_URL: upstream.url,
      AGENT_STATE_DIR: state,
      LOG_LEVEL: "warn",
      // One user doing thousands of requests: the per-user limits would answer most of
      // them with 429 (documented, and checked by the suite), hiding the routes behind them.
      MAX_AGENTS_PER_USER: "1000000",
      REQUESTS_PER_MINUTE_PER_USER: "10000000",
      REQUEST_BURST_PER_USER: "1000000",
    });
    try {
      const token = mintToken({ userId: 7, sub: "fuzzer" });
      const junit = join(work, `${runtime}-junit.xml`);
      const started = Date.now();
      const fuzz = await run(join(venv, "bin", "schemathesis"), [
        "run", `${service.url}/api/openapi.json`,
        "--header", `Authorization: Bearer ${token}`,
        "--checks", CHECKS.join(","),
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", "20",
        "--max-time", String(maxTime),
        "--workers", "2",
        "--seed", process.env.CONTRACT_SEED ?? String(Date.now() % 1_000_000),
        "--no-color",
        "--generation-database", "none",
        "--report", "junit",
        "--report-junit-path", junit,
      ], (maxTime + 180) * 1000);
      const summary = fuzz.output.slice(fuzz.output.lastIndexOf("SUMMARY") - 40);
      console.log(`schemathesis on ${runtime} (${Math.round((Date.now() - started) / 1000)} s):\n${summary}`);
      assert.equal(fuzz.code, 0, `schemathesis found failures on ${runtime}:\n${fuzz.output.slice(-12_000)}\n--- service output:\n${service.output().slice(-4000)}`);
      assert.match(fuzz.output, /✅ Stateful/, "the stateful phase ran and passed");
      assert.doesNotMatch(readFileSync(junit, "utf8"), /<failure/);
    } finally {
      await service.stop();
      await upstream.close();
    }
  });
}
