/**
 * The agent side of the service: the LiteLLM client, the operator catalog,
 * the store, the registry, the routes and the sockets. main.ts loads this
 * module only after the service listens (the healthcheck and the gateway
 * check answer meanwhile), so start-up does not wait for it.
 *
 * @module
 */
import process from "node:process";
import type { TokenVerifier } from "./auth.ts";
import type { Config } from "./config.ts";
import type { App } from "./http/app.ts";
import { docsRoutes } from "./http/docs-routes.ts";
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
import type { Logger } from "./log.ts";
import { createService } from "./service.ts";
import type { Telemetry } from "./observability/run-telemetry.ts";

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

/** The agent side, loaded: its app (every route) and how to drain it at shutdown. */
export interface AgentSide {
  readonly app: App;
  drain(graceMs: number): Promise<void>;
}

/** The agent side of the service: LiteLLM client, store, registry, routes and sockets. */
export async function startAgents(config: Config, verifier: TokenVerifier, logger: Logger, telemetry: Telemetry, accessLog: Logger | undefined) {
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
    socketWindowBytes: config.sockets.windowBytes,
    toolkits: copilotToolkitFactory(catalog),
    // The published contract (AsyncAPI document, API reference page): open, not under /agents.
    extraRoutes: [playgroundRoutes(playgroundOptions(config, logger)), docsRoutes({ logger: logger.child({ component: "docs" }) })],
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

