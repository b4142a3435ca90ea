/**
 * deploy/nginx/nginx.conf in a real nginx in front of the service run
 * in-process (the suite: tests/helpers/nginx-suite.ts; the same suite runs
 * in front of the built container in tests/container/nginx.e2e.ts).
 *
 *   npm run test:e2e
 */
import { echoHeaders, nginxSuite } from "../helpers/nginx-suite.ts";
import { startTestService, stopTestService } from "../helpers/service.ts";

nginxSuite("the service", async () => {
  const service = await startTestService({ extraRoutes: [echoHeaders] });
  return { port: service.server.port, llm: service.upstream, stop: () => stopTestService(service) };
}, { echoesHeaders: true });
