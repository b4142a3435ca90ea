/**
 * The agent REST API under `/api/agents` (the guard has already run).
 *
 * Every read goes to the store, so any replica answers for any agent.
 *
 * @module
 */
import type { IRequest } from "itty-router";
import { enabledTools } from "../agents/react-loop.ts";
import type { AgentRegistry } from "../agents/registry.ts";
import { checkoutSchema, createAgentSchema, patchAgentSchema, settingsPatchSchema } from "../agents/settings.ts";
import type { StoredAgent } from "../agents/types.ts";
import { describeLiteLLMFailure, type LiteLLMClient, LiteLLMError } from "../litellm.ts";
import type { Logger } from "../log.ts";
import type { AgentCursor } from "../store/agent-store.ts";
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
  /** Steps a `headChange` event carries (the latest of the conversation). */
  readonly stepWindow?: number;
}

/** `GET /api/agents` page sizes. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

const NOT_FOUND = "Agent not found";
const BUSY = "Agent is busy";

export function agentsRoutes(deps: AgentRoutesDeps): RouteInstaller {
  const { registry, logger, maxBodyBytes } = deps;
  const stepWindow = deps.stepWindow ?? 200;

  const agentOf = async (request: IRequest): Promise<StoredAgent> => {
    const agent = await registry.find(request.params.id ?? "", callerOf(request));
    if (!agent) throw new HttpError(404, NOT_FOUND, "agent_not_found");
    return agent;
  };
  const gone = (): never => {
    throw new HttpError(404, NOT_FOUND, "agent_not_found");
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
      if (!agent) {
        throw new HttpError(429, "You have as many agents as you may; delete one to create another", "quota_exceeded", { "retry-after": "3600" });
      }
      logger.info("agent created", { agentId: agent.id, uid: agent.ownerUid, modelType: agent.modelType });
      return json(registry.info(agent));
    });

    router.get(base, async (request: IRequest) => {
      const limit = pageSize(request.query.limit);
      const after = request.query.cursor === undefined ? undefined : parseCursor(request.query.cursor);
      const page = await registry.list(callerOf(request), { limit, ...(after ? { after } : {}) });
      return json({ agents: page.agents.map((agent) => registry.info(agent)), nextCursor: page.next ? formatCursor(page.next) : null });
    });

    router.get(`${base}/:id`, async (request: IRequest) => {
      const agent = await agentOf(request);
      const loaded = await registry.load(agent, 1);
      return json({
        ...registry.info(agent),
        ...loaded.toolkit.describe?.(),
        stepCount: agent.stepCount,
        headId: agent.headId,
      });
    });

    router.patch(`${base}/:id`, async (request: IRequest) => {
      const agent = await agentOf(request);
      const body = await readBody(request as unknown as Request, patchAgentSchema, maxBodyBytes);
      if (body.modelType !== undefined) await checkModel(body.modelType);
      const updated = (await registry.update(agent, body)) ?? gone();
      return json(registry.info(updated));
    });

    router.delete(`${base}/:id`, async (request: IRequest) => {
      const agent = await agentOf(request);
      if (!(await registry.delete(agent))) gone();
      logger.info("agent deleted", { agentId: agent.id });
      return json({ deleted: true });
    });

    router.get(`${base}/:id/react-steps`, async (request: IRequest) => {
      const agent = await agentOf(request);
      const steps = await registry.steps(agent);
      return json({ steps, state: registry.info(agent).state, headId: agent.headId });
    });

    // The conversation (root to HEAD) a page at a time, newest last: what a socket's init leaves out when it says `more`.
    router.get(`${base}/:id/conversation`, async (request: IRequest) => {
      const agent = await agentOf(request);
      const limit = pageSize(request.query.limit);
      const before = request.query.before;
      if (before !== undefined && (typeof before !== "string" || before.length === 0 || before.length > 200)) {
        throw new HttpError(400, "before: must be a step id");
      }
      const page = await registry.conversation(agent, { limit, ...(before ? { before } : {}) });
      if (!page) throw new HttpError(404, `Step ${String(before).slice(0, 100)} not found`, "step_not_found");
      return json(page);
    });

    router.post(`${base}/:id/stop`, async (request: IRequest) => {
      const agent = await agentOf(request);
      return json({ status: (await registry.stop(agent)) ? "stopping" : "idle" });
    });

    router.post(`${base}/:id/clear`, async (request: IRequest) => {
      const agent = await agentOf(request);
      const result = await registry.clear(agent);
      if (result === "busy") throw new HttpError(409, BUSY, "agent_busy");
      if (result === "missing") gone();
      return json({ status: "cleared" });
    });

    router.post(`${base}/:id/checkout`, async (request: IRequest) => {
      const agent = await agentOf(request);
      const { stepId } = await readBody(request as unknown as Request, checkoutSchema, maxBodyBytes);
      const result = await registry.checkout(agent, stepId, stepWindow);
      if (result === "busy") throw new HttpError(409, BUSY, "agent_busy");
      if (result === "missing") gone();
      if (result === "unknown_step") throw new HttpError(404, `Step ${stepId.slice(0, 100)} not found`, "step_not_found");
      return json({ status: "checked out", headId: stepId });
    });

    router.get(`${base}/:id/settings`, async (request: IRequest) => json((await agentOf(request)).settings));

    router.patch(`${base}/:id/settings`, async (request: IRequest) => {
      const agent = await agentOf(request);
      const patch = await readBody(request as unknown as Request, settingsPatchSchema, maxBodyBytes);
      const updated = (await registry.update(agent, { settings: patch })) ?? gone();
      return json(updated.settings);
    });

    router.get(`${base}/:id/system-info`, async (request: IRequest) => {
      const agent = await registry.load(await agentOf(request), 0);
      const enabled = new Set(enabledTools(agent).map((tool) => tool.name));
      return json({
        systemPrompt: agent.toolkit.systemPrompt(agent.settings),
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

function pageSize(raw: unknown): number {
  if (raw === undefined) return DEFAULT_PAGE_SIZE;
  const n = typeof raw === "string" && /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_PAGE_SIZE)) throw new HttpError(400, `limit: must be an integer between 1 and ${MAX_PAGE_SIZE}`);
  return n;
}

/** Cursors are opaque to clients: base64url of `createdAt|id`. */
export function formatCursor(cursor: AgentCursor): string {
  return btoa(`${cursor.createdAt}|${cursor.id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function parseCursor(raw: unknown): AgentCursor {
  const bad = () => new HttpError(400, "cursor: not a cursor this service returned");
  if (typeof raw !== "string" || raw.length > 400) throw bad();
  let text: string;
  try {
    text = atob(raw.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw bad();
  }
  const bar = text.indexOf("|");
  const createdAt = text.slice(0, bar);
  const id = text.slice(bar + 1);
  if (bar < 0 || Number.isNaN(Date.parse(createdAt)) || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw bad();
  return { createdAt, id };
}
