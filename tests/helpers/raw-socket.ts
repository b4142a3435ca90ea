/**
 * A WebSocket client written by hand over TCP, for what a well-behaved
 * client never does: stop reading after the handshake, never answer a ping,
 * announce a frame larger than it sends. It parses the server's frames and
 * records them; every wait has a timeout.
 */
import { connect, type Socket } from "node:net";
import { upgradeRequest } from "./raw-http.ts";
import { ContractViolation, serverTextProblem } from "./socket-contract.ts";

export interface ServerFrame {
  readonly opcode: number;
  /** The payload; for a data frame over 64 KiB, empty (only `length` is kept: a test with many stalled clients would hold gigabytes). */
  readonly payload: Uint8Array;
  readonly length: number;
}

export const OPCODE = { text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface RawSocket {
  readonly socket: Socket;
  /** The status of the answer to the upgrade (101 for a socket). */
  readonly status: number;
  /** Frames received so far (while reading). */
  readonly frames: ServerFrame[];
  /**
   * Text frames that do not match the published socket protocol
   * (socket-contract.ts); each also fails the next wait. Frames over 64 KiB
   * are not kept, so not checked.
   */
  readonly violations: string[];
  /** Payload bytes of every frame received so far. */
  receivedBytes(): number;
  /** Stops reading: the server's bytes pile up in the kernel, then in the server. */
  pause(): void;
  /** Reads (and parses) again. */
  resume(): void;
  /** Resolves once a frame matching `match` has arrived (reading meanwhile); rejects after `timeoutMs`. */
  waitForFrame(match: (frame: ServerFrame) => boolean, timeoutMs: number): Promise<ServerFrame>;
  /** Resolves once the server ended the connection (reading meanwhile); rejects after `timeoutMs`. */
  waitForEnd(timeoutMs: number): Promise<void>;
  /** Whether the connection is over. */
  ended(): boolean;
  destroy(): void;
}

/** The code of a close frame, or undefined when it carries none. */
export function closeCode(frame: ServerFrame): number | undefined {
  return frame.payload.length >= 2 ? (frame.payload[0]! << 8) | frame.payload[1]! : undefined;
}

/**
 * The header of a masked client frame announcing `length` payload bytes
 * (FIN set). The payload that follows must be masked with `MASK`; the tests
 * send zeros, which masking turns into the mask bytes, and nothing reads them.
 */
export function clientFrameHeader(opcode: number, length: number): Uint8Array {
  const mask = [0x12, 0x34, 0x56, 0x78];
  if (length < 126) return Uint8Array.from([0x80 | opcode, 0x80 | length, ...mask]);
  if (length < 65_536) return Uint8Array.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff, ...mask]);
  const bytes = new Uint8Array(14);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x80 | opcode;
  bytes[1] = 0x80 | 127;
  view.setBigUint64(2, BigInt(length));
  bytes.set(mask, 10);
  return bytes;
}

/** The header of the server (unmasked) frame at the start of `head`: its opcode and total length, or undefined while incomplete. */
function frameSize(head: Uint8Array): { opcode: number; header: number; length: number } | undefined {
  if (head.length < 2) return undefined;
  const opcode = head[0]! & 0x0f;
  const short = head[1]! & 0x7f;
  if (short < 126) return { opcode, header: 2, length: short };
  if (short === 126) return head.length < 4 ? undefined : { opcode, header: 4, length: (head[2]! << 8) | head[3]! };
  if (head.length < 10) return undefined;
  return { opcode, header: 10, length: Number(new DataView(head.buffer, head.byteOffset + 2, 8).getBigUint64(0)) };
}

/**
 * Collects the server's bytes and cuts them into frames. Chunks are kept as
 * they come and joined once a whole frame is there, so a frame of megabytes
 * in thousands of chunks costs one copy, not one per chunk.
 */
class FrameReader {
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  /** Takes a chunk; returns the frames it completed. */
  push(chunk: Uint8Array): ServerFrame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: ServerFrame[] = [];
    while (true) {
      const size = frameSize(this.#peek(10));
      if (!size || this.#buffered < size.header + size.length) break;
      const bytes = this.#take(size.header + size.length);
      const kept = size.opcode >= 0x8 || size.length <= 65_536;
      frames.push({ opcode: size.opcode, payload: kept ? bytes.subarray(size.header) : new Uint8Array(0), length: size.length });
    }
    return frames;
  }

  /** Up to `n` bytes from the start, without taking them. */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (!first || first.length >= n) return first?.subarray(0, n) ?? new Uint8Array(0);
    return join(this.#chunks, Math.min(n, this.#buffered));
  }

  /** Exactly `n` bytes from the start. */
  #take(n: number): Uint8Array {
    const out = join(this.#chunks, n);
    let left = n;
    while (left > 0) {
      const first = this.#chunks[0]!;
      if (first.length <= left) {
        this.#chunks.shift();
        left -= first.length;
      } else {
        this.#chunks[0] = first.subarray(left);
        left = 0;
      }
    }
    this.#buffered -= n;
    return out;
  }
}

/** The first `n` bytes of `chunks`, in one array. */
function join(chunks: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let at = 0;
  for (const chunk of chunks) {
    if (at >= n) break;
    const part = chunk.subarray(0, n - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Opens `path` on `port` with a hand-written upgrade and resolves once the
 * answer's headers arrived (within `timeoutMs`). With `paused`, it stops
 * reading right after them.
 */
export function openRawSocket(port: number, path: string, options: { paused?: boolean; timeoutMs?: number } = {}): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let head = "";
    const reader = new FrameReader();
    const frames: ServerFrame[] = [];
    let payloadBytes = 0;
    let over = false;
    const wake = new Set<() => void>();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to the upgrade of ${path.replace(/access-token=[^&]+/, "access-token=…")}`));
    }, options.timeoutMs ?? 5_000);

    const violations: string[] = [];
    const decoder = new TextDecoder();
    const onFrames = (chunk: Uint8Array) => {
      for (const frame of reader.push(chunk)) {
        if (frame.opcode === OPCODE.text && frame.payload.length === frame.length) {
          const problem = serverTextProblem(decoder.decode(frame.payload));
          if (problem) violations.push(problem);
        }
        frames.push(frame);
        payloadBytes += frame.length;
      }
      for (const notify of wake) notify();
    };
    const finish = () => {
      over = true;
      for (const notify of wake) notify();
    };
    socket.on("close", finish);
    socket.on("end", finish);
    socket.on("error", finish);

    const waitUntil = (done: () => boolean, timeoutMs: number, what: string) =>
      new Promise<void>((resolveWait, rejectWait) => {
        const check = () => {
          if (violations.length > 0) {
            wake.delete(check);
            clearTimeout(limit);
            rejectWait(new ContractViolation(`the service sent ${violations.length} frame(s) outside the protocol; the first: ${violations[0]}`));
            return;
          }
          if (!done()) return;
          wake.delete(check);
          clearTimeout(limit);
          resolveWait();
        };
        const limit = setTimeout(() => {
          wake.delete(check);
          rejectWait(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; frames: ${frames.map((f) => f.opcode).join(",")}`));
        }, timeoutMs);
        wake.add(check);
        socket.resume();
        check();
      });

    const onHead = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onHead);
      clearTimeout(timer);
      if (options.paused) socket.pause();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const afterHead = Buffer.from(head.slice(end + 4), "latin1");
      socket.on("data", (data: Buffer) => onFrames(new Uint8Array(data.buffer, data.byteOffset, data.length)));
      if (afterHead.length > 0) onFrames(new Uint8Array(afterHead));
      resolve({
        socket,
        status,
        frames,
        violations,
        receivedBytes: () => payloadBytes,
        pause: () => socket.pause(),
        resume: () => socket.resume(),
        waitForFrame: async (match, timeoutMs) => {
          await waitUntil(() => frames.some(match) || over, timeoutMs, "a frame");
          const found = frames.find(match);
          if (!found) throw new Error(`the connection ended without the frame; frames: ${frames.map((f) => f.opcode).join(",")}`);
          return found;
        },
        waitForEnd: (timeoutMs) => waitUntil(() => over, timeoutMs, "the connection to end"),
        ended: () => over,
        destroy: () => socket.destroy(),
      });
    };
    socket.on("data", onHead);
    socket.on("connect", () => socket.write(upgradeRequest(path)));
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
