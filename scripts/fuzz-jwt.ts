/**
 * Mutation fuzzing: verifyJwt against jose's jwtVerify on mutated valid
 * tokens (the engine is tests/helpers/jwt-mutations.ts).
 *
 *   npx tsx scripts/fuzz-jwt.ts [count] [seed]                   # default 100000, a random seed
 *   npx deno run --allow-all scripts/fuzz-jwt.ts [count] [seed]
 *
 * Prints the seed first (so a failure reproduces), then the outcome counts
 * and the run time. Exits 1 on any violation: verifyJwt throwing, accepting
 * a token jose refuses (other than the documented exp + skew second), or
 * refusing one jose accepts for an undocumented reason.
 */
import process from "node:process";
import { formatReport, randomSeed, runFuzz } from "../tests/helpers/jwt-mutations.ts";

function parseArg(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}

const count = parseArg(process.argv[2], "count", 100_000);
const seed = parseArg(process.argv[3], "seed", randomSeed()) >>> 0;
const runtime = "Deno" in globalThis
  ? `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
  : `Node ${process.version}`;

console.log(`seed=${seed} (reproduce: npx tsx scripts/fuzz-jwt.ts ${count} ${seed})`);
const report = await runFuzz({
  seed,
  count,
  onProgress: (done) => {
    if (count >= 50_000) console.log(`  ... ${done}/${count}`);
  },
});
console.log(formatReport(report, runtime));
if (report.violationCount > 0) {
  console.error(`FAILED: ${report.violationCount} violation(s) with seed ${seed}`);
  process.exitCode = 1;
} else {
  console.log("OK: no crash, nothing accepted that jose refuses (beyond the documented exp boundary), no unexplained refusal");
}
