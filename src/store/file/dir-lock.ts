/**
 * One process per state directory. The file store is its directory's only
 * writer (it caches what it wrote, and cleans up temp files), so a second
 * process on the same directory must refuse to start.
 *
 * Node has no file locks (flock), so the lock is a file created with
 * O_EXCL holding the holder's pid, host and (on Linux) pid namespace, whose
 * modification time the holder refreshes every few seconds. A lock is taken
 * over when:
 * - its holder is a dead process on this host, in this pid namespace (our
 *   own pid there is a previous life of this process, e.g. pid 1 of a
 *   container restarted in the same namespace);
 * - its holder is on this host in another pid namespace (another container,
 *   or a previous life of this one: a restarted container gets a new
 *   namespace; with host networking every container has the host's name), where
 *   its pid cannot be checked: when it has not been refreshed for two refresh
 *   periods and a bit (the same clock, so the age is exact). A live holder
 *   refreshes it: a second container on the same volume is refused, not let in;
 * - else when it has not been refreshed for `staleMs` (its holder died
 *   elsewhere, e.g. a previous pod that mounted the same volume).
 * A lock whose holder cannot be checked and is fresh is watched until one of
 * those is true: refreshed meanwhile, its holder is alive and the open is
 * refused; never refreshed, it is taken over.
 *
 * @module
 */
import { open, readFile, readlink, stat, unlink, utimes } from "node:fs/promises";
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
  /** Linux: the pid namespace, e.g. "pid:[4026531836]"; absent elsewhere (and in locks written before it was recorded). */
  pidns?: string;
}

/** This process's pid namespace, where /proc says it (Linux). */
async function pidNamespace(): Promise<string | undefined> {
  try {
    return await readlink("/proc/self/ns/pid");
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mtimeOf = async (path: string) => (await stat(path).catch(() => ({ mtimeMs: 0 }))).mtimeMs;

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
  const pidns = await pidNamespace();
  const me: Holder = { pid: process.pid, host: hostname(), ...(pidns ? { pidns } : {}) };
  // How long a holder that cannot be checked by pid (another pid namespace on this host) may go unrefreshed and be alive.
  const unrefreshedMs = 2 * refreshMs + 2_000;

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
    const mtime = await mtimeOf(path);
    const sameHost = holder !== undefined && holder.host === me.host;
    const checkable = sameHost && (holder!.pidns === undefined || me.pidns === undefined || holder!.pidns === me.pidns);
    if (checkable) {
      const dead = holder!.pid === me.pid ? !heldHere.has(path) : !alive(holder!.pid);
      if (!dead && Date.now() - mtime < staleMs) throw await lockedError(path, dir);
    } else {
      // Watch the lock: a live holder refreshes it within refreshMs.
      const deadAfter = sameHost ? unrefreshedMs : staleMs;
      while (Date.now() - mtime < deadAfter) {
        await sleep(Math.min(500, refreshMs / 4, deadAfter - (Date.now() - mtime)));
        const now = await mtimeOf(path);
        if (now === 0) break; // released meanwhile: take it
        if (now !== mtime) throw await lockedError(path, dir);
      }
    }
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
