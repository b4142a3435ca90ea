/**
 * Open sockets counted in memory, for the stores of one process (memory,
 * file), with the PostgreSQL store's rules: a socket counts for its owner
 * until it is closed or its replica stops renewing it.
 *
 * @module
 */
import type { OpenSocket } from "./agent-store.ts";

interface Counted {
  readonly ownerUid: number;
  readonly replicaId: string;
  expiresAt: number;
}

export class LocalSockets {
  readonly #sockets = new Map<string, Counted>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  open(socket: OpenSocket, max?: number): boolean {
    if (max !== undefined && this.count(socket.ownerUid) >= max) return false;
    this.#sockets.set(socket.id, { ownerUid: socket.ownerUid, replicaId: socket.replicaId, expiresAt: this.#now() + socket.leaseMs });
    return true;
  }

  close(id: string): void {
    this.#sockets.delete(id);
  }

  renew(replicaId: string, leaseMs: number): void {
    const now = this.#now();
    for (const [id, socket] of this.#sockets) {
      if (socket.expiresAt <= now) this.#sockets.delete(id);
      else if (socket.replicaId === replicaId) socket.expiresAt = now + leaseMs;
    }
  }

  count(ownerUid: number): number {
    const now = this.#now();
    let n = 0;
    for (const socket of this.#sockets.values()) if (socket.ownerUid === ownerUid && socket.expiresAt > now) n++;
    return n;
  }
}
