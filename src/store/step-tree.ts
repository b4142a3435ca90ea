/**
 * An agent's steps held in memory (the memory store, and the file store's
 * loaded journals): insertion order, lookup by id, HEAD, and the path from
 * the root to any step. Appending is O(1); a path costs its length.
 *
 * @module
 */
import type { ReActStep } from "../agents/types.ts";

export class StepTree {
  readonly #steps: ReActStep[] = [];
  readonly #byId = new Map<string, ReActStep>();
  headId: string | null = null;

  get size(): number {
    return this.#steps.length;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  get(id: string): ReActStep | undefined {
    return this.#byId.get(id);
  }

  /** Adds a step and makes it HEAD. */
  append(step: ReActStep): void {
    this.#steps.push(step);
    this.#byId.set(step.id, step);
    this.headId = step.id;
  }

  clear(): void {
    this.#steps.length = 0;
    this.#byId.clear();
    this.headId = null;
  }

  /** Every step, in insertion order (a copy of the list; the steps themselves are shared). */
  all(): ReActStep[] {
    return [...this.#steps];
  }

  /** The path from the root to `headId` (default HEAD), oldest first; with `limit`, its last `limit` steps. */
  path(headId: string | null = this.headId, limit = Infinity): ReActStep[] {
    const path: ReActStep[] = [];
    const seen = new Set<string>();
    let current = headId === null ? undefined : this.#byId.get(headId);
    while (current && path.length < limit && !seen.has(current.id)) {
      seen.add(current.id);
      path.push(current);
      current = current.parentId === undefined ? undefined : this.#byId.get(current.parentId);
    }
    return path.reverse();
  }
}
