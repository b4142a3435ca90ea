/**
 * The whole service in-process on an ephemeral port, in front of a scripted
 * OpenAI-compatible upstream (the model's answers), for one test.
 */
import type { ToolkitFactory } from "../../src/agents/agent.ts";
import { basicToolkit } from "../../src/agents/basic-toolkit.ts";
import { TokenVerifier } from "../../src/auth.ts";
import type { RegistryLimits } from "../../src/agents/registry.ts";
import type { EventBus } from "../../src/events/event-bus.ts";
import type { RouteInstaller } from "../../src/http/app.ts";
import { LiteLLMClient } from "../../src/litellm.ts";
import { createLogger } from "../../src/log.ts";
import { createService, type Service } from "../../src/service.ts";
import { type RunningServer, startServer } from "../../src/server/index.ts";
import type { AgentStore } from "../../src/store/agent-store.ts";
import type { Telemetry } from "../../src/observability/run-telemetry.ts";
import { MemoryAgentStore } from "../../src/store/memory-store.ts";
import { type ScriptedLLM, type ScriptedLLMOptions, startScriptedLLM } from "../fixtures/scripted-llm.ts";
import { checkContractOf, forgetContractOrigin } from "./contract.ts";
import { TEST_SECRET } from "./tokens.ts";

export const MASTER_KEY = "sk-test-master-key-7a1c9e";

export interface TestService extends Service {
  readonly url: string;
  readonly wsUrl: string;
  readonly server: RunningServer;
  readonly upstream: ScriptedLLM;
  readonly logs: string[];
}

export interface TestServiceOptions {
  store?: AgentStore;
  toolkits?: ToolkitFactory;
  upstream?: ScriptedLLMOptions;
  /** Reuse an upstream across two services (restart tests). */
  sharedUpstream?: ScriptedLLM;
  /** Talk to this LiteLLM instead of the scripted upstream directly (the real-proxy tier). */
  proxyUrl?: string;
  masterKey?: string;
  verifier?: TokenVerifier;
  maxBodyBytes?: number;
  firstTokenTimeoutMs?: number;
  /** More routes (test probes, extra endpoints), installed before `/agents/:id`. */
  extraRoutes?: readonly RouteInstaller[];
  bus?: EventBus;
  leaseMs?: number;
  limits?: RegistryLimits;
  /** The service's clock (step times, usage days, daily limits). */
  now?: () => number;
  initSteps?: number;
  /** Metrics and traces (default: off). */
  telemetry?: Telemetry;
  /** Access-log lines into `logs` (component "access"). */
  accessLog?: boolean;
  /** SOCKET_IDLE_SECONDS and SOCKET_MAX_BUFFER_BYTES. */
  socketIdleSeconds?: number;
  socketMaxBufferBytes?: number;
  /** SOCKET_WINDOW_BYTES. */
  socketWindowBytes?: number;
}

export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const upstream = options.sharedUpstream ?? (await startScriptedLLM({ models: ["scripted-model"], ...options.upstream }));
  const logs: string[] = [];
  const logger = createLogger({ level: "debug", write: (line) => logs.push(line) });
  const llm = new LiteLLMClient({
    baseUrl: options.proxyUrl ?? upstream.url,
    masterKey: options.masterKey ?? MASTER_KEY,
    logger,
    requestTimeoutMs: 10_000,
    firstTokenTimeoutMs: options.firstTokenTimeoutMs ?? 10_000,
  });
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const service = createService({
    apiPrefix: "/api",
    maxBodyBytes,
    verifier: options.verifier ?? new TokenVerifier({ keys: TEST_SECRET }),
    logger,
    llm,
    store: options.store ?? new MemoryAgentStore(),
    ...(options.bus ? { bus: options.bus } : {}),
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.initSteps ? { initSteps: options.initSteps } : {}),
    ...(options.socketMaxBufferBytes ? { socketMaxBufferBytes: options.socketMaxBufferBytes } : {}),
    ...(options.socketWindowBytes ? { socketWindowBytes: options.socketWindowBytes } : {}),
    toolkits: options.toolkits ?? (() => basicToolkit()),
    ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    ...(options.accessLog ? { accessLog: logger.child({ component: "access" }) } : {}),
  });
  const server = await startServer(service.app, {
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes,
    maxFrameBytes: maxBodyBytes,
    ...(options.socketIdleSeconds ? { socketIdleSeconds: options.socketIdleSeconds } : {}),
    ...(options.socketMaxBufferBytes ? { socketMaxBufferBytes: options.socketMaxBufferBytes } : {}),
  });
  // Every answer the test receives is checked against the OpenAPI document (contract.ts).
  checkContractOf(server.url, "/api");
  return { ...service, url: server.url, wsUrl: server.url.replace(/^http/, "ws"), server, upstream, logs };
}

/** Stops the server (dropping sockets) and waits for running turns; the store and the upstream too unless kept. */
export async function stopTestService(service: TestService, options: { keepUpstream?: boolean; keepStore?: boolean } = {}): Promise<void> {
  service.sockets.closeAll(1001, "test over");
  service.registry.stopAll();
  await Promise.allSettled(service.registry.runningTurns());
  await service.close();
  await service.bus.close();
  if (options.keepStore) await service.store.flush();
  else await service.store.close();
  await service.server.close(true);
  forgetContractOrigin(service.url);
  if (!options.keepUpstream) await service.upstream.close();
}

export async function withService(options: TestServiceOptions, run: (service: TestService) => Promise<void>): Promise<void> {
  const service = await startTestService(options);
  try {
    await run(service);
  } finally {
    await stopTestService(service);
  }
}

/** One JSON request to a test service with `token`; the status and the parsed body. */
export async function api(service: { url: string }, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${service.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
