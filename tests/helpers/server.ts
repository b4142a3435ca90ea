/** Starts the real app on an ephemeral port for one test, and always closes it. */
import { TokenVerifier } from "../../src/auth.ts";
import { type AppDeps, createApp } from "../../src/http/app.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { type RunningServer, startServer } from "../../src/server/index.ts";
import { checkContractOf, forgetContractOrigin } from "./contract.ts";
import { TEST_SECRET } from "./tokens.ts";

export interface TestServer extends RunningServer {
  /** Every log line the app wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  readonly wsUrl: string;
}

export type TestAppOptions = Partial<Omit<AppDeps, "logger" | "verifier">> & {
  verifier?: TokenVerifier;
  logger?: Logger;
  /** Serve as a service without WebSockets does (SERVICE_MODE=authorize): on Deno through Deno.serve. */
  websockets?: boolean;
};

export async function withServer(options: TestAppOptions, run: (server: TestServer) => Promise<void>): Promise<void> {
  const logs: Record<string, unknown>[] = [];
  const logger = options.logger ?? createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  const { websockets, ...deps } = options;
  const app = createApp({
    apiPrefix: "/api",
    maxBodyBytes: 64 * 1024,
    verifier: options.verifier ?? new TokenVerifier({ keys: TEST_SECRET }),
    ...deps,
    logger,
  });
  const server = await startServer(app, {
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    ...(websockets === undefined ? {} : { websockets }),
  });
  // Every answer the test receives is checked against the OpenAPI document (contract.ts).
  checkContractOf(server.url, deps.apiPrefix ?? "/api");
  try {
    await run({ ...server, logs, wsUrl: server.url.replace(/^http/, "ws") });
  } finally {
    forgetContractOrigin(server.url);
    await server.close(true);
  }
}
