/**
 * The agent store, timed: every operation's duration goes to
 * `agent_service_store_operation_duration_seconds{operation, outcome}`.
 * Wrapped only when metrics are on, so a service without them calls its
 * store directly.
 *
 * @module
 */
import type { AgentStore } from "../store/agent-store.ts";
import type { Metrics } from "./metrics-api.ts";

/** The store's operations (every method of AgentStore); `kind` is a property. */
const OPERATIONS = [
  "ping", "createAgent", "getAgent", "listAgents", "countAgents", "updateAgent", "deleteAgent",
  "appendStep", "moveHead", "steps", "path", "step", "stepUsage", "dailyUsage",
  "startRun", "renewRuns", "endRun", "requestStop", "claimOrphanedRuns", "countRuns",
  "openSocket", "closeSocket", "renewSockets", "countSockets",
  "flush", "close",
] as const satisfies readonly Exclude<keyof AgentStore, "kind">[];

// A store method this list forgets fails to compile here, rather than going untimed.
type Missing = Exclude<Exclude<keyof AgentStore, "kind">, (typeof OPERATIONS)[number]>;
const _everyOperation: [Missing] extends [never] ? true : Missing = true;

/** `store` with each operation timed into `metrics`. */
export function timedStore(store: AgentStore, metrics: Metrics): AgentStore {
  const timed: Record<string, unknown> = { kind: store.kind };
  for (const operation of OPERATIONS) {
    const method = (store[operation] as (...args: unknown[]) => Promise<unknown>).bind(store);
    timed[operation] = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        const result = await method(...args);
        metrics.storeOperation(operation, "ok", (performance.now() - started) / 1000);
        return result;
      } catch (error) {
        metrics.storeOperation(operation, "error", (performance.now() - started) / 1000);
        throw error;
      }
    };
  }
  return timed as unknown as AgentStore;
}
