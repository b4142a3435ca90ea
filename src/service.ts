/**
 * Assembles the service from its parts: the registry of agents, the REST
 * routes, the /react socket. `main.ts` calls it with the real config; tests
 * call it with a scripted LiteLLM, a fixed clock and a temp store.
 *
 * @module
 */
import type { ToolkitFactory } from "./agents/agent.ts";
import { AgentRegistry } from "./agents/registry.ts";
import type { TokenVerifier } from "./auth.ts";
import { agentsRoutes } from "./http/agents-routes.ts";
import { type App, createApp, type RouteInstaller } from "./http/app.ts";
import { modelsRoutes } from "./http/models-routes.ts";
import { operatorTypesRoute } from "./http/operator-types-route.ts";
import { reactSocketProvider, SocketSet } from "./http/react-socket.ts";
import type { LiteLLMClient } from "./litellm.ts";
import type { Logger } from "./log.ts";
import type { AgentStore } from "./store/agent-store.ts";

export interface ServiceDeps {
  readonly apiPrefix: string;
  readonly maxBodyBytes: number;
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
  readonly llm: Pick<LiteLLMClient, "listModels" | "modelInfo" | "chat">;
  readonly store: AgentStore;
  readonly toolkits: ToolkitFactory;
  readonly now?: () => number;
  /** More routes (deployer extensions, test probes); installed before `/agents/:id` so fixed paths win. */
  readonly extraRoutes?: readonly RouteInstaller[];
}

export interface Service {
  readonly app: App;
  readonly registry: AgentRegistry;
  readonly sockets: SocketSet;
  readonly store: AgentStore;
}

export async function createService(deps: ServiceDeps): Promise<Service> {
  const { logger, llm, verifier, maxBodyBytes } = deps;
  const registry = await AgentRegistry.open({
    store: deps.store,
    llm,
    toolkits: deps.toolkits,
    logger,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const sockets = new SocketSet();
  const app = createApp({
    apiPrefix: deps.apiPrefix,
    maxBodyBytes,
    verifier,
    logger,
    ...(deps.now ? { now: deps.now } : {}),
    reactSocket: reactSocketProvider({ registry, verifier, logger, maxFrameBytes: maxBodyBytes }, sockets),
    // Fixed paths (/agents/models) before /agents/:id.
    routes: [
      modelsRoutes(llm as LiteLLMClient, logger),
      ...(deps.extraRoutes ?? []),
      agentsRoutes({ registry, llm, logger, maxBodyBytes }),
      operatorTypesRoute({ registry }),
    ],
  });
  return { app, registry, sockets, store: deps.store };
}
