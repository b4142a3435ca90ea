/**
 * A guarded REST read under load, next to the barest hello server of the same
 * runtime, measured in the same run: `GET /api/agents` with a valid Bearer
 * token (the guard verifies it, through the verified-token cache; the handler
 * lists the caller's agents), requests/s, p50/p99 and the ratio.
 *
 *   npm run bench:rest                  # Node, Deno and Bun
 *   npx tsx scripts/bench/rest.ts deno
 *
 * Rows per runtime: the bare hello (baseline); the open healthcheck (routing
 * and JSON without the guard); `GET /api/agents` for a caller owning 3 of 3
 * agents; the same with the per-user REST rate limit off (what the quota
 * costs; elsewhere it is on, set out of reach: BENCH_LIMITS); the same caller
 * when the service holds 1,000 agents (997 of other users).
 *
 * BENCH_SECONDS (default 10) per measurement, BENCH_CONNECTIONS (default 50).
 * BENCH_METRICS=both (default) measures the 3-agent rows without metrics and
 * with METRICS_PORT set (requests, store operations counted), `off` or `on`
 * only one.
 * Each server runs as its own process; autocannon runs in this one (Node),
 * on the same machine, so both sides pay the same load-generator tax.
 */
import process from "node:process";
import { defaultSettings } from "../../src/agents/settings.ts";
import {
  benchToken,
  fmt,
  freePort,
  header,
  load,
  type LoadResult,
  metricsEnv,
  metricsModes,
  scrapeCount,
  type Runtime,
  runtimesFromArgs,
  startChild,
  startService,
  table,
  seedFileStore,
} from "./lib.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const CALLER = 1;

async function measure(url: string, headers?: Record<string, string>): Promise<LoadResult> {
  await load(url, { connections, durationSeconds: Math.min(2, seconds), ...(headers ? { headers } : {}) }); // warm-up
  const result = await load(url, { connections, durationSeconds: seconds, ...(headers ? { headers } : {}) });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url} answered ${result.non2xx} non-2xx and ${result.errors} errors`);
  return result;
}

/** Writes `total` agents, the first 3 owned by CALLER. */
function agents(total: number) {
  return (dir: string) =>
    seedFileStore(
      dir,
      Array.from({ length: total }, (_, i) => {
        const ownerUid = i < 3 ? CALLER : 1000 + i;
        return { id: `bench-agent-${String(i).padStart(5, "0")}`, ownerUid, ownerName: `user${ownerUid}`, settings: defaultSettings() };
      }),
    );
}

async function benchRest(runtimes: readonly Runtime[]): Promise<string> {
  const rows: string[][] = [];
  const notes: string[] = [];
  const headers = { authorization: `Bearer ${benchToken(CALLER)}` };
  for (const runtime of runtimes) {
    const basePort = await freePort();
    const baseline = await startChild(runtime, "scripts/bench/hello.js", { args: [String(basePort)], port: basePort, readyPath: "/" });
    const base = await measure(`http://127.0.0.1:${basePort}/`);
    await baseline.stop();
    const row = (name: string, result: LoadResult) => [
      `${runtime} ${name}`,
      fmt(result.requestsPerSecond),
      `${result.p50}`,
      `${result.p99}`,
      (result.requestsPerSecond / base.requestsPerSecond).toFixed(2),
    ];
    rows.push(row("bare hello (baseline)", base));

    let list: LoadResult | undefined;
    for (const mode of metricsModes()) {
      const metrics = await metricsEnv(mode);
      const suffix = mode === "on" ? " [metrics on]" : "";
      const small = await startService(runtime, { prepare: agents(3), env: metrics.env });
      try {
        rows.push(row(`GET /api/healthcheck (open)${suffix}`, await measure(`${small.url}/api/healthcheck`)));
        const check = await fetch(`${small.url}/api/agents`, { headers });
        const body = await check.json() as { agents: unknown[] };
        if (body.agents.length !== 3) throw new Error(`expected 3 agents, got ${JSON.stringify(body).slice(0, 200)}`);
        const measured = await measure(`${small.url}/api/agents`, headers);
        list ??= measured;
        rows.push(row(`GET /api/agents (3 agents)${suffix}`, measured));
        if (metrics.url) {
          // Proof the figures are of a service that counted: requests and store reads.
          const requests = await scrapeCount(metrics.url, "agent_service_http_request_duration_seconds_count", 'route="/api/agents"');
          const reads = await scrapeCount(metrics.url, "agent_service_store_operation_duration_seconds_count", 'operation="listAgents"');
          if (requests < 1000 || reads < 1000) throw new Error(`metrics on, but only ${requests} requests and ${reads} store reads were counted`);
          notes.push(`${runtime}${suffix}: ${fmt(requests)} GET /api/agents and ${fmt(reads)} listAgents counted by the service`);
        }
      } finally {
        await small.stop();
      }
    }

    // The per-user REST limit (a token bucket per user, on by default) off: what the quota costs.
    const unlimited = await startService(runtime, { prepare: agents(3), env: { REQUESTS_PER_MINUTE_PER_USER: "0" } });
    try {
      const free = await measure(`${unlimited.url}/api/agents`, headers);
      rows.push(row("GET /api/agents (3 agents) [per-user rate limit off]", free));
      notes.push(`${runtime}: with the per-user rate limit on, GET /api/agents serves ${fmt((list!.requestsPerSecond / free.requestsPerSecond) * 100)}% of its requests/s with it off`);
    } finally {
      await unlimited.stop();
    }

    const big = await startService(runtime, { prepare: agents(1000) });
    try {
      const bigList = await measure(`${big.url}/api/agents`, headers);
      rows.push(row("GET /api/agents (3 of 1,000)", bigList));
      notes.push(
        `${runtime}: GET /api/agents serves ${fmt((list!.requestsPerSecond / base.requestsPerSecond) * 100)}% of the bare hello's requests/s ` +
          `(p99 ${list!.p99} ms); with 1,000 agents in the process ${fmt((bigList.requestsPerSecond / base.requestsPerSecond) * 100)}%`,
      );
    } finally {
      await big.stop();
    }
  }
  return [
    header("guarded REST read: GET /api/agents with a valid Bearer token", runtimes),
    `${connections} connections, ${seconds} s per row after a 2 s warm-up, autocannon in this process`,
    table(["server", "req/s", "p50 ms", "p99 ms", "ratio"], rows),
    ...notes,
  ].join("\n");
}

console.log(await benchRest(runtimesFromArgs()));
