/**
 * The metrics listener: `GET /metrics` in the Prometheus text format, on its
 * own port (`METRICS_PORT`), served by the same runtime adapter as the API.
 * It is never routed through the gateway and takes no token: bind it where
 * only Prometheus reaches it (a pod port the Service does not expose).
 *
 * @module
 */
import type { App } from "../http/app.ts";
import { type RunningServer, startServer } from "../server/index.ts";
import type { Metrics } from "./metrics.ts";

/** The metrics listener's app: `GET /metrics`, everything else 404. */
export function metricsApp(metrics: Metrics): App {
  return {
    fetch: async (request: Request) => {
      const path = new URL(request.url).pathname;
      if (path !== "/metrics") return new Response("Not found: metrics are at /metrics\n", { status: 404, headers: { "content-type": "text/plain" } });
      if (request.method !== "GET" && request.method !== "HEAD") return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
      return new Response(request.method === "HEAD" ? null : await metrics.render(), { headers: { "content-type": metrics.contentType, "cache-control": "no-store" } });
    },
  };
}

/** Starts the metrics listener. */
export function startMetricsServer(metrics: Metrics, options: { host: string; port: number }): Promise<RunningServer> {
  return startServer(metricsApp(metrics), { host: options.host, port: options.port, maxBodyBytes: 1024 });
}
