/**
 * The service's configuration: read once at start, from the environment that
 * `main` passes in (and, for the JWT secret, an `auth.conf` file), into one
 * deeply frozen {@link Config} that is passed down. Nothing else in the
 * service reads the environment.
 *
 * Every invalid value is refused with a {@link ConfigError} whose one-line
 * message names the variable (or file) and what is wrong. Secret values never
 * appear in an error, a warning, {@link describeConfig}'s banner, or the
 * JSON/inspect form of the config.
 *
 * The JWT secret is resolved the way the reference service (Apache Texera,
 * `AuthConfig.scala`) does, so both verify the same tokens:
 * `AUTH_JWT_SECRET`, else `auth.jwt.256-bit-secret` of the first `auth.conf`
 * found (`AUTH_CONF_PATH`, `./auth.conf`,
 * `../common/config/src/main/resources/auth.conf`), else the reference's
 * public built-in default; then lower-cased.
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { ConfigError, describeConfig, loadConfig } from "./config.ts";
 *
 * try {
 *   const config = loadConfig(process.env);
 *   console.log(describeConfig(config));
 *   for (const warning of config.warnings) console.warn(warning);
 * } catch (error) {
 *   if (error instanceof ConfigError) { console.error(error.message); process.exit(1); }
 *   throw error;
 * }
 * ```
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join, normalize } from "node:path";
import { cwd as processCwd } from "node:process";
import { HoconError, type HoconObject, type HoconValue, parseHocon } from "./hocon.ts";
import { describeDatabase, parseStoreConfig, type StoreConfig } from "./config/agent-store.ts";
import { type Limits, parseLimits } from "./config/limits.ts";
import { describeUsageLimits, parseUsageLimits, type UsageLimitsConfig } from "./config/usage-limits.ts";
import { type ObservabilityConfig, parseObservabilityConfig } from "./config/observability.ts";
import { parseSocketConfig, type SocketConfig } from "./config/sockets.ts";
import { deepFreeze } from "./deep-freeze.ts";

export { parseHocon } from "./hocon.ts";

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/** A configuration value is missing, malformed or unsafe. The message is one line and names the variable or file. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Deployment kind, from `AGENT_ENV`. `production` turns some warnings into errors. */
export type AgentEnv = "development" | "production";

/** What the process serves. */
export type ServiceMode = "all" | "authorize";

/** Log threshold, from `LOG_LEVEL` (or the reference's `TEXERA_SERVICE_LOG_LEVEL`). */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * Where the current JWT secret came from: the `AUTH_JWT_SECRET` variable, an
 * `auth.conf` file (its resolved path), or the reference's public built-in
 * default.
 */
export type JwtSecretSource = "AUTH_JWT_SECRET" | { readonly authConf: string } | "built-in default";

/** Where the public default JWT secret is among the accepted keys: see `Config.auth.publicDefaultSecret`. */
export type PublicDefaultSecret = "current" | "previous" | "none";

/** The service's whole configuration. Deeply frozen; build it with {@link loadConfig}. */
export interface Config {
  /** `AGENT_ENV`. */
  readonly env: AgentEnv;
  /** `SERVICE_MODE`: `all` (default) serves everything; `authorize` serves only the gateway check and the healthcheck, so a platform can scale the check separately. */
  readonly mode: ServiceMode;
  /** The HTTP listener. */
  readonly server: {
    /** `HOST`: interface to listen on. */
    readonly host: string;
    /** `PORT`: 0..65535 (0 = any free port). */
    readonly port: number;
    /** `API_PREFIX`: starts with "/", never ends with "/". */
    readonly apiPrefix: string;
    /** `MAX_BODY_BYTES`: largest request body (and WebSocket frame) accepted. */
    readonly maxBodyBytes: number;
    /** `SHUTDOWN_GRACE_SECONDS` (10), in ms: how long running turns may finish after SIGTERM before they are stopped. */
    readonly shutdownGraceMs: number;
  };
  /** The dataflow copilot's operator catalog: a file, a Texera dashboard, or (neither) the bundled default. */
  readonly copilot: {
    /** `OPERATOR_CATALOG_PATH`, resolved. */
    readonly catalogPath?: string;
    /** `OPERATOR_CATALOG_URL`: a Texera dashboard service (or its /api/resources/operator-metadata endpoint). */
    readonly catalogUrl?: string;
  };
  /** Agent persistence: see config/agent-store.ts. */
  readonly agents: StoreConfig;
  /** What one user may take: see config/limits.ts. */
  readonly limits: Limits;
  /** The platform's daily limits per user: see config/usage-limits.ts. */
  readonly usage: UsageLimitsConfig;
  /** The `/react` sockets' liveness and buffer bounds: see config/sockets.ts. */
  readonly sockets: SocketConfig;
  /** The LiteLLM proxy the agents talk to. */
  readonly litellm: {
    /** `LITELLM_BASE_URL`: an http(s) URL without credentials, query, fragment or trailing "/". */
    readonly baseUrl: string;
    /** `LITELLM_MASTER_KEY`; absent when the variable is unset or empty. Secret. */
    readonly masterKey?: string;
    /** `LITELLM_TIMEOUT_SECONDS` (600), in ms: bound on one whole call, stream included. */
    readonly requestTimeoutMs: number;
    /** `LITELLM_FIRST_TOKEN_TIMEOUT_SECONDS` (60), in ms: bound from a chat request to its first token. */
    readonly firstTokenTimeoutMs: number;
    /** `LITELLM_MODELS_CACHE_SECONDS` (60), in ms: how long the model list is served from memory. */
    readonly modelCacheTtlMs: number;
    /** `LITELLM_MAX_RETRIES` (0): 0 or 1, since LiteLLM already retries and falls back. */
    readonly maxRetries: number;
  };
  /** JWT verification. */
  readonly auth: {
    /** HS256 keys, lower-cased, current first, then `AUTH_JWT_PREVIOUS_SECRETS` (deduplicated). Secret. */
    readonly secrets: readonly string[];
    /** Where the current secret came from. */
    readonly secretSource: JwtSecretSource;
    /**
     * Where the reference's public default secret is among the keys:
     * `"current"` (tokens are signed with it: anyone could mint them, and the
     * playground may too), `"previous"` (only still accepted, while rotating
     * away from it: anyone can still mint tokens this service accepts, but it
     * must never sign with the new, private secret on anyone's behalf), or
     * `"none"`.
     */
    readonly publicDefaultSecret: PublicDefaultSecret;
    /** Leeway for `exp`/`nbf`, in seconds (the reference's 30). */
    readonly clockSkewSeconds: number;
    /** `TOKEN_CACHE_SIZE`: verified-token cache entries; 0 disables the cache. */
    readonly tokenCacheSize: number;
  };
  /** Logging. */
  readonly log: {
    /** Lowest level written. */
    readonly level: LogLevel;
  };
  /** Metrics, traces and the access log: see config/observability.ts. */
  readonly observability: ObservabilityConfig;
  /** Things that work but should be fixed, one line each, for the start banner. Never contain a secret. */
  readonly warnings: readonly string[];
}

/** File access for {@link loadConfig}; tests pass fakes. */
export interface ConfigIo {
  /** The file's UTF-8 text, or `undefined` when it does not exist. May throw on other errors. */
  readFile(path: string): string | undefined;
  /** Directory that relative paths (`AUTH_CONF_PATH`, the `auth.conf` search) are resolved against. */
  readonly cwd: string;
}

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

/** The reference service's built-in secret: published in its repository, so it protects nothing. */
const PUBLIC_DEFAULT_JWT_SECRET = "8a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d";
/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output. */
const MIN_SECRET_BYTES = 32;
/** The HOCON path of the JWT secret in the reference's auth.conf. */
const AUTH_CONF_SECRET_PATH = ["auth", "jwt", "256-bit-secret"] as const;
/** The auth.conf files looked at after AUTH_CONF_PATH, in order, relative to the working directory. */
const AUTH_CONF_CANDIDATES = ["auth.conf", "../common/config/src/main/resources/auth.conf"] as const;
const CLOCK_SKEW_SECONDS = 30;
const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const AGENT_ENVS: readonly AgentEnv[] = ["development", "production"];
const SERVICE_MODES: readonly ServiceMode[] = ["all", "authorize"];

const DEFAULTS = {
  PORT: 3001,
  HOST: "0.0.0.0",
  API_PREFIX: "/api",
  LITELLM_BASE_URL: "http://localhost:4000",
  LOG_LEVEL: "info" as LogLevel,
  AGENT_ENV: "development" as AgentEnv,
  MAX_BODY_BYTES: 1_048_576,
  TOKEN_CACHE_SIZE: 10_000,
  LITELLM_TIMEOUT_SECONDS: 600,
  LITELLM_FIRST_TOKEN_TIMEOUT_SECONDS: 60,
  LITELLM_MODELS_CACHE_SECONDS: 60,
  LITELLM_MAX_RETRIES: 0,
} as const;

// ---------------------------------------------------------------------------
// loadConfig
// ---------------------------------------------------------------------------

/**
 * Builds the configuration from `env` (normally `process.env`, passed in by
 * `main`; this function never reads `process.env` itself). An empty variable
 * counts as unset.
 *
 * @param env The environment variables.
 * @param io File access and working directory; defaults to `node:fs` and `process.cwd()`.
 * @returns A deeply frozen {@link Config}.
 * @throws {ConfigError} When a value is invalid, an `auth.conf` is missing
 *   (`AUTH_CONF_PATH`) or malformed, a JWT secret is shorter than 32 bytes, or
 *   `AGENT_ENV=production` and the JWT secret is the public default.
 */
export function loadConfig(env: Record<string, string | undefined>, io?: ConfigIo): Config {
  const files: ConfigIo = io ?? { readFile: readFileIfExists, cwd: processCwd() };
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === "" ? undefined : value;
  };
  const warnings: string[] = [];

  const agentEnv = parseChoice("AGENT_ENV", get("AGENT_ENV"), AGENT_ENVS, DEFAULTS.AGENT_ENV);
  const mode = parseChoice("SERVICE_MODE", get("SERVICE_MODE"), SERVICE_MODES, "all");

  const port = parseInteger("PORT", get("PORT"), DEFAULTS.PORT, 0, 65_535, "an integer between 0 and 65535");
  const host = parseHost(get("HOST"));
  const apiPrefix = parseApiPrefix(get("API_PREFIX"));
  const maxBodyBytes = parseInteger(
    "MAX_BODY_BYTES",
    get("MAX_BODY_BYTES"),
    DEFAULTS.MAX_BODY_BYTES,
    1,
    Number.MAX_SAFE_INTEGER,
    "a positive integer",
  );
  const tokenCacheSize = parseInteger(
    "TOKEN_CACHE_SIZE",
    get("TOKEN_CACHE_SIZE"),
    DEFAULTS.TOKEN_CACHE_SIZE,
    0,
    Number.MAX_SAFE_INTEGER,
    "a non-negative integer (0 disables the cache)",
  );

  const baseUrl = parseBaseUrl(get("LITELLM_BASE_URL"));
  const masterKey = get("LITELLM_MASTER_KEY");
  if (masterKey === undefined) {
    warnings.push(
      `LITELLM_MASTER_KEY is not set: requests to LiteLLM at ${baseUrl} carry no API key (set it unless that proxy needs none).`,
    );
  }

  const seconds = (name: "LITELLM_TIMEOUT_SECONDS" | "LITELLM_FIRST_TOKEN_TIMEOUT_SECONDS" | "LITELLM_MODELS_CACHE_SECONDS", min: number) =>
    parseInteger(name, get(name), DEFAULTS[name], min, 86_400, `an integer number of seconds between ${min} and 86400`) * 1000;
  const litellmTimings = {
    requestTimeoutMs: seconds("LITELLM_TIMEOUT_SECONDS", 1),
    firstTokenTimeoutMs: seconds("LITELLM_FIRST_TOKEN_TIMEOUT_SECONDS", 1),
    modelCacheTtlMs: seconds("LITELLM_MODELS_CACHE_SECONDS", 0),
    maxRetries: parseInteger("LITELLM_MAX_RETRIES", get("LITELLM_MAX_RETRIES"), DEFAULTS.LITELLM_MAX_RETRIES, 0, 1, "0 or 1 (LiteLLM already retries)"),
  };

  const logLevelVariable = get("LOG_LEVEL") !== undefined ? "LOG_LEVEL" : "TEXERA_SERVICE_LOG_LEVEL";
  const logLevel = parseChoice(logLevelVariable, get(logLevelVariable), LOG_LEVELS, DEFAULTS.LOG_LEVEL);

  const auth = resolveJwtSecrets(get, files, agentEnv, warnings);
  const storeConfig = parseStoreConfig(get, files.cwd);
  if (typeof storeConfig === "string") throw new ConfigError(storeConfig);
  const limits = parseLimits(get);
  if (typeof limits === "string") throw new ConfigError(limits);
  const usageLimits = parseUsageLimits(get);
  if (typeof usageLimits === "string") throw new ConfigError(usageLimits);
  const observability = parseObservabilityConfig(get, host);
  if (typeof observability === "string") throw new ConfigError(observability);
  const sockets = parseSocketConfig(get);
  if (typeof sockets === "string") throw new ConfigError(sockets);

  const config: Config = {
    env: agentEnv,
    mode,
    server: {
      host,
      port,
      apiPrefix,
      maxBodyBytes,
      shutdownGraceMs:
        parseInteger("SHUTDOWN_GRACE_SECONDS", get("SHUTDOWN_GRACE_SECONDS"), 10, 0, 3600, "an integer number of seconds between 0 and 3600") * 1000,
    },
    agents: storeConfig,
    limits,
    usage: usageLimits,
    sockets,
    copilot: parseCatalogSource(get("OPERATOR_CATALOG_PATH"), get("OPERATOR_CATALOG_URL"), files.cwd),
    litellm: masterKey === undefined ? { baseUrl, ...litellmTimings } : { baseUrl, masterKey, ...litellmTimings },
    auth: {
      secrets: auth.secrets,
      secretSource: auth.source,
      publicDefaultSecret: auth.publicDefault,
      clockSkewSeconds: CLOCK_SKEW_SECONDS,
      tokenCacheSize,
    },
    log: { level: logLevel },
    observability,
    warnings,
  };
  hideSecretsFromSerialisation(config.litellm, ["masterKey"]);
  hideSecretsFromSerialisation(config.auth, ["secrets"]);
  if (config.agents.databaseUrl !== undefined) hideSecretsFromSerialisation(config.agents, ["databaseUrl"]);
  if (config.observability.tracing) hideSecretsFromSerialisation(config.observability.tracing, ["headers"]);
  return deepFreeze(config);
}

// ---------------------------------------------------------------------------
// describeConfig
// ---------------------------------------------------------------------------

/**
 * One line for the start banner: listen address, API prefix, LiteLLM URL,
 * whether a master key is set, where the JWT secret came from and how many
 * keys verify tokens, log level and `AGENT_ENV`. Never contains a secret.
 *
 * `boundPort` is the port the server really listens on: with `PORT=0` the
 * configured port says nothing, so the caller passes the one it got.
 */
export function describeConfig(config: Config, boundPort: number = config.server.port): string {
  const { server, litellm, auth } = config;
  const host = server.host.includes(":") && !server.host.startsWith("[") ? `[${server.host}]` : server.host;
  const source = auth.secretSource;
  const sourceText =
    source === "AUTH_JWT_SECRET"
      ? "env AUTH_JWT_SECRET"
      : source === "built-in default"
        ? "built-in default"
        : `auth.conf ${source.authConf}`;
  const keyCount = auth.secrets.length;
  const publicDefault = {
    current: " (PUBLIC DEFAULT, insecure)",
    previous: " (a previous key is the PUBLIC DEFAULT, insecure)",
    none: "",
  }[auth.publicDefaultSecret];
  return [
    `listening on ${host}:${boundPort}`,
    `api prefix ${server.apiPrefix}`,
    `LiteLLM ${litellm.baseUrl}`,
    `master key: ${litellm.masterKey === undefined ? "not set" : "set"}`,
    `JWT secret: ${sourceText}${publicDefault}, ${keyCount} ${keyCount === 1 ? "key" : "keys"}`,
    config.agents.store === "postgres"
      ? `agent store ${describeDatabase(config.agents.databaseUrl!)} schema ${config.agents.databaseSchema}`
      : `agent state ${config.agents.stateDir}`,
    `operator catalog ${config.copilot.catalogPath ?? config.copilot.catalogUrl ?? "built-in"}`,
    ...[describeUsageLimits(config.usage)].filter((part) => part !== undefined),
    `log level ${config.log.level}`,
    ...(config.observability.metrics ? [`metrics on :${config.observability.metrics.port}/metrics`] : []),
    ...(config.observability.tracing ? [`traces to ${new URL(config.observability.tracing.url).host} (${config.observability.tracing.protocol})`] : []),
    `AGENT_ENV ${config.env}`,
    ...(config.mode === "all" ? [] : [`SERVICE_MODE ${config.mode}`]),
  ].join(", ");
}

// ---------------------------------------------------------------------------
// Variable parsing
// ---------------------------------------------------------------------------

/** `(got "…")`, with the value cut short and control characters escaped so the message stays on one line. */
function got(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return `(got ${JSON.stringify(shown)})`;
}

function parseInteger(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  expected: string,
): number {
  if (raw === undefined) return fallback;
  const text = raw.trim();
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be ${expected} ${got(raw)}`);
  }
  return value;
}

function parseCatalogSource(path: string | undefined, url: string | undefined, cwd: string): Config["copilot"] {
  if (path !== undefined && url !== undefined) {
    throw new ConfigError("OPERATOR_CATALOG_PATH and OPERATOR_CATALOG_URL are both set: give one catalog source");
  }
  if (path !== undefined) return { catalogPath: resolvePath(cwd, path) };
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`OPERATOR_CATALOG_URL must be an http(s) URL ${got(url)}`);
    }
    if (!/^https?:$/.test(parsed.protocol) || parsed.username || parsed.password) {
      throw new ConfigError("OPERATOR_CATALOG_URL must be an http(s) URL without credentials");
    }
    return { catalogUrl: url };
  }
  return {};
}

function parseChoice<T extends string>(name: string, raw: string | undefined, choices: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  const value = raw.trim().toLowerCase();
  const match = choices.find((choice) => choice === value);
  if (match === undefined) {
    throw new ConfigError(`${name} must be one of ${choices.join("|")} ${got(raw)}`);
  }
  return match;
}

function parseHost(raw: string | undefined): string {
  if (raw === undefined) return DEFAULTS.HOST;
  const host = raw.trim();
  if (host === "" || /[\s/]/.test(host)) {
    throw new ConfigError(`HOST must be a host name or IP address without spaces or "/" ${got(raw)}`);
  }
  return host;
}

function parseApiPrefix(raw: string | undefined): string {
  if (raw === undefined) return DEFAULTS.API_PREFIX;
  if (!raw.startsWith("/") || raw.endsWith("/")) {
    throw new ConfigError(`API_PREFIX must start with "/" and not end with "/" ${got(raw)}`);
  }
  if (/[\s?#]/.test(raw) || raw.includes("//")) {
    throw new ConfigError(`API_PREFIX must be a plain URL path without spaces, "?", "#" or "//" ${got(raw)}`);
  }
  return raw;
}

function parseBaseUrl(raw: string | undefined): string {
  if (raw === undefined) return DEFAULTS.LITELLM_BASE_URL;
  // A URL with user info carries a credential: never echo it.
  const shown = raw.includes("@") ? "(value not shown: it may contain a credential)" : got(raw);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(`LITELLM_BASE_URL must be an http(s) URL ${shown}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`LITELLM_BASE_URL must be an http(s) URL ${shown}`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new ConfigError(
      "LITELLM_BASE_URL must not contain credentials; put the key in LITELLM_MASTER_KEY (value not shown)",
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new ConfigError(`LITELLM_BASE_URL must not have a query or fragment ${shown}`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

// ---------------------------------------------------------------------------
// JWT secrets
// ---------------------------------------------------------------------------

interface ResolvedSecrets {
  readonly secrets: readonly string[];
  readonly source: JwtSecretSource;
  readonly publicDefault: PublicDefaultSecret;
}

function describeSource(source: JwtSecretSource): string {
  if (source === "AUTH_JWT_SECRET") return "AUTH_JWT_SECRET";
  if (source === "built-in default") return "the built-in default";
  return `auth.jwt.256-bit-secret in ${source.authConf}`;
}

function resolveJwtSecrets(
  get: (name: string) => string | undefined,
  io: ConfigIo,
  agentEnv: AgentEnv,
  warnings: string[],
): ResolvedSecrets {
  let current: string;
  let source: JwtSecretSource;
  const fromEnv = get("AUTH_JWT_SECRET");
  if (fromEnv !== undefined) {
    current = fromEnv;
    source = "AUTH_JWT_SECRET";
  } else {
    const fromFile = readAuthConfSecret(get, io);
    if (fromFile !== undefined) {
      current = fromFile.secret;
      source = { authConf: fromFile.path };
    } else {
      current = PUBLIC_DEFAULT_JWT_SECRET;
      source = "built-in default";
    }
  }

  // The reference lower-cases its key (`.toLowerCase()` in AuthConfig.scala) and
  // signs with those bytes; do the same so its tokens verify here.
  current = current.toLowerCase();
  const sourceText = describeSource(source);
  if (current === "random") {
    throw new ConfigError(
      `${sourceText} is "random": the reference then signs with a per-process random key that no other service can know; set AUTH_JWT_SECRET to the secret shared with the token issuer`,
    );
  }
  checkSecretLength(current, sourceText);

  const previous = (get("AUTH_JWT_PREVIOUS_SECRETS") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry, index) => {
      const secret = entry.toLowerCase();
      checkSecretLength(secret, `AUTH_JWT_PREVIOUS_SECRETS entry #${index + 1}`);
      return secret;
    });
  const secrets = [...new Set([current, ...previous])];

  const currentIsDefault = current === PUBLIC_DEFAULT_JWT_SECRET;
  const previousIsDefault = previous.includes(PUBLIC_DEFAULT_JWT_SECRET);
  if (currentIsDefault || previousIsDefault) {
    const where = currentIsDefault
      ? `the JWT secret (from ${sourceText}) is`
      : "AUTH_JWT_PREVIOUS_SECRETS contains";
    if (agentEnv === "production") {
      // The message starts with the variable to fix.
      const subject = currentIsDefault ? `AUTH_JWT_SECRET: ${where}` : where;
      throw new ConfigError(
        `${subject} the reference service's public default, so anyone can mint tokens; refusing to start with AGENT_ENV=production (set AUTH_JWT_SECRET to a private random value of at least 32 bytes)`,
      );
    }
    warnings.push(
      `SECURITY WARNING: ${where} the reference service's public default secret: anyone can mint tokens; set AUTH_JWT_SECRET to a private random value of at least 32 bytes (this is refused when AGENT_ENV=production).`,
    );
  }

  return { secrets, source, publicDefault: currentIsDefault ? "current" : previousIsDefault ? "previous" : "none" };
}

function checkSecretLength(secret: string, where: string): void {
  const bytes = new TextEncoder().encode(secret).length;
  if (bytes < MIN_SECRET_BYTES) {
    throw new ConfigError(
      `${where} is ${bytes} bytes; an HS256 secret must be at least ${MIN_SECRET_BYTES} bytes (RFC 7518 §3.2): set AUTH_JWT_SECRET to a random value of at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
}

function resolvePath(cwd: string, path: string): string {
  return isAbsolute(path) ? normalize(path) : join(cwd, path);
}

/** Reads `auth.jwt.256-bit-secret` from the first auth.conf found; `undefined` when none exists. */
function readAuthConfSecret(
  get: (name: string) => string | undefined,
  io: ConfigIo,
): { secret: string; path: string } | undefined {
  const explicit = get("AUTH_CONF_PATH");
  const candidates = explicit !== undefined ? [explicit, ...AUTH_CONF_CANDIDATES] : [...AUTH_CONF_CANDIDATES];
  for (const [index, candidate] of candidates.entries()) {
    const path = resolvePath(io.cwd, candidate);
    let text: string | undefined;
    try {
      text = io.readFile(path);
    } catch (error) {
      const variable = explicit !== undefined && index === 0 ? "AUTH_CONF_PATH: " : "";
      throw new ConfigError(`${variable}cannot read auth.conf at ${path}: ${errorSummary(error)}`);
    }
    if (text === undefined) {
      if (explicit !== undefined && index === 0) {
        throw new ConfigError(`AUTH_CONF_PATH points to ${path}, which does not exist`);
      }
      continue;
    }

    let document: HoconObject;
    try {
      // `${?VAR}` substitutions come from the env argument, never process.env.
      document = parseHocon(text, get);
    } catch (error) {
      if (error instanceof HoconError) throw new ConfigError(`auth.conf at ${path} is malformed: ${error.message}`);
      throw error;
    }
    let node: HoconValue | undefined = document;
    for (const key of AUTH_CONF_SECRET_PATH) {
      node = typeof node === "object" ? node[key] : undefined;
    }
    if (typeof node !== "string") {
      throw new ConfigError(
        `auth.conf at ${path} has no string auth.jwt.256-bit-secret${node === undefined ? "" : " (it is an object)"}`,
      );
    }
    return { secret: node, path };
  }
  return undefined;
}

function errorSummary(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? code : error.message.split("\n")[0] ?? error.name;
  }
  return String(error);
}

/** The default `io.readFile`: `node:fs`, `undefined` when the file (or a parent directory) does not exist. */
function readFileIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Freezing and secret hiding
// ---------------------------------------------------------------------------

/**
 * Makes `JSON.stringify`, `util.inspect` (Node) and `console.log` (Deno) show
 * `[redacted]` for the named fields, so logging the config by mistake leaks no
 * secret. The helpers are non-enumerable: they do not change the object's shape.
 */
function hideSecretsFromSerialisation(target: object, fields: readonly string[]): void {
  const redacted = (): Record<string, unknown> => {
    const copy: Record<string, unknown> = { ...target };
    for (const field of fields) if (field in copy) copy[field] = "[redacted]";
    return copy;
  };
  const hidden = { enumerable: false, writable: false, configurable: false } as const;
  Object.defineProperty(target, "toJSON", { ...hidden, value: redacted });
  Object.defineProperty(target, Symbol.for("nodejs.util.inspect.custom"), {
    ...hidden,
    value: (_depth: number, options: unknown, inspect?: (value: unknown, options: unknown) => string) =>
      typeof inspect === "function" ? inspect(redacted(), options) : redacted(),
  });
  Object.defineProperty(target, Symbol.for("Deno.customInspect"), {
    ...hidden,
    value: (inspect: (value: unknown, options: unknown) => string, options: unknown) => inspect(redacted(), options),
  });
}

