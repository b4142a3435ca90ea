/**
 * Writes the OpenAPI document (src/contract/openapi.ts) to a file, for the
 * linter (`redocly lint`) and for schemathesis-free reading:
 *
 *   npx tsx scripts/contract/write-openapi.ts [out.json] [--prefix /api]
 *
 * Default output: `.contract/openapi.json` (git-ignored); the document the
 * service serves at `GET /api/openapi.json` is the same one.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import process from "node:process";
import { buildOpenApiDocument } from "../../src/contract/openapi.ts";

const args = process.argv.slice(2);
const prefixAt = args.indexOf("--prefix");
const apiPrefix = prefixAt >= 0 ? args.splice(prefixAt, 2)[1] ?? "/api" : "/api";
const out = args[0] ?? ".contract/openapi.json";
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(buildOpenApiDocument({ apiPrefix }), null, 2)}\n`);
console.log(`wrote ${out} (API prefix ${apiPrefix || "none"})`);
