/**
 * What is recorded of every HTTP request the API answers (the gateway check
 * aside: it is counted in gatewayDecision, and the gateway logs it): its
 * request id (taken or made, and returned as `X-Request-Id`), one access-log
 * line, the request-duration histogram, and a server span. For a socket,
 * lines and counts for its open and close as well.
 *
 * @module
 */
import type { Hooks } from "crossws";
import type { Logger } from "../log.ts";
import { addHeader } from "../http/responses.ts";
import type { Metrics } from "./metrics-api.ts";
import { REQUEST_ID_HEADER, requestIdFrom } from "./request-id.ts";
import type { RequestOrigin, Tracing } from "./tracing.ts";

export interface HttpObserverDeps {
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  /** Where access lines go (at info); none when the access log is off. */
  readonly accessLog?: Logger;
}

/** A request being answered. */
export interface ObservedRequest extends RequestOrigin {
  readonly method: string;
  readonly started: number;
}

/** A route template for requests no route matched, so the label stays bounded. */
export const UNMATCHED_ROUTE = "unmatched";

export class HttpObserver {
  readonly #metrics: Metrics;
  readonly #tracing: Tracing;
  readonly #access: Logger | undefined;

  constructor(deps: HttpObserverDeps) {
    this.#metrics = deps.metrics;
    this.#tracing = deps.tracing;
    this.#access = deps.accessLog;
  }

  begin(request: Request): ObservedRequest {
    const { headers, method } = request;
    return {
      method,
      requestId: requestIdFrom(headers.get(REQUEST_ID_HEADER)),
      started: performance.now(),
      span: this.#tracing.serverSpan(method, headers.get("traceparent"), headers.get("tracestate"), { "http.request.method": method }),
    };
  }

  /**
   * The request was answered: `route` is the template it matched, `status`
   * the status sent (101 for an upgrade). Returns the response with its
   * `X-Request-Id`.
   */
  end(observed: ObservedRequest, response: Response, route: string, status: number, userId: number | undefined): Response {
    const seconds = (performance.now() - observed.started) / 1000;
    this.#metrics.httpRequest(observed.method, route, status, seconds);
    const span = observed.span;
    span.updateName(`${observed.method} ${route}`);
    span.set({ "http.route": route, "http.response.status_code": status, "user.id": userId === undefined ? undefined : String(userId) });
    if (status >= 500) span.fail(String(status));
    span.end();
    if (this.#access?.enabled("info")) {
      this.#access.info("request", {
        method: observed.method,
        route,
        status,
        durationMs: Math.round(seconds * 1e4) / 10,
        ...(userId === undefined ? {} : { userId }),
        requestId: observed.requestId,
      });
    }
    try {
      addHeader(response, REQUEST_ID_HEADER, observed.requestId);
    } catch {
      // A response with immutable headers (none of ours): it goes without.
    }
    return response;
  }

  /** The socket's hooks, counting and logging its open and close. */
  socket(hooks: Partial<Hooks>, observed: ObservedRequest, route: string, userId: number): Partial<Hooks> {
    const metrics = this.#metrics;
    const access = this.#access;
    let opened = 0;
    return {
      ...hooks,
      open: (peer) => {
        opened = performance.now();
        metrics.socketOpened();
        access?.info("socket open", { route, userId, requestId: observed.requestId });
        return hooks.open?.(peer);
      },
      close: (peer, details) => {
        // No code: none was received (1005), as Deno reports a close frame without a status.
        const code = details.code ?? 1005;
        metrics.socketClosed(code);
        access?.info("socket close", {
          route,
          userId,
          requestId: observed.requestId,
          code,
          durationMs: Math.round((performance.now() - opened) * 10) / 10,
        });
        return hooks.close?.(peer, details);
      },
    };
  }
}
