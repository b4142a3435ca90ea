/**
 * The copilot's tools, with the reference's wire names: `addOperator`,
 * `modifyOperator`, `deleteOperator`, and the read-only `getWorkflow` and
 * `getOperatorSchema`.
 *
 * Every call is validated before the workflow changes: the tool input
 * against the tool's JSON Schema, the operator type against the catalog and
 * the agent's `allowedOperatorTypes` (read at call time), the properties
 * against the type's schema (compiled once, in the catalog), and the links
 * by the workflow (operators exist, ports in range, no cycle). A refusal is an
 * `[ERROR] ...` answer that says what was wrong and what is expected, and
 * echoes the input, so the model can correct itself; nothing is thrown.
 *
 * Results say exactly what changed: `Added operator op3, created links: op1 -> op3`.
 *
 * @module
 */
import { Ajv, type ValidateFunction } from "ajv";
import type { Tool } from "../tool.ts";
import type { AgentSettings } from "../types.ts";
import type { OperatorCatalog, OperatorType, PropertyProblem } from "./catalog.ts";
import { describeOperatorType, describeProperties, renderWorkflow } from "./prompt.ts";
import {
  type ChangeResult,
  type InputWiring,
  linkLabel,
  type PortRef,
  WorkflowError,
  type WorkflowLink,
  type WorkflowOperator,
  type WorkflowState,
} from "./workflow-state.ts";

export interface WorkflowToolsContext {
  readonly catalog: OperatorCatalog;
  readonly workflow: WorkflowState;
  /** The agent's settings now: they are replaced on PATCH, so they are read at each call. */
  readonly settings: () => Pick<AgentSettings, "allowedOperatorTypes">;
}

export const WORKFLOW_TOOL_NAMES = ["addOperator", "modifyOperator", "deleteOperator", "getWorkflow", "getOperatorSchema"] as const;

const INPUTS_SCHEMA = {
  type: "object",
  description:
    'The operators feeding each input port, keyed by port number: {"0": ["op1"]}. A source "op2:1" means output port 1 of op2 (default port 0). ' +
    "Most ports take one source; a port that takes several (Union's) lists them all.",
  propertyNames: { pattern: "^(0|[1-9][0-9]?)$" },
  additionalProperties: { type: "array", items: { type: "string", minLength: 1, maxLength: 100 }, maxItems: 64 },
} as const;

const SUMMARY_SCHEMA = {
  type: "string",
  minLength: 1,
  maxLength: 80,
  description: "What the operator does, in at most five words (shown as its display name), e.g. \"Keep orders over 100\"",
} as const;

const OPERATOR_ID_SCHEMA = { type: "string", minLength: 1, maxLength: 100, description: "The operator's id, e.g. op3" } as const;

const ADD_PARAMETERS = {
  type: "object",
  properties: {
    operatorType: { type: "string", minLength: 1, maxLength: 100, description: "One of the allowed operator types, e.g. Filter" },
    properties: { type: "object", description: "The operator's properties, satisfying its type's schema ({} when it has none)" },
    inputOperatorIds: INPUTS_SCHEMA,
    summary: SUMMARY_SCHEMA,
  },
  required: ["operatorType", "properties", "summary"],
  additionalProperties: false,
} as const;

const MODIFY_PARAMETERS = {
  type: "object",
  properties: {
    operatorId: OPERATOR_ID_SCHEMA,
    properties: {
      type: "object",
      description: "Properties to change, merged into the current ones; a property set to null is removed. The result must satisfy the type's schema.",
    },
    inputOperatorIds: { ...INPUTS_SCHEMA, description: `Replaces ALL incoming links of the operator. ${INPUTS_SCHEMA.description}` },
    summary: SUMMARY_SCHEMA,
  },
  required: ["operatorId"],
  additionalProperties: false,
} as const;

const DELETE_PARAMETERS = {
  type: "object",
  properties: { operatorId: OPERATOR_ID_SCHEMA },
  required: ["operatorId"],
  additionalProperties: false,
} as const;

const GET_WORKFLOW_PARAMETERS = { type: "object", properties: {}, additionalProperties: false } as const;

const GET_SCHEMA_PARAMETERS = {
  type: "object",
  properties: { operatorType: { type: "string", minLength: 1, maxLength: 100, description: "An allowed operator type" } },
  required: ["operatorType"],
  additionalProperties: false,
} as const;

// The tool input schemas are constants: each is compiled once, for every
// agent, at its first use rather than at start-up (a few ms each).
let inputAjv: Ajv | undefined;
const compiledOnUse = (schema: object) => {
  let validate: ValidateFunction | undefined;
  return (): ValidateFunction => (validate ??= (inputAjv ??= new Ajv({ allErrors: true, strict: false, logger: false })).compile(schema));
};
const checkAdd = compiledOnUse(ADD_PARAMETERS);
const checkModify = compiledOnUse(MODIFY_PARAMETERS);
const checkDelete = compiledOnUse(DELETE_PARAMETERS);
const checkGetWorkflow = compiledOnUse(GET_WORKFLOW_PARAMETERS);
const checkGetSchema = compiledOnUse(GET_SCHEMA_PARAMETERS);

interface AddInput {
  operatorType: string;
  properties: Record<string, unknown>;
  inputOperatorIds?: Record<string, string[]>;
  summary: string;
}

interface ModifyInput {
  operatorId: string;
  properties?: Record<string, unknown>;
  inputOperatorIds?: Record<string, string[]>;
  summary?: string;
}

/** The five tools, bound to one agent's workflow. */
export function workflowTools(context: WorkflowToolsContext): Tool[] {
  const { catalog, workflow } = context;

  /** The allowed type, or the refusal naming the allowed ones. */
  const allowedType = (type: string): OperatorType | string => {
    const allowed = catalog.allowed(context.settings().allowedOperatorTypes);
    const found = allowed.find((operator) => operator.type === type);
    if (found) return found;
    const list = allowed.map((operator) => operator.type).join(", ") || "none";
    return catalog.has(type)
      ? `Operator type "${type}" is not allowed for this agent. Allowed types: ${list}.`
      : `Unknown operator type "${type}". Allowed types: ${list}.`;
  };

  // The workflow assigns operator ids; the model does not pass one (the
  // reference makes it pass `operatorId` matching /^op\d+$/). A model that
  // keeps its own counter collides, skips numbers and, after a checkout to an
  // earlier step, reuses ids of the abandoned branch: each of those is a wasted
  // round trip. The result names the new id and the context lists every id, so
  // the model always knows them.
  const addOperator: Tool = {
    name: "addOperator",
    description:
      "Adds one operator to the workflow and links the given operators into its input ports. The workflow assigns the id (op1, op2, ...) and the result names it.",
    parameters: ADD_PARAMETERS,
    run(raw) {
      const invalid = checkInput("addOperator", checkAdd(), raw);
      if (invalid) return invalid;
      const input = raw as AddInput;
      const operatorType = allowedType(input.operatorType);
      if (typeof operatorType === "string") return error(operatorType, raw);
      const problems = catalog.validateProperties(operatorType.type, input.properties);
      if (problems.length > 0) return error(propertiesMessage(operatorType, problems), raw);
      const inputs = parseInputs(input.inputOperatorIds);
      if (typeof inputs === "string") return error(inputs, raw);
      let result: ChangeResult;
      try {
        result = workflow.addOperator(
          {
            type: operatorType.type,
            ...(operatorType.version !== undefined ? { version: operatorType.version } : {}),
            displayName: input.summary.trim(),
            properties: input.properties,
            inputPorts: operatorType.inputPorts,
            outputPorts: operatorType.outputPorts,
          },
          inputs,
        );
      } catch (failure) {
        return refusal(failure, raw);
      }
      return [`Added operator ${result.operator.id}, created links: ${links(result.createdLinks)}`, ...unconnected(workflow, result.operator)].join("\n");
    },
  };

  const modifyOperator: Tool = {
    name: "modifyOperator",
    description:
      "Changes an existing operator in place: merges properties into its current ones, optionally replaces all of its incoming links, optionally renames it.",
    parameters: MODIFY_PARAMETERS,
    run(raw) {
      const invalid = checkInput("modifyOperator", checkModify(), raw);
      if (invalid) return invalid;
      const input = raw as ModifyInput;
      if (input.properties === undefined && input.inputOperatorIds === undefined && input.summary === undefined) {
        return error("Nothing to change: give properties, inputOperatorIds and/or summary.", raw);
      }
      let current: WorkflowOperator;
      try {
        current = workflow.requireOperator(input.operatorId);
      } catch (failure) {
        return refusal(failure, raw);
      }
      let properties: Record<string, unknown> | undefined;
      if (input.properties !== undefined) {
        const operatorType = catalog.get(current.type);
        if (!operatorType) {
          return error(`${current.id} is a ${current.type}, a type the operator catalog no longer has; delete it and add an allowed operator instead.`, raw);
        }
        // Merged through a Map and Object.fromEntries, which define own
        // properties: a "__proto__" key stays a key (refused by the schema)
        // instead of replacing the prototype as `properties[key] = value` would.
        const merged = new Map(Object.entries(current.properties));
        for (const [key, value] of Object.entries(input.properties)) {
          if (value === null) merged.delete(key);
          else merged.set(key, value);
        }
        properties = Object.fromEntries(merged);
        const problems = catalog.validateProperties(current.type, properties);
        if (problems.length > 0) return error(propertiesMessage(operatorType, problems, current.id), raw);
      }
      const inputs = input.inputOperatorIds === undefined ? undefined : parseInputs(input.inputOperatorIds);
      if (typeof inputs === "string") return error(inputs, raw);
      let result: ChangeResult;
      try {
        result = workflow.updateOperator(current.id, {
          ...(properties !== undefined ? { properties } : {}),
          ...(input.summary !== undefined ? { displayName: input.summary.trim() } : {}),
          ...(inputs !== undefined ? { inputs } : {}),
        });
      } catch (failure) {
        return refusal(failure, raw);
      }
      const changes: string[] = [];
      const changed = properties === undefined ? [] : changedKeys(current.properties, result.operator.properties);
      if (changed.length > 0) changes.push(`changed properties: ${changed.join(", ")}`);
      if (result.operator.displayName !== current.displayName) changes.push(`renamed to "${result.operator.displayName}"`);
      if (result.deletedLinks.length > 0) changes.push(`deleted links: ${links(result.deletedLinks)}`);
      if (result.createdLinks.length > 0) changes.push(`created links: ${links(result.createdLinks)}`);
      const head = changes.length > 0 ? `Modified operator ${current.id}, ${changes.join(", ")}` : `Modified operator ${current.id}: nothing changed`;
      return [head, ...(inputs !== undefined ? unconnected(workflow, result.operator) : [])].join("\n");
    },
  };

  const deleteOperator: Tool = {
    name: "deleteOperator",
    description: "Deletes an operator and every link into or out of it.",
    parameters: DELETE_PARAMETERS,
    run(raw) {
      const invalid = checkInput("deleteOperator", checkDelete(), raw);
      if (invalid) return invalid;
      const { operatorId } = raw as { operatorId: string };
      try {
        const result = workflow.deleteOperator(operatorId);
        return `Deleted operator ${result.operator.id}, deleted links: ${links(result.deletedLinks)}`;
      } catch (failure) {
        return refusal(failure, raw);
      }
    },
  };

  const getWorkflow: Tool = {
    name: "getWorkflow",
    description: "Returns the current workflow: operators in topological order with their inputs and properties, and the links. Changes nothing.",
    parameters: GET_WORKFLOW_PARAMETERS,
    run(raw) {
      return checkInput("getWorkflow", checkGetWorkflow(), raw ?? {}) ?? renderWorkflow(workflow);
    },
  };

  const getOperatorSchema: Tool = {
    name: "getOperatorSchema",
    description: "Returns an allowed operator type's description, ports and the full JSON Schema of its properties. Changes nothing.",
    parameters: GET_SCHEMA_PARAMETERS,
    run(raw) {
      const invalid = checkInput("getOperatorSchema", checkGetSchema(), raw);
      if (invalid) return invalid;
      const operatorType = allowedType((raw as { operatorType: string }).operatorType);
      if (typeof operatorType === "string") return error(operatorType, raw);
      return [...describeOperatorType(operatorType), "JSON Schema of the properties:", JSON.stringify(operatorType.propertiesSchema, null, 2)].join("\n");
    },
  };

  return [addOperator, modifyOperator, deleteOperator, getWorkflow, getOperatorSchema];
}

// ---------------------------------------------------------------------------

const MAX_ECHO_CHARS = 1000;

/** `[ERROR] message` plus the input as the model sent it (the reference's `Input: {...}` echo). */
function error(message: string, input: unknown): string {
  let echo = JSON.stringify(input) ?? String(input);
  if (echo.length > MAX_ECHO_CHARS) echo = `${echo.slice(0, MAX_ECHO_CHARS)}…`;
  return `[ERROR] ${message}\nInput: ${echo}`;
}

/** A workflow refusal becomes `[ERROR] ...`; anything else is a bug and propagates (runTool logs it). */
function refusal(failure: unknown, input: unknown): string {
  if (failure instanceof WorkflowError) return error(failure.message, input);
  throw failure;
}

function checkInput(tool: string, validate: ValidateFunction, input: unknown): string | undefined {
  if (validate(input)) return undefined;
  // A bad port key yields the key's own "pattern" error too; the propertyNames one says it better.
  const errors = (validate.errors ?? []).filter((e) => !e.schemaPath.includes("/propertyNames/"));
  const problems = errors.slice(0, 8).map((e) => {
    const params = e.params as Record<string, unknown>;
    const at = e.instancePath || "(input)";
    if (e.keyword === "required") return `${at}: missing required field "${String(params.missingProperty)}"`;
    if (e.keyword === "additionalProperties") return `${at}: unknown field "${String(params.additionalProperty)}"`;
    if (e.keyword === "propertyNames") return `${at}: "${String(params.propertyName)}" is not an input port number (0, 1, ...)`;
    return `${at}: ${e.message ?? e.keyword}`;
  });
  return error(`Invalid input for ${tool}: ${problems.join("; ")}.`, input);
}

function propertiesMessage(operatorType: OperatorType, problems: readonly PropertyProblem[], operatorId?: string): string {
  const shown = problems.slice(0, 10).map((p) => `- ${p.path || "(properties)"}: ${p.message}`);
  if (problems.length > shown.length) shown.push(`- ... and ${problems.length - shown.length} more`);
  return [
    `Invalid properties for ${operatorType.type}${operatorId ? ` (${operatorId})` : ""}:`,
    ...shown,
    `Expected properties of ${operatorType.type}:`,
    ...describeProperties(operatorType.propertiesSchema),
  ].join("\n");
}

/** `{"0": ["op1", "op2:1"]}` as port -> sources, or the reason it is not. */
function parseInputs(raw: Record<string, string[]> | undefined): InputWiring | string {
  const wiring: Record<number, PortRef[]> = {};
  for (const [key, sources] of Object.entries(raw ?? {})) {
    const port = Number(key);
    wiring[port] = sources.map((source) => {
      const match = /^(.+?)(?::(\d{1,2}))?$/.exec(source.trim());
      return { operatorId: match?.[1] ?? source, port: match?.[2] === undefined ? 0 : Number(match[2]) };
    });
    const seen = new Set<string>();
    for (const ref of wiring[port]!) {
      const label = `${ref.operatorId}:${ref.port}`;
      if (seen.has(label)) return `Input port ${port} lists ${ref.operatorId}${ref.port ? `:${ref.port}` : ""} twice.`;
      seen.add(label);
    }
  }
  return wiring;
}

function links(list: readonly WorkflowLink[]): string {
  return list.length > 0 ? list.map(linkLabel).join(", ") : "none";
}

/** A note per input port left without a link, so the model knows the operator is not fed yet. */
function unconnected(workflow: WorkflowState, operator: WorkflowOperator): string[] {
  const fed = new Set(workflow.incoming(operator.id).map((link) => link.target.port));
  return operator.inputPorts.flatMap((port, index) =>
    fed.has(index) ? [] : [`Note: input port ${index}${port.displayName ? ` (${port.displayName})` : ""} of ${operator.id} is not connected yet.`]
  );
}

function changedKeys(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}
