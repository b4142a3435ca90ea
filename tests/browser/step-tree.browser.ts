/**
 * The step tree in the playground, in Debian's Chromium: the service keeps
 * every branch of a conversation; the page shows the whole tree, checks out
 * any earlier step (from the conversation or the tree), marks where the
 * conversation branched and which branch is current, and the workflow graph
 * follows each checkout. Screenshot: test-output/step-tree.png.
 */
import { test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import type { Page } from "playwright-core";
import { type PlaygroundService, withPlaygroundPage, workflowToolkit } from "../helpers/browser.ts";
import { mintToken } from "../helpers/tokens.ts";

const labels = (page: Page) => page.locator("#workflow-graph .wf-label").allTextContents();
const chatTexts = (page: Page) => page.locator("#messages .msg .bubble").allTextContents();

async function turn(service: PlaygroundService, page: Page, message: string, replies: Parameters<PlaygroundService["upstream"]["enqueue"]>) {
  service.upstream.enqueue(...replies);
  const before = await page.locator("#messages .msg[data-step-id]").count();
  await page.fill("#message", message);
  await page.click("#send");
  await page.waitForFunction((n) => document.querySelectorAll("#messages .msg[data-step-id]").length >= n, before + 1 + replies.length);
  await page.waitForSelector('#agent-state[data-state="AVAILABLE"]');
}

test("the step tree: check out an earlier step, branch from it, see the fork and the current branch, switch back; the graph follows", { timeout: 120_000 }, async () => {
  await withPlaygroundPage({ toolkits: () => workflowToolkit() }, async ({ service, page, problems }) => {
    const token = mintToken({ userId: 3, sub: "tess" });

    await page.goto(`${service.url}/api/playground/`);
    await page.waitForSelector("body[data-ready=true]");
    await page.fill("#token-input", token);
    await page.click("#token-save");
    await page.waitForSelector('#model-list li[data-model="scripted-model"]');
    await page.fill("#agent-name", "Tree");
    await page.click("#create-agent");
    await page.waitForSelector('#connection[data-state="open"]');
    const agentId = await page.getAttribute("#agent-list li.selected", "data-agent-id");
    assert.ok(agentId);

    // Two turns in a row: one branch, HEAD at the end.
    await turn(service, page, "Read the data", [
      { kind: "tool_calls", calls: [{ id: "a1", name: "add_operator", arguments: '{"operatorType":"CSVFileScan","displayName":"Read"}' }] },
      { kind: "text", text: "Added a reader." },
    ]);
    await turn(service, page, "Filter it", [
      { kind: "tool_calls", calls: [{ id: "b1", name: "add_operator", arguments: '{"operatorType":"Filter","after":"CSVFileScan-1"}' }] },
      { kind: "text", text: "Added a filter." },
    ]);
    await page.waitForFunction(() => document.querySelectorAll("#workflow-graph .wf-node").length === 2);
    await page.waitForFunction(() => document.querySelectorAll("#step-tree .tree-step").length === 6);
    assert.equal(await page.locator("#step-tree .tree-step.on-path").count(), 6);
    assert.equal(await page.locator("#step-tree .tree-fork").count(), 0);
    assert.match((await page.textContent("#step-tree .tree-step.head")) ?? "", /^Agent: Added a filter\.HEAD$/);
    assert.equal(await page.locator("#messages .checkout").count(), 5, "every step but HEAD can be checked out");

    // Check out the end of the first turn from the conversation: the later steps leave the chat, the graph goes back to one operator.
    await page.click('#messages .msg.agent:has-text("Added a reader.") .checkout');
    await page.waitForFunction(() => document.querySelectorAll("#messages .msg[data-step-id]").length === 3);
    assert.deepEqual(await chatTexts(page), ["Read the data", "Added a reader."]);
    await page.waitForFunction(() => document.querySelectorAll("#workflow-graph .wf-node").length === 1);
    assert.deepEqual(await labels(page), ["Read"]);
    await page.waitForFunction(() => document.querySelector("#step-tree .tree-step.head")?.textContent?.startsWith("Agent: Added a reader."));
    assert.equal(await page.locator("#step-tree .tree-step").count(), 6, "the later steps stay in the tree");
    assert.equal(await page.locator("#step-tree .tree-step.on-path").count(), 3);
    assert.equal(await page.locator("#step-tree .tree-step:not(.on-path)").first().textContent(), "You: Filter it");

    // A message from there starts a second branch.
    await turn(service, page, "Aggregate instead", [
      { kind: "tool_calls", calls: [{ id: "c1", name: "add_operator", arguments: '{"operatorType":"Aggregate","after":"CSVFileScan-1"}' }] },
      { kind: "text", text: "Added an aggregate." },
    ]);
    await page.waitForSelector('#messages .branch-marker[data-branch="2"][data-branches="2"]');
    assert.equal(await page.textContent("#messages .branch-marker .branch-text"), "The conversation branched here: branch 2 of 2");
    assert.deepEqual(await chatTexts(page), ["Read the data", "Added a reader.", "Aggregate instead", "Added an aggregate."]);
    assert.equal(
      await page.evaluate(() => document.querySelector("#messages .branch-marker")?.nextElementSibling?.textContent?.startsWith("Aggregate instead")),
      true,
      "the marker stands where the conversation branched",
    );
    await page.waitForFunction(() => document.querySelectorAll("#workflow-graph .wf-node").length === 2);
    assert.deepEqual(await labels(page), ["Read", "Aggregate"]);
    await page.waitForFunction(() => document.querySelectorAll("#step-tree .tree-step").length === 9);
    assert.equal(await page.locator("#step-tree .tree-fork").count(), 1);
    assert.equal(await page.textContent("#step-tree .tree-fork-label"), "2 branches from here");
    assert.deepEqual(await page.locator("#step-tree .tree-branch-label").allTextContents(), ["branch 1", "branch 2 · current"]);
    assert.match((await page.textContent('#step-tree .tree-branch.current[data-branch="2"] .tree-step.head')) ?? "", /^Agent: Added an aggregate\./);
    assert.match((await page.textContent("#tree-note")) ?? "", /^9 steps, branched 1 time on the way to HEAD\./);

    await mkdir("test-output", { recursive: true });
    await page.screenshot({ path: "test-output/step-tree.png" });

    // Back to branch 1 from the marker: its newest end, the filter.
    await page.click("#messages .branch-marker .branch-prev");
    await page.waitForSelector('#messages .branch-marker[data-branch="1"][data-branches="2"]');
    assert.deepEqual(await chatTexts(page), ["Read the data", "Added a reader.", "Filter it", "Added a filter."]);
    await page.waitForFunction(() => document.querySelector("#workflow-graph .wf-node:nth-of-type(2) .wf-label")?.textContent === "Filter");
    assert.deepEqual(await labels(page), ["Read", "Filter"]);
    await page.waitForFunction(() => document.querySelector("#step-tree .tree-branch.current")?.getAttribute("data-branch") === "1");
    assert.equal(await page.isDisabled("#messages .branch-marker .branch-prev"), true, "no branch before the first");
    assert.equal(await page.isEnabled("#messages .branch-marker .branch-next"), true);

    // The service agrees on HEAD.
    const headOnPage = await page.getAttribute("#step-tree .tree-step.head", "data-step-id");
    const answer = await fetch(`${service.url}/api/agents/${agentId}/react-steps`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await answer.json()) as { headId: string }).headId, headOnPage);

    // Any step from the tree: the very first message; the conversation and the workflow go back to it.
    await page.click('#step-tree .tree-step:has-text("You: Read the data")');
    await page.waitForFunction(() => document.querySelectorAll("#messages .msg[data-step-id]").length === 1);
    assert.equal(await page.locator("#messages .branch-marker").count(), 0);
    await page.waitForFunction(() => document.querySelector("#workflow-note")?.textContent?.includes("empty"));
    assert.equal(await page.locator("#workflow-graph .wf-node").count(), 0);

    // While a run goes, the service refuses checkouts: the buttons are off, and on again after it.
    service.upstream.enqueue({ kind: "text", text: "Starting over, slowly. ".repeat(40), chunkSize: 4, delayMs: 15 });
    await page.fill("#message", "Start over");
    await page.click("#send");
    await page.waitForSelector('#agent-state[data-state="GENERATING"]');
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLButtonElement>("#step-tree .tree-step, #messages .checkout")].every((b) => b.disabled));
    await page.waitForSelector('#agent-state[data-state="AVAILABLE"]');
    await page.waitForFunction(() => document.querySelectorAll("#step-tree .tree-fork").length === 2);
    assert.equal(await page.locator("#step-tree .tree-step:not(.head):not([disabled])").count(), 10, "every step but HEAD can be checked out again");
    assert.equal(await page.locator("#messages .branch-marker").count(), 1, "branched at the first message's answer");

    assert.deepEqual(problems, [], "no console errors");
  });
});
