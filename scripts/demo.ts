/**
 * `npm run demo` (or `npx deno task demo`): the service on its embedded
 * defaults, ready to click through.
 *
 * - agents in the file store at ./data (AGENT_STATE_DIR),
 * - when LITELLM_BASE_URL is not set, a local scripted demo model (see
 *   demo-model.ts) that makes real tool calls, so the copilot visibly builds
 *   a workflow; with LITELLM_BASE_URL set, your LiteLLM is used instead,
 * - a development token, printed with the playground URL and a curl line.
 */
import process from "node:process";
import { loadConfig } from "../src/config.ts";
import { signJwt } from "../src/jwt.ts";
import { DEMO_MODEL, startDemoModel } from "./demo-model.ts";

if (!process.env.LITELLM_BASE_URL) {
  const model = await startDemoModel();
  process.env.LITELLM_BASE_URL = model.url;
  process.env.LITELLM_MASTER_KEY ??= "sk-demo-model-needs-no-key";
  console.log(`demo: LITELLM_BASE_URL is not set, so a scripted demo model ("${DEMO_MODEL}", not an LLM) answers at ${model.url}`);
}
process.env.AGENT_STATE_DIR ??= "data";

// The service itself, exactly as `npm start` runs it; `started` has the
// address it really got (PORT=0 picks a free port).
const { started } = await import("../src/main.ts");

const config = loadConfig(process.env);
const token = signJwt(
  { sub: "demo", userId: 1, email: "demo@example.com", role: "REGULAR", exp: Math.floor(Date.now() / 1000) + 8 * 3600 },
  config.auth.secrets[0]!,
);
const base = `${started.url}${config.server.apiPrefix}`;
console.log(`
demo: open the playground (the token rides in the URL fragment, which never reaches a server):
  ${base}/playground/#token=${token}
demo: or call the API:
  curl -H "Authorization: Bearer ${token}" ${base}/agents/models
demo: Ctrl-C stops it (or kill ${process.pid}); agents stay in ${config.agents.stateDir}.`);
