/**
 * The image `npm run test:container` built (localhost/agent-service:test),
 * run with podman for the container tests: one container per call, on the
 * host's network (so it reaches the scripted upstream, PostgreSQL and nginx
 * on 127.0.0.1, and is reached there), listening on 127.0.0.1 only, with the
 * test secret and master key, waited for until its healthcheck answers.
 *
 * Podman is called as this machine needs it (scripts/container/podman.ts).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { freePort } from "../../scripts/bench/lib.ts";
import { IMAGE, podman, podmanOk, type Ran, RUN_FLAGS, ULIMIT_FLAGS } from "../../scripts/container/podman.ts";
import { PROCESS_MASTER_KEY } from "../helpers/service-process.ts";
import { bearer, TEST_SECRET } from "../helpers/tokens.ts";

export { IMAGE, podman, podmanOk, ULIMIT_FLAGS };

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;

/** A named volume of its own; `remove()` deletes it. */
export async function createVolume(): Promise<{ name: string; remove(): Promise<void> }> {
  const name = unique("agent-service-test-data");
  await podmanOk(["volume", "create", "--label", "agent-service-test=1", name]);
  return { name, remove: async () => void await podman(["volume", "rm", "-f", name]) };
}

export interface ContainerOptions {
  /** Environment for the service, over the defaults (test secret, master key, HOST, PORT); `undefined` unsets a default. */
  env?: Record<string, string | undefined>;
  /** More `podman run` flags (volumes, --read-only, --hostname). */
  args?: readonly string[];
  /** Wait for the healthcheck (default); false: return at once (for a start that must fail). */
  waitHealthy?: boolean;
}

export interface Container {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly wsUrl: string;
  /** Everything the service wrote, stdout and stderr. */
  logs(): Promise<string>;
  /** Resolves with the exit code once the container stopped (waits at most `timeoutMs`). */
  waitExit(timeoutMs?: number): Promise<number>;
  /** `podman stop -t <graceSeconds>`: SIGTERM, SIGKILL after the grace period; the exit code. */
  stop(graceSeconds?: number): Promise<number>;
  /** `podman start` again (same container, same writable layer and volumes), and wait for the healthcheck. */
  start(): Promise<void>;
  /** `podman exec` in it, as the image's user unless `args` say otherwise. */
  exec(command: readonly string[], args?: readonly string[]): Promise<Ran>;
  /** Stops it at once and removes it. */
  remove(): Promise<void>;
}

/** Runs the image detached and (by default) waits until `/api/healthcheck` answers 200, at most 60 s. */
export async function runContainer(options: ContainerOptions = {}): Promise<Container> {
  const port = await freePort();
  const name = unique("agent-service-test");
  const env: Record<string, string | undefined> = {
    AUTH_JWT_SECRET: TEST_SECRET,
    LITELLM_MASTER_KEY: PROCESS_MASTER_KEY,
    HOST: "127.0.0.1",
    PORT: String(port),
    ...options.env,
  };
  const set = Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined);
  // Values pass through podman's environment (`-e NAME`), never its command line.
  const args = ["run", "-d", "--name", name, "--label", "agent-service-test=1", ...RUN_FLAGS, ...set.flatMap(([key]) => ["-e", key]), ...(options.args ?? []), IMAGE];
  await podmanOk(args, { env: Object.fromEntries(set) });
  const url = `http://127.0.0.1:${port}`;
  const logs = async () => {
    const ran = await podman(["logs", name]);
    return ran.stdout + ran.stderr;
  };
  const waitExit = async (timeoutMs = 30_000) => {
    const code = await podmanOk(["wait", name], { timeoutMs });
    return Number(code);
  };
  const container: Container = {
    name,
    port,
    url,
    wsUrl: url.replace(/^http/, "ws"),
    logs,
    waitExit,
    stop: async (graceSeconds = 10) => {
      await podmanOk(["stop", "-t", String(graceSeconds), name], { timeoutMs: (graceSeconds + 30) * 1000 });
      return waitExit();
    },
    start: async () => {
      await podmanOk(["start", name]);
      await waitHealthy(container);
    },
    exec: (command, execArgs = []) => podman(["exec", ...execArgs, name, ...command]),
    remove: async () => void await podman(["rm", "-f", "-t", "0", name]),
  };
  if (options.waitHealthy !== false) {
    try {
      await waitHealthy(container);
    } catch (error) {
      await container.remove();
      throw error;
    }
  }
  return container;
}

async function running(name: string): Promise<boolean> {
  return (await podman(["inspect", "--format", "{{.State.Running}}", name])).stdout.trim() === "true";
}

/** Polls `/api/healthcheck` until 200 (at most 60 s); fails at once, with the logs, if the container stops. */
async function waitHealthy(container: Container): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (let i = 0; ; i++) {
    try {
      const response = await fetch(`${container.url}/api/healthcheck`);
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // starting
    }
    if (i % 10 === 9 && !(await running(container.name))) throw new Error(`the container stopped: ${await container.logs()}`);
    if (Date.now() > deadline) throw new Error(`the container did not answer its healthcheck: ${await container.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `body` with a container, then removes it (whatever happened). */
export async function withContainer(options: ContainerOptions, body: (container: Container) => Promise<void>): Promise<void> {
  const container = await runContainer(options);
  try {
    await body(container);
  } finally {
    await container.remove();
  }
}

/** Creates an agent (on the scripted model) as the token's user; its id. */
export async function createAgent(url: string, as: string): Promise<string> {
  const created = await fetch(`${url}/api/agents`, {
    method: "POST",
    headers: { ...bearer(as), "content-type": "application/json" },
    body: JSON.stringify({ modelType: "scripted-model", name: "container" }),
  });
  assert.equal(created.status, 200, await created.clone().text());
  return (await created.json() as { id: string }).id;
}
