/**
 * The AgentStore contract: one suite of tests that every store must pass
 * (memory and file in `npm test`, PostgreSQL in `npm run test:postgres`).
 * Each test gets a fresh, empty store from the flavour's `open` and closes it.
 */
import { describe, test } from "./node-test.ts";
import assert from "node:assert/strict";
import { defaultSettings } from "../../src/agents/settings.ts";
import type { AgentMeta, ReActStep } from "../../src/agents/types.ts";
import type { AgentStore } from "../../src/store/agent-store.ts";
import { chargeOf, type UsageCharge, zeroCounts } from "../../src/usage/totals.ts";

export interface StoreFlavour {
  readonly name: string;
  /** A fresh, empty store. */
  open(): Promise<{ store: AgentStore; close(): Promise<void> }>;
}

let counter = 0;
/** A valid meta; ids are unique per call unless given. */
export function meta(overrides: Partial<AgentMeta> = {}): AgentMeta {
  counter++;
  return {
    id: `agent-${counter}-${Math.random().toString(36).slice(2, 8)}`,
    ownerUid: 7,
    ownerName: "ada",
    name: "Helper",
    modelType: "gpt-4o-mini",
    createdAt: new Date(Date.UTC(2026, 5, 1, 12, 0, counter % 60, counter % 1000)).toISOString(),
    settings: { ...defaultSettings(), maxSteps: 20, allowedOperatorTypes: ["CSVFileScan", "Filter"] },
    ...overrides,
  };
}

const WORKFLOW_A = { operators: [], links: [] };
const WORKFLOW_B = { operators: [{ id: "op1", type: "Filter", props: { unicode: "héllo ✓", n: [1, "two", null, true] } }], links: [] };

/** A step; `parentId` and the workflows as given. */
export function step(id: string, overrides: Partial<ReActStep> = {}): ReActStep {
  return {
    id,
    messageId: "m1",
    stepId: 0,
    timestamp: 1_780_000_000_000,
    role: "user",
    content: `content of ${id}`,
    isBegin: true,
    isEnd: true,
    beforeWorkflowContent: WORKFLOW_A,
    afterWorkflowContent: WORKFLOW_A,
    ...overrides,
  };
}

/** An agent step exercising every optional field. */
export function richStep(id: string, parentId: string): ReActStep {
  return step(id, {
    parentId,
    stepId: 1,
    role: "agent",
    content: "Added an operator.",
    isBegin: false,
    isEnd: false,
    toolCalls: [{ toolName: "addOperator", toolCallId: "c1", input: { type: "Filter", nested: [1, "two", null, true] } }],
    toolResults: [{ toolCallId: "c1", output: "ok", isError: false }],
    usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150, cachedInputTokens: 64 },
    cost: { usd: 0.000024999999999999998, source: "litellm" },
    model: "gpt-4o-mini",
    requestId: "4b9b6a0e-7f00-4a4b-9d1c-2f3e4d5c6b7a",
    messageSource: "chat",
    afterWorkflowContent: WORKFLOW_B,
  });
}

/** A model step of `messageId` at `timestamp` with the given usage and cost. */
export function modelStep(id: string, parentId: string, fields: Partial<ReActStep> = {}): ReActStep {
  return step(id, {
    parentId,
    stepId: 1,
    role: "agent",
    content: `answer ${id}`,
    isBegin: true,
    isEnd: true,
    model: "model-a",
    usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120, cachedInputTokens: 40 },
    cost: { usd: 0.0001234567891, source: "litellm" },
    ...fields,
  });
}

const DAY_1 = Date.UTC(2026, 11, 1, 23, 59, 59, 999);
const DAY_2 = Date.UTC(2026, 11, 2, 0, 0, 0, 0);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function storeContract(flavour: StoreFlavour): void {
  const withStore = (fn: (store: AgentStore) => Promise<void>) => async () => {
    const { store, close } = await flavour.open();
    try {
      await fn(store);
    } finally {
      await close();
    }
  };

  describe(`${flavour.name}: the AgentStore contract`, () => {
    test("create, get, update, delete an agent; get answers meta, HEAD, step count and run", withStore(async (store) => {
      const m = meta();
      assert.equal(await store.createAgent(m), true);
      assert.deepEqual(await store.getAgent(m.id), { ...m, headId: null, stepCount: 0, run: null });
      const renamed = await store.updateAgent(m.id, { name: "Renamed", settings: { ...m.settings, maxSteps: 3 } });
      assert.equal(renamed?.name, "Renamed");
      assert.equal(renamed?.settings.maxSteps, 3);
      assert.equal((await store.getAgent(m.id))?.name, "Renamed");
      assert.equal((await store.getAgent(m.id))?.modelType, m.modelType, "fields not patched stay");
      assert.equal(await store.deleteAgent(m.id), true);
      assert.equal(await store.getAgent(m.id), undefined);
      assert.equal(await store.deleteAgent(m.id), false, "deleting twice");
      assert.equal(await store.updateAgent(m.id, { name: "x" }), undefined);
    }));

    test("ids that could name a path or a row of something else are unknown, never an error", withStore(async (store) => {
      for (const id of ["../x", "a/b", "", "..", "a\\b", "x".repeat(129), "é", "a'b", "a;b"]) {
        assert.equal(await store.getAgent(id), undefined, id);
        assert.deepEqual(await store.path(id), [], id);
        assert.equal(await store.deleteAgent(id), false, id);
        assert.equal(await store.appendStep(id, step("s1")), false, id);
      }
      await assert.rejects(store.createAgent(meta({ id: "../escape" })), "a bad id is refused on create");
    }));

    test("a meta or step that fails its schema is refused, and nothing is stored", withStore(async (store) => {
      await assert.rejects(store.createAgent({ ...meta(), settings: { ...defaultSettings(), disabledTools: 5 as never } }));
      const m = meta();
      await store.createAgent(m);
      await assert.rejects(store.appendStep(m.id, { ...step("s1"), role: "robot" as never }));
      await assert.rejects(store.updateAgent(m.id, { settings: { ...m.settings, maxSteps: -1 } }));
      assert.deepEqual(await store.getAgent(m.id), { ...m, headId: null, stepCount: 0, run: null });
    }));

    test("createAgent honours maxPerOwner per owner", withStore(async (store) => {
      assert.equal(await store.createAgent(meta({ ownerUid: 1 }), { maxPerOwner: 2 }), true);
      assert.equal(await store.createAgent(meta({ ownerUid: 1 }), { maxPerOwner: 2 }), true);
      assert.equal(await store.createAgent(meta({ ownerUid: 1 }), { maxPerOwner: 2 }), false);
      assert.equal(await store.createAgent(meta({ ownerUid: 2 }), { maxPerOwner: 2 }), true, "another owner");
      assert.equal(await store.countAgents(1), 2);
      assert.equal(await store.countAgents(3), 0);
    }));

    test("concurrent creates cannot pass maxPerOwner together", withStore(async (store) => {
      const results = await Promise.all(Array.from({ length: 8 }, () => store.createAgent(meta({ ownerUid: 5 }), { maxPerOwner: 3 })));
      assert.equal(results.filter(Boolean).length, 3);
      assert.equal(await store.countAgents(5), 3);
    }));

    test("list: oldest first, by owner or all, in pages that follow a cursor", withStore(async (store) => {
      const base = Date.UTC(2026, 0, 1);
      const made: AgentMeta[] = [];
      for (let i = 0; i < 7; i++) {
        const m = meta({ ownerUid: i % 2 === 0 ? 1 : 2, createdAt: new Date(base + (6 - i) * 1000).toISOString() });
        made.push(m);
        await store.createAgent(m);
      }
      const ordered = [...made].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      const all = await store.listAgents({ limit: 100 });
      assert.deepEqual(all.agents.map((a) => a.id), ordered.map((a) => a.id));
      assert.equal(all.next, null);

      const mine = ordered.filter((a) => a.ownerUid === 1).map((a) => a.id);
      const pages: string[] = [];
      let after;
      for (let i = 0; i < 5; i++) {
        const page = await store.listAgents({ ownerUid: 1, limit: 2, ...(after ? { after } : {}) });
        pages.push(...page.agents.map((a) => a.id));
        assert.ok(page.agents.every((a) => a.ownerUid === 1));
        if (!page.next) break;
        after = page.next;
      }
      assert.deepEqual(pages, mine, "pages cover every agent once, in order");
      const first = await store.listAgents({ limit: 1 });
      assert.deepEqual(first.next, { createdAt: ordered[0]!.createdAt, id: ordered[0]!.id });
      assert.deepEqual((await store.listAgents({ ownerUid: 99, limit: 10 })).agents, []);
    }));

    test("steps: append moves HEAD, path follows parents, steps keep insertion order, snapshots round-trip", withStore(async (store) => {
      const m = meta();
      await store.createAgent(m);
      const s1 = step("s1");
      const s2 = richStep("s2", "s1");
      const s3 = step("s3", { parentId: "s1", content: "a branch" });
      assert.equal(await store.appendStep(m.id, s1), true);
      assert.equal(await store.appendStep(m.id, s2), true);
      assert.equal((await store.getAgent(m.id))?.headId, "s2");
      assert.deepEqual(await store.path(m.id), [s1, s2]);
      assert.equal(await store.appendStep(m.id, s3), true);
      assert.deepEqual(await store.path(m.id), [s1, s3], "a new branch from s1");
      assert.deepEqual(await store.steps(m.id), [s1, s2, s3], "every step, in insertion order");
      assert.deepEqual(await store.path(m.id, { headId: "s2" }), [s1, s2]);
      assert.deepEqual(await store.path(m.id, { limit: 1 }), [s3], "the last steps of the path");
      assert.deepEqual(await store.step(m.id, "s2"), s2);
      assert.equal(await store.step(m.id, "nope"), undefined);
      const stored = await store.getAgent(m.id);
      assert.equal(stored?.stepCount, 3);
      await assert.rejects(store.appendStep(m.id, step("s1")), "a step id is unique in its agent");
    }));

    test("what a store hands out does not change what it holds", withStore(async (store) => {
      const m = meta();
      await store.createAgent(m);
      const s1 = step("s1");
      await store.appendStep(m.id, s1);
      s1.content = "changed by the caller after the append";
      const [read] = await store.path(m.id);
      try {
        (read as { content: string }).content = "changed by a reader";
        ((read!.afterWorkflowContent as { operators: unknown[] }).operators).push("x");
      } catch {
        // frozen: as good
      }
      const again = await store.step(m.id, "s1");
      assert.equal(again?.content, "content of s1");
      assert.deepEqual(again?.afterWorkflowContent, WORKFLOW_A);
    }));

    test("moveHead: checkout to a stored step, unknown steps, clear drops every step", withStore(async (store) => {
      const m = meta();
      await store.createAgent(m);
      await store.appendStep(m.id, step("s1"));
      await store.appendStep(m.id, richStep("s2", "s1"));
      assert.equal(await store.moveHead(m.id, { stepId: "s1" }), "ok");
      assert.equal((await store.getAgent(m.id))?.headId, "s1");
      assert.deepEqual((await store.path(m.id)).map((s) => s.id), ["s1"]);
      assert.equal(await store.moveHead(m.id, { stepId: "nope" }), "unknown_step");
      assert.equal(await store.moveHead("missing-agent", { stepId: "s1" }), "missing");
      assert.equal(await store.moveHead(m.id, { clear: true }), "ok");
      const cleared = await store.getAgent(m.id);
      assert.equal(cleared?.headId, null);
      assert.equal(cleared?.stepCount, 0);
      assert.deepEqual(await store.steps(m.id), []);
      assert.equal(await store.appendStep(m.id, step("s9")), true, "the agent goes on after clear");
      assert.deepEqual((await store.path(m.id)).map((s) => s.id), ["s9"]);
    }));

    test("runs: one per agent; the lease fences writes; checkout and clear wait; stop is recorded", withStore(async (store) => {
      const m = meta();
      await store.createAgent(m);
      await store.appendStep(m.id, step("s1"));
      const run = { runId: "run-1", replicaId: "replica-a", messageId: "msg-1", leaseMs: 60_000 };
      const started = await store.startRun(m.id, run);
      assert.deepEqual(started, { ok: true, run: { runId: "run-1", replicaId: "replica-a", messageId: "msg-1", stopping: false } });
      assert.deepEqual(await store.startRun(m.id, { ...run, runId: "run-2", replicaId: "replica-b" }), { ok: false, reason: "busy" });
      assert.deepEqual((await store.getAgent(m.id))?.run, { runId: "run-1", replicaId: "replica-a", messageId: "msg-1", stopping: false });
      assert.equal(await store.moveHead(m.id, { stepId: "s1" }), "busy");
      assert.equal(await store.moveHead(m.id, { clear: true }), "busy");
      assert.equal(await store.appendStep(m.id, step("s2", { parentId: "s1" }), { runId: "run-2" }), false, "not the run holding it");
      assert.equal(await store.appendStep(m.id, step("s2", { parentId: "s1" }), { runId: "run-1" }), true);
      assert.equal(await store.countRuns(m.ownerUid), 1);

      assert.equal(await store.requestStop(m.id), true);
      assert.equal((await store.getAgent(m.id))?.run?.stopping, true);
      assert.deepEqual(await store.renewRuns("replica-a", ["run-1", "run-gone"], 60_000), { lost: ["run-gone"], stopping: ["run-1"] });
      assert.deepEqual(await store.renewRuns("replica-b", ["run-1"], 60_000), { lost: ["run-1"], stopping: [] }, "another replica's run");

      await store.endRun(m.id, "run-2");
      assert.notEqual((await store.getAgent(m.id))?.run, null, "ending another run is a no-op");
      await store.endRun(m.id, "run-1");
      assert.equal((await store.getAgent(m.id))?.run, null);
      assert.equal(await store.requestStop(m.id), false, "nothing to stop");
      assert.equal(await store.countRuns(m.ownerUid), 0);
      assert.equal(await store.moveHead(m.id, { stepId: "s1" }), "ok");
      assert.deepEqual(await store.startRun("missing-agent", run), { ok: false, reason: "missing" });
    }));

    test("runs: maxRunsPerOwner bounds an owner's live runs across agents", withStore(async (store) => {
      const agents = [meta({ ownerUid: 3 }), meta({ ownerUid: 3 }), meta({ ownerUid: 3 }), meta({ ownerUid: 4 })];
      for (const a of agents) await store.createAgent(a);
      const start = (id: string, n: number) => store.startRun(id, { runId: `r${n}`, replicaId: "x", messageId: `m${n}`, leaseMs: 60_000, maxRunsPerOwner: 2 });
      assert.equal((await start(agents[0]!.id, 0)).ok, true);
      assert.equal((await start(agents[1]!.id, 1)).ok, true);
      assert.deepEqual(await start(agents[2]!.id, 2), { ok: false, reason: "quota" });
      assert.equal((await start(agents[3]!.id, 3)).ok, true, "another owner");
      await store.endRun(agents[0]!.id, "r0");
      assert.equal((await start(agents[2]!.id, 2)).ok, true, "a slot freed");
    }));

    test("runs: an expired lease is claimed once as an orphan, and a new run over it reports it", withStore(async (store) => {
      const a = meta();
      const b = meta();
      await store.createAgent(a);
      await store.createAgent(b);
      await store.startRun(a.id, { runId: "ra", replicaId: "dead", messageId: "ma", leaseMs: 150 });
      await store.startRun(b.id, { runId: "rb", replicaId: "dead", messageId: "mb", leaseMs: 150 });
      assert.deepEqual(await store.claimOrphanedRuns("alive", 60_000), [], "not expired yet");
      await sleep(400);
      assert.equal((await store.getAgent(a.id))?.run, null, "an expired run is not shown");
      // A new run over an expired lease takes it and reports the orphan.
      const over = await store.startRun(b.id, { runId: "rb2", replicaId: "alive", messageId: "mb2", leaseMs: 60_000 });
      assert.equal(over.ok, true);
      assert.deepEqual(over.ok && over.orphan, { agentId: b.id, ownerUid: b.ownerUid, runId: "rb", replicaId: "dead", messageId: "mb", stopping: false });
      const claimed = await store.claimOrphanedRuns("alive", 60_000);
      assert.deepEqual(claimed, [{ agentId: a.id, ownerUid: a.ownerUid, runId: "ra", replicaId: "dead", messageId: "ma", stopping: false }]);
      assert.deepEqual(await store.claimOrphanedRuns("other", 60_000), [], "claimed once");
      assert.equal(await store.appendStep(a.id, step("x1"), { runId: "ra" }), true, "the claimer writes under the orphan's run id");
      assert.deepEqual(await store.renewRuns("dead", ["ra"], 60_000), { lost: ["ra"], stopping: [] }, "the dead replica lost it");
      await store.endRun(a.id, "ra");
      assert.equal((await store.getAgent(a.id))?.run, null);
    }));

    test("usage: a model step's charge is added to its user's day in the same write; rows by day, then model, then user", withStore(async (store) => {
      const m = meta();
      await store.createAgent(m);
      await store.appendStep(m.id, step("u1"));
      const steps = [
        modelStep("a1", "u1", { timestamp: DAY_1 }),
        modelStep("a2", "a1", { timestamp: DAY_1, usage: { inputTokens: 5, outputTokens: 6, totalTokens: 11 }, cost: { usd: 0.5, source: "model_prices" } }),
        modelStep("a3", "a2", { timestamp: DAY_1, model: "model-b", usage: undefined, cost: undefined }),
        modelStep("a4", "a3", { timestamp: DAY_2, cost: undefined }),
      ];
      const uids = [7, 7, 7, 8];
      for (const [i, s] of steps.entries()) assert.equal(await store.appendStep(m.id, s, { charge: chargeOf(s, uids[i]!)! }), true);
      const day1 = "2026-12-01";
      const day2 = "2026-12-02";
      assert.deepEqual(await store.dailyUsage({ uid: 7, from: day1, to: day1 }), [
        {
          uid: 7,
          day: day1,
          model: "model-a",
          counts: {
            inputTokens: 105,
            outputTokens: 26,
            totalTokens: 131,
            cachedInputTokens: 40,
            costNanoUsd: 123457 + 500_000_000,
            calls: 2,
            callsWithoutUsage: 0,
            callsWithoutCost: 0,
          },
        },
        { uid: 7, day: day1, model: "model-b", counts: { ...zeroCounts(), calls: 1, callsWithoutUsage: 1, callsWithoutCost: 1 } },
      ]);
      const all = await store.dailyUsage({ from: "2026-11-30", to: day2 });
      assert.deepEqual(all.map((r) => [r.day, r.model, r.uid]), [[day1, "model-a", 7], [day1, "model-b", 7], [day2, "model-a", 8]]);
      assert.deepEqual(all[2]!.counts, { inputTokens: 100, outputTokens: 20, totalTokens: 120, cachedInputTokens: 40, costNanoUsd: 0, calls: 1, callsWithoutUsage: 0, callsWithoutCost: 1 });
      assert.deepEqual(await store.dailyUsage({ uid: 8, from: day1, to: day1 }), [], "another day");
      assert.deepEqual(await store.dailyUsage({ uid: 9, from: day1, to: day2 }), [], "another user");
      assert.deepEqual(await store.dailyUsage({ from: "2026-12-03", to: "2027-01-01" }), []);
    }));

    test("usage: a step the store refuses charges nothing (its run lost the agent, the agent is gone, the charge is invalid)", withStore(async (store) => {
      const m = meta();
      await store.createAgent(m);
      await store.appendStep(m.id, step("u1"));
      await store.startRun(m.id, { runId: "r1", replicaId: "x", messageId: "m1", leaseMs: 60_000 });
      const s = modelStep("a1", "u1", { timestamp: DAY_1 });
      const charge = chargeOf(s, 7)!;
      assert.equal(await store.appendStep(m.id, s, { runId: "r-other", charge }), false);
      assert.equal(await store.appendStep("missing-agent", s, { charge }), false);
      const negative: UsageCharge = { ...charge, counts: { ...charge.counts, outputTokens: -1 } };
      await assert.rejects(store.appendStep(m.id, s, { runId: "r1", charge: negative }));
      await assert.rejects(store.appendStep(m.id, s, { runId: "r1", charge: { ...charge, day: "2026-02-30" } }));
      assert.deepEqual(await store.dailyUsage({ from: "2026-01-01", to: "2026-12-31" }), []);
      assert.deepEqual((await store.steps(m.id)).map((x) => x.id), ["u1"], "nor is the step stored");
      assert.equal(await store.appendStep(m.id, s, { runId: "r1", charge }), true, "the run holding the agent");
      assert.equal((await store.dailyUsage({ uid: 7, from: "2026-12-01", to: "2026-12-01" }))[0]?.counts.calls, 1);
    }));

    test("usage: stepUsage reads the usage fields of every step; the user's days outlive clear and delete", withStore(async (store) => {
      const m = meta();
      await store.createAgent(m);
      await store.appendStep(m.id, step("u1", { messageId: "m1", timestamp: DAY_1 - 10 }));
      const a1 = modelStep("a1", "u1", { messageId: "m1", timestamp: DAY_1 - 5 });
      const old = richStep("r1", "a1");
      delete old.model;
      delete old.cost;
      await store.appendStep(m.id, a1, { charge: chargeOf(a1, 7)! });
      await store.appendStep(m.id, old);
      assert.deepEqual(await store.stepUsage(m.id), [
        { messageId: "m1", stepId: 0, timestamp: DAY_1 - 10, role: "user" },
        { messageId: "m1", stepId: 1, timestamp: DAY_1 - 5, role: "agent", model: "model-a", usage: a1.usage, cost: a1.cost },
        { messageId: "m1", stepId: 1, timestamp: old.timestamp, role: "agent", usage: old.usage },
      ]);
      assert.deepEqual(await store.stepUsage("missing-agent"), []);
      const before = await store.dailyUsage({ from: "2026-12-01", to: "2026-12-01" });
      assert.equal(before.length, 1);
      assert.equal(await store.moveHead(m.id, { clear: true }), "ok");
      assert.deepEqual(await store.stepUsage(m.id), []);
      assert.deepEqual(await store.dailyUsage({ from: "2026-12-01", to: "2026-12-01" }), before, "spend is not given back by clear");
      assert.equal(await store.deleteAgent(m.id), true);
      assert.deepEqual(await store.dailyUsage({ from: "2026-12-01", to: "2026-12-01" }), before, "nor by delete");
    }));

    test("usage: concurrent charges from several agents add up exactly", withStore(async (store) => {
      const agents = [meta(), meta(), meta(), meta()];
      for (const a of agents) await store.createAgent(a);
      await Promise.all(agents.map(async (a) => {
        await store.appendStep(a.id, step("u"));
        for (let i = 1; i <= 6; i++) {
          const s = modelStep(`s${i}`, i === 1 ? "u" : `s${i - 1}`, { timestamp: DAY_2 + i, cost: { usd: 0.1 + i * 1e-9, source: "litellm" } });
          assert.equal(await store.appendStep(a.id, s, { charge: chargeOf(s, 42)! }), true);
        }
      }));
      const [row] = await store.dailyUsage({ uid: 42, from: "2026-12-02", to: "2026-12-02" });
      assert.equal(row?.counts.calls, 24);
      assert.equal(row?.counts.totalTokens, 24 * 120);
      assert.equal(row?.counts.costNanoUsd, 4 * (6 * 100_000_000 + 21), "exact to the nano-dollar");
    }));

    test("sockets: counted per owner up to a bound, freed on close, and stop counting when their replica stops renewing them", withStore(async (store) => {
      const open = (id: string, owner: number, replicaId = "a", leaseMs = 60_000) => store.openSocket({ id, ownerUid: owner, replicaId, leaseMs }, 2);
      assert.equal(await open("s1", 1), true);
      assert.equal(await open("s2", 1, "b"), true, "on another replica, counted with the first");
      assert.equal(await open("s3", 1), false, "the owner has two open");
      assert.equal(await store.countSockets(1), 2);
      assert.equal(await open("t1", 2), true, "another owner");
      await store.closeSocket("s1");
      await store.closeSocket("never-opened");
      assert.equal(await open("s3", 1), true, "a slot freed");
      assert.equal(await store.openSocket({ id: "u1", ownerUid: 3, replicaId: "a", leaseMs: 60_000 }), true, "no bound");

      // Replica "dying" stops renewing; "alive" keeps renewing.
      assert.equal(await store.openSocket({ id: "d1", ownerUid: 4, replicaId: "dying", leaseMs: 150 }, 5), true);
      assert.equal(await store.openSocket({ id: "l1", ownerUid: 4, replicaId: "alive", leaseMs: 150 }, 5), true);
      await sleep(100);
      await store.renewSockets("alive", 60_000);
      await sleep(250);
      assert.equal(await store.countSockets(4), 1, "the dead replica's socket no longer counts");
    }));

    test("deleting an agent drops its steps and its run", withStore(async (store) => {
      const m = meta();
      await store.createAgent(m);
      await store.appendStep(m.id, step("s1"));
      await store.startRun(m.id, { runId: "r", replicaId: "x", messageId: "m", leaseMs: 60_000 });
      assert.equal(await store.deleteAgent(m.id), true);
      assert.deepEqual(await store.steps(m.id), []);
      assert.equal(await store.countRuns(m.ownerUid), 0);
      assert.equal(await store.appendStep(m.id, step("s2"), { runId: "r" }), false);
      await store.createAgent({ ...m });
      assert.deepEqual(await store.steps(m.id), [], "an agent created again with the same id starts empty");
    }));
  });
}
