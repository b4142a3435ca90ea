/**
 * The JSDoc examples of src/jwt.ts run, on every runtime the suite runs on
 * (`deno test --doc src/jwt.ts` runs them too, on Deno only): each ```ts
 * block after an `@example` tag is written to a temp file, with the package
 * name pointing at the source, and imported. An example asserts what it
 * shows, so one that went stale fails here.
 */
import { test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const SOURCE = new URL("../src/jwt.ts", import.meta.url);

/** `@example` title and code of every example in a source file's JSDoc. */
export function jsdocExamples(source: string): { title: string; code: string }[] {
  const examples: { title: string; code: string }[] = [];
  const pattern = /@example *(.*)\n((?: \*.*\n)*?) \* ```ts\n((?: \*.*\n)*?) \* ```/g;
  for (const match of source.matchAll(pattern)) {
    const code = match[3]!.split("\n").map((line) => line.replace(/^ \* ?/, "")).join("\n");
    examples.push({ title: match[1]!.trim() || `example ${examples.length + 1}`, code });
  }
  return examples;
}

const examples = jsdocExamples(readFileSync(SOURCE, "utf8"));

test("src/jwt.ts has runnable examples, each importing the package by name", () => {
  assert.ok(examples.length >= 3, `found ${examples.length}`);
  for (const { title, code } of examples) {
    assert.match(code, /from "agent-service\/jwt"/, title);
    assert.match(code, /assert\./, `${title} asserts what it shows`);
  }
});

for (const { title, code } of examples) {
  test(`the example runs: ${title}`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "jwt-example-"));
    try {
      const file = join(dir, "example.ts");
      await writeFile(file, code.replaceAll('"agent-service/jwt"', JSON.stringify(SOURCE.href)));
      await import(pathToFileURL(file).href);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
