/**
 * A fresh PostgreSQL database per test run (or per test), on the server at
 * TEST_DATABASE_URL (default: the machine's, postgres://postgres@127.0.0.1:5432/postgres),
 * so runs never see each other's rows; dropped afterwards.
 */
import postgres from "postgres";
import process from "node:process";
import { silentLogger, type Logger } from "../../src/log.ts";
import { openPostgres, type PostgresConnection } from "../../src/store/postgres/connection.ts";
import { migrate } from "../../src/store/postgres/migrations.ts";

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** Creates an empty database with a random name on the test server. */
export async function createTestDatabase(adminUrl = ADMIN_URL): Promise<TestDatabase> {
  const name = `agent_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const again = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
      try {
        await again.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await again.end({ timeout: 5 });
      }
    },
  };
}

/** A migrated connection to a database, in its own schema. */
export async function connect(url: string, schema = "agent_service", logger: Logger = silentLogger): Promise<PostgresConnection> {
  const db = openPostgres({ url, schema, logger });
  await migrate(db);
  return db;
}
