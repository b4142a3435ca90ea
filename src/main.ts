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
import { type Config, ConfigError, describeConfig, loadConfig } from "./config.ts";
import { createApp } from "./http/app.ts";
import { readinessRoute } from "./http/readiness-route.ts";
import { playgroundRoutes } from "./http/playground-routes.ts";
import { devTokenMinter } from "./dev-tokens.ts";
import { DEFAULT_OPERATOR_TYPES } from "./agents/settings.ts";
import { CatalogError, loadOperatorCatalog } from "./agents/workflow/catalog.ts";
import { copilotToolkitFactory } from "./agents/workflow/toolkit.ts";
import { describeDatabase } from "./config/agent-store.ts";
import { StoreUnavailableError } from "./store/agent-store.ts";
import { DirectoryLockedError } from "./store/file/dir-lock.ts";
import { openStore } from "./store/open.ts";
import { LiteLLMClient } from "./litellm.ts";
import { describeListenError, npmCommand } from "./listen-error.ts";
import { createLogger, type Logger } from "./log.ts";
import { watchParent } from "./parent-watch.ts";
import { runtimeName } from "./runtime.ts";
import { createService } from "./service.ts";
import { createMetrics, NO_METRICS } from "./observability/metrics.ts";
import { startMetricsServer } from "./observability/metrics-server.ts";
import type { Telemetry } from "./observability/run-telemetry.ts";
import { NO_TRACING } from "./observability/tracing.ts";
import { type RunningServer, startServer } from "./server/index.ts";

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
      ? createMetrics({ runtime: runtimeName().split(" ")[0]!, cachedTokens: () => verifier.cachedTokens })
      : NO_METRICS,
    tracing: observability.tracing ? (await import("./observability/otel-tracing.ts")).createOtelTracing(observability.tracing) : NO_TRACING,
  };
  const accessLog = observability.accessLog ? logger.child({ component: "access" }) : undefined;
  const agents = config.mode === "all" ? await startAgents(config, verifier, logger, telemetry, accessLog) : undefined;
  // The gateway check alone depends on nothing: it is ready once it listens.
  const app = agents?.app ??
    createApp({
      apiPrefix: config.server.apiPrefix,
      maxBodyBytes,
      verifier,
      logger,
      ...telemetry,
      ...(accessLog ? { accessLog } : {}),
      routes: [readinessRoute({ name: "none", check: async () => {} }, logger)],
    });
  const { host, port } = config.server;
  let server;
  try {
    server = await startServer(app, {
      host,
      port,
      maxBodyBytes,
      maxFrameBytes: maxBodyBytes,
      websockets: agents !== undefined,
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

/** The playground page, and development tokens where src/dev-tokens.ts allows them. */
function playgroundOptions(config: Config, logger: Logger) {
  const mintToken = devTokenMinter(config);
  return {
    devMode: mintToken !== undefined,
    rootRedirect: config.env === "development",
    logger: logger.child({ component: "playground" }),
    ...(mintToken ? { mintToken } : {}),
  };
}

/** The agent side of the service: LiteLLM client, store, registry, routes and sockets. */
async function startAgents(config: Config, verifier: TokenVerifier, logger: Logger, telemetry: Telemetry, accessLog: Logger | undefined) {
  const { litellm } = config;
  const llm = new LiteLLMClient({
    baseUrl: litellm.baseUrl,
    ...(litellm.masterKey === undefined ? {} : { masterKey: litellm.masterKey }),
    requestTimeoutMs: litellm.requestTimeoutMs,
    firstTokenTimeoutMs: litellm.firstTokenTimeoutMs,
    modelCacheTtlMs: litellm.modelCacheTtlMs,
    maxRetries: litellm.maxRetries,
    logger: logger.child({ component: "litellm" }),
  });
  let catalog;
  try {
    catalog = await loadOperatorCatalog({
      ...(config.copilot.catalogPath ? { path: config.copilot.catalogPath } : {}),
      ...(config.copilot.catalogUrl ? { dashboardUrl: config.copilot.catalogUrl } : {}),
    });
  } catch (error) {
    if (error instanceof CatalogError) {
      console.error(`agent-service: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const missing = catalog.missing(DEFAULT_OPERATOR_TYPES);
  if (missing.length > 0) logger.warn("the operator catalog lacks default allowed operator types", { missing });
  logger.info("operator catalog loaded", { source: catalog.source, types: catalog.size });

  let opened;
  try {
    opened = await openStore(config.agents, logger);
  } catch (error) {
    if (error instanceof DirectoryLockedError) {
      console.error(`agent-service: ${error.message}`);
      process.exit(1);
    }
    if (error instanceof StoreUnavailableError) {
      console.error(`agent-service: cannot reach the database (${describeDatabase(config.agents.databaseUrl ?? "")}); is it running, and is DATABASE_URL right?`);
      process.exit(1);
    }
    throw error;
  }
  const { store, bus } = opened;
  const service = createService({
    apiPrefix: config.server.apiPrefix,
    maxBodyBytes: config.server.maxBodyBytes,
    verifier,
    logger,
    llm,
    store,
    bus,
    leaseMs: config.agents.runLeaseMs,
    limits: {
      ...config.limits,
      daily: {
        ...(config.usage.dailyTokenLimit !== undefined ? { tokens: config.usage.dailyTokenLimit } : {}),
        ...(config.usage.dailyCostLimitUsd !== undefined ? { costUsd: config.usage.dailyCostLimitUsd } : {}),
      },
    },
    socketMaxBufferBytes: config.sockets.maxBufferBytes,
    toolkits: copilotToolkitFactory(catalog),
    extraRoutes: [playgroundRoutes(playgroundOptions(config, logger))],
    telemetry,
    ...(accessLog ? { accessLog } : {}),
  });
  const { app, registry, sockets } = service;
  logger.info("agent store ready", { store: store.kind, replicaId: registry.replicaId });

  const drain = async (graceMs: number) => {
    registry.beginShutdown();
    const running = registry.runningTurns();
    logger.info("draining agent turns", { running: running.length, graceMs });
    const turns = Promise.allSettled(running);
    const grace = new Promise<"timeout">((resolve) => {
      const timer = setTimeout(() => resolve("timeout"), graceMs);
      void turns.then(() => clearTimeout(timer));
    });
    if ((await Promise.race([turns, grace])) === "timeout") {
      registry.stopAll();
      await turns;
    }
    sockets.closeAll(1001, "server shutting down");
    await service.close();
    await opened.close();
    llm.close();
  };
  return { app, drain };
}

/** Resolves once the service listens; only scripts/demo.ts reads it. */
export const started: Started = await main();
