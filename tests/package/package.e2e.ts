/**
 * The library tarball as a user gets it: `npm run pack:lib`, installed with
 * npm into an empty project, then imported by package name from plain Node
 * (no tsx), Deno and Bun, and typechecked with tsc against its `.d.ts`.
 *
 *   npm run test:package
 *
 * Needs no network: the tarball has no dependencies.
 */
import { after, before, describe, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";

const ROOT = resolve(".");
const CONSUMER = join(ROOT, "tests/package/consumer");
const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000 });

describe("the agent-service library tarball (npm run pack:lib)", () => {
  let dir = "";
  let project = "";
  let tarball = "";

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "agent-service-package-"));
    tarball = run("npm", ["run", "-s", "pack:lib", "--", "--destination", dir], ROOT).trim().split("\n").at(-1)!;
    project = join(dir, "project");
    await mkdir(project);
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    run("npm", ["install", tarball, "--no-audit", "--no-fund", "--offline"], project);
    for (const file of ["consumer.js", "consumer.ts"]) await copyFile(join(CONSUMER, file), join(project, file));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("holds ES modules, their types, package.json and README, and depends on nothing", async () => {
    const files = run("tar", ["tzf", tarball], dir).trim().split("\n").sort();
    assert.deepEqual(files, [
      "package/README.md",
      "package/dist/client.d.ts",
      "package/dist/client.js",
      "package/dist/jwt.d.ts",
      "package/dist/jwt.js",
      "package/package.json",
    ]);
    const installed = join(project, "node_modules/agent-service");
    const manifest = JSON.parse(await readFile(join(installed, "package.json"), "utf8"));
    assert.equal(manifest.type, "module");
    assert.equal(manifest.dependencies, undefined);
    assert.equal(manifest.peerDependencies, undefined);
    assert.deepEqual(Object.keys(manifest.exports), ["./jwt", "./client"]);
    const imports = async (file: string) =>
      [...(await readFile(join(installed, "dist", file), "utf8")).matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm)].map((m) => m[1]);
    assert.deepEqual(await imports("jwt.js"), ["node:crypto", "node:buffer"], "./jwt needs only Node's built-ins (which Deno and Bun provide)");
    assert.deepEqual(await imports("client.js"), [], "./client needs nothing");
    const lock = JSON.parse(await readFile(join(project, "package-lock.json"), "utf8"));
    assert.deepEqual(Object.keys(lock.packages).sort(), ["", "node_modules/agent-service"], "installing it installed nothing else");
  });

  const expected = {
    verified: { uid: 42, name: "alice", email: "", role: "ADMIN" },
    forged: "bad_signature",
    wrongIssuer: "invalid_claim",
    codes: 9,
    whoami: { uid: 42, name: "alice", email: "", role: "ADMIN" },
    refused: { status: 401, kind: "http", code: "unauthorized", message: "Unauthorized" },
  };
  const runtimes: [string, string, string[]][] = [
    ["plain Node (no loader)", "node", ["consumer.js"]],
    ["Deno", join(ROOT, "node_modules/.bin/deno"), ["run", "--allow-read", "consumer.js"]],
    ["Bun", join(ROOT, "node_modules/.bin/bun"), ["consumer.js"]],
  ];
  for (const [name, command, args] of runtimes) {
    test(`${name} imports both entry points by package name, verifies a token and calls the client`, () => {
      const output = run(command, args, project).trim().split("\n").at(-1)!;
      assert.deepEqual(JSON.parse(output), expected);
    });
  }

  test("tsc typechecks a consumer against the package's .d.ts (strict, nodenext, no skipLibCheck)", async () => {
    await writeFile(join(project, "tsconfig.json"), JSON.stringify({
      compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2022", "dom"], types: [], noEmit: true, skipLibCheck: false },
      files: ["consumer.ts"],
    }));
    run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", project], project);
    // The same consumer with one misuse unmarked must fail: the check really checks.
    const source = await readFile(join(project, "consumer.ts"), "utf8");
    await writeFile(join(project, "consumer.ts"), source.replace("// @ts-expect-error a key is a string or bytes, not a number\n", ""));
    assert.throws(
      () => run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", project], project),
      (error: { stdout?: string }) => /consumer\.ts\(\d+,\d+\): error TS2345/.test(error.stdout ?? ""),
    );
  });
});
