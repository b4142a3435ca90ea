/**
 * Operations queued per key: each runs after every earlier one on the same
 * key has settled (a read sees earlier writes, writes land in call order),
 * while different keys proceed in parallel.
 *
 * @module
 */
const ignore = () => {};

export class KeyedQueue {
  /** Per key, a promise that settles after the last operation issued for it; never rejects. */
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `operation` after every earlier operation on `key` has settled. */
  run<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(operation);
    const tail = result.then(ignore, ignore);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Resolves when every operation issued so far has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.#tails.values()]);
  }
}
