/**
 * File helpers of the file store: atomic replacement (temp file, fsync,
 * rename, fsync of the directory), durable appends, and error codes. Only
 * `node:` modules that Node, Deno and Bun all provide are used.
 *
 * @module
 */
import { open, rename, unlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import process from "node:process";

/** The `code` of a file-system error (`ENOENT`, ...), if it has one. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : undefined;
}

/** `<name>.<pid>.<random>.tmp`: the temp files of atomic writes, removed at open if a crash left one. */
export const TEMP_FILE = /\.\d+\.[0-9a-f]{12}\.tmp$/;

/**
 * Replaces `path` with `data` atomically: a crash leaves the old file or the
 * new one, never a torn one (at worst a stray temp file).
 */
export async function writeAtomic(path: string, data: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(data, "utf8");
      await syncIfSupported(() => handle.sync());
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await syncDir(dirname(path));
}

/** Appends `data` to `path` (creating it) and makes it durable before resolving. */
export async function appendDurably(path: string, data: string): Promise<void> {
  const handle = await open(path, "a", 0o600);
  try {
    await handle.write(data);
    await syncIfSupported(() => handle.datasync());
  } finally {
    await handle.close();
  }
}

/** Best effort: makes a rename or a new file durable where directories can be fsynced (not on Windows). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The data is already fsynced; only the directory entry's durability is at stake.
  }
}

/** Runs an fsync, tolerating file systems that do not support one. */
async function syncIfSupported(sync: () => Promise<void>): Promise<void> {
  try {
    await sync();
  } catch (error) {
    const code = errorCode(error);
    if (code === "EINVAL" || code === "ENOTSUP" || code === "ENOSYS") return;
    throw error;
  }
}

/** Unlinks a file; a missing one is fine. */
export async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== "ENOENT") throw error;
  }
}
