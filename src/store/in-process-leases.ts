/**
 * The run leases and socket counts of the stores of one process (memory,
 * file): kept in memory, with the same rules as PostgreSQL's. The stores
 * extend this and use `runs` where their own operations need it (start a
 * run, refuse a checkout during one, forget a deleted agent's).
 *
 * @module
 */
import type { OpenSocket, OrphanedRun, RenewResult } from "./agent-store.ts";
import { LocalRuns } from "./local-runs.ts";
import { LocalSockets } from "./local-sockets.ts";

export abstract class InProcessLeases {
  protected readonly runs: LocalRuns;
  readonly #sockets: LocalSockets;

  constructor(now: () => number = Date.now) {
    this.runs = new LocalRuns(now);
    this.#sockets = new LocalSockets(now);
  }

  async renewRuns(replicaId: string, runIds: readonly string[], leaseMs: number): Promise<RenewResult> {
    return this.runs.renew(replicaId, runIds, leaseMs);
  }

  async endRun(agentId: string, runId: string): Promise<void> {
    this.runs.end(agentId, runId);
  }

  async requestStop(agentId: string): Promise<boolean> {
    return this.runs.requestStop(agentId);
  }

  async claimOrphanedRuns(replicaId: string, leaseMs: number): Promise<OrphanedRun[]> {
    return this.runs.claimOrphans(replicaId, leaseMs);
  }

  async countRuns(ownerUid: number): Promise<number> {
    return this.runs.count(ownerUid);
  }

  async openSocket(socket: OpenSocket, max?: number): Promise<boolean> {
    return this.#sockets.open(socket, max);
  }

  async closeSocket(id: string): Promise<void> {
    this.#sockets.close(id);
  }

  async renewSockets(replicaId: string, leaseMs: number): Promise<void> {
    this.#sockets.renew(replicaId, leaseMs);
  }

  async countSockets(ownerUid: number): Promise<number> {
    return this.#sockets.count(ownerUid);
  }
}
