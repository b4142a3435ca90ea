/**
 * A small structured logger: one JSON object per line on stderr.
 *
 * Secrets never reach a log line: a field whose name is one of the secret
 * field names below is replaced whole (by name, never by substring, so
 * `inputTokens` or `tokenCacheSize` stay readable), the values the process
 * was told are secret (the LiteLLM master key, the JWT secrets) are masked
 * wherever they appear, and anything shaped like a JWT or a `sk-` key inside
 * a logged string is masked as a last line of defence.
 *
 * A line's own fields (`time`, `level`, `msg`) always describe the line: a
 * logged field of the same name is kept beside them as `field.<name>`.
 *
 * Kept our own rather than LogTape: what we need is a level, JSON lines and
 * the redaction above, with loggers injected per component and per test;
 * LogTape's configuration is process-global (`configure()` once), its
 * redaction package matches field names by pattern (`/token/i` among its
 * defaults, the bug this file had), and we would still write the JSON
 * formatter and the value masking ourselves.
 *
 * @module
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
  /** Whether a line at `level` would be written: callers skip building costly fields when not. */
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where a finished line goes. Default: stderr. Tests pass a collector. */
  write?: (line: string) => void;
  /** Clock for the `time` field, in ms. */
  now?: () => number;
  /** Values masked wherever they appear (the master key, the JWT secrets); shorter than 8 characters are ignored. */
  secrets?: readonly string[];
}

/**
 * Field names whose values are credentials, compared without case, `-`,
 * `_` or `.` (`x-api-key`, `apiKey` and `API_KEY` are one name). An exact
 * list: a name merely containing "token" (`inputTokens`) is not a secret.
 */
export const SECRET_FIELD_NAMES: ReadonlySet<string> = new Set([
  "authorization", "proxyauthorization", "cookie", "setcookie",
  "password", "passwd", "passphrase", "secret", "secrets", "clientsecret", "jwtsecret",
  "token", "accesstoken", "refreshtoken", "idtoken", "authtoken", "bearertoken", "sessiontoken", "csrftoken", "jwt",
  "apikey", "xapikey", "masterkey", "litellmmasterkey", "privatekey", "credentials", "credential",
  "otelexporterotlpheaders",
]);

/** Whether a field of this name is replaced whole. */
export function isSecretFieldName(name: string): boolean {
  return SECRET_FIELD_NAMES.has(name.toLowerCase().replace(/[-_.\s]/g, ""));
}

/** The fields every line has; a logged field of the same name becomes `field.<name>`. */
const OWN_FIELDS: ReadonlySet<string> = new Set(["time", "level", "msg"]);

// Three base64url segments starting with a JSON-object header ("eyJ"), and LiteLLM-style keys.
const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const SK_KEY = /\bsk-[A-Za-z0-9_-]{4,}/g;
const ACCESS_TOKEN_PARAM = /([?&]access-token=)[^&\s#"]*/gi;

/** Masks anything in `text` that looks like a token or key. */
export function redact(text: string): string {
  return text
    .replace(ACCESS_TOKEN_PARAM, "$1[redacted]")
    .replace(JWT_LIKE, "[redacted-jwt]")
    .replace(SK_KEY, "sk-[redacted]");
}

/** Creates a logger that drops lines below `level`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? ((line: string) => console.error(line));
  const now = options.now ?? Date.now;
  const secrets = (options.secrets ?? []).filter((value) => value.length >= 8);

  const mask = (text: string): string => {
    let masked = text;
    for (const secret of secrets) if (masked.includes(secret)) masked = masked.split(secret).join("[redacted]");
    return redact(masked);
  };
  const clean = (value: unknown, depth: number): unknown => {
    if (typeof value === "string") return mask(value);
    if (value instanceof Error) {
      return { name: value.name, message: mask(value.message), stack: value.stack ? mask(value.stack) : undefined };
    }
    if (value === null || typeof value !== "object" || depth > 4) return value;
    if (Array.isArray(value)) return value.map((item) => clean(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = isSecretFieldName(key) && inner !== undefined ? "[redacted]" : clean(inner, depth + 1);
    }
    return out;
  };

  const make = (bound: LogFields): Logger => {
    const emit = (level: LogLevel, message: string, fields?: LogFields) => {
      if (LOG_LEVELS.indexOf(level) < threshold) return;
      const record: LogFields = { time: new Date(now()).toISOString(), level, msg: mask(message) };
      const cleaned = clean(fields ? { ...bound, ...fields } : bound, 0) as LogFields;
      for (const key of Object.keys(cleaned)) record[OWN_FIELDS.has(key) ? `field.${key}` : key] = cleaned[key];
      write(JSON.stringify(record));
    };
    return {
      debug: (message, fields) => emit("debug", message, fields),
      info: (message, fields) => emit("info", message, fields),
      warn: (message, fields) => emit("warn", message, fields),
      error: (message, fields) => emit("error", message, fields),
      child: (fields) => make({ ...bound, ...fields }),
      enabled: (level) => LOG_LEVELS.indexOf(level) >= threshold,
    };
  };
  return make({});
}

/** A logger that writes nothing, for tests that do not look at logs. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
  enabled: () => false,
};
