/**
 * Applies the PostgreSQL store's migrations and exits: for deployments that
 * migrate in a separate step (a Kubernetes Job, a release script) instead of
 * at the start of the first replica. Reads the same settings as the service
 * (AGENT_STORE=postgres, DATABASE_URL, DATABASE_SCHEMA).
 *
 *   AGENT_STORE=postgres DATABASE_URL=postgres://… npm run db:migrate
 */
import process from "node:process";
import { ConfigError, loadConfig } from "../src/config.ts";
import { describeDatabase } from "../src/config/agent-store.ts";
import { createLogger } from "../src/log.ts";
import { StoreUnavailableError } from "../src/store/agent-store.ts";
import { openPostgres } from "../src/store/postgres/connection.ts";
import { migrate, MIGRATIONS } from "../src/store/postgres/migrations.ts";

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`db:migrate: configuration error: ${error.message}`);
  process.exit(1);
}
if (config.agents.store !== "postgres") {
  console.error("db:migrate: AGENT_STORE is not postgres: the file store has nothing to migrate (set AGENT_STORE=postgres and DATABASE_URL)");
  process.exit(1);
}
const where = `${describeDatabase(config.agents.databaseUrl!)}, schema ${config.agents.databaseSchema}`;
const db = openPostgres({ url: config.agents.databaseUrl!, schema: config.agents.databaseSchema, logger: createLogger({ level: config.log.level }) });
try {
  const applied = await migrate(db);
  console.log(
    applied.length === 0
      ? `db:migrate: ${where} is up to date (version ${MIGRATIONS.at(-1)!.version})`
      : `db:migrate: applied ${applied.map((v) => `#${v}`).join(", ")} to ${where}`,
  );
} catch (error) {
  console.error(
    error instanceof StoreUnavailableError
      ? `db:migrate: cannot reach ${where}; is it running, and is DATABASE_URL right?`
      : `db:migrate: failed: ${(error as Error).message}`,
  );
  process.exitCode = 1;
} finally {
  await db.close();
}
