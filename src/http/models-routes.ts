/**
 * `GET /api/agents/models`: LiteLLM's model list, passed through in the
 * OpenAI list shape the reference frontend reads. `?details=true` adds what
 * `/model/info` knows to each entry under `details`, without changing the shape.
 *
 * @module
 */
import type { IRequest } from "itty-router";
import { describeLiteLLMFailure, type LiteLLMClient, LiteLLMError, type ModelDetails } from "../litellm.ts";
import type { Logger } from "../log.ts";
import type { RouteInstaller } from "./app.ts";
import { json } from "./responses.ts";

/** Logs a LiteLLM failure once, loudly when it is our own misconfiguration. */
export function logLiteLLMFailure(logger: Logger, what: string, error: LiteLLMError): void {
  if (error.kind === "auth") {
    logger.error(`${what}: LiteLLM rejected LITELLM_MASTER_KEY; fix the service's configuration`, { status: error.status });
  } else {
    logger.warn(`${what}: ${error.message}`, { code: error.code, status: error.status, requestId: error.requestId, upstream: error.upstreamMessage });
  }
}

/** The 502 for a LiteLLM failure: our description and the stable code, never LiteLLM's text. */
function liteLLMFailureResponse(error: LiteLLMError): Response {
  const retry = error.retryAfterMs !== undefined ? { "retry-after": String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) } : undefined;
  return json({ error: `Failed to fetch models from LiteLLM: ${describeLiteLLMFailure(error)}`, code: error.code }, 502, retry);
}

export function modelsRoutes(llm: LiteLLMClient, logger: Logger): RouteInstaller {
  return (router, prefix) => {
    router.get(`${prefix}/agents/models`, async (request: IRequest) => {
      let list;
      try {
        list = await llm.listModels();
      } catch (error) {
        if (!(error instanceof LiteLLMError)) throw error;
        logLiteLLMFailure(logger, "fetching the model list", error);
        return liteLLMFailureResponse(error);
      }
      if (request.query.details !== "true") return json(list);

      let details: Map<string, ModelDetails>;
      try {
        details = new Map((await llm.modelInfo()).map((info) => [info.id, info]));
      } catch (error) {
        if (!(error instanceof LiteLLMError)) throw error;
        // The list itself is still right; say the details are missing rather than fail.
        logLiteLLMFailure(logger, "fetching model details", error);
        return json({ ...list, details_error: describeLiteLLMFailure(error), details_error_code: error.code });
      }
      return json({
        ...list,
        data: list.data.map((model) => {
          const info = details.get(model.id);
          if (!info) return model;
          // The deployment id is LiteLLM's internal hash: not the user's business.
          const { id: _id, deploymentId: _deployment, ...rest } = info;
          return { ...model, details: rest };
        }),
      });
    });
  };
}
