/**
 * The `/react` socket settings: how long a socket may answer nothing
 * (`SOCKET_IDLE_SECONDS`) and how much may wait unsent for a client that is
 * not reading (`SOCKET_MAX_BUFFER_BYTES`). Both bound what one client can
 * hold on the server: a vanished client's socket, listeners and counts; a
 * stalled client's unsent bytes.
 *
 * @module
 */
import { DEFAULT_WINDOW_BYTES } from "../agents/window.ts";

/** The socket part of the service's Config. */
export interface SocketConfig {
  /**
   * `SOCKET_IDLE_SECONDS` (60): the server pings every socket; one that
   * answers nothing for this long (its client vanished without a close: a
   * laptop lid, a dropped network) is closed and everything it held released.
   */
  readonly idleSeconds: number;
  /**
   * `SOCKET_MAX_BUFFER_BYTES` (4 MiB): a socket whose unsent bytes pass this
   * when the next event is due is closed (1013, try again later) instead of
   * being buffered for: its client stopped reading, or reads far slower than
   * the events come.
   */
  readonly maxBufferBytes: number;
  /**
   * `SOCKET_WINDOW_BYTES` (256 KiB): the most of a conversation, in bytes of
   * JSON, that `init` and a checkout's `headChange` carry (the latest steps;
   * the latest one always). Older steps are paged over REST. With a step
   * count alone, every socket opened on a long conversation cost its size.
   */
  readonly windowBytes: number;
}

export const DEFAULT_SOCKET_CONFIG: SocketConfig = Object.freeze({ idleSeconds: 60, maxBufferBytes: 4 * 1024 * 1024, windowBytes: DEFAULT_WINDOW_BYTES });

/** The bounds of each setting; the idle time's upper bound is Bun's (uWebSockets' 960 s). */
const BOUNDS = {
  SOCKET_IDLE_SECONDS: [5, 960, "an integer number of seconds between 5 and 960"],
  SOCKET_MAX_BUFFER_BYTES: [65_536, 1_073_741_824, "an integer number of bytes between 65536 (64 KiB) and 1073741824 (1 GiB)"],
  SOCKET_WINDOW_BYTES: [16_384, 268_435_456, "an integer number of bytes between 16384 (16 KiB) and 268435456 (256 MiB)"],
} as const;

/** The socket settings from the environment, or a one-line problem naming the variable. */
export function parseSocketConfig(get: (name: string) => string | undefined): SocketConfig | string {
  const read = (name: keyof typeof BOUNDS, fallback: number): number | string => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const [min, max, expected] = BOUNDS[name];
    const value = /^\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    return value >= min && value <= max ? value : `${name} must be ${expected} (got ${JSON.stringify(raw.slice(0, 40))})`;
  };
  const idleSeconds = read("SOCKET_IDLE_SECONDS", DEFAULT_SOCKET_CONFIG.idleSeconds);
  if (typeof idleSeconds === "string") return idleSeconds;
  const maxBufferBytes = read("SOCKET_MAX_BUFFER_BYTES", DEFAULT_SOCKET_CONFIG.maxBufferBytes);
  if (typeof maxBufferBytes === "string") return maxBufferBytes;
  const windowBytes = read("SOCKET_WINDOW_BYTES", DEFAULT_SOCKET_CONFIG.windowBytes);
  if (typeof windowBytes === "string") return windowBytes;
  return { idleSeconds, maxBufferBytes, windowBytes };
}
