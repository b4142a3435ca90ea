/**
 * Assembles the service from its parts: the registry of agents, the REST
 * routes, the /react socket. `main.ts` calls it with the real config; tests
 * call it with a scripted LiteLLM, a fixed clock and a temp store.
 *
 * @module
 */
import type { ToolkitFactory } from "./agents/agent.ts";
import { AgentRegistry, type RegistryLimits } from "./agents/registry.ts";
import type { TokenVerifier } from "./auth.ts";
import type { EventBus } from "./events/event-bus.ts";
import { LocalEventBus } from "./events/local-bus.ts";
import { agentsRoutes } from "./http/agents-routes.ts";
import { type App, createApp, type RouteInstaller } from "./http/app.ts";
import { modelsRoutes } from "./http/models-routes.ts";
import { operatorTypesRoute } from "./http/operator-types-route.ts";
import { reactSocketProvider, SocketSet } from "./http/react-socket.ts";
import { RateLimiter } from "./http/rate-limit.ts";
import { readinessRoute } from "./http/readiness-route.ts";
import { usageRoutes } from "./http/usage-routes.ts";
import type { LiteLLMClient } from "./litellm.ts";
import type { Logger } from "./log.ts";
import { NO_TELEMETRY, type Telemetry } from "./observability/run-telemetry.ts";
import { timedStore } from "./observability/store-metrics.ts";
import type { AgentStore } from "./store/agent-store.ts";

export interface ServiceDeps {
  readonly apiPrefix: string;
  readonly maxBodyBytes: number;
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
  readonly llm: Pick<LiteLLMClient, "listModels" | "modelInfo" | "chat">;
  readonly store: AgentStore;
  /** How events reach sockets; default: in-process (one replica). */
  readonly bus?: EventBus;
  readonly toolkits: ToolkitFactory;
  readonly now?: () => number;
  /** This process's name in run leases. */
  readonly replicaId?: string;
  /** `RUN_LEASE_SECONDS` in ms. */
  readonly leaseMs?: number;
  readonly limits?: RegistryLimits;
  /** Steps a socket's `init` carries (default 200); older ones are paged over REST. */
  readonly initSteps?: number;
  /** SOCKET_MAX_BUFFER_BYTES: unsent bytes past which a socket is closed rather than sent more. */
  readonly socketMaxBufferBytes?: number;
  /** SOCKET_WINDOW_BYTES: the most of a conversation `init` and `headChange` carry. */
  readonly socketWindowBytes?: number;
  /** More routes (deployer extensions, test probes); installed before `/agents/:id` so fixed paths win. */
  readonly extraRoutes?: readonly RouteInstaller[];
  /** Metrics and traces; default: off. */
  readonly telemetry?: Telemetry;
  /** Where access-log lines go (one per request, socket open and close); default: none. */
  readonly accessLog?: Logger;
}

export interface Service {
  readonly app: App;
  readonly registry: AgentRegistry;
  readonly sockets: SocketSet;
  readonly store: AgentStore;
  readonly bus: EventBus;
  /** Stops the registry's background work; the caller closes the bus and the store. */
  close(): Promise<void>;
}

export function createService(deps: ServiceDeps): Service {
  const { logger, llm, verifier, maxBodyBytes } = deps;
  const telemetry = deps.telemetry ?? NO_TELEMETRY;
  const { metrics, tracing } = telemetry;
  const store = metrics.enabled ? timedStore(deps.store, metrics) : deps.store;
  const bus = deps.bus ?? new LocalEventBus(logger.child({ component: "events" }));
  const registry = new AgentRegistry({
    store,
    telemetry,
    bus,
    llm,
    toolkits: deps.toolkits,
    logger,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.replicaId ? { replicaId: deps.replicaId } : {}),
    ...(deps.leaseMs ? { leaseMs: deps.leaseMs } : {}),
    ...(deps.limits ? { limits: deps.limits } : {}),
    ...(deps.socketWindowBytes ? { windowBytes: deps.socketWindowBytes } : {}),
  });
  registry.start();
  const sockets = new SocketSet();
  const app = createApp({
    apiPrefix: deps.apiPrefix,
    maxBodyBytes,
    verifier,
    logger,
    metrics,
    tracing,
    ...(deps.accessLog ? { accessLog: deps.accessLog } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    reactSocket: reactSocketProvider({
      registry,
      bus,
      verifier,
      logger,
      maxFrameBytes: maxBodyBytes,
      tracing,
      ...(deps.limits?.maxMessageChars ? { maxMessageChars: deps.limits.maxMessageChars } : {}),
      ...(deps.initSteps ? { initSteps: deps.initSteps } : {}),
      ...(deps.socketMaxBufferBytes ? { maxBufferBytes: deps.socketMaxBufferBytes } : {}),
    }, sockets),
    ...(deps.limits?.requestsPerMinute
      ? { rateLimiter: new RateLimiter({ perMinute: deps.limits.requestsPerMinute, burst: deps.limits.requestBurst ?? 60, ...(deps.now ? { now: deps.now } : {}) }) }
      : {}),
    // Fixed paths (/agents/models, /agents/usage) before /agents/:id.
    routes: [
      readinessRoute({ name: store.kind, check: () => store.ping() }, logger),
      modelsRoutes(llm as LiteLLMClient, logger),
      ...(deps.extraRoutes ?? []),
      usageRoutes({ registry, store, ...(deps.now ? { now: deps.now } : {}) }),
      agentsRoutes({ registry, llm, logger, maxBodyBytes }),
      operatorTypesRoute({ registry }),
    ],
  });
  return { app, registry, sockets, store, bus, close: () => registry.close() };
}
