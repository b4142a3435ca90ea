/**
 * The playground's routes (the page with its CSP, its config, development
 * tokens), the committed build being up to date, the workflow graph's
 * layout and the step tree's model. The page itself is driven in a real browser
 * by `tests/browser/*.browser.ts` (`npm run test:browser`).
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { TokenVerifier } from "../src/auth.ts";
import { loadConfig } from "../src/config.ts";
import { devTokenMinter } from "../src/dev-tokens.ts";
import { createLogger } from "../src/log.ts";
import { type DevTokenClaims, PLAYGROUND_CSP, playgroundRoutes } from "../src/http/playground-routes.ts";
import { signJwt } from "../src/jwt.ts";
import { layoutWorkflow, NODE_HEIGHT, NODE_WIDTH, parseWorkflow } from "../src/playground/workflow-graph.ts";
import { branchTip, buildStepTree, forksOnPath, holdsHead, stepSummary } from "../src/playground/step-tree.ts";
import type { ReActStep } from "../src/agents/types.ts";
import { stalePlaygroundFiles } from "../scripts/build-playground.ts";
import { withServer } from "./helpers/server.ts";
import { TEST_SECRET } from "./helpers/tokens.ts";

const mint = (claims: DevTokenClaims) =>
  signJwt({ sub: claims.name, userId: claims.uid, email: claims.email, role: claims.role, exp: Math.floor(Date.now() / 1000) + claims.expiresInSeconds }, TEST_SECRET);

async function get(url: string, init: RequestInit = {}) {
  const response = await fetch(url, { redirect: "manual", ...init });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const post = (url: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) =>
  get(url, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });

describe("the playground page", () => {
  test("page, style, script and client module: served without a token, with a strict CSP and no inline code", async () => {
    await withServer({ routes: [playgroundRoutes({ devMode: false })] }, async (server) => {
      const redirect = await get(`${server.url}/api/playground`);
      assert.equal(redirect.status, 308);
      assert.equal(redirect.headers.get("location"), "/api/playground/");

      const page = await get(`${server.url}/api/playground/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      assert.equal(page.headers.get("content-security-policy"), PLAYGROUND_CSP);
      assert.match(PLAYGROUND_CSP, /^default-src 'self'; connect-src 'self' ws: wss:/);
      assert.equal(page.headers.get("x-content-type-options"), "nosniff");
      assert.equal(page.headers.get("referrer-policy"), "no-referrer");
      assert.match(page.text, /<script type="module" src="app\.js"><\/script>/);
      assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/, "no inline script");
      assert.doesNotMatch(page.text, /\son[a-z]+=|\sstyle=|<style|javascript:/i, "no inline handlers or styles");

      const app = await get(`${server.url}/api/playground/app.js`);
      assert.equal(app.status, 200);
      assert.match(app.headers.get("content-type") ?? "", /^text\/javascript/);
      assert.equal(app.headers.get("content-security-policy"), PLAYGROUND_CSP);
      assert.match(app.text, /from "\.\/client\.js"/, "the page script imports the served client");
      assert.doesNotMatch(app.text, /console\.(log|info|debug)/, "the page logs nothing (never the token)");
      assert.doesNotMatch(app.text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, "no markup strings");

      const client = await get(`${server.url}/api/playground/client.js`);
      assert.equal(client.status, 200);
      assert.match(client.text, /export \{[^}]*\bAgentClient\b[^}]*\}/, "an ES module exporting AgentClient");
      assert.doesNotMatch(client.text, /^import /m, "self-contained: no imports to resolve");

      const css = await get(`${server.url}/api/playground/style.css`);
      assert.equal(css.status, 200);
      assert.match(css.headers.get("content-type") ?? "", /^text\/css/);

      assert.equal((await get(`${server.url}/api/playground/nope.js`)).status, 404);
      assert.equal((await get(`${server.url}/api/agents`)).status, 401, "the agents API stays guarded");
    });
  });

  test("a missing build answers 503 with what to run, and is picked up once built", async () => {
    const dir = await mkdtemp(join(tmpdir(), "playground-"));
    try {
      const assetsDir = pathToFileURL(`${dir}/`);
      const lines: string[] = [];
      const logger = createLogger({ level: "debug", write: (line) => lines.push(line) });
      await withServer({ logger, routes: [playgroundRoutes({ devMode: false, assetsDir, logger })] }, async (server) => {
        const missing = await get(`${server.url}/api/playground/app.js`);
        assert.equal(missing.status, 503);
        assert.deepEqual(JSON.parse(missing.text), { error: "The playground is not built: run npm run build:playground", code: "service_unavailable" });
        assert.match(lines.join("\n"), /a playground file is missing; run npm run build:playground/);
        const { mkdir } = await import("node:fs/promises");
        await mkdir(join(dir, "dist"));
        await writeFile(join(dir, "dist", "app.js"), "export {};\n");
        assert.equal((await get(`${server.url}/api/playground/app.js`)).text, "export {};\n");
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("the committed build in src/playground/dist matches a fresh one (npm run build:playground)", async () => {
    assert.deepEqual(await stalePlaygroundFiles(), [], "run npm run build:playground and commit src/playground/dist");
  });
});

describe("GET /", () => {
  test("in development: 302 to the playground, with a JSON body naming it for curl", async () => {
    await withServer({ routes: [playgroundRoutes({ devMode: false, rootRedirect: true })] }, async (server) => {
      const root = await get(`${server.url}/`);
      assert.equal(root.status, 302);
      assert.equal(root.headers.get("location"), "/api/playground/");
      assert.deepEqual(JSON.parse(root.text), { playground: "/api/playground/", healthcheck: "/api/healthcheck" });
      const followed = await fetch(`${server.url}/`);
      assert.equal(followed.status, 200);
      assert.match(await followed.text(), /<title>agent-service playground<\/title>/, "a browser lands on the page");
    });
  });

  test("otherwise (production): a JSON 404 that names the healthcheck, which answers", async () => {
    for (const routes of [[playgroundRoutes({ devMode: false })], []]) {
      await withServer({ routes }, async (server) => {
        const root = await get(`${server.url}/`);
        assert.equal(root.status, 404);
        assert.match(root.headers.get("content-type") ?? "", /^application\/json/);
        assert.deepEqual(JSON.parse(root.text), { error: "Not found: this is agent-service's API under /api; its healthcheck is GET /api/healthcheck", code: "not_found" });
        assert.equal((await get(`${server.url}/api/healthcheck`)).status, 200);
        assert.deepEqual(JSON.parse((await get(`${server.url}/nope`)).text), { error: "Not found", code: "not_found" }, "other paths keep the plain 404");
      });
    }
  });
});

describe("development tokens", () => {
  test("off unless development mode and a signer: config says so and POST /dev/token is 404", async () => {
    for (const options of [{ devMode: false, mintToken: mint }, { devMode: true }, { devMode: false }]) {
      await withServer({ routes: [playgroundRoutes(options)] }, async (server) => {
        assert.deepEqual(JSON.parse((await get(`${server.url}/api/playground/config`)).text), { devTokens: false, apiPrefix: "/api" });
        const minted = await post(`${server.url}/api/dev/token`, {});
        assert.deepEqual({ status: minted.status, body: JSON.parse(minted.text) }, { status: 404, body: { error: "Not found", code: "not_found" } });
      });
    }
  });

  test("in development mode: a token the service accepts, with validated claims; the token is never logged", async () => {
    const verifier = new TokenVerifier({ keys: TEST_SECRET });
    const lines: string[] = [];
    const logger = createLogger({ level: "debug", write: (line) => lines.push(line) });
    await withServer({ verifier, logger, apiPrefix: "/svc", routes: [playgroundRoutes({ devMode: true, mintToken: mint, logger })] }, async (server) => {
      assert.deepEqual(JSON.parse((await get(`${server.url}/svc/playground/config`)).text), { devTokens: true, apiPrefix: "/svc" });

      const minted = await post(`${server.url}/svc/dev/token`, {});
      assert.equal(minted.status, 200);
      const body = JSON.parse(minted.text);
      assert.deepEqual(body.user, { uid: 1, name: "dev", email: "dev@example.com", role: "REGULAR" });
      assert.equal(body.expiresInSeconds, 8 * 3600);
      const whoami = await get(`${server.url}/svc/agents/whoami`, { headers: { authorization: `Bearer ${body.token}` } });
      assert.deepEqual(JSON.parse(whoami.text), { user: { uid: 1, name: "dev", email: "dev@example.com", role: "REGULAR" } });

      const admin = JSON.parse((await post(`${server.url}/svc/dev/token`, { uid: 7, name: "Ada L", role: "ADMIN", expiresInSeconds: 60 })).text);
      assert.deepEqual(admin.user, { uid: 7, name: "Ada L", email: "ada_l@example.com", role: "ADMIN" });
      assert.ok(verifier.authenticate(admin.token).ok);

      for (const [bad, message] of [
        [{ role: "RESTRICTED" }, /^role: /],
        [{ uid: 0 }, /^uid: /],
        [{ name: "" }, /^name: must not be empty/],
        [{ expiresInSeconds: 86_401 }, /^expiresInSeconds: /],
        [{ admin: true }, /unknown field "admin"/],
      ] as [unknown, RegExp][]) {
        const answer = await post(`${server.url}/svc/dev/token`, bad);
        assert.equal(answer.status, 400, JSON.stringify(bad));
        assert.match(JSON.parse(answer.text).error, message);
      }
      assert.equal((await post(`${server.url}/svc/dev/token`, "name=x", { "content-type": "application/x-www-form-urlencoded" })).status, 415);

      const logs = lines.join("\n");
      assert.match(logs, /development token minted/);
      assert.ok(!logs.includes(body.token) && !logs.includes(admin.token), "no token in the log");
    });
  });
});

describe("development tokens from the service's configuration (devTokenMinter)", () => {
  const PUBLIC_DEFAULT = "8a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d";
  const PRIVATE = "private-secret-0123456789-abcdefghijklmnop";
  const noFiles = { cwd: "/nowhere", readFile: () => undefined };

  /** The playground as main.ts wires it for this environment, behind the verifier the service would use. */
  async function withConfiguredPlayground(env: Record<string, string | undefined>, run: (url: string, verifier: TokenVerifier) => Promise<void>) {
    const config = loadConfig(env, noFiles);
    const mintToken = devTokenMinter(config);
    const verifier = new TokenVerifier({ keys: config.auth.secrets });
    const routes = [playgroundRoutes({ devMode: mintToken !== undefined, ...(mintToken ? { mintToken } : {}) })];
    await withServer({ verifier, routes }, (server) => run(server.url, verifier));
  }

  test("rotating away from the public default (it is only a previous secret): /dev/token is refused", async () => {
    await withConfiguredPlayground({ AUTH_JWT_SECRET: PRIVATE, AUTH_JWT_PREVIOUS_SECRETS: PUBLIC_DEFAULT }, async (url) => {
      assert.deepEqual(JSON.parse((await get(`${url}/api/playground/config`)).text), { devTokens: false, apiPrefix: "/api" });
      const minted = await post(`${url}/api/dev/token`, { role: "ADMIN" });
      assert.deepEqual({ status: minted.status, body: JSON.parse(minted.text) }, { status: 404, body: { error: "Not found", code: "not_found" } });
    });
  });

  test("a private secret, in either AGENT_ENV: refused; production with the public default does not even start", async () => {
    for (const env of [{ AUTH_JWT_SECRET: PRIVATE }, { AUTH_JWT_SECRET: PRIVATE, AGENT_ENV: "production" }]) {
      await withConfiguredPlayground(env, async (url) => {
        assert.equal((await post(`${url}/api/dev/token`, {})).status, 404, JSON.stringify(env));
      });
    }
    assert.throws(() => loadConfig({ AGENT_ENV: "production" }, noFiles), /public default/);
  });

  test("the public default as the current secret in development: a token the service accepts, signed with that secret", async () => {
    for (const env of [{}, { AUTH_JWT_SECRET: PUBLIC_DEFAULT, AUTH_JWT_PREVIOUS_SECRETS: PRIVATE }]) {
      await withConfiguredPlayground(env, async (url, verifier) => {
        const minted = await post(`${url}/api/dev/token`, { uid: 3 });
        assert.equal(minted.status, 200, JSON.stringify(env));
        const { token } = JSON.parse(minted.text) as { token: string };
        assert.equal(verifier.authenticate(token).ok, true);
        assert.equal(new TokenVerifier({ keys: PUBLIC_DEFAULT }).authenticate(token).ok, true, "signed with the public default");
        assert.equal(new TokenVerifier({ keys: PRIVATE }).authenticate(token).ok, false, "never with a private secret");
      });
    }
  });
});

describe("the workflow graph", () => {
  const texera = {
    operators: [
      { operatorID: "CSVFileScan-1", operatorType: "CSVFileScan", operatorProperties: { fileName: "a.csv" }, customDisplayName: "Read tweets" },
      { operatorID: "Filter-2", operatorType: "Filter", operatorProperties: {} },
      { operatorID: "Aggregate-3", operatorType: "Aggregate", operatorProperties: {} },
    ],
    operatorPositions: { "CSVFileScan-1": { x: 100, y: 200 }, "Filter-2": { x: 400, y: 200 }, "Aggregate-3": { x: 700, y: 260 } },
    links: [
      { linkID: "l1", source: { operatorID: "CSVFileScan-1", portID: "output-0" }, target: { operatorID: "Filter-2", portID: "input-0" } },
      { linkID: "l2", source: { operatorID: "Filter-2", portID: "output-0" }, target: { operatorID: "Aggregate-3", portID: "input-0" } },
    ],
    commentBoxes: [],
  };

  test("Texera's workflow content is read and laid out top to bottom, one row per step from the sources", () => {
    const workflow = parseWorkflow(texera);
    assert.ok(workflow);
    const layout = layoutWorkflow(workflow);
    const row = NODE_HEIGHT + 40;
    assert.deepEqual(layout.nodes.map((n) => [n.id, n.label, n.x, n.y]), [
      ["CSVFileScan-1", "Read tweets", 0, 0],
      ["Filter-2", "Filter", 0, row],
      ["Aggregate-3", "Aggregate", 0, 2 * row],
    ]);
    assert.deepEqual(layout.edges.map((e) => [e.from, e.to]), [["CSVFileScan-1", "Filter-2"], ["Filter-2", "Aggregate-3"]]);
    assert.match(layout.edges[0]!.path, new RegExp(`^M ${NODE_WIDTH / 2} ${NODE_HEIGHT} C `), "edges leave from the bottom of the source");
    assert.deepEqual(layout.viewBox, { x: -16, y: -16, width: NODE_WIDTH + 32, height: 2 * row + NODE_HEIGHT + 32 });
  });

  test("branches share a row in the editor's order; cycles, bad entries and absent workflows do not break it", () => {
    const branching = parseWorkflow({
      operators: [{ operatorID: "src", operatorType: "Scan" }, { operatorID: "low", operatorType: "Filter" }, { operatorID: "high", operatorType: "Sort" }],
      operatorPositions: { src: { x: 0, y: 100 }, low: { x: 300, y: 200 }, high: { x: 300, y: 0 } },
      links: [
        { linkID: "1", source: { operatorID: "src", portID: "o" }, target: { operatorID: "low", portID: "i" } },
        { linkID: "2", source: { operatorID: "src", portID: "o" }, target: { operatorID: "high", portID: "i" } },
      ],
    })!;
    const layout = layoutWorkflow(branching);
    const at = Object.fromEntries(layout.nodes.map((n) => [n.id, [n.x, n.y]]));
    assert.deepEqual(at.high, [0, NODE_HEIGHT + 40], "higher in the editor: first in its row");
    assert.deepEqual(at.low, [NODE_WIDTH + 24, NODE_HEIGHT + 40]);
    assert.deepEqual(at.src, [(NODE_WIDTH + 24) / 2, 0], "a narrower row is centred");
    const { operatorPositions: _drop, ...bare } = branching;
    assert.deepEqual(layoutWorkflow({ ...bare, operatorPositions: {} }).nodes.map((n) => n.id), ["src", "low", "high"], "else in the order added");

    const messy = parseWorkflow({
      operators: [{ operatorID: "a", operatorType: "A" }, { operatorID: "b" }, { operatorID: "a", operatorType: "dup" }, null, { operatorType: "no id" }],
      operatorPositions: { a: { x: "1", y: 2 } },
      links: [
        { linkID: "ab", source: { operatorID: "a", portID: "o" }, target: { operatorID: "b", portID: "i" } },
        { linkID: "ba", source: { operatorID: "b", portID: "o" }, target: { operatorID: "a", portID: "i" } },
        { linkID: "dangling", source: { operatorID: "a", portID: "o" }, target: { operatorID: "zzz", portID: "i" } },
      ],
    });
    assert.ok(messy);
    assert.deepEqual(messy.operators.map((o) => [o.operatorID, o.operatorType]), [["a", "A"], ["b", "Operator"]]);
    assert.deepEqual(messy.operatorPositions, {}, "a non-numeric position is dropped");
    assert.deepEqual(messy.links.map((l) => l.linkID), ["ab", "ba"]);
    const cyclic = layoutWorkflow(messy);
    assert.equal(cyclic.nodes.length, 2);
    assert.equal(cyclic.edges.length, 2);

    for (const absent of [undefined, null, {}, { operators: "x" }, [], "workflow"]) assert.equal(parseWorkflow(absent), undefined);
    const empty = layoutWorkflow(parseWorkflow({ operators: [] })!);
    assert.deepEqual(empty, { nodes: [], edges: [], viewBox: { x: 0, y: 0, width: 0, height: 0 } });
  });
});

describe("the step tree", () => {
  let clock = 0;
  const step = (id: string, parentId: string | undefined, role: "user" | "agent", content: string, extra: Partial<ReActStep> = {}): ReActStep => ({
    id,
    ...(parentId ? { parentId } : {}),
    messageId: `m-${id}`,
    stepId: role === "user" ? 0 : 1,
    timestamp: ++clock,
    role,
    content,
    isBegin: role === "user",
    isEnd: role === "agent",
    ...extra,
  });
  // u1 -> a1 -> u2 -> a2, then checked out at a1 and u3 -> a3 sent from there, then u4 from a1 again.
  const steps = [
    step("u1", undefined, "user", "Read the data"),
    step("a1", "u1", "agent", "", { toolCalls: [{ toolName: "addOperator", toolCallId: "c1", input: {} }] }),
    step("u2", "a1", "user", "Filter it"),
    step("a2", "u2", "agent", "Added a filter."),
    step("u3", "a1", "user", "Aggregate instead"),
    step("a3", "u3", "agent", "Added an aggregate.", { toolCalls: [{ toolName: "addOperator", toolCallId: "c3", input: {} }] }),
    step("u4", "a1", "user", "  Something\n else  "),
  ];

  test("the tree from parentId links: children in the order added, HEAD and the path to it", () => {
    const tree = buildStepTree(steps, "a3");
    assert.deepEqual(tree.roots.map((n) => n.step.id), ["u1"]);
    assert.deepEqual(tree.byId.get("a1")!.children.map((n) => n.step.id), ["u2", "u3", "u4"]);
    assert.equal(tree.head?.step.id, "a3");
    assert.deepEqual([...tree.path].sort(), ["a1", "a3", "u1", "u3"]);
    assert.equal(buildStepTree(steps, null).path.size, 0);
    assert.equal(buildStepTree(steps, "gone").head, undefined);
  });

  test("forks on the way to HEAD: which branch is current, and where switching goes (the branch's newest end)", () => {
    const tree = buildStepTree(steps, "a3");
    const forks = forksOnPath(tree);
    assert.deepEqual(forks.map((f) => [f.node.step.id, f.branch, f.siblings.length]), [["u3", 2, 3]]);
    assert.equal(branchTip(forks[0]!.siblings[0]!).step.id, "a2");
    assert.equal(branchTip(forks[0]!.siblings[2]!).step.id, "u4");
    assert.equal(branchTip(tree.roots[0]!).step.id, "u4", "the newest child at each level");
    assert.equal(holdsHead(tree, tree.byId.get("u3")!), true);
    assert.equal(holdsHead(tree, tree.byId.get("u2")!), false);
    assert.deepEqual(forksOnPath(buildStepTree(steps.slice(0, 4), "a2")), [], "one branch: no fork");
    assert.deepEqual(forksOnPath(buildStepTree(steps, "a1")), [], "above the fork: none on the path");
  });

  test("a parent that is missing or comes later makes a root: no cycle can form from the data", () => {
    const looped = [step("x", "y", "user", "x"), step("y", "x", "agent", "y"), step("z", "nowhere", "user", "z")];
    const tree = buildStepTree(looped, "y");
    assert.deepEqual(tree.roots.map((n) => n.step.id), ["x", "z"]);
    assert.deepEqual([...tree.path], ["y", "x"]);
    assert.deepEqual(forksOnPath(tree).map((f) => [f.node.step.id, f.branch]), [["x", 1]], "two roots are two branches");
    assert.equal(buildStepTree([...steps, steps[0]!], "u1").byId.size, steps.length, "a repeated id is kept once");
  });

  test("one line per step: who, the first words or the tools, how it ended", () => {
    assert.equal(stepSummary(steps[0]!), "You: Read the data");
    assert.equal(stepSummary(steps[1]!), "Agent: addOperator");
    assert.equal(stepSummary(steps[5]!), "Agent: Added an aggregate. [addOperator]");
    assert.equal(stepSummary(steps[6]!), "You: Something else", "whitespace folded");
    assert.equal(stepSummary(step("s", undefined, "agent", "Generation stopped by user.", { stopped: true })), "Agent: Generation stopped by user. (stopped)");
    assert.equal(stepSummary(step("e", undefined, "agent", "", { error: "boom" })), "Agent: (no text) (failed)");
    assert.equal(stepSummary(step("l", undefined, "user", "x".repeat(100)), 20), `You: ${"x".repeat(19)}…`);
  });
});
