/**
 * What users spend, over REST (the guard has already run):
 *
 * - `GET /api/agents/usage?from=&to=[&uid=]`: a user's totals by UTC day and
 *   by model (default: the caller, today). An ADMIN may name any user or
 *   `all`; anyone else asking for another user gets 403.
 * - `GET /api/agents/:id/usage`: the agent's totals and its runs'; another
 *   user's agent is 404 "Agent not found", exactly like a missing one.
 *
 * Query and answers are the zod schemas of usage/schemas.ts.
 *
 * @module
 */
import type { IRequest } from "itty-router";
import { type AgentRegistry, isAdmin } from "../agents/registry.ts";
import type { AgentStore } from "../store/agent-store.ts";
import { agentUsage, userUsage } from "../usage/reports.ts";
import { agentUsageQuerySchema, userUsageQuerySchema } from "../usage/schemas.ts";
import { dayOf, daysBetween } from "../usage/totals.ts";
import type { UserUsage } from "../usage/types.ts";
import { callerOf, type RouteInstaller } from "./app.ts";
import { HttpError } from "./errors.ts";
import { json } from "./responses.ts";
import { parseWith } from "./validation.ts";

export interface UsageRoutesDeps {
  readonly registry: Pick<AgentRegistry, "find" | "limiter">;
  readonly store: Pick<AgentStore, "stepUsage" | "dailyUsage">;
  readonly now?: () => number;
}

/** The longest range one request may ask for, in days. */
export const MAX_USAGE_DAYS = 366;

export function usageRoutes(deps: UsageRoutesDeps): RouteInstaller {
  const { registry, store } = deps;
  const now = deps.now ?? Date.now;

  return (router, prefix) => {
    const base = `${prefix}/agents`;

    router.get(`${base}/usage`, async (request: IRequest) => {
      const caller = callerOf(request);
      const query = parseWith(userUsageQuerySchema, { ...request.query });
      const today = dayOf(now());
      const from = query.from ?? (query.to !== undefined && query.to < today ? query.to : today);
      const to = query.to ?? (from > today ? from : today);
      if (to < from) throw new HttpError(400, "to: must not be before from");
      if (daysBetween(from, to).length > MAX_USAGE_DAYS) throw new HttpError(400, `to: at most ${MAX_USAGE_DAYS} days after from`);
      const uid = query.uid === undefined ? caller.uid : query.uid === "all" ? null : Number(query.uid);
      if (uid !== caller.uid && !isAdmin(caller)) throw new HttpError(403, "Only an ADMIN may read another user's usage", "forbidden");
      const rows = await store.dailyUsage({ from, to, ...(uid === null ? {} : { uid }) });
      const answer: UserUsage = userUsage(rows, { uid, from, to });
      if (uid !== null && registry.limiter.active) answer.limits = await registry.limiter.state(uid);
      return json(answer);
    });

    router.get(`${base}/:id/usage`, async (request: IRequest) => {
      parseWith(agentUsageQuerySchema, { ...request.query });
      const agent = await registry.find(request.params.id ?? "", callerOf(request));
      if (!agent) throw new HttpError(404, "Agent not found", "agent_not_found");
      return json(agentUsage(agent.id, await store.stepUsage(agent.id)));
    });
  };
}
