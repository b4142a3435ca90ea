/**
 * The `/react` socket settings: how long a socket may answer nothing
 * (`SOCKET_IDLE_SECONDS`). It bounds what one client can hold on the
 * server: a vanished client's socket, listeners and counts.
 *
 * @module
 */

/** The socket part of the service's Config. */
export interface SocketConfig {
  /**
   * `SOCKET_IDLE_SECONDS` (60): the server pings every socket; one that
   * answers nothing for this long (its client vanished without a close: a
   * laptop lid, a dropped network) is closed and everything it held released.
   */
  readonly idleSeconds: number;
}

export const DEFAULT_SOCKET_CONFIG: SocketConfig = Object.freeze({ idleSeconds: 60 });

/** The bounds of each setting; the idle time's upper bound is Bun's (uWebSockets' 960 s). */
const BOUNDS = {
  SOCKET_IDLE_SECONDS: [5, 960, "an integer number of seconds between 5 and 960"],
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
  return { idleSeconds };
}
