/**
 * The real service (`src/main.ts`) as a child process on a runtime, for
 * process-level tests: started with the test secret and master key, waited
 * for until its healthcheck answers, its output kept, killed on request.
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { commandFor, freePort, type Runtime } from "../../scripts/bench/lib.ts";
import { checkContractOf, forgetContractOrigin } from "./contract.ts";
import { TEST_SECRET } from "./tokens.ts";

export const PROCESS_MASTER_KEY = "sk-process-test-master-key-55aa";

export interface ServiceProcess {
  readonly runtime: Runtime;
  readonly url: string;
  readonly wsUrl: string;
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<void>;
}

export async function startServiceProcess(runtime: Runtime, env: Record<string, string>, options: { timeoutMs?: number } = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const [command, args] = commandFor(runtime, "src/main.ts");
  const child = spawn(command, args, {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", AUTH_JWT_SECRET: TEST_SECRET, LITELLM_MASTER_KEY: PROCESS_MASTER_KEY, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: unknown) => {
    output += String(chunk);
    if (output.length > 400_000) output = output.slice(-200_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (true) {
    if (child.exitCode !== null) throw new Error(`the service (${runtime}) exited: ${output}`);
    try {
      const response = await fetch(`${url}/api/healthcheck`);
      await response.body?.cancel();
      if (response.ok) break;
    } catch {
      // starting
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the service (${runtime}) did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Every answer the test receives is checked against the OpenAPI document (contract.ts).
  checkContractOf(url, env.API_PREFIX ?? "/api");
  void exited.then(() => forgetContractOrigin(url));
  return {
    runtime,
    url,
    wsUrl: url.replace(/^http/, "ws"),
    child,
    output: () => output,
    exited,
    stop: async (graceMs = 5_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
