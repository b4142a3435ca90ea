/**
 * A server that cannot listen gets one clear sentence (src/listen-error.ts),
 * from the real errors of this runtime's server: a taken port, and a HOST
 * that is not an address of this machine. The process-level check (exit 1,
 * no stack trace) is in tests/e2e/process.e2e.ts.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { TokenVerifier } from "../src/auth.ts";
import { createApp } from "../src/http/app.ts";
import { describeListenError, npmCommand } from "../src/listen-error.ts";
import { silentLogger } from "../src/log.ts";
import { startServer } from "../src/server/index.ts";
import { TEST_SECRET } from "./helpers/tokens.ts";

const app = createApp({ apiPrefix: "/api", maxBodyBytes: 1024, verifier: new TokenVerifier({ keys: TEST_SECRET }), logger: silentLogger });

/** The error this runtime's server really raises for `host:port`. */
async function listenFailure(host: string, port: number): Promise<unknown> {
  try {
    const server = await startServer(app, { host, port, maxBodyBytes: 1024 });
    await server.close(true);
  } catch (error) {
    return error;
  }
  assert.fail(`listening on ${host}:${port} did not fail`);
}

describe("describeListenError", () => {
  test("a taken port: names the port and how to pick another, with the command that was run", async () => {
    const first = await startServer(app, { host: "127.0.0.1", port: 0, maxBodyBytes: 1024 });
    try {
      const error = await listenFailure("127.0.0.1", first.port);
      const message = describeListenError(error, { host: "127.0.0.1", port: first.port, command: "npm run demo" });
      assert.equal(
        message,
        `port ${first.port} is already in use on 127.0.0.1 (another agent-service, or a second npm run demo?): ` +
          `stop that one (Ctrl-C in its terminal), or pick another port: PORT=${first.port + 1} npm run demo (PORT=0 picks a free one)`,
      );
      // Started some other way (deno task, node directly): no command to guess.
      assert.match(describeListenError(error, { host: "127.0.0.1", port: first.port }) ?? "", new RegExp(`set PORT, e\\.g\\. PORT=${first.port + 1} \\(0 picks a free one\\)$`));
    } finally {
      await first.close(true);
    }
  });

  test("a HOST that is not an address of this machine (TEST-NET-1) says so", async () => {
    const error = await listenFailure("192.0.2.1", 0);
    assert.equal(
      describeListenError(error, { host: "192.0.2.1", port: 0 }),
      "HOST 192.0.2.1 is not an address of this machine: set HOST to one of its addresses (0.0.0.0 listens on all, 127.0.0.1 on loopback only)",
    );
  });

  test("a privileged port, from the error code Node and Deno both set", () => {
    const denied = Object.assign(new Error("listen EACCES: permission denied 0.0.0.0:80"), { code: "EACCES" });
    assert.equal(
      describeListenError(denied, { host: "0.0.0.0", port: 80, command: "npm start" }),
      "this user may not listen on port 80 (ports below 1024 need privileges): pick another port: PORT=3001 npm start (PORT=0 picks a free one)",
    );
  });

  test("anything else is not a listen failure: undefined, so the caller lets it surface", () => {
    assert.equal(describeListenError(new Error("boom"), { host: "0.0.0.0", port: 3001 }), undefined);
    assert.equal(describeListenError(undefined, { host: "0.0.0.0", port: 3001 }), undefined);
    assert.equal(describeListenError(Object.assign(new Error("x"), { code: "ECONNRESET" }), { host: "0.0.0.0", port: 3001 }), undefined);
  });

  test("npmCommand: the npm scripts a newcomer runs, nothing else", () => {
    assert.equal(npmCommand("start"), "npm start");
    assert.equal(npmCommand("demo"), "npm run demo");
    assert.equal(npmCommand("npx"), undefined);
    assert.equal(npmCommand(undefined), undefined);
  });
});
