/**
 * Shared pieces of the HTTP benchmarks: start a server as a child process on
 * a runtime, load it with autocannon, print tables of figures against a
 * baseline measured in the same run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import process from "node:process";
import autocannon from "autocannon";

export type Runtime = "node" | "deno";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The command that runs a TypeScript file on a runtime. */
export function commandFor(runtime: Runtime, file: string, args: string[] = []): [string, string[]] {
  // "node" from PATH: under Deno, process.execPath is the deno binary.
  return runtime === "node"
    ? ["node", ["--import", "tsx", file, ...args]]
    : ["node_modules/.bin/deno", ["run", "--allow-all", file, ...args]];
}

export interface Child {
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a server child and waits until `GET readyPath` answers 200. */
export async function startChild(
  runtime: Runtime,
  file: string,
  options: { args?: string[]; env?: Record<string, string>; port: number; readyPath: string; timeoutMs?: number },
): Promise<Child> {
  const [command, args] = commandFor(runtime, file, options.args);
  const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${file} exited early:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${options.port}${options.readyPath}`);
      await response.body?.cancel();
      if (response.status === 200) break;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      }),
  };
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** Loads `url` with autocannon. */
export async function load(url: string, options: { connections: number; durationSeconds: number; headers?: Record<string, string> }): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationSeconds,
    headers: options.headers ?? {},
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** Prints rows as an aligned table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
