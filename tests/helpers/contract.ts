/**
 * Every answer the tests receive from the service, checked against the
 * OpenAPI document (src/contract/openapi.ts): the status is one the
 * operation documents, the content type one it documents for that status,
 * the body matches its JSON Schema (ajv, draft 2020-12: OpenAPI 3.1's
 * dialect) and the documented required headers are there.
 *
 * The test helpers that start a service (service.ts, server.ts,
 * service-process.ts) register its origin; `fetch` is wrapped once, so a
 * test's own `fetch`, `api()` and the client library are all checked, and a
 * violation is thrown from the `fetch` that received it: the test that got
 * the wrong answer fails, naming the operation and what differs.
 *
 * Not checked (each on purpose):
 * - requests through raw sockets (tests/helpers/raw-http.ts, raw-socket.ts):
 *   they test the HTTP layer's own refusals of malformed requests, which no
 *   OpenAPI operation can describe;
 * - WebSocket upgrades (`new WebSocket`): the socket is the AsyncAPI document's;
 * - paths outside the API prefix (`GET /`, a bare 404 for a browser): not the API;
 * - the probe routes tests/server.test.ts installs itself (`/agents/echo-body`,
 *   `/agents/boom`) to test the body limit and the 500 path: not routes of the service.
 *
 * @module
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { buildOpenApiDocument, type OpenApiDocument } from "../../src/contract/openapi.ts";

type Json = Record<string, any>;

export interface CheckedExchange {
  readonly method: string;
  /** The path (and query) the request went to. */
  readonly path: string;
  readonly status: number;
  readonly headers: Headers;
  /** The body as text ("" when none). */
  readonly body: string;
}

/** A response that does not match the document. */
export class ContractViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ContractViolation";
  }
}

interface Operation {
  readonly id: string;
  readonly method: string;
  readonly pattern: RegExp;
  /** Literal segments first: `/agents/whoami` before `/agents/{id}`. */
  readonly templates: number;
  readonly responses: Json;
}

/** A checker for one API prefix. */
export class ContractChecker {
  readonly document: OpenApiDocument;
  readonly #prefix: string;
  readonly #operations: Operation[] = [];
  readonly #ajv: Ajv2020;
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(apiPrefix: string) {
    this.#prefix = apiPrefix;
    this.document = buildOpenApiDocument({ apiPrefix });
    // Formats are not asserted (zod writes a pattern beside each one, which is).
    this.#ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false });
    this.#ajv.addSchema({ $id: "openapi.json", components: this.document.components });
    for (const [path, item] of Object.entries(this.document.paths)) {
      const source = path
        .split(/(\{[^}]+\})/)
        .map((part) => (part === "{originalPath}" ? ".+" : part.startsWith("{") ? "[^/]+" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
        .join("");
      for (const [method, operation] of Object.entries(item)) {
        if (method === "parameters") continue;
        this.#operations.push({
          id: String(operation.operationId),
          method: method.toUpperCase(),
          pattern: new RegExp(`^${source}$`),
          templates: (path.match(/\{/g) ?? []).length,
          responses: operation.responses as Json,
        });
      }
    }
    this.#operations.sort((a, b) => a.templates - b.templates);
  }

  /**
   * Compiles every answer's validator now, so that the work (and its garbage) is done when a
   * service starts, not in the middle of a test's timing-sensitive exchange (a socket's paced deltas).
   */
  warm(): this {
    for (const operation of this.#operations) {
      for (let response of Object.values(operation.responses) as Json[]) {
        if (response.$ref) response = this.#components().responses[String(response.$ref).split("/").pop()!] as Json;
        const media = (response.content as Json | undefined)?.["application/json"] as Json | undefined;
        if (media) this.#validator(media.schema);
      }
    }
    return this;
  }

  /** The violations of one exchange (empty when it matches the document). */
  check(exchange: CheckedExchange): string[] {
    const queryAt = exchange.path.indexOf("?");
    const full = queryAt < 0 ? exchange.path : exchange.path.slice(0, queryAt);
    // itty-router routes a path with and without its trailing slash alike.
    const path = full.length > 1 && full.endsWith("/") ? full.slice(0, -1) : full;
    if (path !== this.#prefix && !path.startsWith(`${this.#prefix}/`) && this.#prefix !== "") return [];
    if (TEST_PROBES.test(path)) return [];
    const method = exchange.method;
    const operation = this.#operations.find((op) => op.method === method && op.pattern.test(path)) ??
      (method === "HEAD" ? this.#operations.find((op) => op.method === "GET" && op.pattern.test(path)) : undefined);
    const where = `${exchange.method} ${path} → ${exchange.status}`;
    if (!operation) {
      // No operation: the router's refusals only (no route 404; the guard's answers under /agents; the body limit; shutting down).
      if (![400, 401, 403, 404, 413, 429, 503].includes(exchange.status)) return [`${where}: no operation documents ${method} ${path}`];
      return this.#checkBody(where, "ErrorBody", exchange, this.#components().responses.NotFound.content);
    }
    let response = operation.responses[String(exchange.status)] as Json | undefined;
    if (!response) return [`${where}: ${operation.id} does not document status ${exchange.status} (documents ${Object.keys(operation.responses).join(", ")})`];
    if (response.$ref) response = this.#components().responses[String(response.$ref).split("/").pop()!] as Json;
    const problems: string[] = [];
    for (const [name, header] of Object.entries((response.headers ?? {}) as Json)) {
      if (header.required && !exchange.headers.has(name)) problems.push(`${where}: ${operation.id} requires header ${name}`);
    }
    if (exchange.method === "HEAD" || exchange.status === 304) return problems;
    return [...problems, ...this.#checkBody(where, operation.id, exchange, response.content)];
  }

  #components(): Json {
    return this.document.components as Json;
  }

  #validator(schema: unknown): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.#validators.get(key);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: "#/$defs/answer", $defs: { answer: rewriteRefs(schema) } });
      this.#validators.set(key, validate);
    }
    return validate;
  }

  #checkBody(where: string, id: string, exchange: CheckedExchange, content: Json | undefined): string[] {
    if (!content) return exchange.body === "" ? [] : [`${where}: ${id} documents no body, got ${exchange.body.length} bytes`];
    const type = (exchange.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    const media = content[type] as Json | undefined;
    if (!media) return [`${where}: ${id} documents ${Object.keys(content).join(", ")}, got content type "${type}"`];
    if (type !== "application/json") return [];
    let value: unknown;
    try {
      value = JSON.parse(exchange.body);
    } catch {
      return [`${where}: ${id}: the body is not JSON: ${exchange.body.slice(0, 200)}`];
    }
    const validate = this.#validator(media.schema);
    if (validate(value)) return [];
    const errors = (validate.errors ?? []).slice(0, 5).map((error) => `${error.instancePath || "/"} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ""}`);
    return [`${where}: ${id}: the body does not match its schema: ${errors.join("; ")}; body: ${exchange.body.slice(0, 400)}`];
  }
}

/** `#/components/...` refers to the document, which is registered as `openapi.json`. */
function rewriteRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rewriteRefs);
  if (schema === null || typeof schema !== "object") return schema;
  return Object.fromEntries(Object.entries(schema).map(([key, value]) =>
    [key, key === "$ref" && typeof value === "string" && value.startsWith("#/components/") ? `openapi.json${value}` : rewriteRefs(value)]));
}

/** Routes a test installs itself (see the module comment); not the service's. */
const TEST_PROBES = /\/agents\/(?:echo-body|boom)$/;

const checkers = new Map<string, ContractChecker>();

/** The checker of a prefix (the document is built once per prefix per test process). */
export function contractChecker(apiPrefix = "/api"): ContractChecker {
  let checker = checkers.get(apiPrefix);
  if (!checker) checkers.set(apiPrefix, (checker = new ContractChecker(apiPrefix).warm()));
  return checker;
}

/** Origins of the running services, with their API prefix. */
const origins = new Map<string, string>();
let installed = false;

/** Checks every `fetch` answer from `url`'s origin until {@link forgetContractOrigin}. */
export function checkContractOf(url: string, apiPrefix = "/api"): void {
  installFetchCheck();
  contractChecker(apiPrefix);
  origins.set(new URL(url).origin, apiPrefix);
}

export function forgetContractOrigin(url: string): void {
  origins.delete(new URL(url).origin);
}

function installFetchCheck(): void {
  if (installed) return;
  installed = true;
  const original = globalThis.fetch;
  const checked = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const response = await original(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const prefix = origins.get(url.origin);
    if (prefix === undefined) return response;
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const body = response.body ? await response.clone().text() : "";
    const problems = contractChecker(prefix).check({ method, path: url.pathname + url.search, status: response.status, headers: response.headers, body });
    if (problems.length > 0) {
      await response.body?.cancel().catch(() => {});
      throw new ContractViolation(`the answer does not match the OpenAPI document:\n  ${problems.join("\n  ")}`);
    }
    return response;
  };
  globalThis.fetch = Object.assign(checked, { preconnect: (original as { preconnect?: unknown }).preconnect }) as typeof fetch;
}
