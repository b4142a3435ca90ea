// Builds dist/: the service as JavaScript, so `npm start` runs plain Node
// without a compiler at run time. Plain JavaScript itself, so it runs before
// anything is built, on a production install too.
//
//   node scripts/build.js             # tsc -p tsconfig.build.json, then copy the other files of src/
//   node scripts/build.js --if-stale  # the same, only when a file under src/ (or a tsconfig) is newer than the last build
//
// `npm ci` runs it (`prepare`), and `npm start` runs it with --if-stale
// (`prestart`), so a checkout updated without a new `npm ci` still starts
// what it holds. On a production install (`npm ci --omit=dev`) TypeScript is
// absent: it says so and leaves dist/ as it is.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SRC = join(ROOT, "src");
const DIST = join(ROOT, "dist");
/** Written last: its time is the build's. */
const STAMP = join(DIST, ".built");
const INPUTS = [join(ROOT, "tsconfig.json"), join(ROOT, "tsconfig.build.json"), join(ROOT, "package.json")];

/** Every file and directory under `dir` (a directory's time changes when an entry is added or removed). */
function* walk(dir) {
  yield dir;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

function isStale() {
  if (!existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  for (const path of [...walk(SRC), ...INPUTS]) {
    if (statSync(path).mtimeMs > built) return true;
  }
  return false;
}

function build() {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  } catch {
    console.error("agent-service build: TypeScript is not installed (a production install?): dist/ is left as it is; `npm ci` with dev dependencies builds it.");
    return existsSync(join(DIST, "main.js"));
  }
  rmSync(DIST, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "inherit" });
  if (result.status !== 0) {
    rmSync(DIST, { recursive: true, force: true });
    console.error("agent-service build: tsc failed (above); dist/ removed");
    return false;
  }
  let copied = 0;
  for (const path of walk(SRC)) {
    if (statSync(path).isDirectory() || path.endsWith(".ts")) continue;
    const target = join(DIST, relative(SRC, path));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(path, target);
    copied++;
  }
  copied += copyRedoc();
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  console.error(`agent-service build: dist/ from src/ (${copied} other files copied)`);
  return true;
}

/**
 * Redoc's standalone bundle (a dev dependency: the page at /api/docs serves
 * it) beside the page in dist/docs/, so a production install, such as the
 * container image, serves it without node_modules/redoc.
 */
function copyRedoc() {
  let bundle;
  try {
    bundle = createRequire(import.meta.url).resolve("redoc/bundles/redoc.standalone.js");
  } catch {
    console.error("agent-service build: redoc is not installed: /api/docs will answer 503 for its renderer");
    return 0;
  }
  const target = join(DIST, "docs");
  mkdirSync(target, { recursive: true });
  copyFileSync(bundle, join(target, "redoc.standalone.js"));
  copyFileSync(join(dirname(bundle), "redoc.standalone.js.LICENSE.txt"), join(target, "redoc.standalone.js.LICENSE.txt"));
  return 2;
}

const ifStale = process.argv.includes("--if-stale");
if (!ifStale || isStale()) {
  if (!build()) process.exit(1);
}
