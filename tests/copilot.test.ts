/**
 * The dataflow copilot end to end: a scripted model builds CSVFileScan ->
 * Filter -> Aggregate -> BarChart over the /react WebSocket, makes one
 * invalid call, reads the error and corrects it; the workflow is served in
 * Texera's shape, checkout restores earlier versions, settings are honoured,
 * and the workflow survives a restart.
 */
import { before, describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import type { ReActStep } from "../src/agents/types.ts";
import { loadDefaultCatalog, type OperatorCatalog } from "../src/agents/workflow/catalog.ts";
import { defaultSettings } from "../src/agents/settings.ts";
import type { AgentSettings } from "../src/agents/types.ts";
import { copilotSystemPrompt } from "../src/agents/workflow/prompt.ts";
import { cachedPromptCount, copilotToolkit, copilotToolkitFactory, PROMPTS_PER_CATALOG } from "../src/agents/workflow/toolkit.ts";
import type { TexeraWorkflowContent } from "../src/agents/workflow/workflow-state.ts";
import { operatorTypesRoute } from "../src/http/operator-types-route.ts";
import type { AgentStore } from "../src/store/agent-store.ts";
import { MemoryAgentStore } from "../src/store/memory-store.ts";
import type { ScriptedLLM } from "./fixtures/scripted-llm.ts";
import { api, startTestService, stopTestService, type TestService } from "./helpers/service.ts";
import { openSocket, type SocketEvent, type TestSocket } from "./helpers/socket.ts";
import { mintToken } from "./helpers/tokens.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
const bob = mintToken({ userId: 2, sub: "bob" });

let catalog: OperatorCatalog;
before(async () => {
  catalog = await loadDefaultCatalog();
});

/** The service with the copilot toolkit and the operator-types route (bound to the service's registry once it exists). */
async function startCopilot(options: { store?: AgentStore; sharedUpstream?: ScriptedLLM } = {}): Promise<TestService> {
  let service: TestService | undefined;
  const registry = {
    find: (...args: Parameters<TestService["registry"]["find"]>) => service!.registry.find(...args),
    load: (...args: Parameters<TestService["registry"]["load"]>) => service!.registry.load(...args),
  };
  service = await startTestService({ toolkits: copilotToolkitFactory(catalog), extraRoutes: [operatorTypesRoute({ registry })], ...options });
  return service;
}

async function withCopilot(run: (service: TestService) => Promise<void>): Promise<void> {
  const service = await startCopilot();
  try {
    await run(service);
  } finally {
    await stopTestService(service);
  }
}

async function createAgent(service: TestService, settings?: Record<string, unknown>): Promise<string> {
  const { status, body } = await api(service, "POST", "/api/agents", alice, { modelType: "scripted-model", name: "Copilot", ...(settings ? { settings } : {}) });
  assert.equal(status, 200, JSON.stringify(body));
  return body.id as string;
}

const socketFor = (service: TestService, id: string) => openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${alice}`);

async function converse(socket: TestSocket, content: string): Promise<ReActStep[]> {
  const from = socket.events.length;
  socket.send({ type: "message", content });
  await socket.waitFor((e) => e.type === "complete", { from });
  return socket.events.slice(from).filter((e: SocketEvent) => e.type === "step").map((e) => e.step as ReActStep);
}

const chats = (service: TestService) => service.upstream.requests.filter((r) => r.path === "/v1/chat/completions");
type ChatMessage = { role: string; content: string | null; tool_call_id?: string };
const messagesOf = (request: { body: Record<string, unknown> | undefined }) => request.body!.messages as ChatMessage[];

const call = (id: string, name: string, args: unknown) => ({ id, name, arguments: JSON.stringify(args) });

// The conversation: what the scripted model calls, step by step.
const SCAN = { operatorType: "CSVFileScan", properties: { fileName: "/alice@example.com/shop/v1/orders.csv", hasHeader: true }, summary: "Load orders" };
const BAD_FILTER = { operatorType: "Filter", properties: { predicate: "amount > 100" }, inputOperatorIds: { "0": ["op1"] }, summary: "Orders over 100" };
const FILTER = {
  operatorType: "Filter",
  properties: { predicates: [{ attribute: "amount", condition: ">", value: "100" }] },
  inputOperatorIds: { "0": ["op1"] },
  summary: "Orders over 100",
};
const AGGREGATE = {
  operatorType: "Aggregate",
  properties: { groupByKeys: ["region"], aggregations: [{ aggFunction: "sum", attribute: "amount", "result attribute": "total" }] },
  inputOperatorIds: { "0": ["op2"] },
  summary: "Total per region",
};
const CHART = { operatorType: "BarChart", properties: { fields: "region", value: "total" }, inputOperatorIds: { "0": ["op3"] }, summary: "Revenue by region" };
const REQUEST = "Chart the total of orders over 100 per region from orders.csv";

/** Queues the build conversation and runs it; returns the run's steps. */
async function buildPipeline(service: TestService, socket: TestSocket): Promise<ReActStep[]> {
  service.upstream.enqueue(
    { kind: "tool_calls", text: "First I load the orders.", calls: [call("c1", "addOperator", SCAN)] },
    { kind: "tool_calls", text: "Now keep the big orders.", calls: [call("c2", "addOperator", BAD_FILTER)] },
    { kind: "tool_calls", text: "The Filter wants a predicates list; fixing the call.", calls: [call("c3", "addOperator", FILTER)], style: "late-id" },
    { kind: "tool_calls", calls: [call("c4", "addOperator", AGGREGATE)], style: "burst" },
    { kind: "tool_calls", calls: [call("c5", "addOperator", CHART)] },
    { kind: "text", text: "Done: orders.csv -> orders over 100 -> total per region -> bar chart." },
  );
  return converse(socket, REQUEST);
}

const EXPECTED_RESULTS = [
  "Added operator op1, created links: none",
  null, // the invalid call, checked on its own
  "Added operator op2, created links: op1 -> op2",
  "Added operator op3, created links: op2 -> op3",
  "Added operator op4, created links: op3 -> op4",
];

describe("the copilot conversation", () => {
  test("a scripted model builds CSVFileScan -> Filter -> Aggregate -> BarChart, reads its one error and corrects it", async () => {
    await withCopilot(async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      const steps = await buildPipeline(service, socket);
      const agentSteps = steps.filter((s) => s.role === "agent");
      assert.equal(agentSteps.length, 6);

      // What the test sees of each tool call.
      assert.deepEqual(agentSteps.slice(0, 5).map((s) => s.toolCalls!.map((c) => [c.toolName, c.input])), [
        [["addOperator", SCAN]],
        [["addOperator", BAD_FILTER]],
        [["addOperator", FILTER]],
        [["addOperator", AGGREGATE]],
        [["addOperator", CHART]],
      ]);
      agentSteps.slice(0, 5).forEach((step, index) => {
        const expected = EXPECTED_RESULTS[index];
        if (expected !== null) assert.deepEqual(step.toolResults, [{ toolCallId: `c${index + 1}`, output: expected }]);
      });
      const [failed] = agentSteps[1]!.toolResults!;
      assert.equal(failed!.isError, true);
      assert.equal(
        failed!.output.split("\n").slice(0, 4).join("\n"),
        '[ERROR] Invalid properties for Filter:\n- (properties): missing required property "predicates"\n- (properties): unknown property "predicate"\nExpected properties of Filter:',
      );
      assert.match(failed!.output, /\n- predicates \(required\): non-empty array of objects/);
      assert.match(failed!.output, /\nInput: \{"operatorType":"Filter","properties":\{"predicate":"amount > 100"\}/);
      assert.equal(agentSteps.at(-1)!.content, "Done: orders.csv -> orders over 100 -> total per region -> bar chart.");
      assert.equal(agentSteps.at(-1)!.isEnd, true);

      // The model read the error: the next call carries it as the tool result and in the task context.
      const requests = chats(service);
      assert.equal(requests.length, 6);
      const afterError = messagesOf(requests[2]!);
      assert.equal(afterError.at(-1)!.role, "tool");
      assert.equal(afterError.at(-1)!.tool_call_id, "c2");
      assert.match(afterError.at(-1)!.content!, /^\[ERROR\] Invalid properties for Filter:/);
      const contextAfterError = afterError[0]!.content!;
      assert.match(contextAfterError, /# Current Dataflow\n1 operator, 0 links\./, "the failed call changed nothing");
      assert.match(contextAfterError, /Current request: "Chart the total of orders over 100 per region from orders\.csv"\nDone so far for it:\n1\. addOperator succeeded: Added operator op1, created links: none\n2\. addOperator failed: \[ERROR\] Invalid properties for Filter: - \(properties\): missing required property "predicates" - \(properties\): unknown property "predicate"$/m);

      // Before each model call, the system message = the copilot prompt + the workflow as it is then.
      const first = messagesOf(requests[0]!)[0]!.content!;
      assert.match(first, /^You are a data science copilot/);
      assert.match(first, /### BarChart \(Bar Chart\)/);
      assert.match(first, /# Current Dataflow\nThe workflow is empty/);
      const last = messagesOf(requests[5]!)[0]!.content!;
      const order = ["### op1: CSVFileScan", "### op2: Filter", "### op3: Aggregate", "### op4: BarChart"].map((h) => last.indexOf(h));
      assert.ok(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!)), "operators in topological order");
      assert.match(last, /### op3: Aggregate "Total per region"\nInputs: port 0 ← op2\nProperties: \{"groupByKeys":\["region"\],"aggregations":\[\{"aggFunction":"sum","attribute":"amount","result attribute":"total"\}\]\}/);
      assert.match(last, /## Links\n- op1 -> op2\n- op2 -> op3\n- op3 -> op4/);
      assert.deepEqual((requests[0]!.body!.tools as { function: { name: string } }[]).map((t) => t.function.name), [
        "addOperator", "modifyOperator", "deleteOperator", "getWorkflow", "getOperatorSchema",
      ]);

      // Each step recorded the workflow before and after it.
      const sizes = (content: unknown) => (content as TexeraWorkflowContent).operators.length;
      assert.deepEqual(agentSteps.map((s) => [sizes(s.beforeWorkflowContent), sizes(s.afterWorkflowContent)]), [[0, 1], [1, 1], [1, 2], [2, 3], [3, 4], [4, 4]]);

      // GET /api/agents/:id: the workflow in Texera's workflow-content shape, matching the steps.
      const agent = await api(service, "GET", `/api/agents/${id}`, alice);
      assert.equal(agent.status, 200);
      const workflow = agent.body.workflow as TexeraWorkflowContent;
      assert.deepEqual(workflow, agentSteps.at(-1)!.afterWorkflowContent);
      assert.deepEqual(workflow.operators.map((o) => [o.operatorID, o.operatorType, o.customDisplayName]), [
        ["op1", "CSVFileScan", "Load orders"],
        ["op2", "Filter", "Orders over 100"],
        ["op3", "Aggregate", "Total per region"],
        ["op4", "BarChart", "Revenue by region"],
      ]);
      assert.deepEqual(workflow.operators.map((o) => o.operatorProperties), [SCAN, FILTER, AGGREGATE, CHART].map((c) => c.properties));
      assert.deepEqual(workflow.links.map((l) => [l.source.operatorID, l.source.portID, l.target.operatorID, l.target.portID]), [
        ["op1", "output-0", "op2", "input-0"],
        ["op2", "output-0", "op3", "input-0"],
        ["op3", "output-0", "op4", "input-0"],
      ]);
      const xs = ["op1", "op2", "op3", "op4"].map((op) => workflow.operatorPositions[op]!.x);
      assert.deepEqual([...xs].sort((a, b) => a - b), xs, "laid out left to right");
      assert.equal(new Set(xs).size, 4);
      assert.deepEqual(workflow.settings, { dataTransferBatchSize: 400 });
      await socket.close();
    });
  });

  test("checkout to an earlier step restores that workflow; the next message builds on it", async () => {
    await withCopilot(async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      const steps = await buildPipeline(service, socket);
      const filterAdded = steps.find((s) => s.toolResults?.[0]?.output === "Added operator op2, created links: op1 -> op2")!;

      const from = socket.events.length;
      assert.deepEqual((await api(service, "POST", `/api/agents/${id}/checkout`, alice, { stepId: filterAdded.id })).body, { status: "checked out", headId: filterAdded.id });
      const change = await socket.waitFor((e) => e.type === "headChange", { from });
      assert.deepEqual((change.workflowContent as TexeraWorkflowContent).operators.map((o) => o.operatorType), ["CSVFileScan", "Filter"]);
      const restored = (await api(service, "GET", `/api/agents/${id}`, alice)).body.workflow as TexeraWorkflowContent;
      assert.deepEqual(restored, filterAdded.afterWorkflowContent);
      assert.deepEqual(restored.links.map((l) => `${l.source.operatorID} -> ${l.target.operatorID}`), ["op1 -> op2"]);

      // The branch continues from the restored workflow: the model sees it and the next id is op3 again.
      service.upstream.enqueue(
        {
          kind: "tool_calls",
          calls: [call("s1", "addOperator", { operatorType: "Sort", properties: { attributes: [{ attributeName: "amount", sortPreference: "DESC" }] }, inputOperatorIds: { "0": ["op2"] }, summary: "Largest first" })],
        },
        { kind: "text", text: "Sorted." },
      );
      const branch = await converse(socket, "Instead, sort the big orders by amount");
      assert.equal(branch[0]!.parentId, filterAdded.id);
      assert.deepEqual(branch[1]!.toolResults, [{ toolCallId: "s1", output: "Added operator op3, created links: op2 -> op3" }]);
      const context = messagesOf(chats(service).at(-2)!)[0]!.content!;
      assert.match(context, /# Current Dataflow\n2 operators, 1 link\./);
      assert.doesNotMatch(context, /Aggregate "Total per region"/, "the abandoned branch is not in the context");
      assert.match(context, /Earlier requests \(done\):\n1\. "Chart the total/);
      const now = (await api(service, "GET", `/api/agents/${id}`, alice)).body.workflow as TexeraWorkflowContent;
      assert.deepEqual(now.operators.map((o) => o.operatorType), ["CSVFileScan", "Filter", "Sort"]);

      // Checkout to the very first message: the workflow as it was before anything was built.
      await api(service, "POST", `/api/agents/${id}/checkout`, alice, { stepId: steps[0]!.id });
      const empty = (await api(service, "GET", `/api/agents/${id}`, alice)).body.workflow as TexeraWorkflowContent;
      assert.deepEqual([empty.operators, empty.links, empty.operatorPositions], [[], [], {}]);
      // clear goes back to the empty workflow too.
      await api(service, "POST", `/api/agents/${id}/checkout`, alice, { stepId: filterAdded.id });
      await api(service, "POST", `/api/agents/${id}/clear`, alice, {});
      assert.deepEqual((await api(service, "GET", `/api/agents/${id}`, alice)).body.workflow.operators, []);
      await socket.close();
    });
  });
});

describe("tool arguments from the model are not trusted", () => {
  test("a modifyOperator call with a __proto__ key is refused as an error result and the operator keeps valid properties", async () => {
    await withCopilot(async (service) => {
      const id = await createAgent(service);
      const socket = await socketFor(service, id);
      const LIMIT = { operatorType: "Limit", properties: { limit: 5 }, inputOperatorIds: { "0": ["op1"] }, summary: "Five rows" };
      // The raw text the model streams: "__proto__" is an own key once JSON.parse reads it.
      const attack = '{"operatorId":"op2","properties":{"limit":null,"__proto__":{"limit":3}}}';
      service.upstream.enqueue(
        { kind: "tool_calls", calls: [call("c1", "addOperator", SCAN), call("c2", "addOperator", LIMIT)] },
        { kind: "tool_calls", calls: [{ id: "c3", name: "modifyOperator", arguments: attack }] },
        { kind: "text", text: "Done." },
      );
      const steps = (await converse(socket, "load and limit")).filter((s) => s.role === "agent");
      const [refused] = steps[1]!.toolResults!;
      assert.deepEqual(refused, {
        toolCallId: "c3",
        output: '[ERROR] Invalid input for modifyOperator: /properties/__proto__: the key "__proto__" is not allowed.',
        isError: true,
      });
      const agent = await api(service, "GET", `/api/agents/${id}`, alice);
      const limit = (agent.body.workflow as TexeraWorkflowContent).operators.find((o) => o.operatorID === "op2")!;
      assert.deepEqual(limit.operatorProperties, { limit: 5 });
      assert.deepEqual(catalog.validateProperties("Limit", limit.operatorProperties), []);
      await socket.close();
    });
  });
});

describe("settings and routes", () => {
  test("operator-types, system-info and the tools follow allowedOperatorTypes and disabledTools, changed by PATCH", async () => {
    await withCopilot(async (service) => {
      const id = await createAgent(service);
      const types = await api(service, "GET", `/api/agents/${id}/operator-types`, alice);
      assert.equal(types.status, 200);
      assert.deepEqual(types.body.operatorTypes.map((t: { type: string }) => t.type), catalog.types());
      assert.deepEqual(types.body.operatorTypes[0], JSON.parse(JSON.stringify(catalog.get("CSVFileScan"))), "description, ports and schema");
      assert.deepEqual(Object.keys(types.body.operatorTypes[0]), ["type", "displayName", "group", "description", "inputPorts", "outputPorts", "propertiesSchema"]);

      const info = await api(service, "GET", `/api/agents/${id}/system-info`, alice);
      assert.match(info.body.systemPrompt, /data science copilot/);
      assert.match(info.body.systemPrompt, /### HashJoin \(Hash Join\)/);
      assert.deepEqual(info.body.tools.map((t: { name: string; enabled: boolean }) => [t.name, t.enabled]), [
        ["addOperator", true], ["modifyOperator", true], ["deleteOperator", true], ["getWorkflow", true], ["getOperatorSchema", true],
      ]);

      await api(service, "PATCH", `/api/agents/${id}/settings`, alice, { allowedOperatorTypes: ["CSVFileScan", "Limit"], disabledTools: ["deleteOperator"] });
      assert.deepEqual((await api(service, "GET", `/api/agents/${id}/operator-types`, alice)).body.operatorTypes.map((t: { type: string }) => t.type), ["CSVFileScan", "Limit"]);
      const narrowed = await api(service, "GET", `/api/agents/${id}/system-info`, alice);
      assert.doesNotMatch(narrowed.body.systemPrompt, /### Filter/);
      assert.match(narrowed.body.systemPrompt, /### Limit/);
      assert.equal(narrowed.body.tools.find((t: { name: string }) => t.name === "deleteOperator").enabled, false);

      const socket = await socketFor(service, id);
      service.upstream.enqueue(
        { kind: "tool_calls", calls: [call("f1", "addOperator", { ...FILTER, inputOperatorIds: {} }), call("d1", "deleteOperator", { operatorId: "op1" })] },
        { kind: "text", text: "I can only scan and limit here." },
      );
      const steps = await converse(socket, "Filter something");
      assert.deepEqual(steps[1]!.toolResults!.map((r) => [r.isError, r.output.split("\n")[0]]), [
        [true, '[ERROR] Operator type "Filter" is not allowed for this agent. Allowed types: CSVFileScan, Limit.'],
        [true, '[ERROR] Unknown tool "deleteOperator". Available tools: addOperator, modifyOperator, getWorkflow, getOperatorSchema'],
      ]);
      assert.deepEqual((chats(service)[0]!.body!.tools as { function: { name: string } }[]).map((t) => t.function.name), [
        "addOperator", "modifyOperator", "getWorkflow", "getOperatorSchema",
      ]);
      assert.deepEqual((await api(service, "GET", `/api/agents/${id}`, alice)).body.workflow.operators, []);
      await socket.close();
    });
  });

  test("operator-types of another user's agent is 404, exactly like a missing one; it needs a token", async () => {
    await withCopilot(async (service) => {
      const id = await createAgent(service);
      const theirs = await api(service, "GET", `/api/agents/${id}/operator-types`, bob);
      const missing = await api(service, "GET", "/api/agents/00000000-0000-4000-8000-000000000000/operator-types", bob);
      assert.deepEqual(theirs, { status: 404, body: { error: "Agent not found", code: "agent_not_found" } });
      assert.deepEqual(missing, theirs);
      const anonymous = await fetch(`${service.url}/api/agents/${id}/operator-types`);
      assert.equal(anonymous.status, 401);
      await anonymous.body?.cancel();
    });
  });

  test("the workflow is persisted with the steps and comes back after a restart", async () => {
    const store = new MemoryAgentStore();
    const first = await startCopilot({ store });
    let id: string;
    let before: unknown;
    try {
      id = await createAgent(first);
      const socket = await socketFor(first, id);
      await buildPipeline(first, socket);
      await socket.close();
      before = (await api(first, "GET", `/api/agents/${id}`, alice)).body.workflow;
    } finally {
      await stopTestService(first, { keepUpstream: true });
    }
    const second = await startCopilot({ store, sharedUpstream: first.upstream });
    try {
      const after = (await api(second, "GET", `/api/agents/${id}`, alice)).body.workflow as TexeraWorkflowContent;
      assert.deepEqual(after, before);
      assert.equal(after.operators.length, 4);
    } finally {
      await stopTestService(second);
    }
  });
});

describe("the system prompt", () => {
  test("is built once per catalog and settings, shared by every agent, right for each settings, and bounded", async () => {
    const fresh = await loadDefaultCatalog();
    const settings = (allowedOperatorTypes: string[], disabledTools: string[] = []) => ({ ...defaultSettings(), allowedOperatorTypes, disabledTools });
    const kit = (s: AgentSettings) => copilotToolkit(fresh, { settings: () => s });
    const narrow = settings(["CSVFileScan", "Limit"], ["deleteOperator"]);
    assert.equal(cachedPromptCount(fresh), 0);
    const first = kit(narrow).systemPrompt(narrow);
    assert.equal(first, copilotSystemPrompt(fresh, { allowedOperatorTypes: ["CSVFileScan", "Limit"], enabledTools: ["addOperator", "modifyOperator", "getWorkflow", "getOperatorSchema"] }));
    // Another agent (another toolkit) with the same settings: the kept prompt.
    assert.equal(kit(narrow).systemPrompt({ ...narrow }), first);
    assert.equal(cachedPromptCount(fresh), 1);
    const wide = settings([]);
    const all = kit(wide).systemPrompt(wide);
    assert.equal(all, copilotSystemPrompt(fresh, { allowedOperatorTypes: [], enabledTools: ["addOperator", "modifyOperator", "deleteOperator", "getWorkflow", "getOperatorSchema"] }));
    assert.notEqual(all, first);
    assert.equal(cachedPromptCount(fresh), 2);
    // Many distinct settings: at most PROMPTS_PER_CATALOG kept, each still right.
    const types = fresh.types();
    const pairs = types.flatMap((a, i) => types.slice(i + 1).map((b) => [a, b]));
    assert.ok(pairs.length > PROMPTS_PER_CATALOG + 10);
    for (const pair of pairs.slice(0, PROMPTS_PER_CATALOG + 10)) {
      const s = settings(pair);
      const prompt = kit(s).systemPrompt(s);
      assert.equal(prompt, copilotSystemPrompt(fresh, { allowedOperatorTypes: s.allowedOperatorTypes, enabledTools: ["addOperator", "modifyOperator", "deleteOperator", "getWorkflow", "getOperatorSchema"] }));
    }
    assert.equal(cachedPromptCount(fresh), PROMPTS_PER_CATALOG);
    assert.equal(kit(narrow).systemPrompt(narrow), first, "an evicted prompt is built again, the same");
    assert.equal(cachedPromptCount(await loadDefaultCatalog()), 0, "another catalog has prompts of its own");
  });
});
