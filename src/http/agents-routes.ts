/**
 * The agent REST API under `/api/agents` (the guard has already run).
 *
 * @module
 */
import type { IRequest } from "itty-router";
import type { Agent } from "../agents/agent.ts";
import { enabledTools } from "../agents/react-loop.ts";
import type { AgentRegistry } from "../agents/registry.ts";
import { applySettings, checkoutSchema, createAgentSchema, patchAgentSchema, settingsPatchSchema } from "../agents/settings.ts";
import { describeLiteLLMFailure, type LiteLLMClient, LiteLLMError } from "../litellm.ts";
import type { Logger } from "../log.ts";
import { callerOf, type RouteInstaller } from "./app.ts";
import { HttpError } from "./errors.ts";
import { logLiteLLMFailure } from "./models-routes.ts";
import { json } from "./responses.ts";
import { readBody } from "./validation.ts";

export interface AgentRoutesDeps {
  readonly registry: AgentRegistry;
  readonly llm: Pick<LiteLLMClient, "listModels">;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
}

const NOT_FOUND = "Agent not found";

export function agentsRoutes(deps: AgentRoutesDeps): RouteInstaller {
  const { registry, logger, maxBodyBytes } = deps;

  const agentOf = (request: IRequest): Agent => {
    const agent = registry.find(request.params.id ?? "", callerOf(request));
    if (!agent) throw new HttpError(404, NOT_FOUND);
    return agent;
  };
  const notBusy = (agent: Agent) => {
    if (agent.busy) throw new HttpError(409, "Agent is busy");
  };

  /** modelType must be a model LiteLLM lists. */
  const checkModel = async (modelType: string) => {
    let ids: string[];
    try {
      ids = (await deps.llm.listModels()).data.map((model) => model.id);
    } catch (error) {
      if (!(error instanceof LiteLLMError)) throw error;
      logLiteLLMFailure(logger, "checking modelType", error);
      throw new HttpError(502, `Failed to fetch models from LiteLLM: ${describeLiteLLMFailure(error)}`);
    }
    if (!ids.includes(modelType)) {
      throw new HttpError(400, `modelType: "${modelType.slice(0, 100)}" is not a model LiteLLM lists (${ids.slice(0, 20).join(", ") || "none"})`);
    }
  };

  const details = (agent: Agent) => ({
    ...agent.info(),
    ...agent.toolkit.describe?.(),
    stepCount: agent.record.steps.length,
    headId: agent.record.headId ?? null,
  });

  return (router, prefix) => {
    const base = `${prefix}/agents`;

    router.post(base, async (request: IRequest) => {
      const body = await readBody(request as unknown as Request, createAgentSchema, maxBodyBytes);
      await checkModel(body.modelType);
      const agent = await registry.create(callerOf(request), {
        modelType: body.modelType,
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.settings ? { settings: body.settings } : {}),
      });
      logger.info("agent created", { agentId: agent.id, uid: agent.record.ownerUid, modelType: agent.record.modelType });
      return json(agent.info());
    });

    router.get(base, (request: IRequest) => json({ agents: registry.list(callerOf(request)).map((agent) => agent.info()) }));

    router.get(`${base}/:id`, (request: IRequest) => json(details(agentOf(request))));

    router.patch(`${base}/:id`, async (request: IRequest) => {
      const agent = agentOf(request);
      const body = await readBody(request as unknown as Request, patchAgentSchema, maxBodyBytes);
      if (body.modelType !== undefined) await checkModel(body.modelType);
      if (body.name !== undefined) agent.record.name = body.name;
      if (body.modelType !== undefined) agent.record.modelType = body.modelType;
      await registry.save(agent);
      return json(agent.info());
    });

    router.delete(`${base}/:id`, async (request: IRequest) => {
      const agent = agentOf(request);
      await registry.delete(agent);
      agent.emit({ type: "error", error: NOT_FOUND });
      logger.info("agent deleted", { agentId: agent.id });
      return json({ deleted: true });
    });

    router.get(`${base}/:id/react-steps`, (request: IRequest) => {
      const agent = agentOf(request);
      return json({ steps: agent.record.steps, state: agent.state, headId: agent.record.headId ?? null });
    });

    router.post(`${base}/:id/stop`, (request: IRequest) => {
      const agent = agentOf(request);
      return json({ status: registry.stop(agent) ? "stopping" : "idle" });
    });

    router.post(`${base}/:id/clear`, async (request: IRequest) => {
      const agent = agentOf(request);
      notBusy(agent);
      registry.clear(agent);
      await registry.save(agent);
      agent.emit({ type: "headChange", headId: null, steps: [], ...workflowOf(agent) });
      return json({ status: "cleared" });
    });

    router.post(`${base}/:id/checkout`, async (request: IRequest) => {
      const agent = agentOf(request);
      const { stepId } = await readBody(request as unknown as Request, checkoutSchema, maxBodyBytes);
      notBusy(agent);
      if (!agent.checkout(stepId)) throw new HttpError(404, `Step ${stepId.slice(0, 100)} not found`);
      await registry.save(agent);
      agent.emit({ type: "headChange", headId: stepId, steps: agent.visibleSteps(), ...workflowOf(agent) });
      return json({ status: "checked out", headId: stepId });
    });

    router.get(`${base}/:id/settings`, (request: IRequest) => json(agentOf(request).record.settings));

    router.patch(`${base}/:id/settings`, async (request: IRequest) => {
      const agent = agentOf(request);
      const patch = await readBody(request as unknown as Request, settingsPatchSchema, maxBodyBytes);
      agent.record.settings = applySettings(agent.record.settings, patch);
      await registry.save(agent);
      return json(agent.record.settings);
    });

    router.get(`${base}/:id/system-info`, (request: IRequest) => {
      const agent = agentOf(request);
      const enabled = new Set(enabledTools(agent).map((tool) => tool.name));
      return json({
        systemPrompt: agent.toolkit.systemPrompt(agent.record.settings),
        tools: agent.toolkit.tools().map((tool) => ({
          name: tool.name,
          description: tool.description,
          inputSchema: tool.parameters,
          enabled: enabled.has(tool.name),
        })),
      });
    });
  };
}

function workflowOf(agent: Agent): { workflowContent?: unknown } {
  const snapshot = agent.toolkit.snapshot?.();
  return snapshot === undefined ? {} : { workflowContent: snapshot };
}
