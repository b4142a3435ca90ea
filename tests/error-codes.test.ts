/** The README's error-code table and the code's table agree, code for code and status for status. */
import { test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { defaultCode, ERROR_CODES, type ErrorCode } from "../src/error-codes.ts";

test("every code in ERROR_CODES is in the README's table with its HTTP status, and nothing else is", () => {
  const readme = readFileSync("README.md", "utf8");
  const rows = [...readme.matchAll(/^\| `([a-z_]+)` \| (\d{3}|-) \| /gm)].map((m) => [m[1]!, m[2]!] as const);
  assert.ok(rows.length > 20, "the table was found");
  const documented = new Map(rows);
  for (const [code, status] of Object.entries(ERROR_CODES)) {
    assert.ok(documented.has(code), `${code} is documented`);
    const shown = documented.get(code);
    if (shown !== "-") assert.equal(Number(shown), status, `${code}'s status`);
  }
  for (const code of documented.keys()) assert.ok(code in ERROR_CODES, `${code} exists in ERROR_CODES`);
});

test("the default code of a status is a code of that status", () => {
  for (const status of [400, 401, 403, 404, 409, 413, 415, 426, 429, 500, 502, 503]) {
    const code: ErrorCode = defaultCode(status);
    assert.equal(ERROR_CODES[code], status, `${status} -> ${code}`);
  }
});
