/**
 * What the built image holds and how it is configured: compiled JavaScript,
 * the locked production dependencies and package.json, nothing else; the
 * non-root user; AGENT_ENV=production; a HEALTHCHECK; `npm start`'s command.
 *
 *   npm run test:container   (builds localhost/agent-service:test first)
 */
import { test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { IMAGE, podmanOk, ULIMIT_FLAGS } from "./podman.ts";

interface ImageConfig {
  User: string;
  Env: string[];
  Cmd: string[];
  WorkingDir: string;
  ExposedPorts?: Record<string, unknown>;
}

/** The image's config, and its HEALTHCHECK (podman keeps a docker-format image's beside the OCI config). */
const inspect = async (): Promise<{ Config: ImageConfig; Healthcheck?: { Test: string[] } }> => JSON.parse(await podmanOk(["image", "inspect", IMAGE]))[0];

/** Runs `node -e script` in a throwaway container of the image; its stdout. */
const inImage = (script: string) => podmanOk(["run", "--rm", "--network", "none", ...ULIMIT_FLAGS, IMAGE, "node", "-e", script]);

test("the image runs npm start's command as the non-root user node, with AGENT_ENV=production, port 3001 and a HEALTHCHECK on /api/healthcheck", async () => {
  const { Config: config, Healthcheck: check } = await inspect();
  assert.equal(config.User, "node");
  assert.equal(config.WorkingDir, "/app");
  const start = JSON.parse(readFileSync("package.json", "utf8")).scripts.start as string;
  assert.equal(config.Cmd.join(" "), start);
  for (const entry of ["AGENT_ENV=production", "NODE_ENV=production", "PORT=3001"]) assert.ok(config.Env.includes(entry), entry);
  // Its default (./data = /app/data) serves the file store; set, it would stop AGENT_STORE=postgres from starting.
  assert.ok(!config.Env.some((entry) => entry.startsWith("AGENT_STATE_DIR=")), "AGENT_STATE_DIR is left unset");
  assert.deepEqual(Object.keys(config.ExposedPorts ?? {}), ["3001/tcp"]);
  assert.equal(check?.Test[0], "CMD", "the HEALTHCHECK survived the build (docker format)");
  assert.match(check!.Test.join(" "), /\/api\/healthcheck/);
  assert.equal(await inImage("process.stdout.write(String(process.getuid()))"), "1000", "node is uid 1000, not root");
});

test("/app holds dist/, the production dependencies of the lockfile, package.json and the state directory; nothing else", async () => {
  const listed = JSON.parse(await inImage(`
    const fs = require("node:fs");
    const packages = [];
    const walk = (dir) => {
      for (const name of fs.readdirSync(dir)) {
        if (name.startsWith(".")) continue;
        if (name.startsWith("@")) { for (const sub of fs.readdirSync(dir + "/" + name)) visit(dir + "/" + name + "/" + sub); }
        else visit(dir + "/" + name);
      }
    };
    const visit = (path) => { packages.push(path.slice(5)); if (fs.existsSync(path + "/node_modules")) walk(path + "/node_modules"); };
    walk("/app/node_modules");
    const ts = [];
    const find = (dir) => { for (const e of fs.readdirSync(dir, { withFileTypes: true })) { const p = dir + "/" + e.name; if (e.isDirectory()) find(p); else if (/\\.ts$/.test(e.name) && !/\\.d\\.ts$/.test(e.name)) ts.push(p); } };
    find("/app/dist");
    const data = fs.statSync("/app/data");
    process.stdout.write(JSON.stringify({ app: fs.readdirSync("/app").sort(), packages: packages.sort(), ts, dataOwner: data.uid, main: fs.existsSync("/app/dist/main.js") }));
  `)) as { app: string[]; packages: string[]; ts: string[]; dataOwner: number; main: boolean };
  assert.deepEqual(listed.app, ["data", "dist", "node_modules", "package.json"]);
  assert.ok(listed.main, "dist/main.js");
  assert.deepEqual(listed.ts, [], "no TypeScript sources in dist/");
  assert.equal(listed.dataOwner, 1000, "the state directory belongs to node");
  const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, { dev?: boolean }> };
  const production = Object.entries(lock.packages).filter(([path, entry]) => path !== "" && !entry.dev).map(([path]) => path).sort();
  assert.deepEqual(listed.packages, production, "exactly the lockfile's production packages");
  assert.ok(!listed.packages.includes("node_modules/typescript") && !listed.packages.includes("node_modules/tsx"));
});
