/**
 * Wiring: config -> dependencies -> app -> serve. The same file starts the
 * service on Node (`npm start`) and on Deno (`deno task start`).
 *
 * Nothing imports this module.
 *
 * @module
 */
import process from "node:process";
import { TokenVerifier } from "./auth.ts";
import { ConfigError, describeConfig, loadConfig } from "./config.ts";
import { createApp } from "./http/app.ts";
import { modelsRoutes } from "./http/models-routes.ts";
import { LiteLLMClient } from "./litellm.ts";
import { createLogger } from "./log.ts";
import { runtimeName } from "./runtime.ts";
import { startServer } from "./server.ts";

async function main(): Promise<void> {
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

  const logger = createLogger({ level: config.log.level });
  for (const warning of config.warnings) logger.warn(warning);

  const verifier = new TokenVerifier({
    keys: config.auth.secrets,
    clockSkewSeconds: config.auth.clockSkewSeconds,
    cacheSize: config.auth.tokenCacheSize,
  });
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
  const app = createApp({
    apiPrefix: config.server.apiPrefix,
    maxBodyBytes: config.server.maxBodyBytes,
    verifier,
    logger,
    routes: [modelsRoutes(llm, logger)],
  });
  const server = await startServer(app, {
    host: config.server.host,
    port: config.server.port,
    maxBodyBytes: config.server.maxBodyBytes,
  });
  console.log(`agent-service (${runtimeName()}) ${describeConfig(config)}; healthcheck: ${server.url}${config.server.apiPrefix}/healthcheck`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    await server.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

await main();
