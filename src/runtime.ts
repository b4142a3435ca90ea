/** Which runtime this is, for banners and benchmark tables. */
import process from "node:process";

interface DenoGlobal {
  version: { deno: string };
}
interface BunGlobal {
  version: string;
}

/** `deno 2.9.6`, `bun 1.4.5` or `node 20.20.2`. */
export function runtimeName(): string {
  const { Deno: deno, Bun: bun } = globalThis as { Deno?: DenoGlobal; Bun?: BunGlobal };
  if (deno) return `deno ${deno.version.deno}`;
  if (bun) return `bun ${bun.version}`;
  return `node ${process.versions.node}`;
}

export const isDeno = (): boolean => (globalThis as { Deno?: DenoGlobal }).Deno !== undefined;
