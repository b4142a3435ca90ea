/**
 * The workflow DAG: ids, links and ports, cycles, deletes that cascade to
 * links, topological order, layout, and Texera workflow content both ways.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { layoutDag } from "../src/agents/workflow/layout.ts";
import {
  type InputWiring,
  linkLabel,
  type NewOperator,
  WorkflowError,
  type WorkflowErrorCode,
  WorkflowState,
} from "../src/agents/workflow/workflow-state.ts";

const source = (type = "Scan"): NewOperator => ({ type, displayName: type, properties: { fileName: "a.csv" }, inputPorts: [], outputPorts: [{}] });
const unary = (type = "Filter"): NewOperator => ({ type, displayName: type, properties: {}, inputPorts: [{}], outputPorts: [{}] });
const join = (): NewOperator => ({
  type: "HashJoin",
  displayName: "Join",
  properties: {},
  inputPorts: [{ displayName: "left" }, { displayName: "right" }],
  outputPorts: [{}],
});
const union = (): NewOperator => ({ type: "Union", displayName: "Union", properties: {}, inputPorts: [{ allowMultiLinks: true }], outputPorts: [{}] });
const from = (...ids: string[]): InputWiring => ({ 0: ids.map((id) => ({ operatorId: id, port: 0 })) });

function refuses(run: () => unknown, code: WorkflowErrorCode, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof WorkflowError);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

/** op1 Scan -> op2 Filter -> op3 Filter */
function chain(): WorkflowState {
  const workflow = new WorkflowState();
  workflow.addOperator(source());
  workflow.addOperator(unary(), from("op1"));
  workflow.addOperator(unary(), from("op2"));
  return workflow;
}

describe("operators and links", () => {
  test("ids are op1, op2, ... and links are created per input port", () => {
    const workflow = new WorkflowState();
    assert.equal(workflow.nextOperatorId(), "op1");
    const a = workflow.addOperator(source());
    const b = workflow.addOperator(source());
    const j = workflow.addOperator(join(), { 0: [{ operatorId: "op1", port: 0 }], 1: [{ operatorId: "op2", port: 0 }] });
    assert.deepEqual([a.operator.id, b.operator.id, j.operator.id], ["op1", "op2", "op3"]);
    assert.deepEqual(j.createdLinks.map(linkLabel), ["op1 -> op3", "op2 -> op3:1"]);
    assert.deepEqual(workflow.links().map((l) => l.id), ["link-1", "link-2"]);
    assert.deepEqual(workflow.incoming("op3").map((l) => l.target.port), [0, 1]);
    assert.deepEqual(workflow.outgoing("op1").map(linkLabel), ["op1 -> op3"]);
  });

  test("the stored properties are a copy: changing the caller's object changes nothing", () => {
    const workflow = new WorkflowState();
    const properties = { fileName: "a.csv" };
    workflow.addOperator({ ...source(), properties });
    properties.fileName = "changed.csv";
    assert.deepEqual(workflow.operator("op1")!.properties, { fileName: "a.csv" });
  });

  test("ports out of range, unknown sources, taken ports and repeated links are refused, and nothing changes", () => {
    const workflow = chain();
    const before = JSON.stringify(workflow.toContent());
    refuses(() => workflow.addOperator(unary(), { 1: [{ operatorId: "op1", port: 0 }] }), "port-out-of-range", /^op4 \(Filter\) has 1 input port \(0\); input port 1 does not exist\.$/);
    refuses(() => workflow.addOperator(unary(), { 0: [{ operatorId: "op1", port: 1 }] }), "port-out-of-range", /^op1 \(Scan\) has 1 output port \(0\); output port 1 does not exist\.$/);
    refuses(() => workflow.addOperator(source(), from("op1")), "port-out-of-range", /has no input port; input port 0 does not exist/);
    refuses(() => workflow.addOperator(unary(), { [-1]: [{ operatorId: "op1", port: 0 }] }), "port-out-of-range", /input port -1 does not exist/);
    refuses(() => workflow.addOperator(unary(), from("op9")), "unknown-operator", /^No operator "op9" in the workflow\. Operators: op1, op2, op3\.$/);
    refuses(() => workflow.addOperator(unary(), from("op1", "op2")), "port-taken", /^Input port 0 of op4 \(Filter\) takes one link and already has op1 -> op4\.$/);
    refuses(() => workflow.updateOperator("op3", { inputs: from("op1", "op1") }), "duplicate-link", /The link op1 -> op3 already exists/);
    assert.equal(JSON.stringify(workflow.toContent()), before, "every refusal left the workflow as it was");
    assert.equal(workflow.nextOperatorId(), "op4", "no id was used up");
  });

  test("a multi-link port (Union) takes several links, each only once", () => {
    const workflow = new WorkflowState();
    workflow.addOperator(source());
    workflow.addOperator(source());
    const u = workflow.addOperator(union(), from("op1", "op2"));
    assert.deepEqual(u.createdLinks.map(linkLabel), ["op1 -> op3", "op2 -> op3"]);
    refuses(() => workflow.updateOperator("op3", { inputs: from("op1", "op2", "op1") }), "duplicate-link", /op1 -> op3 already exists/);
  });

  test("rewiring that would close a cycle is refused with the cycle spelled out", () => {
    const workflow = chain();
    refuses(() => workflow.updateOperator("op2", { inputs: from("op3") }), "cycle", /^The link op3 -> op2 would make a cycle: op2 -> op3 -> op2\.$/);
    refuses(() => workflow.updateOperator("op2", { inputs: from("op2") }), "cycle", /op2 -> op2 would make a cycle: op2 -> op2/);
    assert.deepEqual(workflow.cycleThrough("op3", "op1"), ["op1", "op2", "op3", "op1"]);
    assert.equal(workflow.cycleThrough("op1", "op3"), undefined);
    // A diamond is not a cycle.
    workflow.addOperator(union(), from("op2", "op3"));
    assert.deepEqual(workflow.links().map(linkLabel), ["op1 -> op2", "op2 -> op3", "op2 -> op4", "op3 -> op4"]);
  });

  test("updateOperator replaces properties, the display name and (only when given) every incoming link; kept links keep their ids", () => {
    const workflow = new WorkflowState();
    workflow.addOperator(source());
    workflow.addOperator(source());
    workflow.addOperator(join(), { 0: [{ operatorId: "op1", port: 0 }], 1: [{ operatorId: "op2", port: 0 }] });
    const renamed = workflow.updateOperator("op3", { displayName: "Orders with customers", properties: { buildAttributeName: "id" } });
    assert.deepEqual(renamed.createdLinks, []);
    assert.equal(workflow.incoming("op3").length, 2, "links untouched without inputs");
    assert.equal(workflow.operator("op3")!.displayName, "Orders with customers");
    const swapped = workflow.updateOperator("op3", { inputs: { 0: [{ operatorId: "op1", port: 0 }], 1: [] } });
    assert.deepEqual(swapped.deletedLinks.map(linkLabel), ["op2 -> op3:1"]);
    assert.deepEqual(swapped.createdLinks, []);
    assert.deepEqual(workflow.incoming("op3").map((l) => l.id), ["link-1"], "the kept link kept its id");
    const moved = workflow.updateOperator("op3", { inputs: { 1: [{ operatorId: "op2", port: 0 }] } });
    assert.deepEqual(moved.deletedLinks.map(linkLabel), ["op1 -> op3"]);
    assert.deepEqual(moved.createdLinks.map((l) => [l.id, linkLabel(l)]), [["link-2", "op2 -> op3:1"]]);
    refuses(() => workflow.updateOperator("op7", { displayName: "x" }), "unknown-operator", /No operator "op7"/);
  });

  test("deleting an operator deletes its links both ways; the next id follows the highest one left", () => {
    const workflow = chain();
    const deleted = workflow.deleteOperator("op2");
    assert.deepEqual(deleted.deletedLinks.map(linkLabel), ["op1 -> op2", "op2 -> op3"]);
    assert.deepEqual(workflow.links(), []);
    assert.deepEqual(workflow.operators().map((o) => o.id), ["op1", "op3"]);
    assert.equal(workflow.nextOperatorId(), "op4");
    workflow.deleteOperator("op3");
    assert.equal(workflow.nextOperatorId(), "op2", "ids are a function of the workflow alone");
    refuses(() => workflow.deleteOperator("op3"), "unknown-operator", /^No operator "op3" in the workflow\. Operators: op1\.$/);
    workflow.deleteOperator("op1");
    refuses(() => workflow.deleteOperator("op1"), "unknown-operator", /The workflow is empty\.$/);
    assert.deepEqual(workflow.toContent().operatorPositions, {});
  });

  test("topological order puts every source before its targets; ties keep the order of adding", () => {
    const workflow = new WorkflowState();
    workflow.addOperator(unary("Late")); // op1, fed later by op3
    workflow.addOperator(source("ScanA")); // op2
    workflow.addOperator(source("ScanB")); // op3
    workflow.updateOperator("op1", { inputs: from("op3") });
    workflow.addOperator(union(), from("op1", "op2")); // op4
    assert.deepEqual(workflow.topologicalOrder().map((o) => o.id), ["op2", "op3", "op1", "op4"]);
  });
});

describe("layout", () => {
  test("left to right along links, branches apart, integer positions, deterministic", () => {
    const workflow = new WorkflowState();
    workflow.addOperator(source());
    workflow.addOperator(unary(), from("op1"));
    workflow.addOperator(unary(), from("op1"));
    workflow.addOperator(union(), from("op2", "op3"));
    const p = (id: string) => workflow.position(id)!;
    assert.ok(p("op1").x < p("op2").x && p("op2").x < p("op4").x, "x grows along the links");
    assert.equal(p("op2").x, p("op3").x, "the two branches are in one column");
    assert.notEqual(p("op2").y, p("op3").y, "and apart");
    for (const id of ["op1", "op2", "op3", "op4"]) assert.ok(Number.isInteger(p(id).x) && Number.isInteger(p(id).y));
    const again = layoutDag(["op1", "op2", "op3", "op4"], workflow.links().map((l) => ({ source: l.source.operatorId, target: l.target.operatorId })));
    assert.deepEqual(Object.fromEntries(again), workflow.toContent().operatorPositions);
    assert.equal(layoutDag([], []).size, 0);
  });
});

describe("Texera workflow content", () => {
  test("the shape Texera loads: predicates with ports, positions, links with port ids, settings", () => {
    const workflow = new WorkflowState();
    workflow.addOperator({ ...source("CSVFileScan"), version: "7c1b", displayName: "Load sales" });
    workflow.addOperator(source("CSVFileScan"));
    workflow.addOperator(join(), { 0: [{ operatorId: "op1", port: 0 }], 1: [{ operatorId: "op2", port: 0 }] });
    const content = workflow.toContent();
    assert.deepEqual(Object.keys(content), ["operators", "operatorPositions", "links", "commentBoxes", "settings"]);
    assert.deepEqual(content.operators[0], {
      operatorID: "op1",
      operatorType: "CSVFileScan",
      operatorVersion: "7c1b",
      operatorProperties: { fileName: "a.csv" },
      inputPorts: [],
      outputPorts: [{ portID: "output-0", isDynamicPort: false }],
      showAdvanced: false,
      isDisabled: false,
      customDisplayName: "Load sales",
    });
    assert.deepEqual(content.operators[2]!.inputPorts, [
      { portID: "input-0", displayName: "left", disallowMultiInputs: true, isDynamicPort: false, dependencies: [] },
      { portID: "input-1", displayName: "right", disallowMultiInputs: true, isDynamicPort: false, dependencies: [] },
    ]);
    assert.equal(content.operators[1]!.operatorVersion, "N/A");
    assert.deepEqual(content.links[1], {
      linkID: "link-2",
      source: { operatorID: "op2", portID: "output-0" },
      target: { operatorID: "op3", portID: "input-1" },
    });
    assert.deepEqual(Object.keys(content.operatorPositions), ["op1", "op2", "op3"]);
    assert.deepEqual(content.commentBoxes, []);
    assert.deepEqual(content.settings, { dataTransferBatchSize: 400 });
    assert.deepEqual(JSON.parse(JSON.stringify(content)), content, "plain JSON");
  });

  test("content round-trips: fromContent(toContent()) is the same workflow, ids continue, positions kept", () => {
    const workflow = new WorkflowState();
    workflow.addOperator(source());
    workflow.addOperator(source());
    workflow.addOperator(union(), from("op1", "op2"));
    const content = workflow.toContent();
    content.operatorPositions.op1 = { x: 7, y: 9 }; // the user moved it
    const copy = WorkflowState.fromContent(content);
    assert.deepEqual(copy.toContent(), content);
    assert.equal(copy.nextOperatorId(), "op4");
    assert.equal(copy.operator("op3")!.inputPorts[0]!.allowMultiLinks, true);
    const added = copy.addOperator(unary(), from("op3"));
    assert.equal(added.createdLinks[0]!.id, "link-3", "link ids continue too");
    // Missing positions are laid out.
    const { operatorPositions: _, ...withoutPositions } = content;
    assert.deepEqual(Object.keys(WorkflowState.fromContent(withoutPositions).toContent().operatorPositions), ["op1", "op2", "op3"]);
  });

  test("content that is not a sound workflow is refused whole, naming the problem", () => {
    const good = chain().toContent();
    const withLinks = (links: unknown[]) => ({ ...good, links });
    const cases: [unknown, RegExp][] = [
      [null, /expected an object with "operators" and "links" arrays/],
      [{ operators: [] }, /expected an object with "operators" and "links" arrays/],
      [{ operators: [{ operatorType: "X" }], links: [] }, /operators\[0\] needs a string operatorID and operatorType/],
      [{ operators: [good.operators[0], good.operators[0]], links: [] }, /operator op1 appears twice/],
      [{ operators: [{ ...good.operators[0], operatorProperties: [] }], links: [] }, /operatorProperties of op1 must be an object/],
      [withLinks([{ source: { operatorID: "op1", portID: "output-0" } }]), /links\[0\] needs source and target operators/],
      [withLinks([good.links[0], { ...good.links[1], linkID: good.links[0]!.linkID }]), /link link-1 appears twice/],
      [withLinks([{ source: { operatorID: "op1", portID: "out" }, target: { operatorID: "op2", portID: "input-0" } }]), /port "out" is not an output port id/],
      [withLinks([{ source: { operatorID: "op1", portID: "output-0" }, target: { operatorID: "op9", portID: "input-0" } }]), /links\[0\] \(op1 -> op9\): No operator "op9"/],
      [withLinks([
        { linkID: "a", source: { operatorID: "op1", portID: "output-0" }, target: { operatorID: "op2", portID: "input-0" } },
        { linkID: "b", source: { operatorID: "op2", portID: "output-0" }, target: { operatorID: "op3", portID: "input-0" } },
        { linkID: "c", source: { operatorID: "op3", portID: "output-0" }, target: { operatorID: "op1", portID: "input-0" } },
      ]), /links\[2\] \(op3 -> op1\): op1 \(Scan\) has no input port/],
      [withLinks([
        { source: { operatorID: "op2", portID: "output-0" }, target: { operatorID: "op3", portID: "input-0" } },
        { source: { operatorID: "op3", portID: "output-0" }, target: { operatorID: "op2", portID: "input-0" } },
      ]), /links\[1\] \(op3 -> op2\): The link op3 -> op2 would make a cycle/],
    ];
    for (const [content, message] of cases) {
      const workflow = chain();
      refuses(() => workflow.load(content), "bad-content", message);
      assert.equal(workflow.size, 3, "the workflow is unchanged");
      assert.equal(workflow.links().length, 2);
    }
  });
});
