/**
 * The OpenAPI 3.1 document of the REST API, built from the zod schemas the
 * routes validate requests with (agents/settings.ts, usage/schemas.ts, the
 * playground's dev-token body) and the answer schemas of rest-schemas.ts,
 * converted by zod 4's own `z.toJSONSchema` (draft 2020-12, which is
 * OpenAPI 3.1's schema dialect): no second description of any shape.
 *
 * Pure: no I/O, no clock. `GET /api/openapi.json` serves it (http/openapi-route.ts),
 * `scripts/contract/write-openapi.ts` writes it for the linter, and the tests
 * check every answer they receive against it (tests/helpers/contract.ts).
 *
 * @example
 * ```ts
 * const document = buildOpenApiDocument({ apiPrefix: "/api" });
 * document.paths["/api/agents"].post.operationId; // "createAgent"
 * ```
 *
 * @module
 */
import { z } from "zod";
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from "../http/agents-routes.ts";
import { checkoutSchema, createAgentSchema, patchAgentSchema, settingsPatchSchema } from "../agents/settings.ts";
import { devTokenSchema } from "../http/playground-routes.ts";
import { userUsageQuerySchema } from "../usage/schemas.ts";
import { SOCKET_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from "../socket-auth.ts";
import * as answers from "./rest-schemas.ts";

export interface OpenApiOptions {
  /** `API_PREFIX`, e.g. `/api` (or "" for none). */
  readonly apiPrefix: string;
  /** The service's version (package.json). */
  readonly version?: string;
}

type Json = Record<string, unknown>;
export type OpenApiDocument = Json & { openapi: "3.1.0"; paths: Record<string, Record<string, any>>; components: Json };

/** Request schemas (converted as inputs: what a client may send). */
const REQUESTS = {
  CreateAgentRequest: createAgentSchema,
  UpdateAgentRequest: patchAgentSchema,
  SettingsPatch: settingsPatchSchema,
  CheckoutRequest: checkoutSchema,
  DevTokenRequest: devTokenSchema,
} as const;

/** Answer schemas (converted as outputs: what the service sends). */
const ANSWERS = {
  ErrorBody: answers.errorBodySchema,
  Health: answers.healthSchema,
  Ready: answers.readySchema,
  Whoami: answers.whoamiSchema,
  AgentState: answers.agentStateSchema,
  AgentSettings: answers.agentSettingsSchema,
  AgentInfo: answers.agentInfoSchema,
  AgentPage: answers.agentPageSchema,
  AgentDetails: answers.agentDetailsSchema,
  WorkflowContent: answers.workflowContentSchema,
  ReActStep: answers.reactStepSchema,
  ReactSteps: answers.reactStepsSchema,
  ConversationPage: answers.conversationPageSchema,
  StopAnswer: answers.stopAnswerSchema,
  ClearAnswer: answers.clearAnswerSchema,
  CheckoutAnswer: answers.checkoutAnswerSchema,
  DeletedAnswer: answers.deletedAnswerSchema,
  SystemInfo: answers.systemInfoSchema,
  OperatorTypeInfo: answers.operatorTypeInfoSchema,
  OperatorTypes: answers.operatorTypesSchema,
  ModelList: answers.modelListSchema,
  AgentUsage: answers.agentUsageSchema,
  UserUsage: answers.userUsageSchema,
  PlaygroundConfig: answers.playgroundConfigSchema,
  DevTokenAnswer: answers.devTokenAnswerSchema,
} as const;

type AnswerName = keyof typeof ANSWERS;
type RequestName = keyof typeof REQUESTS;

/** Named schemas → `components.schemas`, each referring to the others by `$ref`. */
function componentSchemas(): Record<string, Json> {
  const convert = (named: Record<string, z.ZodType>, io: "input" | "output"): Record<string, Json> => {
    const registry = z.registry<{ id: string }>();
    for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
    const { schemas } = z.toJSONSchema(registry, { target: "draft-2020-12", io, uri: (id) => `#/components/schemas/${id}`, unrepresentable: "any" });
    const out: Record<string, Json> = {};
    for (const [id, schema] of Object.entries(schemas)) {
      const { $schema: _dialect, $id: _id, ...rest } = schema as Json;
      out[id] = rest;
    }
    return out;
  };
  const schemas = { ...convert(ANSWERS, "output"), ...convert(REQUESTS, "input") };
  // A refinement has no JSON Schema: say what patchAgentSchema's says.
  (schemas.UpdateAgentRequest as Json).minProperties = 1;
  return schemas;
}

/** A schema of one query parameter, inline. */
function inline(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input" }) as Json;
  return rest;
}

const ref = (name: AnswerName | RequestName) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (name: AnswerName, example?: unknown) => ({ "application/json": { schema: ref(name), ...(example === undefined ? {} : { example }) } });

// --- examples --------------------------------------------------------------

const SETTINGS_EXAMPLE = {
  maxOperatorResultCharLimit: 2000, maxOperatorResultCellCharLimit: 2000, operatorResultSerializationMode: "tsv",
  toolTimeoutSeconds: 240, executionTimeoutMinutes: 4, disabledTools: [], maxSteps: 100, allowedOperatorTypes: ["CSVFileScan", "Filter"],
};
const AGENT_EXAMPLE = {
  id: "agent-3f2a9c1e", name: "Sales analysis", modelType: "gpt-4o-mini", state: "AVAILABLE", createdAt: "2026-12-01T09:30:00.000Z",
  owner: { uid: 42, name: "ada" }, settings: SETTINGS_EXAMPLE,
};
const STEP_EXAMPLE = {
  id: "step-1", messageId: "msg-1", stepId: 0, timestamp: 1764581400000, role: "user", content: "Load sales.csv and chart revenue by month",
  isBegin: true, isEnd: false, messageSource: "chat",
};
const USAGE_TOTALS = { inputTokens: 1200, outputTokens: 300, totalTokens: 1500, cachedInputTokens: 0, costUsd: 0.00042, calls: 2, callsWithoutUsage: 0, callsWithoutCost: 0 };

// --- responses -------------------------------------------------------------

/** The shared error answers, by status: `{error, code}` with an example each. */
const ERRORS = {
  400: ["BadRequest", "The request is malformed or a field is invalid; the message names the field", { error: "settings.maxSteps: Too small: expected number to be >=1", code: "invalid_request" }],
  401: ["Unauthorized", "No token, or one that is not valid (expired, bad signature, ...); `WWW-Authenticate` says why", { error: "Unauthorized", code: "unauthorized" }],
  403: ["Forbidden", "A valid token whose role may not do this", { error: "Forbidden", code: "forbidden" }],
  404: ["NotFound", "No such agent (or not the caller's: the same answer), step or route", { error: "Agent not found", code: "agent_not_found" }],
  409: ["Conflict", "The agent has a run going", { error: "Agent is busy", code: "agent_busy" }],
  413: ["PayloadTooLarge", "The body (or its declared Content-Length) is larger than MAX_BODY_BYTES", { error: "Request body is larger than 1048576 bytes", code: "payload_too_large" }],
  415: ["UnsupportedMediaType", "A body that is not application/json", { error: "Content-Type must be application/json", code: "unsupported_media_type" }],
  426: ["UpgradeRequired", "Not a WebSocket upgrade", { error: "This endpoint only accepts WebSocket upgrades", code: "upgrade_required" }],
  429: ["TooManyRequests", "A per-user limit: the request rate (too_many_requests) or the number of agents (quota_exceeded); `Retry-After` says when to retry", { error: "Too many requests; try again in 1 s", code: "too_many_requests" }],
  500: ["InternalError", "An unexpected failure; the details are in the service log", { error: "Internal server error", code: "internal_error" }],
  502: ["BadGateway", "LiteLLM failed or refused; the code says how", { error: "Failed to fetch models from LiteLLM: LiteLLM cannot be reached", code: "upstream_unavailable" }],
  503: ["ServiceUnavailable", "The agent store cannot be reached (store_unavailable), the service is starting or failed to start (service_unavailable), or it is shutting down (service_shutting_down)", { error: "The agent store is unavailable; try again shortly", code: "store_unavailable" }],
} as const satisfies Record<number, readonly [string, string, { error: string; code: string }]>;
type ErrorStatus = keyof typeof ERRORS;

const retryAfter = (required: boolean) => ({
  description: "Seconds until a retry may succeed",
  required,
  schema: { type: "string", pattern: "^[0-9]+$" },
  example: "2",
});
const errorResponses = (): Record<string, Json> =>
  Object.fromEntries(Object.entries(ERRORS).map(([status, [name, description, example]]) => {
    const headers: Json = {};
    if (status === "401") headers["WWW-Authenticate"] = { description: "RFC 6750 Bearer challenge", required: true, schema: { type: "string" }, example: 'Bearer realm="agent-service", error="invalid_token"' };
    if (status === "429") headers["Retry-After"] = retryAfter(true);
    if (status === "502" || status === "503") headers["Retry-After"] = retryAfter(false);
    return [name, { description, ...(Object.keys(headers).length ? { headers } : {}), content: jsonContent("ErrorBody", example) }];
  }));
const errors = (...statuses: ErrorStatus[]): Record<string, Json> =>
  Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/${ERRORS[status][0]}` }]));
const ok = (name: AnswerName, description: string, example?: unknown, links?: Json): Record<string, Json> => ({
  200: { description, content: jsonContent(name, example), ...(links ? { links } : {}) },
});

// --- operations ------------------------------------------------------------

/** The gateway check answers any method (Envoy forwards the original one). */
const CHECK_METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

const BEARER = [{ bearerAuth: [] }];
/** Every guarded route (`/agents/*`) may answer these besides its own. */
const GUARDED = [400, 401, 403, 413, 429, 500, 503] as const;
/** Routes that read a JSON body. */
const WITH_BODY = [413, 415] as const;

const AGENT_ID = { name: "id", in: "path", required: true, description: "The agent's id (from createAgent or listAgents)", schema: { type: "string", minLength: 1, maxLength: 128 }, example: "agent-3f2a9c1e" };

function body(name: RequestName, example: unknown, required = true): Json {
  return { required, content: { "application/json": { schema: ref(name), example } } };
}

/** The agent operations a created agent's id links to (the fuzzer's stateful phase follows these). */
const AGENT_LINKS = ["openReactSocket", "getAgent", "updateAgent", "deleteAgent", "getReactSteps", "getConversation", "stopAgent", "clearAgent", "checkoutAgent", "getSettings", "updateSettings", "getSystemInfo", "getOperatorTypes", "getAgentUsage"];
const linksFromAgent = (): Json =>
  Object.fromEntries(AGENT_LINKS.map((operationId) => [
    operationId.replace(/^./, (c) => c.toUpperCase()),
    { operationId, parameters: { id: "$response.body#/id" }, description: `The agent's id, for ${operationId}` },
  ]));

/** Builds the document for one API prefix. Deterministic: the same options give the same document. */
export function buildOpenApiDocument(options: OpenApiOptions): OpenApiDocument {
  const p = options.apiPrefix;
  const agent = (suffix = "") => `${p}/agents/{id}${suffix}`;
  const op = (operationId: string, tag: string, summary: string, rest: Json): Json => ({ operationId, tags: [tag], summary, ...rest });
  const guarded = (operationId: string, summary: string, responses: Record<string, Json>, extra: ErrorStatus[], rest: Json = {}) =>
    op(operationId, "agents", summary, {
      security: BEARER,
      ...rest,
      responses: { ...responses, ...errors(...new Set<ErrorStatus>([...GUARDED, ...extra].sort() as ErrorStatus[])) },
    });

  const pageLimit = { name: "limit", in: "query", required: false, description: `Page size (default ${DEFAULT_PAGE_SIZE})`, schema: inline(z.string().regex(/^\d{1,6}$/).describe(`An integer, 1 to ${MAX_PAGE_SIZE}`)), example: "20" };

  const gatewayCheck = (method: string) =>
    op(`gatewayCheck${method === "get" ? "" : method[0]!.toUpperCase() + method.slice(1)}`, "gateway", `The gateway check (${method.toUpperCase()})`, {
      description:
        "nginx `auth_request` and Envoy `ext_authz` call this before any request to the agents API. Envoy appends the original path " +
        "(the whole of it, slashes included) and forwards the original method; nginx sends a GET with `X-Original-URI`. " +
        "The answer is empty: 200 with the trusted `x-user-*` headers, or 401/403 (a failure inside denies with 403); only a service shutting down answers 503 `{error, code}`.",
      security: [{ bearerAuth: [] }, {}],
      parameters: [
        ...(method === "get" ? [] : []),
        { name: "X-Original-URI", in: "header", required: false, description: "nginx: the original request's URI", schema: { type: "string" }, example: `${p}/agents` },
        { name: "Sec-WebSocket-Protocol", in: "header", required: false, description: "A socket's subprotocols, which may carry its token", schema: { type: "string" } },
      ],
      responses: {
        200: {
          description: "Allowed: the gateway copies the `x-user-*` headers onto the proxied request",
          headers: Object.fromEntries(["x-user-id", "x-user-name", "x-user-email", "x-user-role"].map((name) => [name, { required: true, schema: { type: "string" }, description: `The caller's ${name.slice(7)} (non-ASCII percent-encoded)` }])),
        },
        401: { description: "No token or an invalid one (empty body)", headers: { "WWW-Authenticate": { required: true, schema: { type: "string" }, description: "RFC 6750 Bearer challenge" } } },
        403: { description: "The original path is not under the agents API, the role may not use it, or the check failed inside (empty body)" },
        ...errors(503),
      },
    });

  const originalPath = { name: "originalPath", in: "path", required: true, description: "Envoy: the original request's path after the check's prefix (in full, slashes included)", schema: { type: "string" }, example: "api" };

  const document: OpenApiDocument = {
    openapi: "3.1.0",
    info: {
      title: "agent-service",
      version: options.version ?? "0.1.0",
      summary: "Hosts LLM agents for signed-in users",
      description:
        "The REST API of agent-service. Every error is `{\"error\": string, \"code\": string}` (the codes are stable; see the ErrorBody schema). " +
        "Routes under `/agents` need a Bearer JWT and are rate limited per user (429 with `Retry-After`). " +
        `The socket protocol of \`${p}/agents/{id}/react\` is described by \`${p}/asyncapi.json\`.`,
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [{ url: "/", description: "This service" }],
    tags: [
      { name: "service", description: "Liveness, readiness and this document (open)" },
      { name: "gateway", description: "The gateway's auth check (nginx auth_request, Envoy ext_authz)" },
      { name: "agents", description: "Agents, their conversations and settings (Bearer)" },
      { name: "usage", description: "Tokens and cost (Bearer)" },
      { name: "playground", description: "The development page and its token minting (open)" },
    ],
    paths: {
      [`${p}/healthcheck`]: {
        get: op("healthcheck", "service", "Liveness", {
          security: [],
          description: "503 `service_shutting_down` once the service has begun to shut down (every route answers so then).",
          responses: { ...ok("Health", "Alive", { status: "ok", timestamp: "2026-12-01T09:30:00.000Z" }), ...errors(413, 503) },
        }),
      },
      [`${p}/readyz`]: {
        get: op("readyz", "service", "Readiness: the agent store answers", {
          security: [],
          responses: { ...ok("Ready", "Ready to serve", { status: "ready", store: "postgres" }), ...errors(413, 500, 503) },
        }),
      },
      [`${p}/openapi.json`]: {
        get: op("getOpenApiDocument", "service", "This document", {
          security: [],
          parameters: [{ name: "If-None-Match", in: "header", required: false, description: "The ETag of a copy the client has", schema: { type: "string" } }],
          responses: {
            200: {
              description: "The OpenAPI 3.1 document",
              headers: { ETag: { required: true, schema: { type: "string" }, description: "Changes when the document does" }, "Cache-Control": { required: true, schema: { type: "string" } } },
              content: { "application/json": { schema: { type: "object" } } },
            },
            304: { description: "The client's copy (If-None-Match) is current" },
            ...errors(413, 500, 503),
          },
        }),
      },
      [`${p}/auth`]: Object.fromEntries(CHECK_METHODS.map((method) => [method, gatewayCheck(method)])),
      [`${p}/auth/{originalPath}`]: Object.fromEntries(CHECK_METHODS.map((method) => [method, { ...gatewayCheck(method), operationId: `gatewayCheckPath${method[0]!.toUpperCase()}${method.slice(1)}`, parameters: [originalPath, ...(gatewayCheck(method).parameters as Json[])] }])),
      [`${p}/agents`]: {
        post: guarded("createAgent", "Create an agent", ok("AgentInfo", "The new agent", AGENT_EXAMPLE, linksFromAgent()), [...WITH_BODY, 502], {
          description: "`modelType` must be a model LiteLLM lists. 429 `quota_exceeded` when the caller has MAX_AGENTS_PER_USER agents.",
          requestBody: body("CreateAgentRequest", { modelType: "gpt-4o-mini", name: "Sales analysis", settings: { maxSteps: 20 } }),
        }),
        get: guarded("listAgents", "The caller's agents, a page at a time, oldest first", ok("AgentPage", "A page", { agents: [AGENT_EXAMPLE], nextCursor: null }), [], {
          parameters: [pageLimit, { name: "cursor", in: "query", required: false, description: "`nextCursor` of the previous page", schema: { type: "string", maxLength: 400 } }],
        }),
      },
      [`${p}/agents/whoami`]: {
        get: guarded("whoami", "The verified caller", ok("Whoami", "The caller", { user: { uid: 42, name: "ada", email: "ada@example.com", role: "REGULAR" } }), []),
      },
      [`${p}/agents/models`]: {
        get: guarded("listModels", "The models LiteLLM lists (OpenAI list shape)", ok("ModelList", "The list", { object: "list", data: [{ id: "gpt-4o-mini", object: "model", created: 1764581400, owned_by: "openai" }] }), [502], {
          parameters: [{ name: "details", in: "query", required: false, description: "`true` adds what LiteLLM's /model/info knows to each entry", schema: { type: "string" }, example: "true" }],
        }),
      },
      [`${p}/agents/usage`]: {
        get: op("getUsage", "usage", "A user's tokens and cost by UTC day and by model", {
          security: BEARER,
          description: "Default: the caller, today. Another user's (or `all`) is for ADMINs only (403 otherwise).",
          parameters: Object.entries((inline(userUsageQuerySchema).properties ?? {}) as Record<string, Json>).map(([name, schema]) => ({
            name, in: "query", required: false, ...(schema.description ? { description: schema.description } : {}), schema,
          })),
          responses: { ...ok("UserUsage", "The totals", { uid: 42, from: "2026-12-01", to: "2026-12-01", total: USAGE_TOTALS, days: [], models: [] }), ...errors(...GUARDED) },
        }),
      },
      [agent()]: {
        parameters: [AGENT_ID],
        get: guarded("getAgent", "An agent, its step count and HEAD, and what its toolkit adds (`workflow`)", ok("AgentDetails", "The agent", { ...AGENT_EXAMPLE, stepCount: 0, headId: null }), [404]),
        patch: guarded("updateAgent", "Rename it or change its model", ok("AgentInfo", "The agent", AGENT_EXAMPLE), [404, ...WITH_BODY, 502], {
          requestBody: body("UpdateAgentRequest", { name: "Renamed" }),
        }),
        delete: guarded("deleteAgent", "Delete it", ok("DeletedAnswer", "Deleted", { deleted: true }), [404]),
      },
      [agent("/react")]: {
        parameters: [AGENT_ID],
        get: op("openReactSocket", "agents", "Open the agent's socket (WebSocket upgrade)", {
          description:
            `A WebSocket upgrade; the messages are described by \`${p}/asyncapi.json\`. The token comes as a \`Sec-WebSocket-Protocol\` entry ` +
            `(\`${TOKEN_PROTOCOL_PREFIX}<jwt>\` offered with \`${SOCKET_PROTOCOL}\`), \`?access-token=\`, or a Bearer header. Not rate limited per request.`,
          security: [{ bearerAuth: [] }, { accessToken: [] }],
          parameters: [
            { name: "Upgrade", in: "header", required: true, schema: { type: "string", const: "websocket" } },
            { name: "Sec-WebSocket-Protocol", in: "header", required: false, description: `\`${SOCKET_PROTOCOL}\`, and the token entry`, schema: { type: "string" } },
            { name: "after", in: "query", required: false, description: "Resume after this event sequence number (no init when nothing was missed)", schema: { type: "string", pattern: "^[0-9]{1,15}$" } },
            { name: "protocol", in: "query", required: false, description: "`2`: the newer event names (`status`, `snapshot`)", schema: { type: "string", enum: ["2"] } },
          ],
          responses: {
            101: { description: `Switching Protocols: the socket is open (subprotocol \`${SOCKET_PROTOCOL}\` when offered)` },
            ...errors(400, 401, 403, 404, 413, 426, 500, 503),
          },
        }),
      },
      [agent("/react-steps")]: {
        parameters: [AGENT_ID],
        get: guarded("getReactSteps", "Every stored step, its state and HEAD", ok("ReactSteps", "The steps", { steps: [STEP_EXAMPLE], state: "AVAILABLE", headId: "step-1" }), [404]),
      },
      [agent("/conversation")]: {
        parameters: [AGENT_ID],
        get: guarded("getConversation", "The conversation (root to HEAD) a page at a time, newest last", ok("ConversationPage", "A page", { steps: [STEP_EXAMPLE], more: false }), [404], {
          parameters: [pageLimit, { name: "before", in: "query", required: false, description: "A step id: the page ends before it", schema: { type: "string", minLength: 1, maxLength: 200 } }],
        }),
      },
      [agent("/stop")]: {
        parameters: [AGENT_ID],
        post: guarded("stopAgent", "Stop its run, if any", ok("StopAnswer", "Stopping, or nothing to stop", { status: "idle" }), [404]),
      },
      [agent("/clear")]: {
        parameters: [AGENT_ID],
        post: guarded("clearAgent", "Start its conversation over", ok("ClearAnswer", "Cleared", { status: "cleared" }), [404, 409]),
      },
      [agent("/checkout")]: {
        parameters: [AGENT_ID],
        post: guarded("checkoutAgent", "Move HEAD to an earlier step", ok("CheckoutAnswer", "Checked out", { status: "checked out", headId: "step-1" }), [404, 409, ...WITH_BODY], {
          requestBody: body("CheckoutRequest", { stepId: "step-1" }),
        }),
      },
      [agent("/settings")]: {
        parameters: [AGENT_ID],
        get: guarded("getSettings", "Its settings", ok("AgentSettings", "The settings", SETTINGS_EXAMPLE), [404]),
        patch: guarded("updateSettings", "Change some of its settings", ok("AgentSettings", "The settings now", SETTINGS_EXAMPLE), [404, ...WITH_BODY], {
          requestBody: body("SettingsPatch", { maxSteps: 20, disabledTools: ["executeWorkflow"] }),
        }),
      },
      [agent("/system-info")]: {
        parameters: [AGENT_ID],
        get: guarded("getSystemInfo", "Its system prompt and tools", ok("SystemInfo", "The prompt and tools", { systemPrompt: "You are…", tools: [{ name: "addOperator", description: "Adds an operator", inputSchema: { type: "object" }, enabled: true }] }), [404]),
      },
      [agent("/operator-types")]: {
        parameters: [AGENT_ID],
        get: guarded("getOperatorTypes", "The operator types it may use now", ok("OperatorTypes", "The types", { operatorTypes: [] }), [404]),
      },
      [agent("/usage")]: {
        parameters: [AGENT_ID],
        get: op("getAgentUsage", "usage", "The agent's tokens and cost, in total and per run", {
          security: BEARER,
          responses: { ...ok("AgentUsage", "The totals", { agentId: "agent-3f2a9c1e", total: USAGE_TOTALS, runs: [] }), ...errors(...GUARDED, 404) },
        }),
      },
      [`${p}/playground/config`]: {
        get: op("getPlaygroundConfig", "playground", "The playground page's configuration", {
          security: [],
          responses: { ...ok("PlaygroundConfig", "Its configuration", { devTokens: false, apiPrefix: p }), ...errors(413, 500, 503) },
        }),
      },
      [`${p}/dev/token`]: {
        post: op("mintDevToken", "playground", "Mint a development token (development mode only; 404 otherwise)", {
          security: [],
          requestBody: body("DevTokenRequest", { uid: 1, name: "dev", role: "REGULAR" }, false),
          responses: { ...ok("DevTokenAnswer", "A signed token", { token: "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", expiresInSeconds: 28800, user: { uid: 1, name: "dev", email: "dev@example.com", role: "REGULAR" } }), ...errors(400, 404, 413, 415, 500, 503) },
        }),
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "An HS256 JWT signed with the platform's secret (`userId`, `sub`, `email`, `role` claims)" },
        accessToken: { type: "apiKey", in: "query", name: "access-token", description: "The socket's token as the reference frontend sends it" },
      },
      schemas: componentSchemas(),
      responses: errorResponses(),
    },
  };
  // The playground's page and assets (HTML, CSS, JS), documented as such. itty-router matches a path with or
  // without its trailing slash, and the page needs the slash (its URLs are relative): one operation for both.
  document.paths[`${p}/playground`] = {
    get: op("getPlaygroundPage", "playground", "The playground page", {
      description: `\`${p}/playground/\` is the page; \`${p}/playground\` (no slash) redirects there with 308.`,
      security: [],
      responses: {
        200: { description: "The page (with the trailing slash)", content: { "text/html": { schema: { type: "string" } } } },
        308: { description: "To the page (without the slash)", headers: { Location: { required: true, schema: { type: "string" } } } },
        ...errors(413, 500, 503),
      },
    }),
  };
  for (const [file, type, name] of [["style.css", "text/css", "Style"], ["app.js", "text/javascript", "Script"], ["client.js", "text/javascript", "ClientScript"]] as const) {
    document.paths[`${p}/playground/${file}`] = {
      get: op(`getPlayground${name}`, "playground", `The playground's ${file}`, {
        security: [],
        responses: { 200: { description: "The file", content: { [type]: { schema: { type: "string" } } } }, ...errors(413, 500, 503) },
      }),
    };
  }
  // The socket protocol's document and the reference page (http/docs-routes.ts), open like this document.
  document.paths[`${p}/asyncapi.json`] = {
    get: op("getAsyncApiDocument", "service", `The \`${p}/agents/{id}/react\` socket protocol (AsyncAPI 3.0)`, {
      security: [],
      parameters: [{ name: "If-None-Match", in: "header", required: false, description: "The ETag of a copy the client has", schema: { type: "string" } }],
      responses: {
        200: {
          description: "The AsyncAPI 3.0 document",
          headers: { ETag: { required: true, schema: { type: "string" }, description: "Changes when the document does" }, "Cache-Control": { required: true, schema: { type: "string" } } },
          content: { "application/json": { schema: { type: "object" } } },
        },
        304: { description: "The client's copy (If-None-Match) is current" },
        ...errors(413, 500, 503),
      },
    }),
  };
  document.paths[`${p}/docs`] = {
    get: op("getReferencePage", "service", "The API reference page for people (Redoc, served by the service itself)", {
      description: `\`${p}/docs/\` (with a slash) redirects to \`${p}/docs\` with 308. Never cached: its style nonce is new per load.`,
      security: [],
      responses: {
        200: { description: "The page", content: { "text/html": { schema: { type: "string" } } } },
        308: { description: "To the page (without the slash)", headers: { Location: { required: true, schema: { type: "string" } } } },
        ...errors(413, 500, 503),
      },
    }),
  };
  for (const [file, type, name] of [["docs.css", "text/css", "Style"], ["docs.js", "text/javascript", "Script"], ["redoc.standalone.js", "text/javascript", "Renderer"]] as const) {
    document.paths[`${p}/docs/${file}`] = {
      get: op(`getReferencePage${name}`, "service", `The reference page's ${file}`, {
        security: [],
        responses: {
          200: { description: "The file", headers: { ETag: { required: true, schema: { type: "string" } } }, content: { [type]: { schema: { type: "string" } } } },
          304: { description: "The client's copy (If-None-Match) is current" },
          ...errors(413, 500, 503),
        },
      }),
    };
  }
  return document;
}
