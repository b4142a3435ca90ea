/**
 * One clear sentence for a server that could not listen, instead of a raw
 * `EADDRINUSE` stack trace: a port already taken (a second `npm run demo`),
 * a port this user may not bind, a `HOST` that is not an address of this
 * machine. Node and Deno both put the errno name in the error's `code`
 * (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`; Node adds `ENOTFOUND` for a host
 * name that does not resolve).
 *
 * @example
 * ```ts
 * try {
 *   await startServer(app, { host, port, maxBodyBytes });
 * } catch (error) {
 *   const message = describeListenError(error, { host, port, command: npmCommand(process.env.npm_lifecycle_event) });
 *   if (message) { console.error(`agent-service: ${message}`); process.exit(1); }
 *   throw error;
 * }
 * ```
 *
 * @module
 */

export interface ListenTarget {
  readonly host: string;
  readonly port: number;
  /** How the user started the service (`npm run demo`), to show the restart with another port; optional. */
  readonly command?: string | undefined;
}

/** The npm command that ran a script, from npm's `npm_lifecycle_event` (`start`, `demo`); undefined for anything else. */
export function npmCommand(lifecycleEvent: string | undefined): string | undefined {
  if (lifecycleEvent === "start") return "npm start";
  if (lifecycleEvent === "demo") return "npm run demo";
  return undefined;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  // Deno names some errors without a code.
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "AddrInUse") return "EADDRINUSE";
  if (name === "AddrNotAvailable") return "EADDRNOTAVAIL";
  if (name === "PermissionDenied") return "EACCES";
  return undefined;
}

/** The sentence for a listen failure, or undefined when `error` is something else (then let it surface). */
export function describeListenError(error: unknown, target: ListenTarget): string | undefined {
  const { host, port } = target;
  const otherPort = port === 0 || port >= 65535 ? 3001 : port + 1;
  const restart = (suggested: number) =>
    target.command ? `PORT=${suggested} ${target.command} (PORT=0 picks a free one)` : `set PORT, e.g. PORT=${suggested} (0 picks a free one)`;
  switch (errorCode(error)) {
    case "EADDRINUSE":
      return `port ${port} is already in use on ${host} (another agent-service, or a second npm run demo?): ` +
        `stop that one (Ctrl-C in its terminal), or pick another port: ${restart(otherPort)}`;
    case "EACCES":
      return `this user may not listen on port ${port}${port < 1024 ? " (ports below 1024 need privileges)" : ""}: ` +
        `pick another port: ${restart(port < 1024 ? 3001 : otherPort)}`;
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    // Deno's node:net reports an address that is not this machine's as EINVAL (Deno 2.9).
    case "EINVAL":
      return `HOST ${host} is not an address of this machine: set HOST to one of its addresses (0.0.0.0 listens on all, 127.0.0.1 on loopback only)`;
    default:
      return undefined;
  }
}
