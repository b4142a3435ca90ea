/**
 * Wiring: config -> dependencies -> app -> serve. The same file starts the
 * service on Node (`npm start`) and on Deno (`deno task start`).
 *
 * Nothing imports this module but scripts/demo.ts, which runs it and reads
 * `started` for the real address.
 *
 * @module
 */
import process from "node:process";
import { TokenVerifier } from "./auth.ts";
import { ConfigError, describeConfig, loadConfig } from "./config.ts";
import { createApp } from "./http/app.ts";
import { readinessRoute } from "./http/readiness-route.ts";
import { describeListenError, npmCommand } from "./listen-error.ts";
import { createLogger } from "./log.ts";
import { watchParent } from "./parent-watch.ts";
import { runtimeName } from "./runtime.ts";
import { NO_METRICS } from "./observability/metrics-api.ts";
import { startMetricsServer } from "./observability/metrics-server.ts";
import type { Telemetry } from "./observability/run-telemetry.ts";
import { NO_TRACING } from "./observability/tracing.ts";
import { type RunningServer, startServer } from "./server/index.ts";
import { stagedApp } from "./http/staged-app.ts";
import type { AgentSide } from "./start-agents.ts";

/** Where the service listens, once it does (scripts/demo.ts prints its URLs from it). */
export interface Started {
  /** e.g. `http://127.0.0.1:3001`: the real port, also when PORT=0. */
  readonly url: string;
  readonly port: number;
}

async function main(): Promise<Started> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`agent-service: configuration error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }

  // The master key and the JWT secrets are masked by value wherever a line would carry them.
  const secrets = [...config.auth.secrets, ...(config.litellm.masterKey === undefined ? [] : [config.litellm.masterKey])];
  const logger = createLogger({ level: config.log.level, secrets });
  for (const warning of config.warnings) logger.warn(warning);

  const verifier = new TokenVerifier({
    keys: config.auth.secrets,
    clockSkewSeconds: config.auth.clockSkewSeconds,
    cacheSize: config.auth.tokenCacheSize,
  });
  const maxBodyBytes = config.server.maxBodyBytes;
  const { observability } = config;
  // Metrics and traces only when configured: otherwise nothing is created and the SDK is never loaded.
  const telemetry: Telemetry = {
    metrics: observability.metrics
      ? (await import("./observability/metrics.ts")).createMetrics({ runtime: runtimeName().split(" ")[0]!, cachedTokens: () => verifier.cachedTokens })
      : NO_METRICS,
    tracing: observability.tracing ? (await import("./observability/otel-tracing.ts")).createOtelTracing(observability.tracing) : NO_TRACING,
  };
  const accessLog = observability.accessLog ? logger.child({ component: "access" }) : undefined;
  // The healthcheck and the gateway check depend on nothing else: they answer
  // as soon as the service listens. The agent side loads right after (a
  // request for it waits until it is there; /api/readyz says 503 until then).
  let agentSide: Promise<AgentSide> | undefined;
  let loadAgents: ((side: Promise<AgentSide>) => void) | undefined;
  const agentsLoaded = config.mode === "all" ? new Promise<AgentSide>((resolve) => (loadAgents = (side) => void side.then(resolve))) : undefined;
  const front = createApp({
    apiPrefix: config.server.apiPrefix,
    maxBodyBytes,
    verifier,
    logger,
    ...telemetry,
    ...(accessLog ? { accessLog } : {}),
    routes: agentsLoaded ? [] : [readinessRoute({ name: "none", check: async () => {} }, logger)],
  });
  const app = agentsLoaded ? stagedApp(front, agentsLoaded.then((side) => side.app), config.server.apiPrefix) : front;
  const { host, port } = config.server;
  let server;
  try {
    server = await startServer(app, {
      host,
      port,
      maxBodyBytes,
      maxFrameBytes: maxBodyBytes,
      websockets: agentsLoaded !== undefined,
      socketIdleSeconds: config.sockets.idleSeconds,
      socketMaxBufferBytes: config.sockets.maxBufferBytes,
    });
  } catch (error) {
    // A taken port (a second `npm run demo`) gets a sentence, not an EADDRINUSE stack trace.
    const message = describeListenError(error, { host, port, command: npmCommand(process.env.npm_lifecycle_event) });
    if (message === undefined) throw error;
    console.error(`agent-service: cannot listen: ${message}`);
    process.exit(1);
  }
  // server.port, not config.server.port: with PORT=0 only the server knows the port it got.
  // The pid, so the service can be stopped by it (`kill <pid>`), whatever started it.
  console.log(`agent-service (${runtimeName()}, pid ${process.pid}) ${describeConfig(config, server.port)}; healthcheck: ${server.url}${config.server.apiPrefix}/healthcheck`);
  if (loadAgents) {
    agentSide = importAgentSide().then((module) => module.startAgents(config, verifier, logger, telemetry, accessLog));
    loadAgents(agentSide);
    agentSide.then(
      () => logger.debug("the agent side is loaded"),
      (error) => {
        // What startAgents does not explain itself (it exits with a sentence for a bad catalog, a locked directory, an unreachable database).
        console.error("agent-service: the agent side failed to start", error);
        process.exit(1);
      },
    );
  }
  let metricsServer: RunningServer | undefined;
  if (observability.metrics) {
    try {
      metricsServer = await startMetricsServer(telemetry.metrics, observability.metrics);
    } catch (error) {
      const message = describeListenError(error, { host: observability.metrics.host, port: observability.metrics.port, command: undefined });
      if (message === undefined) throw error;
      console.error(`agent-service: cannot listen for metrics (METRICS_PORT): ${message}`);
      process.exit(1);
    }
    logger.info("metrics listening", { url: `${metricsServer.url}/metrics` });
  }

  // SIGTERM: stop accepting, let running turns finish (or stop them after the
  // grace period), close sockets with 1001, flush the store, exit 0.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    server.stopAccepting();
    const agents = await agentSide?.catch(() => undefined);
    if (agents) await agents.drain(config.server.shutdownGraceMs);
    // Idle keep-alive connections would hold a graceful close open: give it a second.
    await Promise.race([server.close(), new Promise((resolve) => setTimeout(resolve, 1000).unref?.())]);
    await server.close(true);
    await metricsServer?.close(true);
    // The last spans are exported before exit (bounded by the exporter's timeout).
    await telemetry.tracing.close().catch((error) => logger.warn("could not export the last spans", { error }));
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  // Started by an npm script (npm start, npm run demo): stop when the process
  // npm ran us under exits, e.g. after `kill <npm's pid>` (see parent-watch.ts).
  // Only then: a service started by hand may outlive its shell on purpose (nohup).
  if (process.env.npm_lifecycle_event) watchParent(() => process.ppid, () => void shutdown("parent exited"));
  return { url: server.url, port: server.port };
}

/** Resolves once the service listens; only scripts/demo.ts reads it. */
export const started: Started = await main();

/**
 * The agent side's modules, its three heaviest subgraphs first, each its own
 * `import()` with an I/O turn after it: Deno and Bun evaluate one `import()`
 * in one piece, and a probe that arrives meanwhile waits for all of it (a
 * measured 80-95 ms on Deno for the whole graph, at most 45-55 ms in pieces).
 * The turn is a 2 ms timer: Deno's node:http needs several of its I/O ops
 * to answer a probe, which one setImmediate turn did not give it.
 */
async function importAgentSide(): Promise<typeof import("./start-agents.ts")> {
  for (const load of [() => import("./store/open.ts"), () => import("./agents/workflow/catalog.ts"), () => import("./service.ts")]) {
    await load();
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return import("./start-agents.ts");
}
