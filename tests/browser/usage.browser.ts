/**
 * Tokens and cost in the playground, in a real browser: per step, per run
 * (on the step that ends it) and the user's total for today in the top bar,
 * against a daily token limit that the page shows reached. The sums are the
 * service's (GET /api/agents/:id/usage answers the same).
 *
 * `npm run test:browser` runs it on Node, then on Deno (it needs chromium).
 */
import { test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { withPlaygroundPage, workflowToolkit } from "../helpers/browser.ts";
import { mintToken } from "../helpers/tokens.ts";

/** 11 tokens in at 1e-6 USD and 7 out at 2e-6 USD: 18 tokens, $0.000025 a call. */
const PRICES = { modelInfo: { "scripted-model": { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 } } };

test("the playground shows tokens and cost per step, per run and today's total, and a reached daily limit", { timeout: 120_000 }, async () => {
  await withPlaygroundPage({ toolkits: () => workflowToolkit(), upstream: PRICES, limits: { daily: { tokens: 40 } } }, async ({ service, page, problems }) => {
    const token = mintToken({ userId: 1, sub: "alice", email: "alice@example.com" });
    await page.goto(`${service.url}/api/playground/`);
    await page.waitForSelector("body[data-ready=true]");
    assert.equal(await page.isVisible("#usage-today"), false, "nothing to show before signing in");
    await page.fill("#token-input", token);
    await page.click("#token-save");
    await page.waitForSelector("#usage-today:not([hidden])");
    assert.equal(await page.textContent("#usage-today"), "today: 0 tokens · $0 (limit 40 tokens)");

    await page.fill("#agent-name", "Spender");
    await page.click("#create-agent");
    await page.waitForSelector('#connection[data-state="open"]');

    service.upstream.enqueue(
      { kind: "tool_calls", calls: [{ id: "c1", name: "add_operator", arguments: '{"operatorType":"CSVFileScan","displayName":"Read"}' }] },
      { kind: "text", text: "Added a CSV scan." },
    );
    await page.fill("#message", "Add a scan");
    await page.press("#message", "Enter");
    await page.waitForSelector(".msg.agent >> text=Added a CSV scan.");
    await page.waitForSelector('#agent-state[data-state="AVAILABLE"]');
    assert.deepEqual(await page.locator(".msg.agent .meta .usage").allTextContents(), ["18 tokens · $0.000025", "18 tokens · $0.000025"]);
    assert.match((await page.locator(".msg.agent .meta .usage").first().getAttribute("title")) ?? "", /^11 in \(0 cached\), 7 out; cost from the model's prices; model scripted-model/);
    assert.deepEqual(await page.locator(".msg.agent .meta .run-usage").allTextContents(), ["run: 36 tokens · $0.00005 · 2 calls"], "on the step that ends the run");
    assert.equal(await page.locator(".msg.user .meta .usage").count(), 0, "a user step made no model call");
    await page.waitForFunction(() => document.querySelector("#usage-today")?.textContent === "today: 36 tokens · $0.00005 (limit 40 tokens)");

    // The next run crosses the limit: its own call finishes; the page then shows the limit reached.
    await page.fill("#message", "And now?");
    await page.press("#message", "Enter");
    await page.waitForSelector(".msg.agent >> text=echo: And now?");
    await page.waitForFunction(() => document.querySelector("#usage-today")?.classList.contains("exceeded"));
    assert.equal(await page.textContent("#usage-today"), "today: 54 tokens · $0.000075 (limit 40 tokens) · limit reached");
    assert.deepEqual(await page.locator(".msg.agent .meta .run-usage").allTextContents(), ["run: 36 tokens · $0.00005 · 2 calls", "run: 18 tokens · $0.000025 · 1 call"]);

    // A message past the limit is refused before any model call; the page says why.
    const calls = service.upstream.requests.length;
    await page.waitForSelector("#send:not([disabled])");
    await page.fill("#message", "One more?");
    await page.press("#message", "Enter");
    await page.waitForSelector("#toast:not([hidden])");
    assert.match((await page.textContent("#toast")) ?? "", /^You have used your daily token limit \(54 of 40 tokens today\); it resets at 00:00 UTC/);
    assert.equal(service.upstream.requests.length, calls);
    assert.deepEqual(problems, []);
  });
});
