/**
 * Streamed text for the sockets: the first delta of a step at once, the
 * rest of a burst merged per event loop turn.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/**
 * Streamed text, sent without adding latency or a frame per token: the first
 * delta of a step goes out at once; text arriving while that event loop turn
 * is busy is merged and sent on the next turn (setImmediate). A real model's
 * tokens, tens of ms apart, still go out one by one as they come; a burst
 * collapses into few frames. Concatenated deltas always equal the step's text.
 */
export class DeltaCoalescer {
  #pending = "";
  #stepId = 0;
  #scheduled = false;
  #sentFor = -1;
  readonly #send: (stepId: number, text: string) => void;

  constructor(send: (stepId: number, text: string) => void) {
    this.#send = send;
  }

  push(stepId: number, text: string): void {
    if (stepId !== this.#stepId) this.flush();
    this.#stepId = stepId;
    if (this.#sentFor !== stepId && !this.#pending) {
      this.#sentFor = stepId;
      this.#send(stepId, text);
      return;
    }
    this.#pending += text;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (!this.#pending) return;
    const text = this.#pending;
    this.#pending = "";
    this.#send(this.#stepId, text);
  }
}
