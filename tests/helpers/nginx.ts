/**
 * deploy/nginx/nginx.conf in a real nginx (Debian's package; `.ci/run`
 * installs it), for the e2e tests. Only the ports, the upstream addresses
 * and the file locations are changed; with `logUpstream`, the access log also
 * names the upstream each request went to (to see round-robin at work).
 */
import { spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { freePort } from "../../scripts/bench/lib.ts";

export interface Nginx {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The access log's lines so far. */
  accessLog(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startNginx(upstreamPorts: number | readonly number[], options: { logUpstream?: boolean } = {}): Promise<Nginx> {
  const ports = typeof upstreamPorts === "number" ? [upstreamPorts] : upstreamPorts;
  const dir = await mkdtemp(join(tmpdir(), "nginx-e2e-"));
  await chmod(dir, 0o755); // workers run as an unprivileged user
  const port = await freePort();
  const shipped = await readFile("deploy/nginx/nginx.conf", "utf8");
  let rendered = shipped
    .replace("server agent-service:3001;", ports.map((p) => `server 127.0.0.1:${p};`).join("\n        "))
    .replace("listen 8080;", `listen 127.0.0.1:${port};`)
    .replace("worker_processes auto;", "worker_processes 1;")
    .replace("access_log /dev/stdout agent_service;", `access_log ${dir}/access.log agent_service;
    client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`);
  if (options.logUpstream) rendered = rendered.replace(`'$status $body_bytes_sent`, `'upstream=$upstream_addr $status $body_bytes_sent`);
  assert.notEqual(rendered, shipped);
  for (const p of ports) assert.match(rendered, new RegExp(`server 127\\.0\\.0\\.1:${p};`), "the upstream was substituted");
  await writeFile(join(dir, "nginx.conf"), rendered);
  const child = spawn("nginx", ["-p", dir, "-c", join(dir, "nginx.conf"), "-g", `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log info;`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (chunk) => (output += chunk));
  child.stdout?.on("data", (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${output}`);
    try {
      const response = await fetch(`${url}/api/healthcheck`);
      await response.body?.cancel();
      if (response.status === 200) break;
    } catch {
      // starting
    }
    if (i > 100) throw new Error(`nginx did not come up: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    port,
    dir,
    accessLog: async () => (await readFile(join(dir, "access.log"), "utf8").catch(() => "")).split("\n").filter(Boolean),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
