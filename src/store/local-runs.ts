/**
 * Run leases kept in memory, for the stores of one process (memory, file):
 * the same rules as the PostgreSQL store's leases (one live run per agent,
 * an optional bound per owner, expiry, claiming orphans), so the registry
 * and the contract suite see one behaviour. A run does not survive its
 * process here: after a restart no agent is running.
 *
 * @module
 */
import type { RunInfo } from "../agents/types.ts";
import type { OrphanedRun, RenewResult, StartRun, StartRunResult } from "./agent-store.ts";

interface Lease {
  readonly runId: string;
  readonly replicaId: string;
  readonly messageId: string;
  readonly ownerUid: number;
  stopping: boolean;
  expiresAt: number;
}

export class LocalRuns {
  readonly #leases = new Map<string, Lease>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The live run of an agent, or null. */
  get(agentId: string): RunInfo | null {
    const lease = this.#leases.get(agentId);
    if (!lease || lease.expiresAt <= this.#now()) return null;
    return { runId: lease.runId, replicaId: lease.replicaId, messageId: lease.messageId, stopping: lease.stopping };
  }

  start(agentId: string, ownerUid: number, run: StartRun): StartRunResult {
    const now = this.#now();
    const current = this.#leases.get(agentId);
    if (current && current.expiresAt > now) return { ok: false, reason: "busy" };
    if (run.maxRunsPerOwner !== undefined && this.count(ownerUid) >= run.maxRunsPerOwner) return { ok: false, reason: "quota" };
    const lease: Lease = {
      runId: run.runId,
      replicaId: run.replicaId,
      messageId: run.messageId,
      stopping: false,
      ownerUid,
      expiresAt: now + run.leaseMs,
    };
    this.#leases.set(agentId, lease);
    const info: RunInfo = { runId: run.runId, replicaId: run.replicaId, messageId: run.messageId, stopping: false };
    return current ? { ok: true, run: info, orphan: orphanOf(agentId, current) } : { ok: true, run: info };
  }

  renew(replicaId: string, runIds: readonly string[], leaseMs: number): RenewResult {
    const wanted = new Set(runIds);
    const stopping: string[] = [];
    const now = this.#now();
    for (const lease of this.#leases.values()) {
      if (lease.replicaId === replicaId && wanted.has(lease.runId)) {
        lease.expiresAt = now + leaseMs;
        wanted.delete(lease.runId);
        if (lease.stopping) stopping.push(lease.runId);
      }
    }
    return { lost: [...wanted], stopping };
  }

  end(agentId: string, runId: string): void {
    if (this.#leases.get(agentId)?.runId === runId) this.#leases.delete(agentId);
  }

  /** Whether `runId` still holds the agent. */
  holds(agentId: string, runId: string): boolean {
    const lease = this.#leases.get(agentId);
    return lease !== undefined && lease.runId === runId;
  }

  requestStop(agentId: string): boolean {
    const lease = this.#leases.get(agentId);
    if (!lease || lease.expiresAt <= this.#now()) return false;
    lease.stopping = true;
    return true;
  }

  claimOrphans(replicaId: string, leaseMs: number): OrphanedRun[] {
    const now = this.#now();
    const claimed: OrphanedRun[] = [];
    for (const [agentId, lease] of this.#leases) {
      if (lease.expiresAt > now) continue;
      claimed.push(orphanOf(agentId, lease));
      this.#leases.set(agentId, { ...lease, replicaId, expiresAt: now + leaseMs });
    }
    return claimed;
  }

  count(ownerUid: number): number {
    const now = this.#now();
    let n = 0;
    for (const lease of this.#leases.values()) if (lease.ownerUid === ownerUid && lease.expiresAt > now) n++;
    return n;
  }

  /** Drops the agent's run (the agent was deleted). */
  forget(agentId: string): void {
    this.#leases.delete(agentId);
  }
}

function orphanOf(agentId: string, lease: Lease): OrphanedRun {
  return {
    agentId,
    ownerUid: lease.ownerUid,
    runId: lease.runId,
    replicaId: lease.replicaId,
    messageId: lease.messageId,
    stopping: lease.stopping,
  };
}
