/**
 * The copilot's tools, prompt and toolkit without a server: every validation
 * a tool call goes through, the exact result texts, the settings read at call
 * time, and what the model reads (system prompt and per-step context).
 */
import { before, describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { defaultSettings } from "../src/agents/settings.ts";
import { runTool, type Tool } from "../src/agents/tool.ts";
import type { AgentSettings, ReActStep } from "../src/agents/types.ts";
import { loadDefaultCatalog, type OperatorCatalog } from "../src/agents/workflow/catalog.ts";
import { describeProperties } from "../src/agents/workflow/prompt.ts";
import { type CopilotToolkit, copilotToolkit, copilotToolkitFactory, hasOperatorTypes } from "../src/agents/workflow/toolkit.ts";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";

let catalog: OperatorCatalog;
before(async () => {
  catalog = await loadDefaultCatalog();
});

const context = { agentId: "agent-1", uid: 1, signal: new AbortController().signal };

interface Kit {
  kit: CopilotToolkit;
  settings: { current: AgentSettings };
  call(name: string, input: unknown): Promise<string>;
}

function kit(settingsPatch: Partial<AgentSettings> = {}, steps: ReActStep[] = []): Kit {
  const settings = { current: { ...defaultSettings(), ...settingsPatch } };
  const toolkit = copilotToolkit(catalog, { settings: () => settings.current, conversation: () => steps });
  const byName = new Map<string, Tool>(toolkit.tools().map((tool) => [tool.name, tool]));
  return {
    kit: toolkit,
    settings,
    call: async (name, input) => {
      const output = await byName.get(name)!.run(input, context);
      assert.equal(typeof output, "string");
      return output as string;
    },
  };
}

const scan = { operatorType: "CSVFileScan", properties: { fileName: "/alice/sales.csv" }, summary: "Load sales" };
const filterOn = (id: string) => ({
  operatorType: "Filter",
  properties: { predicates: [{ attribute: "amount", condition: ">", value: "100" }] },
  inputOperatorIds: { "0": [id] },
  summary: "Orders over 100",
});

/** A kit with op1 CSVFileScan -> op2 Filter. */
async function pipeline(settingsPatch: Partial<AgentSettings> = {}): Promise<Kit> {
  const k = kit(settingsPatch);
  assert.equal(await k.call("addOperator", scan), "Added operator op1, created links: none");
  assert.equal(await k.call("addOperator", filterOn("op1")), "Added operator op2, created links: op1 -> op2");
  return k;
}

describe("addOperator", () => {
  test("adds with the next id, names the links it created, notes ports left unconnected", async () => {
    const k = await pipeline();
    assert.equal(
      await k.call("addOperator", {
        operatorType: "HashJoin",
        properties: { buildAttributeName: "customer_id", probeAttributeName: "id" },
        inputOperatorIds: { "0": ["op2"] },
        summary: "  Orders with customers ",
      }),
      "Added operator op3, created links: op2 -> op3\nNote: input port 1 (right) of op3 is not connected yet.",
    );
    const op3 = k.kit.workflow.operator("op3")!;
    assert.equal(op3.displayName, "Orders with customers", "the summary is the display name, trimmed");
    assert.deepEqual(op3.properties, { buildAttributeName: "customer_id", probeAttributeName: "id" });
    assert.equal(await k.call("addOperator", { operatorType: "Distinct", properties: {}, summary: "Dedupe" }), "Added operator op4, created links: none\nNote: input port 0 of op4 is not connected yet.");
  });

  test("an unknown type, or one this agent may not use, is refused with the allowed types listed", async () => {
    const k = kit({ allowedOperatorTypes: ["CSVFileScan", "Filter"] });
    assert.equal(
      await k.call("addOperator", { operatorType: "Fliter", properties: {}, summary: "x" }),
      '[ERROR] Unknown operator type "Fliter". Allowed types: CSVFileScan, Filter.\nInput: {"operatorType":"Fliter","properties":{},"summary":"x"}',
    );
    assert.match(await k.call("addOperator", { operatorType: "Sort", properties: {}, summary: "x" }), /^\[ERROR\] Operator type "Sort" is not allowed for this agent\. Allowed types: CSVFileScan, Filter\./);
    assert.equal(k.kit.workflow.size, 0);
  });

  test("allowedOperatorTypes is read at each call: a PATCH (new settings object) takes effect at once", async () => {
    const k = kit({ allowedOperatorTypes: ["CSVFileScan"] });
    assert.match(await k.call("addOperator", { operatorType: "Limit", properties: { limit: 5 }, summary: "Top 5" }), /not allowed/);
    k.settings.current = { ...k.settings.current, allowedOperatorTypes: ["CSVFileScan", "Limit"] };
    assert.equal(await k.call("addOperator", { operatorType: "Limit", properties: { limit: 5 }, summary: "Top 5" }), "Added operator op1, created links: none\nNote: input port 0 of op1 is not connected yet.");
    assert.deepEqual(k.kit.operatorTypes().map((o) => o.type), ["CSVFileScan", "Limit"]);
  });

  test("properties that fail the schema are refused with every problem and the expected properties", async () => {
    const k = kit();
    await k.call("addOperator", scan);
    const output = await k.call("addOperator", { ...filterOn("op1"), properties: { predicate: "amount > 100" } });
    assert.equal(
      output,
      [
        "[ERROR] Invalid properties for Filter:",
        '- (properties): missing required property "predicates"',
        '- (properties): unknown property "predicate"',
        "Expected properties of Filter:",
        ...describeProperties(catalog.get("Filter")!.propertiesSchema),
        `Input: ${JSON.stringify({ ...filterOn("op1"), properties: { predicate: "amount > 100" } })}`,
      ].join("\n"),
    );
    assert.match(output, /- predicates \(required\): non-empty array of objects/);
    assert.match(output, /condition \(required\): one of "=", "!=", ">"/);
    assert.match(await k.call("addOperator", { ...scan, properties: { fileName: "" } }), /- \/fileName: must NOT have fewer than 1 characters/);
    assert.equal(k.kit.workflow.size, 1, "nothing was added");
  });

  test("links are validated: unknown operator, port out of range, taken port, bad source syntax", async () => {
    const k = await pipeline();
    assert.match(await k.call("addOperator", filterOn("op7")), /^\[ERROR\] No operator "op7" in the workflow\. Operators: op1, op2\.\nInput: /);
    assert.match(await k.call("addOperator", { ...filterOn("op1"), inputOperatorIds: { "1": ["op1"] } }), /^\[ERROR\] op3 \(Filter\) has 1 input port \(0\); input port 1 does not exist\./);
    assert.match(await k.call("addOperator", { ...filterOn("op1"), inputOperatorIds: { "0": ["op1:1"] } }), /^\[ERROR\] op1 \(CSVFileScan\) has 1 output port \(0\); output port 1 does not exist\./);
    assert.match(await k.call("addOperator", { ...scan, inputOperatorIds: { "0": ["op1"] } }), /^\[ERROR\] op3 \(CSVFileScan\) has no input port; input port 0 does not exist\./);
    assert.match(await k.call("addOperator", { ...filterOn("op1"), inputOperatorIds: { "0": ["op1", "op2"] } }), /^\[ERROR\] Input port 0 of op3 \(Filter\) takes one link and already has op1 -> op3\./);
    assert.match(await k.call("addOperator", { ...filterOn("op1"), inputOperatorIds: { "0": ["op1", "op1:0"] } }), /^\[ERROR\] Input port 0 lists op1 twice\./);
    assert.match(await k.call("addOperator", { ...filterOn("op1"), inputOperatorIds: { first: ["op1"] } }), /^\[ERROR\] Invalid input for addOperator: \/inputOperatorIds: "first" is not an input port number \(0, 1, \.\.\.\)\.\n/);
    assert.equal(k.kit.workflow.size, 2, "nothing was added");
    assert.equal(await k.call("addOperator", { operatorType: "Union", properties: {}, inputOperatorIds: { "0": ["op1", "op2"] }, summary: "All rows" }), "Added operator op3, created links: op1 -> op3, op2 -> op3");
  });

  test("the tool input itself is validated against the tool's schema", async () => {
    const k = kit();
    assert.equal(
      await k.call("addOperator", { operatorId: "op1", operatorType: "CSVFileScan", properties: { fileName: "a" } }),
      '[ERROR] Invalid input for addOperator: (input): missing required field "summary"; (input): unknown field "operatorId".\n' +
        'Input: {"operatorId":"op1","operatorType":"CSVFileScan","properties":{"fileName":"a"}}',
    );
    assert.match(await k.call("addOperator", { ...scan, properties: "fileName=a" }), /\/properties: must be object/);
    assert.match(await k.call("addOperator", { ...scan, summary: "" }), /\/summary: must NOT have fewer than 1 characters/);
  });
});

describe("modifyOperator", () => {
  test("merges properties (null removes one), renames, and says exactly what changed", async () => {
    const k = await pipeline();
    await k.call("addOperator", { operatorType: "Sort", properties: { attributes: [{ attributeName: "amount" }] }, inputOperatorIds: { "0": ["op2"] }, summary: "By amount" });
    assert.equal(
      await k.call("modifyOperator", { operatorId: "op3", properties: { attributes: [{ attributeName: "amount", sortPreference: "DESC" }] }, summary: "Largest first" }),
      'Modified operator op3, changed properties: attributes, renamed to "Largest first"',
    );
    await k.call("modifyOperator", { operatorId: "op1", properties: { hasHeader: false, limit: 100 } });
    assert.deepEqual(k.kit.workflow.operator("op1")!.properties, { fileName: "/alice/sales.csv", hasHeader: false, limit: 100 });
    assert.equal(await k.call("modifyOperator", { operatorId: "op1", properties: { limit: null } }), "Modified operator op1, changed properties: limit");
    assert.deepEqual(k.kit.workflow.operator("op1")!.properties, { fileName: "/alice/sales.csv", hasHeader: false });
    assert.equal(await k.call("modifyOperator", { operatorId: "op1", properties: { hasHeader: false } }), "Modified operator op1: nothing changed");
  });

  test("rewires: replaces all incoming links and names the deleted and created ones", async () => {
    const k = await pipeline();
    await k.call("addOperator", { ...scan, summary: "Load returns" }); // op3
    assert.equal(await k.call("modifyOperator", { operatorId: "op2", inputOperatorIds: { "0": ["op3"] } }), "Modified operator op2, deleted links: op1 -> op2, created links: op3 -> op2");
    assert.equal(await k.call("modifyOperator", { operatorId: "op2", inputOperatorIds: {} }), "Modified operator op2, deleted links: op3 -> op2\nNote: input port 0 of op2 is not connected yet.");
    assert.deepEqual(k.kit.workflow.links(), []);
  });

  test("refuses a cycle, merged properties that fail the schema, unknown operators, and empty changes; nothing changes", async () => {
    const k = await pipeline();
    const before = JSON.stringify(k.kit.snapshot());
    assert.match(await k.call("modifyOperator", { operatorId: "op1", inputOperatorIds: { "0": ["op2"] } }), /^\[ERROR\] op1 \(CSVFileScan\) has no input port/);
    await k.call("addOperator", { operatorType: "Limit", properties: { limit: 3 }, inputOperatorIds: { "0": ["op2"] }, summary: "Top 3" }); // op3
    const withLimit = JSON.stringify(k.kit.snapshot());
    assert.match(await k.call("modifyOperator", { operatorId: "op2", inputOperatorIds: { "0": ["op3"] } }), /^\[ERROR\] The link op3 -> op2 would make a cycle: op2 -> op3 -> op2\./);
    const invalid = await k.call("modifyOperator", { operatorId: "op2", properties: { predicates: [] }, summary: "Renamed" });
    assert.match(invalid, /^\[ERROR\] Invalid properties for Filter \(op2\):\n- \/predicates: must NOT have fewer than 1 items\nExpected properties of Filter:/);
    assert.match(await k.call("modifyOperator", { operatorId: "op2", properties: { predicates: null } }), /missing required property "predicates"/);
    assert.match(await k.call("modifyOperator", { operatorId: "op9", summary: "x" }), /^\[ERROR\] No operator "op9" in the workflow\. Operators: op1, op2, op3\./);
    assert.match(await k.call("modifyOperator", { operatorId: "op2" }), /^\[ERROR\] Nothing to change: give properties, inputOperatorIds and\/or summary\./);
    assert.equal(JSON.stringify(k.kit.snapshot()), withLimit, "the refused calls changed nothing");
    assert.notEqual(before, withLimit);
  });
});

describe("deleteOperator, getWorkflow, getOperatorSchema", () => {
  test("delete names the operator and every link it took with it", async () => {
    const k = await pipeline();
    await k.call("addOperator", { operatorType: "Limit", properties: { limit: 3 }, inputOperatorIds: { "0": ["op2"] }, summary: "Top 3" });
    assert.equal(await k.call("deleteOperator", { operatorId: "op2" }), "Deleted operator op2, deleted links: op1 -> op2, op2 -> op3");
    assert.equal(await k.call("deleteOperator", { operatorId: "op3" }), "Deleted operator op3, deleted links: none");
    assert.match(await k.call("deleteOperator", { operatorId: "op3" }), /^\[ERROR\] No operator "op3" in the workflow\. Operators: op1\./);
    assert.match(await k.call("deleteOperator", {}), /missing required field "operatorId"/);
  });

  test("getWorkflow shows operators in topological order with inputs, properties and links", async () => {
    const k = kit();
    assert.equal(await k.call("getWorkflow", {}), "# Current Dataflow\nThe workflow is empty: start with a source operator.");
    await k.call("addOperator", { operatorType: "Limit", properties: { limit: 3 }, summary: "Top 3" }); // op1, fed later
    await k.call("addOperator", scan); // op2
    await k.call("modifyOperator", { operatorId: "op1", inputOperatorIds: { "0": ["op2"] } });
    assert.equal(
      await k.call("getWorkflow", {}),
      [
        "# Current Dataflow",
        "2 operators, 1 link.",
        "## Operators (topological order)",
        '### op2: CSVFileScan "Load sales"',
        "Inputs: none (a source)",
        'Properties: {"fileName":"/alice/sales.csv"}',
        '### op1: Limit "Top 3"',
        "Inputs: port 0 ← op2",
        'Properties: {"limit":3}',
        "## Links",
        "- op2 -> op1",
      ].join("\n"),
    );
  });

  test("getOperatorSchema answers for allowed types only", async () => {
    const k = kit({ allowedOperatorTypes: ["Aggregate"] });
    const output = await k.call("getOperatorSchema", { operatorType: "Aggregate" });
    assert.match(output, /^### Aggregate\nGroups rows by key columns/);
    assert.match(output, /Ports: 1 input port; 1 output port/);
    const schema = JSON.parse(output.slice(output.indexOf("JSON Schema of the properties:\n") + "JSON Schema of the properties:\n".length));
    assert.deepEqual(schema, catalog.get("Aggregate")!.propertiesSchema);
    assert.match(await k.call("getOperatorSchema", { operatorType: "Filter" }), /^\[ERROR\] Operator type "Filter" is not allowed for this agent\. Allowed types: Aggregate\./);
  });

  test("no input makes a tool throw: nonsense becomes [ERROR] text, and runTool marks it failed", async () => {
    const k = kit();
    for (const tool of k.kit.tools()) {
      for (const input of [null, undefined, "addOperator", 42, [], { operatorId: 7 }, { operatorType: { nested: true } }]) {
        const output = await tool.run(input, context);
        if (tool.name === "getWorkflow" && (input === null || input === undefined)) continue;
        assert.match(String(output), /^\[ERROR\] /, `${tool.name}(${JSON.stringify(input)})`);
      }
    }
    const add = k.kit.tools().find((tool) => tool.name === "addOperator")!;
    const result = await runTool(add, { operatorType: "Nope", properties: {}, summary: "x" }, { agentId: "a", uid: 1 }, new AbortController().signal, 1000);
    assert.equal(result.isError, true);
  });
});

describe("tool arguments with __proto__ or constructor keys (JSON from the model)", () => {
  const run = (tool: Tool, json: string) => runTool(tool, JSON.parse(json), { agentId: "a", uid: 1 }, new AbortController().signal, 1000);
  const tool = (k: Kit, name: string) => k.kit.tools().find((t) => t.name === name)!;

  test("modifyOperator cannot store properties that fail the type's schema through __proto__", async () => {
    const k = await pipeline();
    await k.call("addOperator", { operatorType: "Limit", properties: { limit: 5 }, inputOperatorIds: { "0": ["op2"] }, summary: "Five" });
    // "limit": null removes the own property; "__proto__" would make an inherited one that validation sees and storage does not.
    const attack = '{"operatorId":"op3","properties":{"limit":null,"__proto__":{"limit":3}}}';
    const viaRunTool = await run(tool(k, "modifyOperator"), attack);
    assert.equal(viaRunTool.isError, true);
    assert.match(viaRunTool.output, /^\[ERROR\] Invalid input for modifyOperator: \/properties\/__proto__: the key "__proto__" is not allowed/);
    assert.match(await k.call("modifyOperator", JSON.parse(attack)), /^\[ERROR\] Invalid properties for Limit \(op3\):\n- \(properties\): missing required property "limit"\n- \(properties\): unknown property "__proto__"\n/, "the tool alone refuses it too");
    const stored = k.kit.workflow.operator("op3")!.properties;
    assert.deepEqual(stored, { limit: 5 }, "nothing changed");
    assert.deepEqual(catalog.validateProperties("Limit", JSON.parse(JSON.stringify(stored))), []);
  });

  test("every tool refuses the keys at any depth through runTool, and the tool never runs", async () => {
    const k = await pipeline();
    const before = JSON.stringify(k.kit.snapshot());
    const attacks: Array<[string, string, string]> = [
      ["addOperator", '{"operatorType":"Limit","properties":{"__proto__":{"limit":3}},"summary":"x"}', "/properties/__proto__"],
      ["addOperator", '{"operatorType":"Limit","properties":{"limit":3,"constructor":{"prototype":{"limit":1}}},"summary":"x"}', "/properties/constructor"],
      ["addOperator", '{"operatorType":"Filter","properties":{"predicates":[{"attribute":"a","condition":"=","__proto__":{}}]},"summary":"x"}', "/properties/predicates/0/__proto__"],
      ["modifyOperator", '{"operatorId":"op2","inputOperatorIds":{"__proto__":["op1"]}}', "/inputOperatorIds/__proto__"],
      ["modifyOperator", '{"operatorId":"op2","properties":{"constructor":null}}', "/properties/constructor"],
      ["deleteOperator", '{"operatorId":"op2","__proto__":{"operatorId":"op1"}}', "/__proto__"],
      ["getWorkflow", '{"constructor":1}', "/constructor"],
      ["getOperatorSchema", '{"operatorType":"Filter","prototype":1}', "/prototype"],
    ];
    for (const [name, json, at] of attacks) {
      const result = await run(tool(k, name), json);
      assert.equal(result.isError, true, json);
      assert.equal(result.output.split("\n")[0], `[ERROR] Invalid input for ${name}: ${at}: the key "${at.split("/").pop()}" is not allowed.`, json);
    }
    assert.equal(JSON.stringify(k.kit.snapshot()), before, "the workflow did not change");

    let ran = 0;
    const probe: Tool = { name: "probe", description: "", parameters: { type: "object" }, run: () => `ran ${++ran}` };
    assert.equal((await run(probe, '{"a":[{"b":{"__proto__":{"polluted":true}}}]}')).isError, true);
    assert.equal(ran, 0, "a deployer's tool is protected the same way");
    assert.equal((await run(probe, '{"proto":"__proto__","constructor_":"constructor"}')).output, "ran 1", "values and other keys are fine");
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe("the toolkit", () => {
  test("snapshot, restore and describe use Texera workflow content; restore replaces the workflow", async () => {
    const k = await pipeline();
    const twoOperators = k.kit.snapshot();
    assert.deepEqual(k.kit.describe(), { workflow: twoOperators });
    await k.call("deleteOperator", { operatorId: "op2" });
    assert.equal(k.kit.snapshot().operators.length, 1);
    k.kit.restore(twoOperators);
    assert.deepEqual(k.kit.snapshot(), twoOperators);
    assert.equal(await k.call("addOperator", { operatorType: "Limit", properties: { limit: 1 }, inputOperatorIds: { "0": ["op2"] }, summary: "One" }), "Added operator op3, created links: op2 -> op3");
    assert.equal(twoOperators.operators.length, 2, "a taken snapshot is not changed by later edits");
    assert.throws(() => k.kit.restore({ nonsense: true }), /Not a workflow/);
  });

  test("the system prompt: a dataflow copilot, the allowed operators with their schemas, the enabled tools", () => {
    const k = kit();
    const settings = { ...defaultSettings(), allowedOperatorTypes: ["CSVFileScan", "Filter", "NotInCatalog"], disabledTools: ["modifyOperator"] };
    const prompt = k.kit.systemPrompt(settings);
    assert.match(prompt, /data science copilot/);
    assert.match(prompt, /directed acyclic graph \(DAG\)/);
    assert.match(prompt, /Build incrementally/);
    assert.match(prompt, /One operation per operator/);
    assert.match(prompt, /### CSVFileScan \(CSV File Scan\)\nReads a CSV file/);
    assert.match(prompt, /- fileName \(required\): non-empty string/);
    assert.match(prompt, /### Filter\n/);
    assert.doesNotMatch(prompt, /### Sort|NotInCatalog/, "only allowed types the catalog has");
    assert.match(prompt, /- addOperator: /);
    assert.doesNotMatch(prompt, /- modifyOperator: /, "a disabled tool is not offered");
    assert.match(prompt, /operators cannot be modified/, "and the advice follows");
    const full = k.kit.systemPrompt(defaultSettings());
    assert.match(full, /Fix in place: .*modifyOperator/);
    for (const type of defaultSettings().allowedOperatorTypes) assert.match(full, new RegExp(`^### ${type}\\b`, "m"));
    assert.equal(k.kit.systemPrompt(defaultSettings()), full, "same settings, same prompt");
  });

  test("the context: the workflow in topological order, then the current request and what was done for it", async () => {
    const steps: ReActStep[] = [];
    const k = kit({}, steps);
    const step = (fields: Partial<ReActStep>): ReActStep => ({
      id: `s${steps.length}`,
      messageId: "m",
      stepId: steps.length,
      timestamp: 0,
      role: "agent",
      content: "",
      isBegin: false,
      isEnd: false,
      ...fields,
    });
    assert.equal(k.kit.context(), "# Current Dataflow\nThe workflow is empty: start with a source operator.", "no task before any message");
    steps.push(step({ role: "user", content: "Load the orders" }), step({ content: "done" }));
    steps.push(step({ role: "user", content: "Now   keep\nbig orders" }));
    await k.call("addOperator", scan);
    steps.push(step({
      toolCalls: [{ toolName: "addOperator", toolCallId: "c1", input: {} }, { toolName: "addOperator", toolCallId: "c2", input: {} }],
      toolResults: [{ toolCallId: "c1", output: "Added operator op1, created links: none" }, { toolCallId: "c2", output: "[ERROR] Unknown operator type \"X\".\nInput: {}", isError: true }],
    }));
    const text = k.kit.context();
    assert.match(text, /^# Current Dataflow\n1 operator, 0 links\.\n## Operators \(topological order\)\n### op1: CSVFileScan "Load sales"/);
    assert.match(
      text,
      /\n# Task\nEarlier requests \(done\):\n1\. "Load the orders"\nCurrent request: "Now keep big orders"\nDone so far for it:\n1\. addOperator succeeded: Added operator op1, created links: none\n2\. addOperator failed: \[ERROR\] Unknown operator type "X"\.$/,
    );
  });

  test("the factory reads the agent's settings and HEAD path at call time; the route's type guard", () => {
    const host = { settings: { ...defaultSettings(), allowedOperatorTypes: ["Sort"] }, path: [] as ReActStep[], visibleSteps() { return this.path; } };
    const toolkit = copilotToolkitFactory(catalog)(host);
    assert.ok(hasOperatorTypes(toolkit));
    assert.equal(hasOperatorTypes(basicToolkit()), false);
    assert.deepEqual(toolkit.operatorTypes().map((o) => o.type), ["Sort"]);
    host.settings = { ...host.settings, allowedOperatorTypes: ["Limit", "Distinct"] }; // what PATCH does
    assert.deepEqual(toolkit.operatorTypes().map((o) => o.type), ["Limit", "Distinct"]);

    const base = { messageId: "m", timestamp: 0, content: "", isBegin: true, isEnd: true };
    host.path = [
      { ...base, id: "u1", stepId: 0, role: "user", content: "first" },
      { ...base, id: "a1", parentId: "u1", stepId: 1, role: "agent" },
      { ...base, id: "u3", parentId: "a1", stepId: 0, role: "user", content: "second" },
    ];
    assert.match(toolkit.context!()!, /Earlier requests \(done\):\n1\. "first"\nCurrent request: "second"/);
  });
});
