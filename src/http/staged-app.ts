/**
 * The app of a service that listens before its agent side is loaded: the
 * healthcheck (liveness), the OpenAPI document and the gateway check answer from the front app at
 * once; `/api/readyz` says 503 "starting" until the rest is there; any other
 * request waits for the rest and is answered by it. Once loaded, the full
 * app answers everything (it has the healthcheck and the check too).
 *
 * Why: start-up to the first healthcheck then costs the runtime, the
 * configuration and the HTTP layer only, not the operator catalog's schema
 * compilation, the store, the LiteLLM client or the playground; a load
 * balancer's readiness probe still waits for the whole service.
 *
 * @module
 */
import type { App } from "./app.ts";
import { errorResponse } from "./responses.ts";

export function stagedApp(front: App, rest: Promise<App>, apiPrefix: string): App {
  let loaded: App | undefined;
  let failed = false;
  rest.then((app) => (loaded = app), () => (failed = true));
  // The document needs nothing of the agent side either (it is built from schemas on first request).
  const frontPaths = new Set([`${apiPrefix}/healthcheck`, `${apiPrefix}/openapi.json`]);
  const readyz = `${apiPrefix}/readyz`;
  return {
    ...(front.gatewayCheck ? { gatewayCheck: front.gatewayCheck } : {}),
    fetch(request: Request): Promise<Response> {
      if (loaded) return loaded.fetch(request);
      const url = request.url;
      const start = url.indexOf("/", url.indexOf("//") + 2);
      const end = url.indexOf("?", start);
      const path = url.slice(start, end < 0 ? undefined : end);
      if (frontPaths.has(path) || front.gatewayCheck?.matches(path)) return front.fetch(request);
      if (failed) return Promise.resolve(errorResponse(503, "The service failed to start; see its log", undefined, "service_unavailable"));
      if (path === readyz) {
        return Promise.resolve(errorResponse(503, "The service is starting", { "retry-after": "1" }, "service_unavailable"));
      }
      return rest.then((app) => app.fetch(request), () => errorResponse(503, "The service failed to start; see its log", undefined, "service_unavailable"));
    },
  };
}
