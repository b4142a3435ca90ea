/**
 * The playground in a real browser (Debian's Chromium through playwright-core):
 * sign in with a pasted token, see the models, create an agent, chat with
 * streamed text and a tool step (with the workflow graph it builds), stop a
 * second run, delete an agent; a screenshot goes to test-output/playground.png.
 *
 * `npm run test:browser` runs it on Node, then on Deno (after `npm test`; it needs chromium).
 */
import { test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { withPlaygroundPage, workflowToolkit } from "../helpers/browser.ts";
import { mintToken } from "../helpers/tokens.ts";

const OUTPUT_DIR = new URL("../../test-output/", import.meta.url);
const SCREENSHOT = new URL("playground.png", OUTPUT_DIR);

test("the playground: sign in, models, create, chat with streaming and tool steps, workflow graph, stop, delete", { timeout: 120_000 }, async () => {
  await withPlaygroundPage({ toolkits: () => workflowToolkit() }, async ({ service, page, problems }) => {
    const token = mintToken({ userId: 1, sub: "alice", email: "alice@example.com" });

    // The page loads without a token, and offers minting (development mode).
    await page.goto(`${service.url}/api/playground/`);
    await page.waitForSelector("body[data-ready=true]");
    assert.equal(await page.isVisible("#mint-form"), true, "development mode offers minting");
    assert.equal(await page.textContent("#whoami"), "not signed in");

    // Paste a token.
    await page.fill("#token-input", token);
    await page.click("#token-save");
    await page.waitForFunction(() => document.querySelector("#whoami")?.textContent?.includes("alice"));
    assert.equal(await page.textContent("#whoami"), "alice · uid 1 · REGULAR");
    assert.equal(await page.inputValue("#token-input"), "", "the field does not keep showing the token");

    // The models.
    await page.waitForSelector('#model-list li[data-model="scripted-model"]');
    assert.equal(await page.inputValue("#agent-model"), "scripted-model");

    // Create an agent; it is selected and its socket connects.
    await page.fill("#agent-name", "Ada");
    await page.click("#create-agent");
    await page.waitForSelector("#agent-list li.selected");
    await page.waitForSelector('#connection[data-state="open"]');
    assert.match((await page.textContent("#chat-title")) ?? "", /^Ada · scripted-model$/);
    await page.waitForFunction(() => document.querySelector("#workflow-note")?.textContent?.includes("empty"));

    // A run with two tool calls and a streamed answer.
    service.upstream.enqueue(
      { kind: "tool_calls", text: "Let me build that.", calls: [{ id: "c1", name: "add_operator", arguments: '{"operatorType":"CSVFileScan","displayName":"Read tweets"}' }] },
      { kind: "tool_calls", calls: [{ id: "c2", name: "add_operator", arguments: '{"operatorType":"Filter","after":"CSVFileScan-1"}' }] },
      { kind: "text", text: "Done: a CSV scan reads the tweets and a filter keeps the ones you want.", chunkSize: 2, delayMs: 25 },
    );
    await page.fill("#message", "Build a workflow that filters tweets");
    await page.press("#message", "Enter");
    await page.waitForSelector('.msg.user[data-role="user"] >> text=Build a workflow that filters tweets');
    await page.waitForSelector(".msg.streaming", { timeout: 10_000 });
    await page.waitForSelector('#agent-state[data-state="GENERATING"]');
    const toolCards = page.locator(".msg.agent .tool-card");
    await page.waitForFunction(() => document.querySelectorAll(".msg.agent .tool-card").length === 2);
    assert.match((await toolCards.first().textContent()) ?? "", /add_operator.*CSVFileScan.*✓ done/);
    await page.waitForSelector(".msg.agent:not(.streaming) >> text=Done: a CSV scan reads the tweets");
    await page.waitForSelector('#agent-state[data-state="AVAILABLE"]');
    assert.equal(await page.locator(".msg.streaming").count(), 0, "the streamed bubble was replaced by the step");

    // A tool card opens to show its input and result.
    await toolCards.first().locator("summary").click();
    assert.match((await toolCards.first().locator(".tool-body").textContent()) ?? "", /"operatorType": "CSVFileScan"[\s\S]*Result[\s\S]*Added CSVFileScan-1/);

    // The workflow graph follows the agent.
    await page.waitForFunction(() => document.querySelectorAll("#workflow-graph svg .wf-node").length === 2);
    assert.equal(await page.locator("#workflow-graph svg .wf-edge").count(), 1);
    assert.deepEqual(await page.locator("#workflow-graph .wf-label").allTextContents(), ["Read tweets", "Filter"]);
    assert.equal(await page.textContent("#workflow-note"), "2 operators, 1 link.");

    // A second, long run: Stop ends it with a stopped step.
    service.upstream.enqueue({ kind: "text", text: "This essay goes on and on. ".repeat(200), chunkSize: 3, delayMs: 15 });
    await page.fill("#message", "Write a very long essay");
    await page.click("#send");
    await page.waitForSelector(".msg.streaming");
    await page.waitForSelector("#stop:not([disabled])");
    await page.click("#stop");
    await page.waitForSelector(".msg.agent.stopped >> text=Generation stopped by user.");
    await page.waitForSelector(".msg.agent.stopped .flag.stopped");
    await page.waitForSelector('#agent-state[data-state="AVAILABLE"]');
    assert.equal(await page.isDisabled("#stop"), true);
    assert.equal(await page.isEnabled("#send"), true);

    // The token stays in this tab's sessionStorage: not in the URL, not in localStorage.
    assert.ok(!page.url().includes(token));
    assert.equal(await page.evaluate(() => sessionStorage.getItem("agent-service.playground.token")), token);
    assert.equal(await page.evaluate(() => localStorage.length), 0);

    await mkdir(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: fileURLToPath(SCREENSHOT), fullPage: false });

    // Another agent, deleted from the list.
    await page.fill("#agent-name", "Temp");
    await page.click("#create-agent");
    await page.waitForSelector('#chat-title >> text=Temp · scripted-model');
    assert.equal(await page.locator("#agent-list li").count(), 2);
    await page.click('#agent-list button[aria-label="Delete Temp"]');
    await page.waitForFunction(() => document.querySelectorAll("#agent-list li").length === 1);
    assert.equal(await page.textContent("#chat-title"), "No agent selected");
    assert.equal((await service.store.listAgents({ limit: 10 })).agents.length, 1);

    // Development mode: forget the pasted token and mint one instead.
    await page.click("#token-forget");
    await page.waitForFunction(() => document.querySelector("#whoami")?.textContent === "not signed in");
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.fill("#mint-name", "Mina");
    await page.click("#token-mint");
    await page.waitForFunction(() => document.querySelector("#whoami")?.textContent?.startsWith("Mina"));
    await page.waitForSelector('#agent-list li >> text=Ada');

    assert.deepEqual(problems, [], "no console errors (a CSP violation would be one)");
    assert.ok(!service.logs.join("\n").includes(token), "the service never logged the token");
  });
});
