/**
 * REST requests per user per minute: a token bucket per user id, in this
 * process (per replica: a fleet of N replicas behind a round-robin gateway
 * lets a user up to N times the rate, which the README says). A bucket holds
 * `burst` requests and refills at `perMinute`; an empty one answers when the
 * next request will be allowed.
 *
 * The buckets of users not seen for a while are dropped first once there are
 * `maxUsers` of them, so memory stays bounded whatever the number of users.
 *
 * @module
 */

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #maxUsers: number;
  readonly #now: () => number;
  // Map order is insertion order: re-inserting on each use keeps the least recently seen first.
  readonly #buckets = new Map<number, Bucket>();

  constructor(options: { perMinute: number; burst: number; maxUsers?: number; now?: () => number }) {
    this.#perMs = options.perMinute / 60_000;
    this.#burst = options.burst;
    this.#maxUsers = options.maxUsers ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** Takes one request of `uid`: 0 when allowed, else the seconds until the next one will be. */
  take(uid: number): number {
    const now = this.#now();
    let bucket = this.#buckets.get(uid);
    if (bucket) {
      this.#buckets.delete(uid);
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs);
      bucket.at = now;
    } else {
      bucket = { tokens: this.#burst, at: now };
      if (this.#buckets.size >= this.#maxUsers) {
        const oldest = this.#buckets.keys().next();
        if (!oldest.done) this.#buckets.delete(oldest.value);
      }
    }
    this.#buckets.set(uid, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000));
  }
}
