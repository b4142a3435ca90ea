/**
 * Packs the libraries a service reuses, `agent-service/jwt` and
 * `agent-service/client`, as an npm tarball of ES modules with `.d.ts` types
 * and no dependencies:
 *
 *   npm run pack:lib                               # ./agent-service-<version>.tgz
 *   npm run pack:lib -- --destination /tmp/out     # elsewhere
 *
 * The repository's own package.json is the service's (private, with the
 * service's dependencies, exports pointing at the TypeScript sources for
 * tsx and Deno), so `npm pack` of the root would hand a library user the
 * server's dependencies and files Node cannot import. This stages a package
 * of its own in a temp directory and runs `npm pack` on it:
 *
 * - `dist/jwt.js`, `dist/client.js`: src/jwt.ts and src/client/index.ts,
 *   each bundled to one ES module by esbuild (jwt imports only `node:crypto`
 *   and `node:buffer`; the client nothing);
 * - `dist/jwt.d.ts`, `dist/client.d.ts`: their types, bundled by
 *   dts-bundle-generator (the client's wire types come from the server's own
 *   modules: inlined, so nothing of the server is referenced);
 * - a package.json (name and version from the root's), and a README.
 *
 * Prints the tarball's path.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import dts from "dts-bundle-generator";
import * as esbuild from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const ENTRIES = [
  { name: "jwt", source: "src/jwt.ts" },
  { name: "client", source: "src/client/index.ts" },
] as const;

const README = (version: string) => `# agent-service ${version}: \`verifyJwt\` and \`AgentClient\`

ES modules with types, no dependencies, for Node (>= 20), Deno and Bun.

\`\`\`ts
import { signJwt, verifyJwt } from "agent-service/jwt";

const result = verifyJwt(token, [currentSecret, previousSecret], { issuer: "https://login.example.com" });
if (result.ok) console.log(result.user); // { uid, name, email, role }
else console.log(result.code);           // "expired", "bad_signature", "alg_not_allowed", ...
\`\`\`

\`\`\`ts
import { AgentClient } from "agent-service/client";

const client = new AgentClient({ baseUrl: "https://platform.example.com/api", getToken: () => token });
const agent = await client.createAgent({ modelType: "claude-sonnet" });
\`\`\`

\`agent-service/jwt\` verifies HS256 tokens synchronously on \`node:crypto\`
(pure: no environment, I/O, logging or shared state) and never throws for a
token; \`agent-service/client\` is a typed client for the service's REST API
and its \`/react\` WebSocket. The service itself and its full documentation
live in the agent-service repository.
`;

async function packLibrary(destination: string): Promise<string> {
  const root = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string; engines?: unknown };
  const stage = await mkdtemp(join(tmpdir(), "agent-service-lib-"));
  try {
    for (const entry of ENTRIES) {
      await esbuild.build({
        absWorkingDir: ROOT,
        entryPoints: [entry.source],
        outfile: join(stage, "dist", `${entry.name}.js`),
        bundle: true,
        format: "esm",
        platform: "neutral",
        target: "es2022",
        external: ["node:*"],
        logLevel: "warning",
      });
    }
    const declarations = dts.generateDtsBundle(
      ENTRIES.map((entry) => ({ filePath: join(ROOT, entry.source), output: { noBanner: true } })),
      { preferredConfigPath: join(ROOT, "tsconfig.json") },
    );
    for (const [index, entry] of ENTRIES.entries()) await writeFile(join(stage, "dist", `${entry.name}.d.ts`), declarations[index]!);

    const manifest = {
      name: "agent-service",
      version: root.version,
      description: "verifyJwt (pure HS256 JWT verification) and AgentClient (a typed client for agent-service), for Node, Deno and Bun.",
      type: "module",
      exports: Object.fromEntries(
        ENTRIES.map((entry) => [`./${entry.name}`, { types: `./dist/${entry.name}.d.ts`, default: `./dist/${entry.name}.js` }]),
      ),
      files: ["dist"],
      sideEffects: false,
      engines: root.engines,
    };
    await writeFile(join(stage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(join(stage, "README.md"), README(root.version));

    const output = execFileSync("npm", ["pack", stage, "--pack-destination", destination, "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" });
    const [packed] = JSON.parse(output) as { filename: string }[];
    return join(destination, packed!.filename);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

const at = process.argv.indexOf("--destination");
console.log(await packLibrary(resolve(at > 0 ? process.argv[at + 1]! : ".")));
