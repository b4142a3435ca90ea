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
import { type BrowserContext, chromium } from "playwright-core";
import type { ToolkitFactory } from "../../src/agents/agent.ts";
import { TokenVerifier } from "../../src/auth.ts";
import { type DevTokenClaims, playgroundRoutes } from "../../src/http/playground-routes.ts";
import { signJwt } from "../../src/jwt.ts";
import { LiteLLMClient } from "../../src/litellm.ts";
import { createLogger } from "../../src/log.ts";
import { createService, type Service } from "../../src/service.ts";
import { type RunningServer, startServer } from "../../src/server/index.ts";
import { MemoryAgentStore } from "../../src/store/memory-store.ts";
import { type ScriptedLLM, startScriptedLLM } from "../fixtures/scripted-llm.ts";
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
export async function startPlaygroundService(options: { toolkits: ToolkitFactory; devMode?: boolean }): Promise<PlaygroundService> {
  const upstream = await startScriptedLLM({ models: ["scripted-model"] });
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
      extraRoutes: [playgroundRoutes({ devMode: options.devMode ?? true, mintToken: mintDevToken, logger })],
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
        for (const agent of service.registry.all()) service.registry.stop(agent);
        await Promise.allSettled(service.registry.runningTurns());
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
