/**
 * Podman as these machines need it, for the container tests and benchmark:
 * runc (crun refuses their hybrid cgroups), cgroupfs (no systemd); on `run`,
 * the host's network (the container reaches and is reached on 127.0.0.1),
 * explicit ulimits (the defaults exceed the machines' hard limits) and no
 * healthcheck timer (it needs systemd: `podman healthcheck run` runs the
 * image's HEALTHCHECK command on demand).
 */
import { spawn } from "node:child_process";
import process from "node:process";

/** The image `npm run test:container` builds (scripts/container/build.sh). */
export const IMAGE = process.env.AGENT_SERVICE_IMAGE ?? "localhost/agent-service:test";
/** The stand-in base scripts/container/bases.sh makes. */
export const BASE_IMAGE = process.env.NODE_BASE ?? "localhost/agent-service-base/node:20.20-bookworm-slim";

const ENGINE = ["--runtime", "runc", "--cgroup-manager=cgroupfs"];
/** Limits within the machines' hard ones (podman's defaults exceed them): every `podman run` here needs them. */
export const ULIMIT_FLAGS: readonly string[] = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096"];
/** The flags a service container here runs with. */
export const RUN_FLAGS: readonly string[] = ["--network", "host", ...ULIMIT_FLAGS, "--health-interval", "disable"];

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `podman <args>` (at most `timeoutMs`, then SIGKILL); `env` adds to podman's environment (for `-e NAME`). */
export function podman(args: readonly string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn("podman", [...ENGINE, ...args], { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `podman <args>`, which must succeed; its stdout, trimmed. */
export async function podmanOk(args: readonly string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<string> {
  const ran = await podman(args, options);
  if (ran.code !== 0) throw new Error(`podman ${args.join(" ")} exited ${ran.code}: ${ran.stderr}${ran.stdout}`);
  return ran.stdout.trim();
}
