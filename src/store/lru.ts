/**
 * A bounded cache in least-recently-used order, by count and optionally by
 * weight (e.g. bytes): what the file store keeps of the agents it read.
 *
 * @module
 */
export class Lru<K, V> {
  readonly #map = new Map<K, { value: V; weight: number }>();
  readonly #maxEntries: number;
  readonly #maxWeight: number;
  #weight = 0;

  constructor(maxEntries: number, maxWeight = Infinity) {
    this.#maxEntries = maxEntries;
    this.#maxWeight = maxWeight;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const entry = this.#map.get(key);
    if (!entry) return undefined;
    // Map order is insertion order: re-inserting makes it the most recent.
    this.#map.delete(key);
    this.#map.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V, weight = 0): void {
    this.delete(key);
    this.#map.set(key, { value, weight });
    this.#weight += weight;
    for (const [oldest, entry] of this.#map) {
      if (this.#map.size <= this.#maxEntries && this.#weight <= this.#maxWeight) break;
      if (oldest === key) break;
      this.#map.delete(oldest);
      this.#weight -= entry.weight;
    }
  }

  delete(key: K): void {
    const entry = this.#map.get(key);
    if (!entry) return;
    this.#map.delete(key);
    this.#weight -= entry.weight;
  }
}
