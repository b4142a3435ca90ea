/**
 * Mints a development token signed with the service's JWT secret (resolved
 * exactly as the service resolves it: AUTH_JWT_SECRET, auth.conf, default).
 * Only the token goes to stdout, so `$(npm run -s token)` is the token;
 * warnings and errors go to stderr, never as a stack trace.
 *
 *   npm run -s token -- --user 1 --name alice --role ADMIN --hours 8
 *   npm run -s token -- --expired
 *   npx deno task token --user 2
 *
 * `mintTokenCli` is the whole command as a function of its arguments,
 * environment and clock, so tests run it on Node and Deno without a process.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { ALLOWED_ROLES } from "../src/auth.ts";
import { ConfigError, loadConfig } from "../src/config.ts";
import { signJwt } from "../src/jwt.ts";

/** Roles the platform knows. Only ALLOWED_ROLES (REGULAR, ADMIN) are admitted to agents; the others get 403. */
export const KNOWN_ROLES: readonly string[] = ["REGULAR", "ADMIN", "INACTIVE", "RESTRICTED"];

/** How long an `--expired` token has been expired: far past the service's clock skew. */
export const EXPIRED_AGO_SECONDS = 3600;

const MAX_HOURS = 24 * 365;

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

function help(secretSource: string, skewSeconds: number): string {
  return `Mints a development token signed with the JWT secret the service resolves from
the same environment (AUTH_JWT_SECRET, else auth.conf, else the public default).
Only the token is printed on stdout.

Usage: npm run -s token -- [options]
       npx deno task token [options]

Options:
  --user N        userId claim, a positive integer (default 1)
  --name NAME     sub claim, the user's name (default dev)
  --email EMAIL   email claim (default dev@example.com)
  --role ROLE     REGULAR (default) or ADMIN: admitted to agents. INACTIVE and
                  RESTRICTED exist but the service answers them 403. Roles are
                  case-sensitive: "admin" is refused here.
  --hours H       lifetime in hours, more than 0 and at most ${MAX_HOURS} (default 8)
  --expired       a token that expired ${EXPIRED_AGO_SECONDS / 60} minutes ago, to try the 401 path
                  (the service accepts a token up to ${skewSeconds} s past its exp: clock skew)
  -h, --help      this text

The secret in force with this environment: ${secretSource}.

Example:
  curl -H "Authorization: Bearer $(npm run -s token -- --role ADMIN)" http://127.0.0.1:3001/api/agents
`;
}

class UsageError extends Error {}

/**
 * `--hours -1` would be refused by parseArgs as "ambiguous" (a value that
 * looks like an option): take a negative number as the value, so the
 * range check can say what is wrong with it.
 */
function joinNegativeValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (/^--(hours|user)$/.test(arg) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function parse(args: readonly string[]) {
  try {
    return parseArgs({
      args: joinNegativeValues(args),
      strict: true,
      allowPositionals: false,
      options: {
        user: { type: "string", default: "1" },
        name: { type: "string", default: "dev" },
        email: { type: "string", default: "dev@example.com" },
        role: { type: "string", default: "REGULAR" },
        hours: { type: "string" },
        expired: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    // parseArgs's messages name the option (unknown, missing value, stray argument); keep the first line.
    throw new UsageError(String((error as Error).message).split("\n")[0]);
  }
}

function closestRole(role: string): string | undefined {
  return KNOWN_ROLES.find((known) => known === role.toUpperCase());
}

function describeSource(source: ReturnType<typeof loadConfig>["auth"]["secretSource"]): string {
  if (source === "AUTH_JWT_SECRET") return "AUTH_JWT_SECRET";
  if (source === "built-in default") return "the public built-in default (development only)";
  return `auth.conf ${source.authConf}`;
}

/** The token command: arguments, environment and clock in, exit code and output out. Never throws for bad input. */
export function mintTokenCli(args: readonly string[], env: Record<string, string | undefined>, now: number = Date.now()): CliResult {
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return { exitCode: 1, stdout: "", stderr: `token: configuration error: ${error.message}\n` };
    throw error;
  }
  const skew = config.auth.clockSkewSeconds;
  const usage = (message: string): CliResult => ({
    exitCode: 2,
    stdout: "",
    stderr: `token: ${message}\nRun it with --help for the options.\n`,
  });

  let values;
  try {
    values = parse(args);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    throw error;
  }
  if (values.help) return { exitCode: 0, stdout: help(describeSource(config.auth.secretSource), skew), stderr: "" };

  const uid = /^[0-9]+$/.test(values.user) ? Number(values.user) : Number.NaN;
  if (!Number.isSafeInteger(uid) || uid < 1 || uid > 2_147_483_647) return usage(`--user must be a positive integer (got ${JSON.stringify(values.user)})`);
  if (values.name.trim() === "") return usage("--name must not be empty");
  if (values.email.trim() === "") return usage("--email must not be empty");

  const warnings: string[] = [];
  const role = values.role;
  if (!KNOWN_ROLES.includes(role)) {
    const near = closestRole(role);
    return usage(
      `unknown role ${JSON.stringify(role)}: roles are case-sensitive, one of ${KNOWN_ROLES.join(", ")}` +
        (near ? ` (did you mean ${near}?)` : ""),
    );
  }
  if (!ALLOWED_ROLES.has(role)) warnings.push(`note: the service answers ${role} with 403 Forbidden (only ${[...ALLOWED_ROLES].join(" and ")} are admitted)`);

  let exp: number;
  const nowSeconds = Math.floor(now / 1000);
  if (values.expired) {
    if (values.hours !== undefined) return usage("--expired and --hours do not go together");
    exp = nowSeconds - EXPIRED_AGO_SECONDS;
    warnings.push(`note: this token expired ${EXPIRED_AGO_SECONDS / 60} minutes ago; the service answers it 401 (error_description="expired")`);
  } else {
    const text = values.hours ?? "8";
    const hours = /^\s*[0-9]*\.?[0-9]+\s*$/.test(text) ? Number(text) : Number.NaN;
    if (!(hours > 0) || hours > MAX_HOURS) {
      const hint = text.trim().startsWith("-") ? "; for an already-expired token use --expired" : "";
      return usage(`--hours must be a number of hours above 0 and at most ${MAX_HOURS} (got ${JSON.stringify(text)})${hint}`);
    }
    exp = nowSeconds + Math.max(1, Math.round(hours * 3600));
  }

  const token = signJwt({ sub: values.name, userId: uid, email: values.email, role, exp }, config.auth.secrets[0]!);
  return { exitCode: 0, stdout: `${token}\n`, stderr: warnings.map((line) => `token: ${line}\n`).join("") };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = mintTokenCli(process.argv.slice(2), process.env);
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
