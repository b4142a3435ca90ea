/**
 * Opens the agent store and the event bus that `AGENT_STORE` names: the
 * file store with the in-process bus (one instance), or PostgreSQL with its
 * LISTEN/NOTIFY bus (replicas), migrating the schema first.
 *
 * @module
 */
import type { StoreConfig } from "../config/agent-store.ts";
import type { EventBus } from "../events/event-bus.ts";
import { LocalEventBus } from "../events/local-bus.ts";
import type { Logger } from "../log.ts";
import type { AgentStore } from "./agent-store.ts";
import { FileAgentStore } from "./file/file-store.ts";

export interface OpenedStore {
  readonly store: AgentStore;
  readonly bus: EventBus;
  /** Closes the bus, the store and the connection, in that order. */
  close(): Promise<void>;
}

export async function openStore(config: StoreConfig, logger: Logger): Promise<OpenedStore> {
  if (config.store === "file") {
    const store = await FileAgentStore.open({ dir: config.stateDir, logger: logger.child({ component: "store" }) });
    const bus = new LocalEventBus(logger.child({ component: "events" }));
    return {
      store,
      bus,
      close: async () => {
        await bus.close();
        await store.close();
      },
    };
  }
  // Loaded only when asked for: a file-store instance never loads the driver.
  const { openPostgres } = await import("./postgres/connection.ts");
  const { migrate } = await import("./postgres/migrations.ts");
  const { PostgresAgentStore } = await import("./postgres/postgres-store.ts");
  const { PostgresEventBus } = await import("./postgres/event-bus.ts");
  const db = openPostgres({ url: config.databaseUrl!, schema: config.databaseSchema, logger: logger.child({ component: "store" }) });
  try {
    await migrate(db);
    const store = new PostgresAgentStore(db);
    const bus = await PostgresEventBus.open(db);
    return {
      store,
      bus,
      close: async () => {
        await bus.close();
        await store.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}
