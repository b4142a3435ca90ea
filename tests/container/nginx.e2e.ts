/**
 * deploy/nginx/nginx.conf in a real nginx in front of the built container:
 * the nginx e2e suite (tests/helpers/nginx-suite.ts), each test with a
 * container of its own and a scripted upstream on the host.
 *
 *   npm run test:container
 */
import { startScriptedLLM } from "../fixtures/scripted-llm.ts";
import { nginxSuite } from "../helpers/nginx-suite.ts";
import { runContainer } from "./podman.ts";

nginxSuite("the container", async () => {
  const llm = await startScriptedLLM({ models: ["scripted-model"] });
  try {
    const container = await runContainer({ env: { LITELLM_BASE_URL: llm.url } });
    return {
      port: container.port,
      llm,
      stop: async () => {
        await container.remove();
        await llm.close();
      },
    };
  } catch (error) {
    await llm.close();
    throw error;
  }
}, { echoesHeaders: false });
