/**
 * `GET /api/agents/:id/operator-types`: the operator types the agent may use
 * now (its `allowedOperatorTypes` that the catalog has, in that order), each
 * with its description, ports and properties schema. Another user's agent is
 * 404 "Agent not found", exactly like a missing one; an agent whose toolkit
 * has no operator catalog (a plain assistant) may use none.
 *
 * @module
 */
import type { IRequest } from "itty-router";
import type { AgentRegistry } from "../agents/registry.ts";
import { hasOperatorTypes } from "../agents/workflow/toolkit.ts";
import { callerOf, type RouteInstaller } from "./app.ts";
import { HttpError } from "./errors.ts";
import { json } from "./responses.ts";

export interface OperatorTypesRouteDeps {
  readonly registry: Pick<AgentRegistry, "find" | "load">;
}

export function operatorTypesRoute(deps: OperatorTypesRouteDeps): RouteInstaller {
  return (router, prefix) => {
    router.get(`${prefix}/agents/:id/operator-types`, async (request: IRequest) => {
      const stored = await deps.registry.find(request.params.id ?? "", callerOf(request));
      if (!stored) throw new HttpError(404, "Agent not found", "agent_not_found");
      const { toolkit } = await deps.registry.load(stored, 0);
      const types = hasOperatorTypes(toolkit) ? toolkit.operatorTypes() : [];
      return json({
        operatorTypes: types.map((operator) => ({
          type: operator.type,
          displayName: operator.displayName,
          group: operator.group,
          description: operator.description,
          inputPorts: operator.inputPorts,
          outputPorts: operator.outputPorts,
          propertiesSchema: operator.propertiesSchema,
          ...(operator.version !== undefined ? { version: operator.version } : {}),
        })),
      });
    });
  };
}
