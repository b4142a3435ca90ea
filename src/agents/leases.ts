/**
 * Keeps this replica's run leases alive and ends the runs of replicas that
 * died.
 *
 * - Every third of a lease, the leases of the runs going on here (and the
 *   count of the sockets open here) are renewed; a run whose lease was lost (claimed by another replica after it
 *   expired: this replica stalled or lost the database for a whole lease) is
 *   stopped at once, and one a stop was asked for (the stop message may have
 *   been missed) is stopped.
 * - Every half lease (with jitter, so replicas do not sweep in step), runs
 *   whose lease expired are claimed and handed to `onOrphan`, which ends them
 *   with an "interrupted" step. A run is thus ended at most about 1.5 leases
 *   after its replica died.
 *
 * @module
 */
import type { Logger } from "../log.ts";
import type { AgentStore, OrphanedRun } from "../store/agent-store.ts";

export interface LeaseKeeperOptions {
  readonly store: AgentStore;
  readonly logger: Logger;
  readonly replicaId: string;
  readonly leaseMs: number;
  /** The runs going on here now. */
  readonly runIds: () => string[];
  /** Whether sockets are open here now (their count is renewed with the runs). */
  readonly hasSockets: () => boolean;
  readonly onLost: (runId: string) => void;
  readonly onStopRequested: (runId: string) => void;
  readonly onOrphan: (orphan: OrphanedRun) => Promise<void>;
}

export class LeaseKeeper {
  readonly #options: LeaseKeeperOptions;
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #sweepTimer: ReturnType<typeof setTimeout> | undefined;
  #busy: Promise<void> = Promise.resolve();
  #running = false;

  constructor(options: LeaseKeeperOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduleSweep();
    this.wake();
  }

  /** Makes sure renewals are scheduled (a run just started). */
  wake(): void {
    if (!this.#running || this.#renewTimer !== undefined) return;
    this.#renewTimer = setTimeout(() => {
      this.#renewTimer = undefined;
      this.#track(this.#renew()).finally(() => {
        if (this.#options.runIds().length > 0 || this.#options.hasSockets()) this.wake();
      });
    }, this.#options.leaseMs / 3);
    unref(this.#renewTimer);
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#renewTimer !== undefined) clearTimeout(this.#renewTimer);
    if (this.#sweepTimer !== undefined) clearTimeout(this.#sweepTimer);
    this.#renewTimer = undefined;
    this.#sweepTimer = undefined;
    await this.#busy;
  }

  /** Claims expired runs now and ends them (also what the timer does). */
  async sweep(): Promise<void> {
    const { store, replicaId, leaseMs, logger } = this.#options;
    let orphans: OrphanedRun[];
    try {
      orphans = await store.claimOrphanedRuns(replicaId, leaseMs);
    } catch (error) {
      logger.warn("could not look for orphaned runs", { error });
      return;
    }
    for (const orphan of orphans) await this.#options.onOrphan(orphan);
  }

  async #renew(): Promise<void> {
    const { store, replicaId, leaseMs, logger } = this.#options;
    if (this.#options.hasSockets()) {
      await store.renewSockets(replicaId, leaseMs).catch((error) => logger.warn("could not renew the socket count", { error }));
    }
    const runIds = this.#options.runIds();
    if (runIds.length === 0) return;
    try {
      const { lost, stopping } = await store.renewRuns(replicaId, runIds, leaseMs);
      for (const runId of lost) this.#options.onLost(runId);
      for (const runId of stopping) this.#options.onStopRequested(runId);
    } catch (error) {
      // The store is unreachable: keep running; if it stays away past the lease, another replica takes over and this one stops on the next renewal.
      logger.warn("could not renew run leases", { runs: runIds.length, error });
    }
  }

  #scheduleSweep(): void {
    if (!this.#running) return;
    const interval = (this.#options.leaseMs / 2) * (0.75 + Math.random() * 0.5);
    this.#sweepTimer = setTimeout(() => {
      this.#sweepTimer = undefined;
      this.#track(this.sweep()).finally(() => this.#scheduleSweep());
    }, interval);
    unref(this.#sweepTimer);
  }

  #track(work: Promise<void>): Promise<void> {
    const tracked = work.catch((error) => this.#options.logger.error("lease upkeep failed", { error }));
    this.#busy = Promise.all([this.#busy, tracked]).then(() => {});
    return tracked;
  }
}

/** Timers must not keep a process alive (Node, Bun); Deno has Deno.unrefTimer for numeric ids. */
function unref(timer: ReturnType<typeof setTimeout>): void {
  if (typeof timer === "object" && timer !== null && "unref" in timer) (timer as { unref(): void }).unref();
  else {
    const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
    deno?.unrefTimer?.(timer as unknown as number);
  }
}
