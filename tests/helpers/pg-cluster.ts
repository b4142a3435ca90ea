/**
 * A PostgreSQL server of the test's own (initdb + pg_ctl on a free port in
 * a temp directory), for tests that stop and restart the database: the
 * machine's server is shared with every other test and must stay up.
 *
 * PostgreSQL refuses to run as root; when the tests run as root (CI), the
 * cluster is created and run as the `postgres` user through runuser.
 */
import { execFile } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { promisify } from "node:util";
import { freePort } from "../../scripts/bench/lib.ts";

const run = promisify(execFile);

export interface PgCluster {
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast: open connections are closed). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

/** The directory of PostgreSQL's server binaries (initdb, pg_ctl). */
function binDir(): string {
  for (const version of ["17", "16", "15", "14", "13"]) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    if (existsSync(join(dir, "pg_ctl"))) return dir;
  }
  return "";
}

export async function startCluster(): Promise<PgCluster> {
  const bin = binDir();
  const tool = (name: string) => (bin ? join(bin, name) : name);
  const asRoot = userInfo().uid === 0;
  const as = (command: string, args: string[]) => (asRoot ? run("runuser", ["-u", "postgres", "--", command, ...args]) : run(command, args));
  const dir = await mkdtemp(join(tmpdir(), "pg-cluster-"));
  const data = join(dir, "data");
  if (asRoot) {
    const { uid, gid } = await import("node:fs/promises").then((fs) => fs.stat("/var/lib/postgresql"));
    await chown(dir, uid, gid);
  }
  const port = await freePort();
  await as(tool("initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const pgCtl = (action: string, extra: string[] = []) =>
    as(tool("pg_ctl"), [action, "-D", data, "-w", "-t", "30", ...extra]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const start = () => pgCtl("start", ["-l", join(dir, "log"), "-o", options]).then(() => {});
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: () => pgCtl("stop", ["-m", "fast"]).then(() => {}),
    start,
    destroy: async () => {
      await pgCtl("stop", ["-m", "immediate"]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether this machine can run a cluster of the test's own. */
export function canRunCluster(): boolean {
  return binDir() !== "" || process.env.PATH?.split(":").some((p) => existsSync(join(p, "pg_ctl"))) === true;
}
