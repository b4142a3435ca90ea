/**
 * The npm scripts a newcomer runs, as real processes under real npm:
 *
 * - `kill <npm's pid>` stops the service of `npm start` and `npm run demo`
 *   (npm forwards SIGTERM to its `sh`, which dies; the service notices its
 *   parent is gone: src/parent-watch.ts);
 * - a second `npm run demo` on a taken port says which port and how to pick
 *   another (with `npm run demo` in the suggestion), exit 1, no stack trace;
 * - `npm run -s token` with bad options: one line, exit 2, no stack trace.
 *
 *   npm run test:e2e
 */
import { describe, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { TEST_SECRET } from "../helpers/tokens.ts";

interface NpmRun {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

function npm(args: string[], env: Record<string, string | undefined>): NpmRun {
  const child = spawn("npm", args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (at most 60 s: npm and tsx start slowly on a busy machine) for the service's banner; its pid and URL. */
async function banner(run: NpmRun): Promise<{ pid: number; url: string }> {
  for (let i = 0; i < 1200; i++) {
    const match = /^agent-service \(\w+ [^,]+, pid (\d+)\) .*; healthcheck: (http:\/\/[\d.]+:\d+)\/api\/healthcheck$/m.exec(run.output());
    if (match) return { pid: Number(match[1]), url: match[2]! };
    if (run.child.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error(`no banner:\n${run.output()}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls (at most 15 s) until the process is gone; true when it went. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return false;
}

const serviceEnv = (dir: string) => ({ PORT: "0", HOST: "127.0.0.1", AUTH_JWT_SECRET: TEST_SECRET, AGENT_STATE_DIR: dir, LITELLM_MASTER_KEY: "sk-npm-scripts-test" });

describe("stopping: kill npm's pid and the service stops", () => {
  for (const script of [["start"], ["run", "demo"]]) {
    test(`npm ${script.join(" ")}: SIGTERM to npm ends the service too (graceful shutdown, port freed)`, { timeout: 90_000 }, async () => {
      const dir = await mkdtemp(join(tmpdir(), "npm-kill-"));
      const run = npm(script, serviceEnv(dir));
      let pid: number | undefined;
      try {
        const service = await banner(run);
        pid = service.pid;
        assert.notEqual(pid, run.child.pid, "the service is npm's descendant, not npm");
        const health = await fetch(`${service.url}/api/healthcheck`);
        assert.equal(health.status, 200);
        await health.body?.cancel();

        run.child.kill("SIGTERM");
        await run.exited;
        assert.ok(await gone(pid), `the service (pid ${pid}) outlived npm:\n${run.output()}`);
        assert.match(run.output(), /"msg":"shutting down","signal":"parent exited"/);
        assert.match(run.output(), /"msg":"stopped"/, "it shut down as on SIGTERM: turns drained, store flushed");
        await assert.rejects(fetch(`${service.url}/api/healthcheck`), "nothing listens any more");
      } finally {
        if (pid !== undefined && alive(pid)) process.kill(pid, "SIGKILL");
        if (run.child.exitCode === null) run.child.kill("SIGKILL");
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

test("a second npm run demo (port taken): which port, how to pick another, exit 1, no stack trace", { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "npm-taken-"));
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const port = (taken.address() as AddressInfo).port;
  try {
    const run = npm(["run", "demo"], { ...serviceEnv(dir), PORT: String(port) });
    assert.equal(await run.exited, 1, run.output());
    assert.match(
      run.output(),
      new RegExp(`^agent-service: cannot listen: port ${port} is already in use on 127\\.0\\.0\\.1 .*or pick another port: PORT=${port + 1} npm run demo \\(PORT=0 picks a free one\\)$`, "m"),
    );
    assert.doesNotMatch(run.output(), /\n\s+at |EADDRINUSE/);
  } finally {
    await new Promise((resolve) => taken.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
});

describe("npm run -s token", () => {
  test("bad options: one line naming the problem, exit 2, no stack trace; --help exits 0", { timeout: 60_000 }, async () => {
    const env = { AUTH_JWT_SECRET: TEST_SECRET };
    for (const [args, message] of [
      [["--hours", "-1"], /^token: --hours must be .*\(got "-1"\); for an already-expired token use --expired$/m],
      [["--role", "admin"], /^token: unknown role "admin": .*\(did you mean ADMIN\?\)$/m],
      [["--bogus"], /^token: Unknown option '--bogus'$/m],
    ] as const) {
      const run = npm(["run", "-s", "token", "--", ...args], env);
      assert.equal(await run.exited, 2, run.output());
      assert.match(run.output(), message);
      assert.doesNotMatch(run.output(), /\n\s+at |ERR_PARSE_ARGS/, "no stack trace");
    }
    const help = npm(["run", "-s", "token", "--", "--help"], env);
    assert.equal(await help.exited, 0);
    assert.match(help.output(), /^Usage: npm run -s token -- \[options\]$/m);
  });
});
