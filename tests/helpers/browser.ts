/**
 * Browser tests: Debian's Chromium driven by playwright-core (which never
 * downloads a browser of its own), and the whole service with the playground
 * in-process on an ephemeral port, on Node and Deno (`npm run test:browser`).
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import type { AgentToolkit, ToolkitFactory } from "../../src/agents/agent.ts";
import type { RegistryLimits } from "../../src/agents/registry.ts";
import { BASIC_SYSTEM_PROMPT } from "../../src/agents/basic-toolkit.ts";
import type { Tool } from "../../src/agents/tool.ts";
import type { WorkflowContent } from "../../src/client/types.ts";
import { TokenVerifier } from "../../src/auth.ts";
import type { RouteInstaller } from "../../src/http/app.ts";
import { type DevTokenClaims, playgroundRoutes } from "../../src/http/playground-routes.ts";
import { signJwt } from "../../src/jwt.ts";
import { LiteLLMClient } from "../../src/litellm.ts";
import { createLogger } from "../../src/log.ts";
import { createService, type Service } from "../../src/service.ts";
import { type RunningServer, startServer } from "../../src/server/index.ts";
import { MemoryAgentStore } from "../../src/store/memory-store.ts";
import { type ScriptedLLM, type ScriptedLLMOptions, startScriptedLLM } from "../fixtures/scripted-llm.ts";
import { MASTER_KEY } from "./service.ts";
import { TEST_SECRET } from "./tokens.ts";

/** The Chromium to drive: `CHROMIUM_PATH`, else Debian's. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags for a headless Chromium running as root on a machine without a network. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export interface TestBrowser {
  readonly context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile (user-data-dir) of its own. */
export async function launchBrowser(viewport = { width: 1440, height: 900 }): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  const profile = await mkdtemp(join(tmpdir(), "playground-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      chromiumSandbox: false,
      args: CHROMIUM_ARGS,
      viewport,
      timeout: 60_000,
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    close: async () => {
      try {
        await context.close();
      } finally {
        await rm(profile, { recursive: true, force: true });
      }
    },
  };
}

/** What the page complains about (console errors and warnings, a CSP violation among them, and uncaught errors), collected as it happens. */
export function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

export interface PlaygroundService extends Service {
  readonly url: string;
  readonly server: RunningServer;
  readonly upstream: ScriptedLLM;
  readonly logs: string[];
  close(): Promise<void>;
}

/** Signs development tokens with the test secret (what main.ts does with the real one). */
export function mintDevToken(claims: DevTokenClaims): string {
  return signJwt(
    { sub: claims.name, userId: claims.uid, email: claims.email, role: claims.role, exp: Math.floor(Date.now() / 1000) + claims.expiresInSeconds },
    TEST_SECRET,
  );
}

/** The service with the playground (development mode) in front of a scripted upstream. */
export async function startPlaygroundService(options: {
  toolkits: ToolkitFactory;
  devMode?: boolean;
  models?: string[];
  /** More of the scripted upstream's options (model prices). */
  upstream?: ScriptedLLMOptions;
  limits?: RegistryLimits;
  /** More routes, after the playground's (the API reference page, a test document). */
  extraRoutes?: readonly RouteInstaller[];
}): Promise<PlaygroundService> {
  const upstream = await startScriptedLLM({ models: options.models ?? ["scripted-model"], ...options.upstream });
  const logs: string[] = [];
  const logger = createLogger({ level: "debug", write: (line) => logs.push(line) });
  const llm = new LiteLLMClient({ baseUrl: upstream.url, masterKey: MASTER_KEY, logger, requestTimeoutMs: 10_000, firstTokenTimeoutMs: 10_000 });
  const maxBodyBytes = 64 * 1024;
  let server: RunningServer | undefined;
  try {
    const service = await createService({
      apiPrefix: "/api",
      maxBodyBytes,
      verifier: new TokenVerifier({ keys: TEST_SECRET }),
      logger,
      llm,
      store: new MemoryAgentStore(),
      toolkits: options.toolkits,
      ...(options.limits ? { limits: options.limits } : {}),
      extraRoutes: [playgroundRoutes({ devMode: options.devMode ?? true, mintToken: mintDevToken, logger }), ...(options.extraRoutes ?? [])],
    });
    server = await startServer(service.app, { host: "127.0.0.1", port: 0, maxBodyBytes, maxFrameBytes: maxBodyBytes });
    const running = server;
    return {
      ...service,
      url: running.url,
      server: running,
      upstream,
      logs,
      close: async () => {
        service.sockets.closeAll(1001, "test over");
        service.registry.stopAll();
        await Promise.allSettled(service.registry.runningTurns());
        await service.close();
        await service.bus.close();
        await service.store.close();
        await running.close(true);
        await upstream.close();
      },
    };
  } catch (error) {
    await server?.close(true);
    await upstream.close();
    throw error;
  }
}

/** A small stand-in for the workflow copilot: one tool that adds an operator (and a link from the previous one). */
export function workflowToolkit(): AgentToolkit {
  let workflow: WorkflowContent = { operators: [], operatorPositions: {}, links: [] };
  const addOperator: Tool = {
    name: "add_operator",
    description: "Adds an operator to the workflow, linked after another one",
    parameters: {
      type: "object",
      properties: { operatorType: { type: "string" }, displayName: { type: "string" }, after: { type: "string" } },
      required: ["operatorType"],
    },
    run: (input) => {
      const { operatorType, displayName, after } = input as { operatorType: string; displayName?: string; after?: string };
      const operatorID = `${operatorType}-${workflow.operators.length + 1}`;
      workflow.operators.push({ operatorID, operatorType, operatorProperties: {}, ...(displayName ? { customDisplayName: displayName } : {}) });
      workflow.operatorPositions[operatorID] = { x: 80 + 260 * (workflow.operators.length - 1), y: 120 + 60 * ((workflow.operators.length - 1) % 2) };
      if (after) {
        workflow.links.push({
          linkID: `link-${workflow.links.length + 1}`,
          source: { operatorID: after, portID: "output-0" },
          target: { operatorID, portID: "input-0" },
        });
      }
      return `Added ${operatorID}`;
    },
  };
  return {
    tools: () => [addOperator],
    systemPrompt: () => BASIC_SYSTEM_PROMPT,
    snapshot: () => structuredClone(workflow),
    restore: (snapshot) => {
      workflow = structuredClone(snapshot as WorkflowContent);
    },
    describe: () => ({ workflow: structuredClone(workflow) }),
  };
}

/**
 * The service with the playground, Chromium, and one page on it (15 s
 * default timeout, its problems collected) for the length of `run`; all
 * closed afterwards, whatever happens.
 */
export async function withPlaygroundPage(
  options: Parameters<typeof startPlaygroundService>[0],
  run: (context: { service: PlaygroundService; page: Page; problems: string[] }) => Promise<void>,
): Promise<void> {
  let service: PlaygroundService | undefined;
  let browser: TestBrowser | undefined;
  try {
    service = await startPlaygroundService(options);
    browser = await launchBrowser();
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await run({ service, page, problems: pageProblems(page) });
  } finally {
    await browser?.close();
    await service?.close();
  }
}
