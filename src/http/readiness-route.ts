/**
 * `GET /api/readyz`: whether this replica can serve now, for a readiness
 * probe. 200 when the agent store answers (for PostgreSQL: the database
 * answered a query within the bound), 503 with the reason otherwise, so a
 * load balancer stops sending traffic to a replica that cannot reach its
 * database. `GET /api/healthcheck` stays the cheap liveness probe: a replica
 * whose database is away is alive and must not be restarted for it.
 *
 * @module
 */
import type { Logger } from "../log.ts";
import type { RouteInstaller } from "./app.ts";
import { errorResponse, json } from "./responses.ts";

/** What readiness depends on: the store's ping, or nothing (the gateway-check-only mode). */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

export function readinessRoute(store: ReadinessCheck, logger: Logger, timeoutMs = 2_000): RouteInstaller {
  return (router, prefix) => {
    router.get(`${prefix}/readyz`, async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
      try {
        const outcome = await Promise.race([store.check().then(() => "ok" as const), timeout]);
        if (outcome === "timeout") return errorResponse(503, `The agent store (${store.name}) did not answer within ${timeoutMs} ms`, { "retry-after": "2" }, "store_unavailable");
        return json({ status: "ready", store: store.name });
      } catch (error) {
        logger.warn("not ready: the agent store is unavailable", { store: store.name, error });
        return errorResponse(503, `The agent store (${store.name}) is unavailable`, { "retry-after": "2" }, "store_unavailable");
      } finally {
        clearTimeout(timer);
      }
    });
  };
}
