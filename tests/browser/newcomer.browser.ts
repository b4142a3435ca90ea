/**
 * What a newcomer tripped on in the playground, in Debian's Chromium:
 *
 * - opening the demo URL (`…/#token=…`) in a tab that already shows the page
 *   changes only the fragment: the page takes the new token and clears the
 *   address bar at once;
 * - a refused token (expired, signed with another secret) clears the
 *   previous user's models, agents, conversation, workflow and step tree,
 *   turns "Create agent" off, and says why;
 * - an agent's state in the sidebar is never cut off by a long model name;
 * - scrolled messages pass under the chat title's bar, not into the title.
 *
 * Screenshots: test-output/newcomer-layout.png, test-output/newcomer-refused.png.
 */
import { test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { withPlaygroundPage, workflowToolkit } from "../helpers/browser.ts";
import { mintToken } from "../helpers/tokens.ts";

const LONG_MODEL = "a-rather-long-provider/demo-scripted-copilot-2026";

test("the playground: fragment tokens in an open tab, a refused token clears everything, states and the chat title stay readable", { timeout: 120_000 }, async () => {
  await withPlaygroundPage({ toolkits: () => workflowToolkit(), models: ["scripted-model", LONG_MODEL] }, async ({ service, page, problems }) => {
    const alice = mintToken({ userId: 1, sub: "alice" });
    const pageUrl = `${service.url}/api/playground/`;

    // The demo's URL: the token in the fragment, gone from the address bar once read.
    await page.goto(`${pageUrl}#token=${alice}`);
    await page.waitForSelector("body[data-ready=true]");
    await page.waitForFunction(() => document.querySelector("#whoami")?.textContent?.startsWith("alice"));
    assert.equal(await page.evaluate(() => location.hash), "");

    // Alice's agent on the long model, one turn: models, agents, conversation, graph and tree on screen.
    await page.waitForSelector(`#model-list li[data-model="${LONG_MODEL}"]`);
    await page.selectOption("#agent-model", LONG_MODEL);
    await page.fill("#agent-name", "Alice's agent");
    await page.click("#create-agent");
    await page.waitForSelector('#connection[data-state="open"]');
    for (let i = 0; i < 6; i++) {
      service.upstream.enqueue(
        ...(i === 0 ? [{ kind: "tool_calls" as const, calls: [{ id: "t1", name: "add_operator", arguments: '{"operatorType":"CSVFileScan"}' }] }] : []),
        { kind: "text", text: `A long answer, number ${i}. `.repeat(20) },
      );
      await page.fill("#message", `Question ${i}`);
      await page.click("#send");
      await page.waitForFunction((n) => document.querySelectorAll(".msg.agent .bubble").length === n, i + 1);
      await page.waitForSelector('#agent-state[data-state="AVAILABLE"]');
    }
    await page.waitForFunction(() => document.querySelectorAll("#workflow-graph .wf-node").length === 1);

    // The sidebar: the state badge is whole, the model name is not cut either.
    await page.waitForSelector('#agent-list li.selected .agent-state[data-state="AVAILABLE"]');
    const sidebar = await page.evaluate(() => {
      const state = document.querySelector<HTMLElement>("#agent-list li.selected .agent-state")!;
      const model = document.querySelector<HTMLElement>("#agent-list li.selected .pick-model")!;
      const pick = document.querySelector<HTMLElement>("#agent-list li.selected .pick")!.getBoundingClientRect();
      const box = state.getBoundingClientRect();
      return {
        state: state.textContent,
        stateFits: state.scrollWidth <= state.clientWidth,
        stateInside: box.left >= pick.left && box.right <= pick.right,
        model: model.textContent,
        modelFits: model.scrollWidth <= model.clientWidth,
      };
    });
    assert.deepEqual(sidebar, { state: "AVAILABLE", stateFits: true, stateInside: true, model: LONG_MODEL, modelFits: true });

    // The chat, scrolled half-way: the title sits in a bar of its own, and the messages pass under its edge.
    await page.evaluate(() => {
      const box = document.querySelector("#messages")!;
      box.scrollTop = (box.scrollHeight - box.clientHeight) / 2;
    });
    const chat = await page.evaluate(() => {
      const head = document.querySelector<HTMLElement>(".chat-head")!;
      const title = document.querySelector<HTMLElement>("#chat-title")!.getBoundingClientRect();
      const box = document.querySelector<HTMLElement>("#messages")!;
      const top = box.getBoundingClientRect().top;
      const x = box.getBoundingClientRect().left + 40;
      return {
        scrolled: box.scrollTop > 0 && box.scrollHeight > box.clientHeight,
        headEndsWhereMessagesStart: Math.abs(head.getBoundingClientRect().bottom - top) < 1,
        gapBelowTitle: top - title.bottom,
        border: getComputedStyle(head).borderBottomWidth,
        justAbove: !!document.elementFromPoint(x, top - 1)?.closest(".chat-head"),
        justBelow: !!document.elementFromPoint(x, top + 1)?.closest("#messages"),
      };
    });
    assert.equal(chat.scrolled, true, "the messages scroll");
    assert.equal(chat.headEndsWhereMessagesStart, true, "the bar ends where the messages begin");
    assert.ok(chat.gapBelowTitle >= 8, `the title keeps its distance from the messages (${chat.gapBelowTitle} px)`);
    assert.equal(chat.border, "1px");
    assert.equal(chat.justAbove, true, "just above the messages is the title bar");
    assert.equal(chat.justBelow, true, "just below the bar are the messages");
    await mkdir("test-output", { recursive: true });
    await page.screenshot({ path: "test-output/newcomer-layout.png" });

    // The demo URL again, in this tab, with a token that has expired: only the fragment changes.
    const expired = mintToken({ userId: 1, sub: "alice", expiresIn: -3600 });
    await page.goto(`${pageUrl}#token=${expired}`);
    await page.waitForFunction(() => document.querySelector("#whoami")?.textContent === "not signed in");
    assert.equal(await page.evaluate(() => location.hash), "", "the new token left the address bar at once");
    assert.equal(await page.textContent("#token-status"), "The token has expired (401): paste or mint a new one.");
    // Nothing of alice's stays.
    assert.equal(await page.locator("#model-list li[data-model]").count(), 0);
    assert.equal(await page.textContent("#model-list"), "Sign in to see the models.");
    assert.equal(await page.locator("#agent-list li[data-agent-id]").count(), 0);
    assert.equal(await page.textContent("#agent-list"), "", "not even \"No agents yet.\": nobody is signed in");
    assert.equal(await page.textContent("#chat-title"), "No agent selected");
    assert.equal(await page.locator("#messages .msg").count(), 0);
    assert.equal(await page.locator("#workflow-graph > *").count(), 0);
    assert.equal(await page.locator("#step-tree > *").count(), 0);
    assert.equal(await page.isDisabled("#create-agent"), true, "Create agent is off");
    assert.equal(await page.isDisabled("#message"), true, "the composer is off");
    await page.screenshot({ path: "test-output/newcomer-refused.png" });
    assert.ok(
      service.logs.some((line) => line.includes('"msg":"request refused"') && line.includes('"code":"expired"')),
      "the service logged why, at debug",
    );

    // A token signed with another secret: the page says so.
    await page.goto(`${pageUrl}#token=${mintToken({ userId: 1 }, "another-secret-0123456789abcdef-xyz")}`);
    await page.waitForFunction(() => document.querySelector("#token-status")?.textContent?.includes("bad_signature"));
    assert.match((await page.textContent("#token-status")) ?? "", /signed with another secret than the service's/);
    assert.equal(await page.evaluate(() => location.hash), "");

    // And a good one for another user: bob sees his (empty) list, not alice's.
    await page.goto(`${pageUrl}#token=${mintToken({ userId: 2, sub: "bob" })}`);
    await page.waitForFunction(() => document.querySelector("#whoami")?.textContent?.startsWith("bob"));
    await page.waitForSelector("#agent-list li >> text=No agents yet.");
    await page.waitForSelector('#model-list li[data-model="scripted-model"]');
    assert.equal(await page.isEnabled("#create-agent"), true, "signed in again, with models: Create agent is back");
    assert.equal(await page.evaluate(() => location.hash), "");

    // Chromium reports each refused call (at least whoami, once per refused token; a
    // call of alice's still under way may join them); nothing else went wrong.
    assert.ok(problems.length >= 2, problems.join("\n"));
    for (const problem of problems) assert.match(problem, /^error: Failed to load resource: the server responded with a status of 401\b/);
    for (const token of [alice, expired]) assert.ok(!service.logs.join("\n").includes(token.slice(token.lastIndexOf(".") + 1)), "no token in the service's log");
  });
});
