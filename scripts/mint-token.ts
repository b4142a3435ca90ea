/**
 * Mints a development token signed with the service's JWT secret (resolved
 * exactly as the service resolves it: AUTH_JWT_SECRET, auth.conf, default).
 *
 *   npm run token -- --user 1 --name alice --role ADMIN --hours 8
 *   deno task token --user 2
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.ts";
import { signJwt } from "../src/jwt.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    user: { type: "string", default: "1" },
    name: { type: "string", default: "dev" },
    email: { type: "string", default: "dev@example.com" },
    role: { type: "string", default: "REGULAR" },
    hours: { type: "string", default: "8" },
  },
});

const config = loadConfig(process.env);
const hours = Number(values.hours);
if (!Number.isFinite(hours) || hours <= 0) {
  console.error("--hours must be a positive number");
  process.exit(2);
}
const token = signJwt(
  {
    sub: values.name,
    userId: Number(values.user),
    email: values.email,
    role: values.role,
    exp: Math.floor(Date.now() / 1000) + Math.round(hours * 3600),
  },
  config.auth.secrets[0]!,
);
process.stdout.write(`${token}\n`);
