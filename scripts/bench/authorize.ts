/**
 * The gateway check under load, next to the barest hello server of the same
 * runtime, measured in the same run: requests/s, p50/p99, and the ratio.
 * Target: >= 80% of the baseline's requests/s, p99 under 5 ms at 50 connections.
 * The refused path (an expired token: a full verification, then one of the
 * frozen 401 answers, one per failure code) is measured the same way.
 *
 *   npm run bench:authorize                 # Node, Deno and Bun
 *   npx tsx scripts/bench/authorize.ts node
 *
 * BENCH_SECONDS (default 10) per measurement, BENCH_CONNECTIONS (default 50).
 * BENCH_METRICS=both (default) measures the service without metrics and with
 * METRICS_PORT set (the gateway decisions counted), `off` or `on` only one.
 * Each server runs as its own process; autocannon runs in this one (Node),
 * on the same 2 cores, so both sides pay the same load-generator tax.
 */
import process from "node:process";
import { signJwt } from "../../src/jwt.ts";
import { BARE_SERVER, fmt, freePort, header, load, metricsEnv, metricsModes, runtimesFromArgs, scrapeCount, startChild, table } from "./lib.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const runtimes = runtimesFromArgs();
const secret = "bench-secret-0123456789abcdef-0123456789";
const token = signJwt({ sub: "bench", userId: 1, email: "bench@example.com", role: "REGULAR", exp: Math.floor(Date.now() / 1000) + 3600 }, secret);
const expired = signJwt({ sub: "bench", userId: 1, email: "bench@example.com", role: "REGULAR", exp: Math.floor(Date.now() / 1000) - 3600 }, secret);

const rows: string[][] = [];
const ratios: string[] = [];
for (const runtime of runtimes) {
  const basePort = await freePort();
  const baseline = await startChild(runtime, "scripts/bench/hello.js", { args: [String(basePort)], port: basePort, readyPath: "/" });
  await load(`http://127.0.0.1:${basePort}/`, { connections, durationSeconds: 2 }); // warm-up
  const base = await load(`http://127.0.0.1:${basePort}/`, { connections, durationSeconds: seconds });
  await baseline.stop();

  rows.push([`${runtime} bare hello`, fmt(base.requestsPerSecond), `${base.p50}`, `${base.p99}`, "1.00"]);
  for (const mode of metricsModes()) {
    const metrics = await metricsEnv(mode);
    const suffix = mode === "on" ? " [metrics on]" : "";
    const port = await freePort();
    const service = await startChild(runtime, "src/main.ts", {
      port,
      readyPath: "/api/healthcheck",
      env: { PORT: String(port), HOST: "127.0.0.1", AUTH_JWT_SECRET: secret, SERVICE_MODE: "authorize", LOG_LEVEL: "error", ...metrics.env },
    });
    const url = `http://127.0.0.1:${port}/api/auth/api/agents/bench/settings`;
    const headers = { authorization: `Bearer ${token}` };
    await load(url, { connections, durationSeconds: 2, headers });
    const check = await load(url, { connections, durationSeconds: seconds, headers });
    const refusedHeaders = { authorization: `Bearer ${expired}` };
    const probe = await fetch(url, { headers: refusedHeaders });
    if (probe.status !== 401) throw new Error(`an expired token got ${probe.status}, not 401`);
    await load(url, { connections, durationSeconds: 2, headers: refusedHeaders });
    const refused = await load(url, { connections, durationSeconds: seconds, headers: refusedHeaders });
    // With metrics on, the counters must have moved: the figures are of a service that counted.
    const counted = metrics.url ? await scrapeCount(metrics.url, "agent_service_gateway_checks_total") : undefined;
    if (counted !== undefined && counted < 1000) throw new Error(`metrics on, but only ${counted} gateway checks were counted`);
    await service.stop();
    if (check.non2xx > 0 || check.errors > 0) throw new Error(`the check answered ${check.non2xx} non-2xx and ${check.errors} errors`);
    if (refused.non2xx === 0 || refused.errors > 0) throw new Error(`the refused check answered ${refused.non2xx} non-2xx and ${refused.errors} errors`);

    if (counted !== undefined) ratios.push(`${runtime}${suffix}: ${fmt(counted)} gateway checks counted by the service`);
    const ratio = check.requestsPerSecond / base.requestsPerSecond;
    rows.push([`${runtime} /api/auth check${suffix}`, fmt(check.requestsPerSecond), `${check.p50}`, `${check.p99}`, ratio.toFixed(2)]);
    rows.push([`${runtime} /api/auth refused (401 expired)${suffix}`, fmt(refused.requestsPerSecond), `${refused.p50}`, `${refused.p99}`, (refused.requestsPerSecond / base.requestsPerSecond).toFixed(2)]);
    ratios.push(`${runtime}${suffix}: the check serves ${(ratio * 100).toFixed(0)}% of the bare ${BARE_SERVER[runtime]} hello's requests/s, p99 ${check.p99} ms`);
  }
}

console.log(header("gateway check: /api/auth/* with a valid Bearer token, and refused (expired)", runtimes));
console.log(`authorize benchmark: ${connections} connections, ${seconds} s each, autocannon on the same machine`);
console.log(table(["server", "req/s", "p50 ms", "p99 ms", "ratio"], rows));
for (const line of ratios) console.log(line);
