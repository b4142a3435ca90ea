/**
 * `npm run demo` as a newcomer meets it: the real demo process (scripts/demo.ts:
 * the service on its embedded defaults, the scripted demo model, a minted
 * token), the URL it prints opened in Debian's Chromium, one message, and the
 * copilot building a workflow in the page. Screenshot: test-output/demo.png.
 */
import { test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { launchBrowser, type TestBrowser } from "../helpers/browser.ts";

test("npm run demo: the printed URL signs in, and the demo model builds a four-operator workflow in the page", { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "demo-e2e-"));
  // PORT=0, as the README offers: the printed URLs must carry the port the service got.
  const env: Record<string, string | undefined> = { ...process.env, PORT: "0", AGENT_STATE_DIR: dir };
  delete env.LITELLM_BASE_URL;
  delete env.AUTH_JWT_SECRET;
  delete env.AGENT_ENV;
  const demo = spawn("node", ["--import", "tsx", "scripts/demo.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  demo.stdout?.on("data", (chunk) => (output += chunk));
  demo.stderr?.on("data", (chunk) => (output += chunk));
  let browser: TestBrowser | undefined;
  try {
    let url: string | undefined;
    for (let i = 0; i < 600 && !url; i++) {
      if (demo.exitCode !== null) throw new Error(`demo exited: ${output}`);
      url = /^\s+(http:\/\/127\.0\.0\.1:\d+\/api\/playground\/#token=\S+)$/m.exec(output)?.[1];
      if (!url) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(url, `the demo printed the playground URL:\n${output}`);
    const port = new URL(url).port;
    assert.notEqual(port, "0");
    assert.match(output, new RegExp(`listening on 0\\.0\\.0\\.0:${port},`), "the banner names the same port");
    const pid = /^agent-service \(\w+ [^,]+, pid (\d+)\)/m.exec(output)?.[1];
    assert.equal(pid, String(demo.pid), "the demo process is the service");
    assert.match(output, new RegExp(`^demo: Ctrl-C stops it \\(or kill ${pid}\\); agents stay in `, "m"), "how to stop it");
    const curl = /curl -H "Authorization: Bearer ([\w-]+\.[\w-]+\.[\w-]+)" (http:\/\/127\.0\.0\.1:(\d+)\/api\/agents\/models)/.exec(output);
    assert.ok(curl, output);
    assert.equal(curl[3], port);
    const models = await fetch(curl[2]!, { headers: { authorization: `Bearer ${curl[1]}` } });
    assert.equal(models.status, 200, "the printed curl line works");
    await models.body?.cancel();
    assert.match(output, /scripted demo model \("demo-scripted-copilot", not an LLM\)/);

    browser = await launchBrowser();
    const page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });

    await page.goto(url);
    await page.waitForSelector("body[data-ready=true]");
    await page.waitForFunction(() => document.querySelector("#whoami")?.textContent?.includes("demo"));
    assert.equal(await page.evaluate(() => location.hash), "", "the token left the address bar");
    await page.waitForSelector('#model-list li[data-model="demo-scripted-copilot"]');
    assert.match((await page.textContent('#model-list li[data-model="demo-scripted-copilot"]')) ?? "", /scripted demo/);

    await page.fill("#agent-name", "Demo");
    await page.click("#create-agent");
    await page.waitForSelector('#connection[data-state="open"]');
    await page.fill("#message", "Show me revenue per region as a chart");
    await page.click("#send");
    await page.waitForSelector(".msg.streaming");
    await page.waitForFunction(() => document.querySelectorAll(".msg.agent .tool-card").length === 4, undefined, { timeout: 30_000 });
    await page.waitForSelector(".msg.agent:not(.streaming) >> text=/^Done\\./");
    await page.waitForFunction(() => document.querySelectorAll("#workflow-graph svg .wf-node").length === 4);
    assert.equal(await page.locator("#workflow-graph svg .wf-edge").count(), 3);
    assert.deepEqual(
      (await page.locator("#workflow-graph .wf-label").allTextContents()).sort(),
      ["Load sales", "Orders over 100", "Revenue by region", "Total per region"],
    );

    await mkdir("test-output", { recursive: true });
    await page.screenshot({ path: "test-output/demo.png", fullPage: true });
    assert.deepEqual(problems, [], "no page errors");
  } finally {
    await browser?.close();
    if (demo.exitCode === null) {
      const exited = new Promise((resolve) => demo.once("exit", resolve));
      demo.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
});
