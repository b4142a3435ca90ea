/**
 * The order agents are listed in (oldest first, ties by id) and cutting a
 * page from an ordered list, shared by the stores that list from memory.
 *
 * @module
 */
import type { StoredAgent } from "../agents/types.ts";
import type { AgentCursor, AgentQuery } from "./agent-store.ts";

export function compareCursors(a: AgentCursor, b: AgentCursor): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export const compareAgents = (a: StoredAgent, b: StoredAgent): number => compareCursors(a, b);

/** The page of `sorted` (in list order) that `query` asks for. */
export function pageOf<T extends AgentCursor>(sorted: readonly T[], query: AgentQuery): { items: T[]; next: AgentCursor | null } {
  const after = query.after;
  let start = 0;
  if (after) {
    // Binary search for the first entry past the cursor.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareCursors(sorted[mid]!, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const items = sorted.slice(start, start + query.limit);
  const last = items.at(-1);
  const next = last && start + query.limit < sorted.length ? { createdAt: last.createdAt, id: last.id } : null;
  return { items, next };
}
