/**
 * The soak (scripts/soak.ts), short: 20 users for 15 s against a real
 * service process on Node, Deno and Bun (side by side), and proof that its
 * checker catches lost, duplicated and out-of-order events. The full soak is
 * `npm run soak` (200 users, 5 minutes). Nothing here asserts a timing: only
 * the soak's verdict (events, completed runs, memory bound, descriptors).
 *
 *   npm run test:e2e
 */
import { describe, test } from "../helpers/node-test.ts";
import assert from "node:assert/strict";
import { RUNTIMES } from "../../scripts/bench/lib.ts";
import { checkRun, type RunPlan, runSoak, scriptedRunEvents, type SoakEvent } from "../../scripts/soak.ts";

describe("the soak, short", { concurrency: 2 }, () => {
  for (const runtime of RUNTIMES) {
    test(`20 users for 15 s on ${runtime}: no event lost, duplicated or out of order; memory and descriptors bounded`, { timeout: 120_000 }, async () => {
      const result = await runSoak({ users: 20, seconds: 15, runtime, warmupSeconds: 5, clearEvery: 4, stopEvery: 3 });
      assert.ok(result.ok, result.summary);
      assert.ok(result.stats.runs >= 20, `only ${result.stats.runs} runs:\n${result.summary}`);
      assert.ok(result.stats.stopped > 0, `no run was stopped mid-stream:\n${result.summary}`);
      assert.ok(result.stats.toolCalls > 0 && result.stats.clears > 0, result.summary);
    });
  }
});

describe("the soak's run checker", () => {
  const plan: RunPlan = { uid: 3, run: 2, toolRounds: 2, tool: "soak_probe", stop: false };
  const check = (events: SoakEvent[], head?: string) => checkRun(plan, events, head, new Set(), false);
  const good = () => scriptedRunEvents(plan, "previous-head");
  const deltaIndex = (events: SoakEvent[], stepId: number) => events.findIndex((e) => e.type === "delta" && e.stepId === stepId);

  test("accepts a correct run", () => {
    const result = check(good(), "previous-head");
    assert.deepEqual(result.problems, []);
    assert.equal(result.outcome, "completed");
    assert.equal(result.toolCalls, 2);
    assert.equal(result.stepIds.length, 4);
  });

  test("catches a lost delta", () => {
    const events = good();
    events.splice(deltaIndex(events, 3) + 1, 1);
    assert.match(check(events, "previous-head").problems.join("\n"), /content differs from its deltas/);
  });

  test("catches a duplicated delta", () => {
    const events = good();
    const at = deltaIndex(events, 3);
    events.splice(at, 0, events[at]!);
    assert.match(check(events, "previous-head").problems.join("\n"), /content differs from its deltas/);
  });

  test("catches a lost step", () => {
    const events = good();
    const at = events.findIndex((e) => e.type === "step" && (e.step as { stepId: number }).stepId === 1);
    events.splice(at, 1);
    assert.notDeepEqual(check(events, "previous-head").problems, []);
  });

  test("catches a duplicated step", () => {
    const events = good();
    const at = events.findIndex((e) => e.type === "step" && (e.step as { stepId: number }).stepId === 1);
    events.splice(at + 1, 0, events[at]!);
    assert.match(check(events, "previous-head").problems.join("\n"), /arrived twice/);
  });

  test("catches events out of order", () => {
    const events = good();
    const first = deltaIndex(events, 3);
    [events[first], events[first + 1]] = [events[first + 1]!, events[first]!];
    assert.match(check(events, "previous-head").problems.join("\n"), /content differs from its deltas/);
    const swapped = good();
    const step1 = swapped.findIndex((e) => e.type === "step" && (e.step as { stepId: number }).stepId === 1);
    const step2 = swapped.findIndex((e) => e.type === "step" && (e.step as { stepId: number }).stepId === 2);
    [swapped[step1], swapped[step2]] = [swapped[step2]!, swapped[step1]!];
    assert.notDeepEqual(check(swapped, "previous-head").problems, []);
  });

  test("catches a missing complete, a wrong parent and an event after complete", () => {
    assert.match(check(good().slice(0, -1), "previous-head").problems.join("\n"), /no complete event/);
    assert.match(check(good(), "another-head").problems.join("\n"), /not the previous HEAD/);
    const events = good();
    events.push({ type: "delta", messageId: "x", stepId: 9, text: "late" });
    assert.match(check(events, "previous-head").problems.join("\n"), /after complete/);
  });

  test("a step id seen in an earlier run is a duplicate", () => {
    const seen = new Set<string>();
    assert.deepEqual(checkRun(plan, good(), "previous-head", seen, false).problems, []);
    assert.match(checkRun(plan, good(), "previous-head", seen, false).problems.join("\n"), /arrived twice/);
  });

  test("a stopped run must end with the stopped step after a prefix of the answer", () => {
    const stopPlan: RunPlan = { ...plan, toolRounds: 0, stop: true };
    const full = scriptedRunEvents(stopPlan, undefined);
    const userStep = full[1]!.step as { id: string; messageId: string };
    const stopped = (content: string): SoakEvent[] => [
      ...full.slice(0, 4),
      { type: "state", state: "STOPPING" },
      {
        type: "step",
        step: { id: "stopped", parentId: userStep.id, messageId: userStep.messageId, stepId: 1, role: "agent", content, isBegin: false, isEnd: true, stopped: true },
      },
      { type: "complete", state: "AVAILABLE" },
    ];
    const ok = checkRun(stopPlan, stopped("Generation stopped by user."), undefined, new Set(), true);
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.outcome, "stopped");
    assert.match(checkRun(stopPlan, stopped("something else"), undefined, new Set(), true).problems.join("\n"), /stopped step's content/);
    // Completed without the stopped step: the run neither was stopped nor is that an error (the stop came late).
    assert.equal(checkRun(stopPlan, full, undefined, new Set(), true).outcome, "stop-late");
  });
});
