/**
 * A small structured logger: one JSON object per line on stderr.
 *
 * Secrets never reach a log line: fields whose names look like credentials
 * are replaced, and anything that looks like a JWT or a `sk-` key inside a
 * logged string is masked as a last line of defence.
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
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where a finished line goes. Default: stderr. Tests pass a collector. */
  write?: (line: string) => void;
  /** Clock for the `time` field, in ms. */
  now?: () => number;
}

const SECRET_FIELD = /token|secret|authorization|password|cookie|master.?key|api.?key/i;
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

function clean(value: unknown, depth: number): unknown {
  if (typeof value === "string") return redact(value);
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message), stack: value.stack ? redact(value.stack) : undefined };
  }
  if (value === null || typeof value !== "object" || depth > 4) return value;
  if (Array.isArray(value)) return value.map((item) => clean(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) && inner !== undefined ? "[redacted]" : clean(inner, depth + 1);
  }
  return out;
}

/** Creates a logger that drops lines below `level`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? ((line: string) => console.error(line));
  const now = options.now ?? Date.now;

  const make = (bound: LogFields): Logger => {
    const emit = (level: LogLevel, message: string, fields?: LogFields) => {
      if (LOG_LEVELS.indexOf(level) < threshold) return;
      const record = clean({ ...bound, ...fields }, 0) as LogFields;
      write(JSON.stringify({ time: new Date(now()).toISOString(), level, msg: redact(message), ...record }));
    };
    return {
      debug: (message, fields) => emit("debug", message, fields),
      info: (message, fields) => emit("info", message, fields),
      warn: (message, fields) => emit("warn", message, fields),
      error: (message, fields) => emit("error", message, fields),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make({});
}

/** A logger that writes nothing, for tests that do not look at logs. */
export const silentLogger: Logger = createLogger({ write: () => {} });
