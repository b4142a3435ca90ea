/**
 * The API reference page in Debian's Chromium: Redoc, served by the service
 * itself, renders the operations of the OpenAPI document, the page lists
 * every message of the socket protocol from the AsyncAPI document, and
 * nothing is requested from anywhere but the service (the page's CSP would
 * refuse it; a refusal is a console error, which fails the test too).
 *
 * The OpenAPI document is the service's own `/api/openapi.json` when it has
 * one; otherwise a small stand-in served by the test.
 *
 * Screenshot: test-output/docs.png.
 */
import { test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { basicToolkit } from "../../src/agents/basic-toolkit.ts";
import { CLIENT_MESSAGES, SERVER_FRAMES } from "../../src/contract/socket-messages.ts";
import type { AppRouter } from "../../src/http/app.ts";
import { docsRoutes } from "../../src/http/docs-routes.ts";
import { json } from "../../src/http/responses.ts";
import { launchBrowser, pageProblems, type PlaygroundService, startPlaygroundService, type TestBrowser } from "../helpers/browser.ts";

/** A stand-in OpenAPI document: two operations whose summaries the page must show. */
const STAND_IN = {
  openapi: "3.1.0",
  info: { title: "agent-service (stand-in)", version: "0.0.0" },
  paths: {
    "/api/healthcheck": { get: { operationId: "healthcheck", summary: "Is the service alive", responses: { "200": { description: "ok" } } } },
    "/api/agents": { get: { operationId: "listAgents", summary: "List the caller's agents", responses: { "200": { description: "a page" } } } },
  },
};

test("the API reference page renders the OpenAPI operations and the socket messages, from the service alone", { timeout: 120_000 }, async () => {
  let service: PlaygroundService | undefined;
  let browser: TestBrowser | undefined;
  try {
    const standIn = (router: AppRouter, prefix: string) => void router.get(`${prefix}/test/openapi.json`, () => json(STAND_IN));
    // The service's own OpenAPI document when it has one; else the stand-in.
    service = await startPlaygroundService({ toolkits: () => basicToolkit() });
    const own = await fetch(`${service.url}/api/openapi.json`);
    const openapi = own.ok ? await own.json() as typeof STAND_IN : (await own.body?.cancel(), STAND_IN);
    await service.close();
    service = undefined;
    const summaries = Object.values(openapi.paths).flatMap((item) =>
      Object.values(item as Record<string, { summary?: string; operationId?: string }>).map((operation) => operation.summary ?? operation.operationId)
    ).filter((name): name is string => typeof name === "string").slice(0, 3);
    assert.ok(summaries.length > 0, "the document has operations to look for");
    service = await startPlaygroundService({
      toolkits: () => basicToolkit(),
      extraRoutes: [standIn, docsRoutes(own.ok ? {} : { openapiUrl: "/api/test/openapi.json" })],
    });
    const pageService = service;

    browser = await launchBrowser();
    const page = await browser.context.newPage();
    page.setDefaultTimeout(30_000);
    const problems = pageProblems(page);
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    // A safety net: whatever would leave the machine is refused (and still fails the test below).
    await page.route((url) => !url.href.startsWith(`${pageService.url}/`) && url.protocol !== "data:", (route) => route.abort());

    const response = await page.goto(`${pageService.url}/api/docs`);
    assert.equal(response?.status(), 200);
    try {
      for (const summary of summaries) {
        // The sidebar may hide its entries (collapsed groups); the operation itself is shown.
        await page.getByText(summary, { exact: true }).filter({ visible: true }).first().waitFor({ state: "visible" });
      }
      for (const name of [...Object.keys(CLIENT_MESSAGES), ...Object.keys(SERVER_FRAMES)]) {
        await page.waitForSelector(`#socket-protocol #message-${name}`, { state: "attached" });
      }
    } catch (error) {
      throw new Error(`${(error as Error).message}\nthe page's problems: ${problems.join("\n") || "none"}\nrequested: ${requested.join(", ")}`);
    }
    assert.ok(await page.locator("#socket-protocol").getByText("4401", { exact: false }).count() > 0, "the close codes are on the page");

    await mkdir("test-output", { recursive: true });
    await page.screenshot({ path: "test-output/docs.png", fullPage: false });

    const elsewhere = requested.filter((url) => !url.startsWith(`${pageService.url}/`) && !url.startsWith("data:"));
    assert.deepEqual(elsewhere, [], "nothing requested from outside the service");
    assert.deepEqual(problems, [], "no console errors (a CSP violation is one)");
  } finally {
    await browser?.close();
    await service?.close();
  }
});
