/**
 * What the copilot model reads: the system prompt (what a dataflow is, how to
 * build one, the tools, the allowed operators with their property schemas)
 * and, before every model call, the context (the current workflow in
 * topological order and the task so far).
 *
 * The context is rebuilt from the workflow before each call, so after a
 * checkout, a failed call or a fix the model reads the workflow as it is,
 * not as earlier tool results described it.
 *
 * @example
 * ```ts
 * import { loadDefaultCatalog } from "./catalog.ts";
 * import { copilotSystemPrompt, workflowContext } from "./prompt.ts";
 * import { WorkflowState } from "./workflow-state.ts";
 *
 * const catalog = await loadDefaultCatalog();
 * const prompt = copilotSystemPrompt(catalog, { allowedOperatorTypes: ["CSVFileScan", "Filter"], enabledTools: ["addOperator"] });
 * const context = workflowContext(new WorkflowState(), []);
 * ```
 *
 * @module
 */
import type { ReActStep } from "../types.ts";
import type { OperatorCatalog, OperatorType } from "./catalog.ts";
import { linkLabel, portLabel, type WorkflowOperator, type WorkflowState } from "./workflow-state.ts";

/** One line per tool for the prompt's tool list (the full schemas go with the function definitions). */
const TOOL_GUIDE: Readonly<Record<string, string>> = {
  addOperator:
    'add one operator: its type, its properties, the operators feeding each input port ({"0": ["op1"]}), and a summary of at most five words (its display name). The result names the new operator\'s id.',
  modifyOperator:
    "change an operator in place: properties are merged into the current ones (a property set to null is removed); inputOperatorIds, when given, replaces all of its incoming links; summary renames it.",
  deleteOperator: "remove an operator and every link into or out of it.",
  getWorkflow: "read the current dataflow (the same view as under # Current Dataflow).",
  getOperatorSchema: "read an allowed operator type's description, ports and full JSON Schema.",
};

export interface SystemPromptOptions {
  /** The agent's `allowedOperatorTypes`, in order. */
  readonly allowedOperatorTypes: readonly string[];
  /** The tools the model is offered (the toolkit's minus `disabledTools`). */
  readonly enabledTools: readonly string[];
}

/** The copilot's system prompt for the given allowed operators and tools. */
export function copilotSystemPrompt(catalog: OperatorCatalog, options: SystemPromptOptions): string {
  const operators = catalog.allowed(options.allowedOperatorTypes);
  const tools = options.enabledTools.filter((name) => TOOL_GUIDE[name] !== undefined);
  const can = (name: string) => tools.includes(name);
  const lines = [
    "You are a data science copilot in Texera, a platform where people analyse data by building dataflows. " +
    "You help the user with their data task by building and fixing a dataflow (a workflow) with the tools you are given.",
    "",
    "## Dataflows",
    "A dataflow is a directed acyclic graph (DAG). Each node is an operator: one operation of a given type " +
    "(read a CSV file, filter rows, join two tables, aggregate, draw a chart, ...) configured by its properties. " +
    "Each link carries the rows from an output port of one operator to an input port of another. Data flows from " +
    "source operators, which have no input port (e.g. CSVFileScan), through transformations, to results such as charts. " +
    "Links never form a cycle. An input port takes one link unless its operator says otherwise (Union's takes several); " +
    "operators with several input ports say what each is for (HashJoin: port 0 left, port 1 right).",
    "",
    "## How to work",
    "- Build incrementally: one operator per call, starting from the sources, each linked to the operators that feed it. " +
    "Read each tool result before the next call.",
    "- One operation per operator: prefer a chain of simple built-in operators to one complicated one; " +
    "use a Python UDF only when no built-in operator does the job.",
    can("modifyOperator")
      ? "- Fix in place: when an operator is wrong, correct it with modifyOperator (properties and/or inputs) instead of deleting and re-adding it; delete only operators that are not needed."
      : "- Get each operator right when you add it: operators cannot be modified.",
    "- Operator ids (op1, op2, ...) are assigned by the workflow and named in each tool result; refer to operators by these ids.",
    '- Inputs are given per input port: {"0": ["op1"]} links op1 to input port 0; "op2:1" means output port 1 of op2.',
    "- Use only the operator types listed below, with properties that satisfy their schemas. " +
    "When a tool answers with [ERROR], read the message, correct the call and try again; never repeat a failing call unchanged.",
    "- Call tools only through the function-calling interface; never write a tool call as text.",
    "- When the dataflow does what the user asked, stop calling tools and answer briefly: what you built and how to read its result.",
    "",
    "## What you see",
    'Appended below, and rebuilt before each of your turns: "# Current Dataflow" lists the operators in topological order ' +
    "(id, type, display name, inputs, properties) and the links; \"# Task\" gives the user's current request and what has been " +
    "done for it so far. Trust it over your memory of earlier steps: it is the workflow as it is now (the user may have gone back to an earlier version).",
    "",
    "## Tools",
    ...(tools.length > 0 ? tools.map((name) => `- ${name}: ${TOOL_GUIDE[name]}`) : ["(none: answer in words only)"]),
    "",
    "## Operators you may use",
    ...(operators.length > 0 ? operators.flatMap((operator) => ["", ...describeOperatorType(operator)]) : ["(none: this agent may not add operators)"]),
  ];
  return lines.join("\n");
}

/** An operator type for the model: heading, description, ports, properties. */
export function describeOperatorType(operator: OperatorType): string[] {
  return [
    `### ${operator.type}${operator.displayName !== operator.type ? ` (${operator.displayName})` : ""}`,
    ...(operator.description ? [operator.description] : []),
    `Ports: ${describePorts(operator.inputPorts, "input")}; ${describePorts(operator.outputPorts, "output")}`,
    "Properties:",
    ...describeProperties(operator.propertiesSchema),
  ];
}

function describePorts(ports: OperatorType["inputPorts"], kind: "input" | "output"): string {
  if (ports.length === 0) return `no ${kind} port`;
  if (ports.length === 1) return `1 ${kind} port${ports[0]!.allowMultiLinks ? " (takes several links)" : ""}`;
  const each = ports.map((port, index) => {
    const notes = [port.displayName, port.allowMultiLinks ? "takes several links" : undefined].filter(Boolean);
    return `${index}${notes.length ? ` (${notes.join(", ")})` : ""}`;
  });
  return `${kind} ports ${each.join(", ")}`;
}

type Schema = Record<string, unknown>;

/**
 * A JSON Schema of an object as indented bullet lines, one per property:
 * `- name (required): type, constraints [default] — description`, nested
 * objects and arrays of objects indented below. Local `$ref`s are followed.
 */
export function describeProperties(schema: Readonly<Schema>): string[] {
  const lines = objectLines(schema, schema, 0, 0);
  return lines.length > 0 ? lines : ["(no properties: pass {})"];
}

const MAX_DEPTH = 4;

function objectLines(schema: Readonly<Schema>, root: Readonly<Schema>, indent: number, depth: number): string[] {
  const resolved = resolve(schema, root);
  const properties = isObject(resolved.properties) ? resolved.properties : {};
  const required = new Set(Array.isArray(resolved.required) ? resolved.required.filter((r): r is string => typeof r === "string") : []);
  const pad = "  ".repeat(indent);
  const lines: string[] = [];
  for (const [name, raw] of Object.entries(properties)) {
    if (!isObject(raw)) continue;
    const property = resolve(raw, root);
    const head = `${pad}- ${name}${required.has(name) ? " (required)" : ""}: ${typeText(property, root)}`;
    const extras = [
      property.default !== undefined ? `default ${JSON.stringify(property.default)}` : undefined,
    ].filter(Boolean);
    const description = typeof property.description === "string" ? ` — ${property.description}` : "";
    const nested = nestedObject(property, root);
    lines.push(`${head}${extras.length ? ` [${extras.join("; ")}]` : ""}${description}${nested && depth < MAX_DEPTH ? (property.type === "array" ? "; each:" : ":") : ""}`);
    if (nested && depth < MAX_DEPTH) lines.push(...objectLines(nested, root, indent + 1, depth + 1));
  }
  return lines;
}

/** The object schema to describe below a property: its own properties, or its array items'. */
function nestedObject(property: Schema, root: Readonly<Schema>): Schema | undefined {
  if (isObject(property.properties) && Object.keys(property.properties).length > 0) return property;
  if (property.type === "array" && isObject(property.items)) {
    const items = resolve(property.items, root);
    if (isObject(items.properties) && Object.keys(items.properties).length > 0) return items;
  }
  return undefined;
}

function typeText(schema: Schema, root: Readonly<Schema>, depth = 0): string {
  if (depth > MAX_DEPTH) return "value";
  const s = resolve(schema, root);
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  if (s.const !== undefined) return `exactly ${JSON.stringify(s.const)}`;
  const alternatives = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (alternatives) return alternatives.filter(isObject).map((alt) => typeText(alt, root, depth + 1)).join(" or ");
  const type = Array.isArray(s.type) ? s.type.join(" or ") : typeof s.type === "string" ? s.type : undefined;
  switch (type) {
    case "array": {
      const items = isObject(s.items) ? resolve(s.items, root) : undefined;
      const of = items === undefined ? "values" : isObject(items.properties) ? "objects" : plural(items, root, depth);
      const min = typeof s.minItems === "number" ? s.minItems : 0;
      const max = typeof s.maxItems === "number" ? s.maxItems : undefined;
      const size = max !== undefined ? ` (${min}–${max} items)` : min > 1 ? ` (at least ${min})` : "";
      return `${min === 1 && max === undefined ? "non-empty " : ""}array of ${of}${size}`;
    }
    case "string": {
      const min = typeof s.minLength === "number" ? s.minLength : 0;
      const max = typeof s.maxLength === "number" ? s.maxLength : undefined;
      if (max !== undefined) return min === max ? `string of ${max} character${max === 1 ? "" : "s"}` : `string of ${min}–${max} characters`;
      return min === 1 ? "non-empty string" : min > 1 ? `string of at least ${min} characters` : "string";
    }
    case "integer":
    case "number": {
      const bounds = [
        typeof s.minimum === "number" ? `≥ ${s.minimum}` : undefined,
        typeof s.maximum === "number" ? `≤ ${s.maximum}` : undefined,
      ].filter(Boolean);
      return `${type}${bounds.length ? ` ${bounds.join(", ")}` : ""}`;
    }
    case undefined:
      return isObject(s.properties) ? "object" : "value";
    default:
      return type;
  }
}

/** Array items as a plural noun phrase: "strings", "non-empty strings", "integers ≥ 1", "values among "a", "b"". */
function plural(items: Schema, root: Readonly<Schema>, depth: number): string {
  if (Array.isArray(items.enum)) return `values among ${items.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  const single = typeText(items, root, depth + 1);
  const nouns: Record<string, string> = { string: "strings", integer: "integers", number: "numbers", boolean: "booleans", object: "objects" };
  const [first, ...rest] = single.split(" ");
  if (first === "non-empty" && rest[0] === "string") return `non-empty strings${rest.length > 1 ? ` ${rest.slice(1).join(" ")}` : ""}`;
  return first && nouns[first] ? [nouns[first], ...rest].join(" ") : `${single} values`;
}

/** Follows a local `$ref` (`#/definitions/X`, `#/$defs/X`); anything else is described as is. */
function resolve(schema: Readonly<Schema>, root: Readonly<Schema>, hops = 0): Schema {
  const ref = schema.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/") || hops > 8) return schema as Schema;
  let target: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    target = isObject(target) ? target[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  }
  return isObject(target) ? resolve({ ...target, ...withoutRef(schema) }, root, hops + 1) : (schema as Schema);
}

function withoutRef(schema: Readonly<Schema>): Schema {
  const { $ref: _ref, ...rest } = schema;
  return rest;
}

// ---------------------------------------------------------------------------
// Per-step context
// ---------------------------------------------------------------------------

/** Longest properties JSON shown per operator; a UDF's code beyond this is cut. */
const MAX_PROPERTIES_CHARS = 4000;
/** Longest tool-result line in the task summary. */
const MAX_RESULT_CHARS = 240;
const MAX_REQUEST_CHARS = 2000;

/** The context appended to the system prompt before each model call: the workflow, then the task. */
export function workflowContext(workflow: WorkflowState, steps: readonly ReActStep[]): string {
  const task = taskSection(steps);
  return task ? `${renderWorkflow(workflow)}\n\n${task}` : renderWorkflow(workflow);
}

/** The current dataflow: operators in topological order with inputs and properties, then the links. */
export function renderWorkflow(workflow: WorkflowState): string {
  if (workflow.size === 0) return "# Current Dataflow\nThe workflow is empty: start with a source operator.";
  const links = workflow.links();
  const lines = [
    "# Current Dataflow",
    `${workflow.size} operator${workflow.size === 1 ? "" : "s"}, ${links.length} link${links.length === 1 ? "" : "s"}.`,
    "## Operators (topological order)",
  ];
  for (const operator of workflow.topologicalOrder()) {
    lines.push(`### ${operator.id}: ${operator.type} "${operator.displayName}"`);
    lines.push(`Inputs: ${describeInputs(workflow, operator)}`);
    let properties = JSON.stringify(operator.properties);
    if (properties.length > MAX_PROPERTIES_CHARS) properties = `${properties.slice(0, MAX_PROPERTIES_CHARS)}… (cut; ${properties.length} characters in all)`;
    lines.push(`Properties: ${properties}`);
  }
  lines.push("## Links");
  lines.push(...(links.length > 0 ? links.map((link) => `- ${linkLabel(link)}`) : ["(none)"]));
  return lines.join("\n");
}

function describeInputs(workflow: WorkflowState, operator: WorkflowOperator): string {
  if (operator.inputPorts.length === 0) return "none (a source)";
  const incoming = workflow.incoming(operator.id);
  return operator.inputPorts
    .map((port, index) => {
      const name = `port ${index}${port.displayName && operator.inputPorts.length > 1 ? ` (${port.displayName})` : ""}`;
      const sources = incoming.filter((link) => link.target.port === index).map((link) => portLabel(link.source));
      return sources.length > 0 ? `${name} ← ${sources.join(", ")}` : `${name}: not connected`;
    })
    .join("; ");
}

/** The user's requests on the visible path, and the tool calls made for the current one. */
function taskSection(steps: readonly ReActStep[]): string | undefined {
  let current = -1;
  steps.forEach((step, index) => {
    if (step.role === "user") current = index;
  });
  if (current < 0) return undefined;
  const earlier = steps.slice(0, current).filter((step) => step.role === "user");
  const lines = ["# Task"];
  if (earlier.length > 0) {
    lines.push("Earlier requests (done):");
    earlier.forEach((step, index) => lines.push(`${index + 1}. ${quote(step.content, 300)}`));
  }
  lines.push(`Current request: ${quote(steps[current]!.content, MAX_REQUEST_CHARS)}`);
  const calls: string[] = [];
  for (const step of steps.slice(current + 1)) {
    for (const call of step.toolCalls ?? []) {
      const result = step.toolResults?.find((r) => r.toolCallId === call.toolCallId);
      const text = resultSummary(result?.output ?? "(no result)");
      calls.push(`${calls.length + 1}. ${call.toolName} ${result?.isError ? "failed" : "succeeded"}: ${text}`);
    }
  }
  lines.push(calls.length > 0 ? "Done so far for it:" : "Nothing done for it yet.");
  lines.push(...calls);
  return lines.join("\n");
}

/** A tool result on one line: what it says before the expected-schema block and the input echo. */
function resultSummary(output: string): string {
  const lines = output.split("\n");
  const end = lines.findIndex((line) => line.startsWith("Expected properties of ") || line.startsWith("Input: "));
  const text = (end < 0 ? lines : lines.slice(0, end)).join(" ").replace(/\s+/g, " ").trim();
  return text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS)}…` : text;
}

function quote(text: string, max: number): string {
  const one = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(one.length > max ? `${one.slice(0, max)}…` : one);
}

function isObject(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
