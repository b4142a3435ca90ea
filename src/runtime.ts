/** Which runtime this is, for banners and benchmark tables. */
import process from "node:process";

interface DenoGlobal {
  version: { deno: string };
}

/** `deno 2.9.6` or `node 20.20.2`. */
export function runtimeName(): string {
  const deno = (globalThis as { Deno?: DenoGlobal }).Deno;
  return deno ? `deno ${deno.version.deno}` : `node ${process.versions.node}`;
}

export const isDeno = (): boolean => (globalThis as { Deno?: DenoGlobal }).Deno !== undefined;
