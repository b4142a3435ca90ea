/**
 * One process per state directory. The file store is its directory's only
 * writer (it caches what it wrote, and cleans up temp files), so a second
 * process on the same directory must refuse to start.
 *
 * Node has no file locks (flock), so the lock is a file created with
 * O_EXCL holding the holder's pid and host, whose modification time the
 * holder refreshes every few seconds. A lock is taken over when its holder
 * is a dead process on this host, or when it has not been refreshed for
 * `staleMs` (its holder died elsewhere, e.g. a previous pod that mounted the
 * same volume).
 *
 * @module
 */
import { open, readFile, stat, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import process from "node:process";
import { errorCode } from "./fs-util.ts";

/** Another live process holds the directory. */
export class DirectoryLockedError extends Error {
  override name = "DirectoryLockedError";
}

export interface DirLock {
  release(): Promise<void>;
}

/** Locks this process holds now. */
const heldHere = new Set<string>();

interface Holder {
  pid: number;
  host: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but is not ours to signal.
    return errorCode(error) === "EPERM";
  }
}

/** Takes the lock of `dir` (the file `<dir>/LOCK`), or throws DirectoryLockedError. */
export async function lockDirectory(
  dir: string,
  options: { staleMs?: number; refreshMs?: number } = {},
): Promise<DirLock> {
  const path = `${dir}/LOCK`;
  const staleMs = options.staleMs ?? 30_000;
  const refreshMs = options.refreshMs ?? 5_000;
  const me: Holder = { pid: process.pid, host: hostname() };

  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, "wx", 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if (errorCode(error) !== "EEXIST" || attempt > 0) {
        if (errorCode(error) === "EEXIST") throw await lockedError(path, dir);
        throw error;
      }
    }
    // The lock exists: take it over only if its holder is gone.
    let holder: Holder | undefined;
    try {
      holder = JSON.parse(await readFile(path, "utf8")) as Holder;
    } catch {
      holder = undefined;
    }
    const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
    // Our own pid on our host is a previous life of this process (a container's pid 1), unless this process holds it now.
    const deadHere = holder !== undefined && holder.host === me.host &&
      (holder.pid === me.pid ? !heldHere.has(path) : !alive(holder.pid));
    if (!deadHere && age < staleMs) throw await lockedError(path, dir);
    await unlink(path).catch(() => {});
  }

  heldHere.add(path);
  const timer = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, refreshMs);
  (timer as { unref?: () => void }).unref?.();
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
  if (typeof timer === "number") deno?.unrefTimer?.(timer);

  return {
    release: async () => {
      clearInterval(timer);
      heldHere.delete(path);
      await unlink(path).catch(() => {});
    },
  };
}

async function lockedError(path: string, dir: string): Promise<DirectoryLockedError> {
  let who = "another process";
  try {
    const holder = JSON.parse(await readFile(path, "utf8")) as Holder;
    who = `another agent-service process (pid ${holder.pid} on ${holder.host})`;
  } catch {
    // unreadable: keep the generic wording
  }
  return new DirectoryLockedError(
    `AGENT_STATE_DIR ${dir} is in use by ${who}; stop it, or give this one another AGENT_STATE_DIR (or use AGENT_STORE=postgres for several replicas)`,
  );
}
