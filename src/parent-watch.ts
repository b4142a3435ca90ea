/**
 * Notices that the process which started this one is gone, so the service
 * can stop instead of running on unseen, holding its port.
 *
 * Why: `npm start` runs `sh -c "node --import tsx src/main.ts"`, so the
 * service is npm's grandchild. `kill <npm's pid>` makes npm forward SIGTERM
 * to `sh`, which dies of it without passing it on; the service used to keep
 * running, re-parented to init. Node and Deno have no "die with my parent"
 * option (Linux's PR_SET_PDEATHSIG), and Deno may not read /proc without
 * --allow-all, but both report the parent's pid live (`process.ppid`): a
 * parent that exits re-parents its children at once (to init or the nearest
 * subreaper), so a changed ppid means the parent is gone. main.ts checks it
 * once a second on an unref'd timer and shuts down as on SIGTERM.
 *
 * Limits: a SIGKILL to npm reaches npm alone and `sh` lives on, so nothing
 * changes for the service (stop it by its own pid, printed in the banner);
 * under `npx deno task start` the parent is the task runner, which outlives
 * npx the same way.
 *
 * @module
 */
import { setInterval } from "node:timers";

/** Decides whether the parent changed since the watch began; no timer, no I/O of its own. */
export class ParentWatch {
  readonly #initial: number;
  readonly #ppid: () => number;

  /** @param ppid reads the current parent pid (`() => process.ppid`). */
  constructor(ppid: () => number) {
    this.#ppid = ppid;
    this.#initial = ppid();
  }

  /** The parent pid when the watch began. */
  get initialParent(): number {
    return this.#initial;
  }

  /** True once the process has a different parent than at the start: the one that started it exited. */
  parentGone(): boolean {
    return this.#ppid() !== this.#initial;
  }
}

/**
 * Calls `onGone` once, at most `intervalMs` after the parent exits.
 * Returns a function that stops watching. The timer never keeps the
 * process alive by itself.
 *
 * @example
 * ```ts
 * import process from "node:process";
 * const stop = watchParent(() => process.ppid, () => void shutdown("parent exited"));
 * ```
 */
export function watchParent(ppid: () => number, onGone: () => void, intervalMs = 1000): () => void {
  const watch = new ParentWatch(ppid);
  const timer = setInterval(() => {
    if (!watch.parentGone()) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
