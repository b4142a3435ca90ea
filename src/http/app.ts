/**
 * The HTTP application: a Web-standard `fetch(Request) -> Response` built by
 * `createApp(deps)`. It knows nothing about the runtime that serves it.
 *
 * @module
 */
import { AutoRouter, type IRequest } from "itty-router";
import type { Hooks } from "crossws";
import { authenticateRequest, type AuthResult, type TokenVerifier } from "../auth.ts";
import type { JwtUser } from "../jwt.ts";
import type { Logger } from "../log.ts";
import { authorize, type AuthorizeDecision, type AuthorizeInput, DENIED_ON_FAILURE } from "../authorize.ts";
import { offeredProtocols, SOCKET_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from "../socket-auth.ts";
import { StoreUnavailableError } from "../store/agent-store.ts";
import { HttpObserver, UNMATCHED_ROUTE } from "../observability/http-observer.ts";
import { type Metrics, NO_METRICS } from "../observability/metrics-api.ts";
import { NO_TRACING, type RequestOrigin, type Tracing } from "../observability/tracing.ts";
import { HttpError, isTooLarge } from "./errors.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { openApiHandler } from "./openapi-route.ts";
import { empty, errorResponse, forbidden, json, unauthorized } from "./responses.ts";

/** The caller of a socket, fixed when it opens. */
export interface SocketCaller {
  readonly user: JwtUser;
  /** `exp` of the token the socket was opened with, in seconds. */
  readonly exp: number;
  /** The upgrade request: its id and span, which the socket's runs carry on. */
  readonly origin: RequestOrigin;
}

/**
 * Opens the `/react` socket of an agent for a caller: the hooks to run, or
 * undefined when the agent does not exist or is not the caller's (both 404).
 */
export type ReactSocketProvider = (agentId: string, caller: SocketCaller, query: URLSearchParams) => Promise<Partial<Hooks> | undefined>;

/** Registers more routes on the router after the guard (agents, models, ...). */
export type RouteInstaller = (router: AppRouter, prefix: string) => void;

export type AppRouter = ReturnType<typeof AutoRouter<IRequest>>;

export interface AppDeps {
  readonly apiPrefix: string;
  readonly maxBodyBytes: number;
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly reactSocket?: ReactSocketProvider;
  /** REST requests per user (per replica); undefined: no limit. */
  readonly rateLimiter?: RateLimiter;
  readonly routes?: readonly RouteInstaller[];
  /** Default: off. */
  readonly metrics?: Metrics;
  /** Default: off (an incoming traceparent is still passed on). */
  readonly tracing?: Tracing;
  /** One line per request and per socket open/close, at info; default: off. */
  readonly accessLog?: Logger;
}

export interface App {
  fetch(request: Request): Promise<Response>;
  /**
   * The gateway check as a pure decision, for a runtime adapter that can
   * answer it without building a Request (see server/node.ts). `fetch` answers the
   * same paths the same way.
   */
  readonly gatewayCheck?: {
    matches(pathAndQuery: string): boolean;
    decide(input: AuthorizeInput): AuthorizeDecision;
    /** Logs a check that failed inside (it was answered with a denial), once, with the error. */
    failed(error: unknown): void;
  };
}

/** Request fields set by the guard and by `fetch`. */
export interface AuthedRequest extends IRequest {
  user: JwtUser;
  /** This request's id and span (http-observer.ts). */
  origin: RequestOrigin;
}

/** The verified caller of a guarded route. */
export function callerOf(request: IRequest): JwtUser {
  return (request as AuthedRequest).user;
}

/**
 * The answer to a refused caller. The reason goes to the debug log (never
 * the token): with it, a token minted with another secret (bad_signature)
 * is told apart from an expired one.
 */
function denied(result: Exclude<AuthResult, { ok: true }>, request: { url: string }, logger: Logger, metrics: Metrics): Response {
  metrics.authRefused(result.code);
  logger.debug("request refused", { status: result.status, code: result.code, path: new URL(request.url).pathname });
  return result.status === 401 ? unauthorized(result.code) : forbidden();
}

/**
 * The socket's hooks, answering the upgrade with `protocol` in
 * `Sec-WebSocket-Protocol` (crossws sets it on every runtime). The client's
 * token entry is never echoed: only this name is.
 */
function selectingProtocol(hooks: Partial<Hooks>, protocol: string): Partial<Hooks> {
  return {
    ...hooks,
    upgrade: async (request) => {
      const answer = await hooks.upgrade?.(request);
      if (answer instanceof Response || answer?.handled) return answer;
      return { ...answer, protocol };
    },
  };
}

const requestIdOf = (request: IRequest): string | undefined => (request as AuthedRequest).origin?.requestId;

/** Builds the application. Routes under `${apiPrefix}/agents` all pass the guard. */
export function createApp(deps: AppDeps): App {
  const { apiPrefix: prefix, verifier, logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? NO_METRICS;
  const observer = new HttpObserver({ metrics, tracing: deps.tracing ?? NO_TRACING, ...(deps.accessLog ? { accessLog: deps.accessLog } : {}) });

  const router = AutoRouter<IRequest>({
    // Handlers return Responses; anything else reaching here is a bug, not JSON to send.
    format: (value: unknown) => value as Response,
    missing: (request: IRequest) => {
      request.route = UNMATCHED_ROUTE;
      return errorResponse(404, "Not found");
    },
    catch: (error: unknown, request: IRequest) => {
      if (error instanceof HttpError) return errorResponse(error.status, error.message, error.headers, error.code);
      if (error instanceof StoreUnavailableError) {
        logger.warn("the agent store is unavailable", { error, requestId: requestIdOf(request) });
        return errorResponse(503, "The agent store is unavailable; try again shortly", { "retry-after": "2" }, "store_unavailable");
      }
      if (isTooLarge(error)) return errorResponse(413, `Request body is larger than ${deps.maxBodyBytes} bytes`);
      logger.error("unhandled error while serving a request", { error, requestId: requestIdOf(request) });
      return errorResponse(500, "Internal server error");
    },
    before: [
      (request: IRequest) => {
        const length = request.headers.get("content-length");
        if (length !== null && Number(length) > deps.maxBodyBytes) {
          return errorResponse(413, `Request body is larger than ${deps.maxBodyBytes} bytes`);
        }
      },
    ],
  });

  router.get(`${prefix}/healthcheck`, () => json({ status: "ok", timestamp: new Date(now()).toISOString() }));
  // Open, like the healthcheck: a client reads the contract before it has a token.
  const openApi = openApiHandler(prefix);
  router.get(`${prefix}/openapi.json`, (request: IRequest) => openApi(request as unknown as Request));

  // The socket authenticates before the upgrade, by a Sec-WebSocket-Protocol
  // token entry (socket-auth.ts), `?access-token=` (the reference frontend)
  // or a Bearer header: the same function as every other route and the
  // gateway check.
  router.get(`${prefix}/agents/:id/react`, async (request: IRequest) => {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return errorResponse(426, "This endpoint only accepts WebSocket upgrades", { upgrade: "websocket" });
    }
    const result = authenticateRequest(verifier, request as unknown as Request, prefix);
    if (!result.ok) return denied(result, request, logger, metrics);
    const offered = offeredProtocols(request.headers.get("sec-websocket-protocol"));
    const selected = offered.includes(SOCKET_PROTOCOL) ? SOCKET_PROTOCOL : undefined;
    // Without a protocol it could select, the client would drop the socket (browsers do): say why instead.
    if (!selected && offered.some((entry) => entry.startsWith(TOKEN_PROTOCOL_PREFIX))) {
      return errorResponse(400, `Offer the ${SOCKET_PROTOCOL} subprotocol with the token entry`);
    }
    const query = new URL(request.url).searchParams;
    const origin = (request as AuthedRequest).origin;
    const hooks = await deps.reactSocket?.(request.params.id ?? "", { user: result.user, exp: result.exp, origin }, query);
    if (!hooks) return errorResponse(404, "Agent not found", undefined, "agent_not_found");
    (request as AuthedRequest).user = result.user;
    // crossws reads the hooks off the response and performs the upgrade. A request that only
    // looks like one (`Upgrade: websocket` without `Connection: upgrade`, which every runtime
    // serves as plain HTTP) is sent this response as it is: a 426 that says so, not an empty one.
    const upgrade = errorResponse(426, "This endpoint only accepts WebSocket upgrades", { upgrade: "websocket" });
    return Object.assign(upgrade, { crossws: selected ? selectingProtocol(hooks, selected) : hooks });
  });

  const guard = (request: IRequest) => {
    // `/agents` and `/agents/*` can both match one request: guard (and count it) once.
    if ((request as AuthedRequest).user) return;
    const result = authenticateRequest(verifier, request as unknown as Request, prefix);
    if (!result.ok) return denied(result, request, logger, metrics);
    const wait = deps.rateLimiter?.take(result.user.uid) ?? 0;
    if (wait > 0) {
      return errorResponse(429, `Too many requests; try again in ${wait} s`, { "retry-after": String(wait) }, "too_many_requests");
    }
    (request as AuthedRequest).user = result.user;
  };
  router.all(`${prefix}/agents`, guard);
  router.all(`${prefix}/agents/*`, guard);

  router.get(`${prefix}/agents/whoami`, (request: IRequest) => json({ user: callerOf(request) }));

  for (const install of deps.routes ?? []) install(router, prefix);

  // `/` is no route of the API: say where its healthcheck is (in development
  // the playground's routes, installed above, send a browser to the page first).
  router.get("/", () => errorResponse(404, `Not found: this is agent-service's API under ${prefix || "/"}; its healthcheck is GET ${prefix}/healthcheck`));

  // The gateway check (nginx auth_request, Envoy ext_authz): any method, any
  // path below it, answered before routing. It is on the hot path of every
  // gateway request, and the original request's Content-Length (which Envoy
  // forwards without the body) must not trip the body limit.
  const checkPrefix = `${prefix}/auth`;
  const gatewayCheck = {
    matches: (path: string) => {
      if (!path.startsWith(checkPrefix)) return false;
      const next = path[checkPrefix.length];
      return next === undefined || next === "/" || next === "?";
    },
    decide: (input: AuthorizeInput) => {
      const decision = authorize(input, verifier, { apiPrefix: prefix });
      metrics.gatewayDecision(decision.status, decision.reason);
      if (decision.status !== 200) logger.debug("gateway check refused", { status: decision.status, code: decision.reason });
      return decision;
    },
    failed: (error: unknown) => {
      metrics.gatewayDecision(DENIED_ON_FAILURE.status, DENIED_ON_FAILURE.reason);
      logger.error("the gateway check failed; it was answered with a denial", { error });
    },
  };

  return {
    gatewayCheck,
    fetch: async (request: Request) => {
      const url = request.url;
      const path = url.slice(url.indexOf("/", url.indexOf("//") + 2));
      if (gatewayCheck.matches(path)) {
        try {
          const decision = gatewayCheck.decide({
            checkUri: path,
            originalUri: request.headers.get("x-original-uri") ?? request.headers.get("x-forwarded-uri"),
            authorization: request.headers.get("authorization"),
            protocols: request.headers.get("sec-websocket-protocol"),
          });
          return empty(decision.status, decision.headers);
        } catch (error) {
          // The gateway understands only 200/401/403: an internal failure denies.
          gatewayCheck.failed(error);
          return empty(DENIED_ON_FAILURE.status, DENIED_ON_FAILURE.headers);
        }
      }
      const observed = observer.begin(request);
      const routed = request as unknown as AuthedRequest;
      routed.origin = observed;
      let response: Response;
      try {
        response = (await router.fetch(request)) as Response;
      } catch (error) {
        // itty-router's own failures (e.g. a malformed percent-encoding in the path).
        logger.warn("request could not be routed", { error, requestId: observed.requestId });
        response = errorResponse(400, "Bad request");
        routed.route = UNMATCHED_ROUTE;
      }
      const route = routed.route ?? UNMATCHED_ROUTE;
      const uid = routed.user?.uid;
      const upgrade = (response as Response & { crossws?: Partial<Hooks> }).crossws;
      if (upgrade && uid !== undefined) {
        // A socket: the 101 is sent by the adapter; its open and close are recorded by the hooks.
        (response as Response & { crossws?: Partial<Hooks> }).crossws = observer.socket(upgrade, observed, route, uid);
        return observer.end(observed, response, route, 101, uid);
      }
      return observer.end(observed, response, route, response.status, uid);
    },
  };
}
