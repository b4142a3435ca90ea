/**
 * The operator catalog: every operator type an agent could place in a
 * workflow, with its description, its input and output ports, and the JSON
 * Schema its properties must satisfy.
 *
 * A catalog comes from a file (the bundled `operator-catalog.json`, or
 * `OPERATOR_CATALOG_PATH`) or from a Texera dashboard's
 * `GET /api/resources/operator-metadata`. Both accept two shapes:
 *
 * - ours: `{ "operators": [{ "type", "displayName", "group", "description",
 *   "inputPorts": [{ "displayName", "allowMultiLinks" }], "outputPorts": [...],
 *   "propertiesSchema": { JSON Schema } }] }`;
 * - Texera's `OperatorMetadata`: `{ "operators": [{ "operatorType",
 *   "jsonSchema", "operatorVersion", "additionalMetadata": { "userFriendlyName",
 *   "operatorGroupName", "operatorDescription", "inputPorts", "outputPorts" } }],
 *   "groups": [...] }`, so a dump of the dashboard's answer is a valid file.
 *
 * Everything is checked when the catalog is built, schemas included (each is
 * compiled once, here), so a bad catalog stops the start with a
 * {@link CatalogError} that names the source, the entry and the problem.
 *
 * @example
 * ```ts
 * import { CatalogError, loadOperatorCatalog } from "./catalog.ts";
 *
 * try {
 *   const catalog = await loadOperatorCatalog({ path: process.env.OPERATOR_CATALOG_PATH });
 *   console.log(catalog.types().length, "operator types");
 *   console.log(catalog.validateProperties("Limit", { limit: 10 })); // []
 * } catch (error) {
 *   if (error instanceof CatalogError) { console.error(error.message); process.exit(1); }
 *   throw error;
 * }
 * ```
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { deepFreeze } from "../../deep-freeze.ts";

/** The catalog could not be read, fetched or understood. The message is one line and names the source. */
export class CatalogError extends Error {
  override name = "CatalogError";
}

/** One port of an operator type. */
export interface PortSpec {
  readonly displayName?: string;
  /** Input ports only: whether the port takes more than one link (Union's does). */
  readonly allowMultiLinks?: boolean;
}

/** One operator type of the catalog. */
export interface OperatorType {
  /** The type name the model and Texera use, e.g. `CSVFileScan`. */
  readonly type: string;
  readonly displayName: string;
  readonly group: string;
  readonly description: string;
  readonly inputPorts: readonly PortSpec[];
  readonly outputPorts: readonly PortSpec[];
  /** JSON Schema of the operator's properties object. */
  readonly propertiesSchema: Readonly<Record<string, unknown>>;
  /** Texera's `operatorVersion`, when the source gave one. */
  readonly version?: string;
}

/** One reason a properties object does not satisfy its schema. */
export interface PropertyProblem {
  /** JSON Pointer into the properties (`""` for the object itself). */
  readonly path: string;
  readonly message: string;
}

/** The bundled default catalog: the reference's default allowed operator types. */
export const DEFAULT_CATALOG_PATH: string = fileURLToPath(new URL("./operator-catalog.json", import.meta.url));

/** Texera's operator-metadata endpoint, relative to the dashboard service's base URL. */
export const OPERATOR_METADATA_PATH = "api/resources/operator-metadata";

const MAX_PORTS = 16;
const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;

/** A checked, immutable set of operator types with their compiled property validators. */
export class OperatorCatalog {
  /** Where the catalog came from (a path or a URL), for messages. */
  readonly source: string;
  readonly #types: ReadonlyMap<string, OperatorType>;
  readonly #validators: ReadonlyMap<string, ValidateFunction>;

  private constructor(source: string, types: Map<string, OperatorType>, validators: Map<string, ValidateFunction>) {
    this.source = source;
    this.#types = types;
    this.#validators = validators;
  }

  /**
   * Builds a catalog from parsed JSON in either accepted shape.
   *
   * @throws {CatalogError} When the shape is wrong, a type repeats, or a schema does not compile.
   */
  static fromJson(json: unknown, source: string): OperatorCatalog {
    const fail = (message: string): never => {
      throw new CatalogError(`operator catalog ${source}: ${message}`);
    };
    if (!isObject(json) || !Array.isArray(json.operators)) fail('expected an object with an "operators" array');
    const entries = (json as { operators: unknown[] }).operators;
    if (entries.length === 0) fail('"operators" is empty');

    // One Ajv per catalog: schemas from different sources never share ids.
    // strict: false because Texera's schemas carry UI keywords (autofill,
    // propertyOrder, attributeTypeRules, ...) that are not JSON Schema.
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false });
    const types = new Map<string, OperatorType>();
    const validators = new Map<string, ValidateFunction>();
    entries.forEach((entry, index) => {
      const where = (label?: string) => `operators[${index}]${label ? ` (${label})` : ""}`;
      if (!isObject(entry)) return fail(`${where()}: expected an object`);
      const texera = "operatorType" in entry;
      const label = texera ? entry.operatorType : entry.type;
      const failHere: Fail = (message) => fail(`${where(typeof label === "string" ? label : undefined)}: ${message}`);
      const operator = texera ? fromTexera(entry, failHere) : fromNative(entry, failHere);
      if (types.has(operator.type)) fail(`${where(operator.type)}: the type "${operator.type}" appears twice`);
      let validate: ValidateFunction;
      try {
        validate = ajv.compile(operator.propertiesSchema);
      } catch (error) {
        return fail(`${where(operator.type)}: its properties schema is not a valid JSON Schema: ${oneLine(error)}`);
      }
      // Frozen after compiling: every agent shares these objects, and the route serves them.
      types.set(operator.type, deepFreeze(operator));
      validators.set(operator.type, validate);
    });
    return new OperatorCatalog(source, types, validators);
  }

  get size(): number {
    return this.#types.size;
  }

  has(type: string): boolean {
    return this.#types.has(type);
  }

  get(type: string): OperatorType | undefined {
    return this.#types.get(type);
  }

  /** Every type name, in catalog order. */
  types(): string[] {
    return [...this.#types.keys()];
  }

  /** Every operator type, in catalog order. */
  all(): OperatorType[] {
    return [...this.#types.values()];
  }

  /** The operator types of `allowed` that the catalog has, in the order of `allowed` (duplicates dropped). */
  allowed(allowed: readonly string[]): OperatorType[] {
    const out: OperatorType[] = [];
    for (const type of new Set(allowed)) {
      const operator = this.#types.get(type);
      if (operator) out.push(operator);
    }
    return out;
  }

  /** Names in `types` the catalog does not have (e.g. allowed types a deployment's catalog lacks). */
  missing(types: readonly string[]): string[] {
    return types.filter((type) => !this.#types.has(type));
  }

  /**
   * Checks `properties` against the type's schema with the validator compiled
   * when the catalog was built. Returns every problem; `[]` means valid.
   *
   * @throws {RangeError} For a type the catalog does not have (callers check first).
   */
  validateProperties(type: string, properties: unknown): PropertyProblem[] {
    const validate = this.#validators.get(type);
    if (!validate) throw new RangeError(`no operator type "${type}" in the catalog`);
    if (validate(properties)) return [];
    return (validate.errors ?? []).map(describeAjvError);
  }
}

/** Reads a catalog file (either shape). */
export async function loadCatalogFile(path: string): Promise<OperatorCatalog> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a directory" : oneLine(error);
    throw new CatalogError(`operator catalog ${path}: cannot read it: ${why}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CatalogError(`operator catalog ${path}: not valid JSON: ${oneLine(error)}`);
  }
  return OperatorCatalog.fromJson(json, path);
}

/** The bundled default catalog. */
export function loadDefaultCatalog(): Promise<OperatorCatalog> {
  return loadCatalogFile(DEFAULT_CATALOG_PATH);
}

export interface FetchCatalogOptions {
  /** Bound on the whole request. Default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * Fetches Texera's operator metadata from a dashboard service and builds a
 * catalog from it. `dashboardUrl` is the service's base URL (e.g.
 * `http://dashboard:8080`), to which `/api/resources/operator-metadata` is
 * added, or that endpoint's full URL. The endpoint needs no credentials and
 * none are sent.
 *
 * @throws {CatalogError} When the URL is bad, the request fails or times out,
 *   the answer is not 200 JSON, or the metadata is not a valid catalog.
 */
export async function fetchCatalog(
  dashboardUrl: string,
  fetchFn: typeof fetch = fetch,
  options: FetchCatalogOptions = {},
): Promise<OperatorCatalog> {
  const url = operatorMetadataUrl(dashboardUrl);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let response: Response;
  try {
    response = await fetchFn(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw new CatalogError(`operator catalog ${url}: ${timedOut ? `no answer within ${timeoutMs} ms` : `request failed: ${oneLine(error)}`}`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new CatalogError(`operator catalog ${url}: the dashboard answered HTTP ${response.status}`);
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch (error) {
    throw new CatalogError(`operator catalog ${url}: the answer is not valid JSON: ${oneLine(error)}`);
  }
  return OperatorCatalog.fromJson(json, url);
}

/** Where the catalog comes from: a file, a Texera dashboard, or (neither) the bundled default. */
export interface CatalogSource {
  /** `OPERATOR_CATALOG_PATH`. */
  readonly path?: string | undefined;
  /** A Texera dashboard service's base URL (or its operator-metadata endpoint). */
  readonly dashboardUrl?: string | undefined;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

/**
 * Loads the catalog the deployment asked for: a file, a dashboard, or the
 * bundled default. Asking for both a file and a dashboard is an error.
 */
export function loadOperatorCatalog(source: CatalogSource = {}): Promise<OperatorCatalog> {
  if (source.path && source.dashboardUrl) {
    return Promise.reject(new CatalogError("operator catalog: give a catalog file or a dashboard URL, not both"));
  }
  if (source.path) return loadCatalogFile(source.path);
  if (source.dashboardUrl) {
    return fetchCatalog(source.dashboardUrl, source.fetch ?? fetch, source.timeoutMs === undefined ? {} : { timeoutMs: source.timeoutMs });
  }
  return loadDefaultCatalog();
}

/** The operator-metadata endpoint for a dashboard base URL (kept as is when it already is the endpoint). */
export function operatorMetadataUrl(dashboardUrl: string): string {
  let base: URL;
  try {
    base = new URL(dashboardUrl);
  } catch {
    throw new CatalogError(`operator catalog: "${dashboardUrl.slice(0, 200)}" is not a URL`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new CatalogError(`operator catalog: "${base.origin}" must be an http(s) URL`);
  }
  if (base.username || base.password) throw new CatalogError("operator catalog: the dashboard URL must not contain credentials");
  if (/\/operator-metadata\/?$/.test(base.pathname)) return base.href;
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  return new URL(OPERATOR_METADATA_PATH, base).href;
}

// ---------------------------------------------------------------------------
// Entry shapes
// ---------------------------------------------------------------------------

type Fail = (message: string) => never;

function fromNative(entry: Record<string, unknown>, fail: Fail): OperatorType {
  const type = typeName(entry.type, fail);
  const description = optionalString(entry.description, "description", fail) ?? fail('"description" is required');
  if (description.trim() === "") fail('"description" must not be empty');
  return {
    type,
    displayName: optionalString(entry.displayName, "displayName", fail) ?? type,
    group: optionalString(entry.group, "group", fail) ?? "",
    description,
    inputPorts: ports(entry.inputPorts, "inputPorts", true, fail),
    outputPorts: ports(entry.outputPorts, "outputPorts", false, fail),
    propertiesSchema: schema(entry.propertiesSchema, "propertiesSchema", fail),
    ...(typeof entry.version === "string" ? { version: entry.version } : {}),
  };
}

/** Texera's `OperatorSchema` (`additionalMetadata.inputPorts` since the port-list metadata; older `numInputPorts` too). */
function fromTexera(entry: Record<string, unknown>, fail: Fail): OperatorType {
  const type = typeName(entry.operatorType, fail);
  const meta = entry.additionalMetadata;
  if (!isObject(meta)) return fail('"additionalMetadata" must be an object');
  const portsOf = (key: "inputPorts" | "outputPorts", countKey: "numInputPorts" | "numOutputPorts") => {
    if (meta[key] !== undefined) return ports(meta[key], `additionalMetadata.${key}`, key === "inputPorts", fail);
    const count = meta[countKey];
    if (typeof count === "number" && Number.isInteger(count) && count >= 0 && count <= MAX_PORTS) return Array.from({ length: count }, () => ({}));
    return fail(`"additionalMetadata.${key}" must be an array`);
  };
  return {
    type,
    displayName: optionalString(meta.userFriendlyName, "additionalMetadata.userFriendlyName", fail) ?? type,
    group: optionalString(meta.operatorGroupName, "additionalMetadata.operatorGroupName", fail) ?? "",
    description: optionalString(meta.operatorDescription, "additionalMetadata.operatorDescription", fail) ?? "",
    inputPorts: portsOf("inputPorts", "numInputPorts"),
    outputPorts: portsOf("outputPorts", "numOutputPorts"),
    propertiesSchema: standalone(schema(entry.jsonSchema, "jsonSchema", fail)),
    ...(typeof entry.operatorVersion === "string" ? { version: entry.operatorVersion } : {}),
  };
}

function typeName(value: unknown, fail: Fail): string {
  if (typeof value !== "string" || !TYPE_NAME.test(value)) {
    return fail("the type name must be a string of letters, digits, '_', '.' or '-' starting with a letter (at most 100)");
  }
  return value;
}

function optionalString(value: unknown, label: string, fail: Fail): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") return fail(`"${label}" must be a string`);
  return value;
}

function ports(value: unknown, label: string, input: boolean, fail: Fail): PortSpec[] {
  if (!Array.isArray(value)) return fail(`"${label}" must be an array`);
  if (value.length > MAX_PORTS) fail(`"${label}" has more than ${MAX_PORTS} ports`);
  return value.map((port, index) => {
    if (!isObject(port)) return fail(`"${label}[${index}]" must be an object`);
    const displayName = optionalString(port.displayName, `${label}[${index}].displayName`, fail);
    // Texera has spelled "takes several links" three ways over time.
    const multi = port.allowMultiLinks === true || port.allowMultiInputs === true || port.disallowMultiLinks === false ||
      port.disallowMultiInputs === false;
    return {
      ...(displayName ? { displayName } : {}),
      ...(input && multi ? { allowMultiLinks: true } : {}),
    };
  });
}

function schema(value: unknown, label: string, fail: Fail): Record<string, unknown> {
  if (!isObject(value)) return fail(`"${label}" must be a JSON Schema object`);
  if (value.type !== undefined && value.type !== "object") fail(`"${label}" must describe an object (its "type" is ${JSON.stringify(value.type)})`);
  return value;
}

/**
 * A Texera schema made standalone: its `$schema` (draft-04 URIs Ajv does not
 * load) and `id`/`$id` (URNs several schemas could share) are dropped; its
 * local `#/definitions/...` references keep working.
 */
function standalone(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _schema, $id: _dollarId, id: _id, ...rest } = schema;
  return rest;
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function describeAjvError(error: ErrorObject): PropertyProblem {
  const params = error.params as Record<string, unknown>;
  const path = error.instancePath;
  switch (error.keyword) {
    case "required":
      return { path, message: `missing required property "${String(params.missingProperty)}"` };
    case "additionalProperties":
      return { path, message: `unknown property "${String(params.additionalProperty)}"` };
    case "enum":
      return { path, message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "const":
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      return { path, message: error.message ?? `fails "${error.keyword}"` };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, " ").trim().slice(0, 300);
}
