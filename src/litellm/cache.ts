/**
 * A value fetched from LiteLLM and served from memory for a while: the model
 * list and the model details. Concurrent callers share one request; when a
 * refresh fails and a value was fetched before, that value is served (the
 * failure is reported to `onStale`).
 *
 * @module
 */
import { LiteLLMError } from "./errors.ts";

export class CachedFetch<T> {
  readonly #load: () => Promise<T>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #onStale: (error: LiteLLMError, ageMs: number) => void;
  #value?: { readonly value: T; readonly fetchedAt: number };
  #inFlight?: Promise<T>;

  constructor(load: () => Promise<T>, options: { ttlMs: number; now: () => number; onStale: (error: LiteLLMError, ageMs: number) => void }) {
    this.#load = load;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now;
    this.#onStale = options.onStale;
  }

  async get(): Promise<T> {
    const cached = this.#value;
    if (cached && this.#now() - cached.fetchedAt < this.#ttlMs) return cached.value;
    this.#inFlight ??= this.#load().then(
      (value) => {
        this.#value = { value, fetchedAt: this.#now() };
        this.#inFlight = undefined;
        return value;
      },
      (error) => {
        this.#inFlight = undefined;
        throw error;
      },
    );
    try {
      return await this.#inFlight;
    } catch (error) {
      if (cached && error instanceof LiteLLMError) {
        this.#onStale(error, this.#now() - cached.fetchedAt);
        return cached.value;
      }
      throw error;
    }
  }

  /** Forgets the value: the next `get` fetches. */
  invalidate(): void {
    this.#value = undefined;
  }
}
