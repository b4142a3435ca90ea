/**
 * `node:test`, with a timeout on every test: a regression that hangs fails
 * fast instead of holding CI until its own limit. Node's runner also gets
 * `--test-timeout` (package.json); Deno's honours the `timeout` option but
 * has no flag for a default, so every test file imports `test` from here.
 * A test that passes its own `timeout` keeps it.
 */
import * as nodeTest from "node:test";
import type { TestFn, TestOptions } from "node:test";
import process from "node:process";

/** Per test, unless it says otherwise (TEST_TIMEOUT_MS overrides it: the check of this helper uses a short one). */
export const DEFAULT_TEST_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS) || 120_000;

type Fn = TestFn;
type Options = TestOptions;

export function test(name: string, fn: Fn): Promise<void>;
export function test(name: string, options: Options, fn: Fn): Promise<void>;
export function test(name: string, optionsOrFn: Options | Fn, fn?: Fn): Promise<void> {
  const options = typeof optionsOrFn === "function" ? {} : optionsOrFn;
  const body = typeof optionsOrFn === "function" ? optionsOrFn : fn;
  return nodeTest.test(name, { timeout: DEFAULT_TEST_TIMEOUT_MS, ...options }, body);
}

export const { after, before, describe } = nodeTest;
