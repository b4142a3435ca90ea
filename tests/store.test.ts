/**
 * The AgentStore contract against the memory and file stores (PostgreSQL:
 * tests/postgres/store.test.ts), then what only the file store does: its
 * layout, appends that write one step, surviving a restart, a torn last
 * line, migrating first-round files, quarantining records that fail their
 * check, taking its directory's lock, and reading nothing at open.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import process from "node:process";
import { defaultSettings } from "../src/agents/settings.ts";
import { createLogger, type Logger, silentLogger } from "../src/log.ts";
import { FileAgentStore } from "../src/store/file/file-store.ts";
import { DirectoryLockedError, lockDirectory } from "../src/store/file/dir-lock.ts";
import { MemoryAgentStore } from "../src/store/memory-store.ts";
import { chargeOf } from "../src/usage/totals.ts";
import { meta, modelStep, richStep, step, storeContract } from "./helpers/store-contract.ts";

async function tempDir(): Promise<string> {
  return await mkdtemp(join(tmpdir(), "agent-store-"));
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await tempDir();
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A logger that keeps its parsed lines and raw text. */
function collectingLogger(): { logger: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level: "debug",
    write: (line) => {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { logger, lines, raw };
}

storeContract({
  name: "MemoryAgentStore",
  open: async () => {
    const store = new MemoryAgentStore();
    return { store, close: () => store.close() };
  },
});

storeContract({
  name: "FileAgentStore",
  open: async () => {
    const dir = await tempDir();
    const store = await FileAgentStore.open({ dir, logger: silentLogger });
    return {
      store,
      close: async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});

const lines = async (path: string) => (await readFile(path, "utf8")).split("\n").filter((line) => line !== "");

describe("FileAgentStore", () => {
  test("layout: a meta file and a journal per agent, an index, a lock", () =>
    withDir(async (dir) => {
      const store = await FileAgentStore.open({ dir, logger: silentLogger });
      const m = meta();
      await store.createAgent(m);
      await store.appendStep(m.id, step("s1"));
      await store.flush();
      assert.deepEqual(JSON.parse(await readFile(join(dir, "agents", `${m.id}.json`), "utf8")), m);
      assert.equal((await lines(join(dir, "agents", `${m.id}.jsonl`))).length, 2, "one snapshot line, one step line");
      assert.deepEqual((await lines(join(dir, "index.jsonl"))).map((l) => JSON.parse(l)), [{ a: m.id, o: m.ownerUid, c: m.createdAt }]);
      assert.ok((await readdir(dir)).includes("LOCK"));
      await store.close();
      assert.ok(!(await readdir(dir)).includes("LOCK"), "released on close");
    }));

  test("appending a step writes that step: the journal grows by one line, never rewritten; a snapshot is written once", () =>
    withDir(async (dir) => {
      const store = await FileAgentStore.open({ dir, logger: silentLogger });
      const m = meta();
      await store.createAgent(m);
      const journal = join(dir, "agents", `${m.id}.jsonl`);
      await store.appendStep(m.id, step("s0"));
      let previous = await readFile(journal, "utf8");
      for (let i = 1; i <= 30; i++) {
        await store.appendStep(m.id, step(`s${i}`, { parentId: `s${i - 1}` }));
        const now = await readFile(journal, "utf8");
        assert.ok(now.startsWith(previous), `step ${i}: what was written stays as it was`);
        assert.equal(now.slice(previous.length).split("\n").filter(Boolean).length, 1, `step ${i}: one new line (the snapshot is known)`);
        previous = now;
      }
      await store.close();
    }));

  test("agents, steps, HEAD and settings survive a restart", () =>
    withDir(async (dir) => {
      const m = meta();
      const first = await FileAgentStore.open({ dir, logger: silentLogger });
      await first.createAgent(m);
      await first.appendStep(m.id, step("s1"));
      await first.appendStep(m.id, richStep("s2", "s1"));
      await first.moveHead(m.id, { stepId: "s1" });
      await first.updateAgent(m.id, { name: "Kept" });
      await first.close();
      const second = await FileAgentStore.open({ dir, logger: silentLogger });
      const got = await second.getAgent(m.id);
      assert.equal(got?.name, "Kept");
      assert.equal(got?.headId, "s1");
      assert.equal(got?.stepCount, 2);
      assert.deepEqual(await second.steps(m.id), [step("s1"), richStep("s2", "s1")]);
      assert.deepEqual((await second.listAgents({ limit: 10 })).agents.map((a) => a.id), [m.id]);
      await second.close();
    }));

  test("a torn last line (a crash mid-append) is ignored on load and cut off before the next append", () =>
    withDir(async (dir) => {
      const { logger, lines: logs } = collectingLogger();
      const m = meta();
      const first = await FileAgentStore.open({ dir, logger });
      await first.createAgent(m);
      await first.appendStep(m.id, step("s1"));
      await first.close();
      const journal = join(dir, "agents", `${m.id}.jsonl`);
      await appendFile(journal, '{"t":"step","s":{"id":"torn","messageId":"m1","st');
      const second = await FileAgentStore.open({ dir, logger });
      assert.deepEqual((await second.steps(m.id)).map((s) => s.id), ["s1"]);
      assert.ok(logs.some((l) => String(l.msg).includes("torn last line")));
      await second.appendStep(m.id, step("s2", { parentId: "s1" }));
      await second.close();
      const third = await FileAgentStore.open({ dir, logger: silentLogger });
      assert.deepEqual((await third.steps(m.id)).map((s) => s.id), ["s1", "s2"], "the torn bytes were cut, not glued to the next line");
      await third.close();
    }));

  test("first-round <id>.agent.json files are migrated at open; one that fails its check is quarantined", () =>
    withDir(async (dir) => {
      const m = meta();
      const legacy = { version: 1, ...m, steps: [step("s1"), richStep("s2", "s1")], headId: "s1" };
      await writeFile(join(dir, `${m.id}.agent.json`), JSON.stringify(legacy));
      const bad = meta();
      await writeFile(join(dir, `${bad.id}.agent.json`), JSON.stringify({ version: 1, ...bad, settings: { ...bad.settings, disabledTools: 5 }, steps: [] }));
      const { logger, lines: logs, raw } = collectingLogger();
      const store = await FileAgentStore.open({ dir, logger });
      const got = await store.getAgent(m.id);
      assert.equal(got?.headId, "s1");
      assert.deepEqual(await store.steps(m.id), legacy.steps);
      assert.equal(await store.getAgent(bad.id), undefined);
      const names = await readdir(dir);
      assert.ok(!names.some((n) => n.endsWith(".agent.json")), "legacy files are gone from the top directory");
      assert.equal((await readdir(join(dir, "quarantine"))).length, 1);
      const warning = logs.find((l) => l.msg === "moved an agent record that failed its check to quarantine/");
      assert.equal(warning?.file, `${bad.id}.agent.json`);
      assert.equal(warning?.reason, "settings.disabledTools: invalid_type");
      assert.ok(logs.some((l) => l.msg === "migrated agent files to the journal layout" && l.count === 1));
      await store.close();
      assert.ok(!raw.join("\n").includes("content of s1"), "no record content is logged");
    }));

  test("a record that fails its check is moved aside and named in the log; the other agents are unaffected", () =>
    withDir(async (dir) => {
      const { logger, lines: logs, raw } = collectingLogger();
      const good = meta();
      const bad = meta();
      const first = await FileAgentStore.open({ dir, logger: silentLogger });
      await first.createAgent(good);
      await first.createAgent(bad);
      await first.appendStep(bad.id, step("s1", { content: "SECRET-CONTENT" }));
      await first.close();
      await writeFile(join(dir, "agents", `${bad.id}.json`), JSON.stringify({ ...bad, settings: { ...defaultSettings(), disabledTools: 5 } }));
      const store = await FileAgentStore.open({ dir, logger });
      const listed = await store.listAgents({ limit: 10 });
      assert.deepEqual(listed.agents.map((a) => a.id), [good.id], "the bad one is left out of the list");
      assert.equal(await store.getAgent(bad.id), undefined);
      assert.equal(await store.countAgents(bad.ownerUid), 1, "and out of the owner's count");
      const warning = logs.find((l) => l.msg === "moved an agent record that failed its check to quarantine/");
      assert.deepEqual([warning?.file, warning?.reason], [`agents/${bad.id}.json`, "settings.disabledTools: invalid_type"]);
      assert.deepEqual((await readdir(join(dir, "quarantine"))).map((n) => n.replace(/^[^.]+\./, "")).sort(), [`${bad.id}.json`, `${bad.id}.jsonl`]);
      assert.ok(!raw.join("\n").includes("SECRET-CONTENT"));
      await store.close();
    }));

  test("a journal line that is not valid quarantines that agent only", () =>
    withDir(async (dir) => {
      const { logger, lines: logs } = collectingLogger();
      const m = meta();
      const other = meta();
      const first = await FileAgentStore.open({ dir, logger: silentLogger });
      await first.createAgent(m);
      await first.createAgent(other);
      await first.appendStep(m.id, step("s1"));
      await first.appendStep(other.id, step("o1"));
      await first.close();
      const journal = join(dir, "agents", `${m.id}.jsonl`);
      const text = await readFile(journal, "utf8");
      await writeFile(journal, text.replace('"role":"user"', '"role":"robot"'));
      const store = await FileAgentStore.open({ dir, logger });
      assert.equal(await store.getAgent(m.id), undefined);
      assert.equal((await store.getAgent(other.id))?.stepCount, 1);
      const warning = logs.find((l) => l.msg === "moved an agent record that failed its check to quarantine/");
      assert.equal(warning?.reason, "line 2: step.role: invalid_value");
      await store.close();
    }));

  test("open reads no agent: start-up does not grow with the number of agents", () =>
    withDir(async (dir) => {
      const first = await FileAgentStore.open({ dir, logger: silentLogger });
      const made = [];
      for (let i = 0; i < 20; i++) {
        const m = meta();
        made.push(m);
        await first.createAgent(m);
      }
      await first.close();
      // Every meta broken: an open that read them would quarantine them.
      for (const m of made) await writeFile(join(dir, "agents", `${m.id}.json`), "{ not json");
      const { logger, lines: logs } = collectingLogger();
      const store = await FileAgentStore.open({ dir, logger });
      assert.deepEqual(logs.map((l) => l.msg), [], "nothing read, nothing said");
      assert.equal((await readdir(join(dir, "agents"))).length, 20, "nothing moved");
      assert.equal((await store.listAgents({ limit: 100 })).agents.length, 0, "on use they are read, found bad and moved");
      assert.equal(logs.length, 20);
      await store.close();
    }));

  test("usage: a file per UTC day, a line per charged step, read on first use; it survives a restart", () =>
    withDir(async (dir) => {
      const m = meta();
      const first = await FileAgentStore.open({ dir, logger: silentLogger });
      await first.createAgent(m);
      await first.appendStep(m.id, step("u1"));
      const when = Date.UTC(2026, 11, 5, 10);
      for (const [i, uid] of [7, 7, 8].entries()) {
        const s = modelStep(`a${i}`, i === 0 ? "u1" : `a${i - 1}`, { timestamp: when + i });
        await first.appendStep(m.id, s, { charge: chargeOf(s, uid)! });
      }
      await first.close();
      assert.deepEqual(await readdir(join(dir, "usage")), ["2026-12-05.jsonl"]);
      const written = await lines(join(dir, "usage", "2026-12-05.jsonl"));
      assert.equal(written.length, 3, "one line per charge, nothing rewritten");
      assert.deepEqual(JSON.parse(written[0]!), { u: 7, m: "model-a", c: [100, 20, 120, 40, 123457, 1, 0, 0] });
      const second = await FileAgentStore.open({ dir, logger: silentLogger });
      const rows = await second.dailyUsage({ from: "2026-12-05", to: "2026-12-05" });
      assert.deepEqual(rows.map((r) => [r.uid, r.counts.calls, r.counts.totalTokens]), [[7, 2, 240], [8, 1, 120]]);
      await second.close();
    }));

  test("usage: open reads no usage file; a torn last line is ignored and cut off, a bad line skipped and named", () =>
    withDir(async (dir) => {
      await mkdir(join(dir, "usage"), { recursive: true });
      const file = join(dir, "usage", "2026-12-06.jsonl");
      await writeFile(file, `${JSON.stringify({ u: 7, m: "model-a", c: [1, 2, 3, 0, 5, 1, 0, 0] })}\nnot json\n{"u":7,"m":"model-a","c":[1,2`);
      const { logger, lines: logs } = collectingLogger();
      const store = await FileAgentStore.open({ dir, logger });
      assert.deepEqual(logs.map((l) => l.msg), [], "nothing read at open");
      const day = { from: "2026-12-06", to: "2026-12-06" };
      assert.deepEqual((await store.dailyUsage(day)).map((r) => r.counts.totalTokens), [3]);
      assert.ok(logs.some((l) => String(l.msg).includes("torn last line") && l.file === "usage/2026-12-06.jsonl"));
      assert.ok(logs.some((l) => String(l.msg).includes("bad line") && l.line === 2));
      const m = meta();
      await store.createAgent(m);
      const s = modelStep("a1", "u1", { timestamp: Date.UTC(2026, 11, 6, 12) });
      await store.appendStep(m.id, s, { charge: chargeOf(s, 7)! });
      assert.deepEqual((await store.dailyUsage(day)).map((r) => r.counts.totalTokens), [123]);
      await store.close();
      const again = await FileAgentStore.open({ dir, logger: silentLogger });
      assert.deepEqual((await again.dailyUsage(day)).map((r) => r.counts.totalTokens), [123], "the torn bytes were cut, not glued to the new line");
      await again.close();
    }));

  test("one process per directory: a second store (or process) on it refuses with a clear message", () =>
    withDir(async (dir) => {
      const store = await FileAgentStore.open({ dir, logger: silentLogger });
      await assert.rejects(FileAgentStore.open({ dir, logger: silentLogger }), (error: Error) => {
        assert.ok(error instanceof DirectoryLockedError);
        assert.match(error.message, new RegExp(`AGENT_STATE_DIR ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is in use by another agent-service process \\(pid \\d+ on `));
        return true;
      });
      await store.close();
      const again = await FileAgentStore.open({ dir, logger: silentLogger });
      await again.close();
    }));

  test("a lock left by a process that died is taken over", () =>
    withDir(async (dir) => {
      // A real process that exits: its pid is then free (not alive).
      const child = spawn("true", { stdio: "ignore" });
      const pid = await new Promise<number>((resolve) => child.once("exit", () => resolve(child.pid!)));
      await writeFile(join(dir, "LOCK"), JSON.stringify({ pid, host: hostname() }));
      const store = await FileAgentStore.open({ dir, logger: silentLogger });
      assert.ok((await stat(join(dir, "LOCK"))).isFile());
      assert.equal(JSON.parse(await readFile(join(dir, "LOCK"), "utf8")).pid, process.pid);
      await store.close();
    }));

  test("a lock held from another pid namespace on this host (another container) is refused while refreshed, taken over once not", () =>
    withDir(async (dir) => {
      const path = join(dir, "LOCK");
      // pid 1 of another namespace: a container beside this process on the host network, or this one's previous life.
      await writeFile(path, JSON.stringify({ pid: 1, host: hostname(), pidns: "pid:[1]" }));
      const refreshMs = 200;
      const refresher = setInterval(() => {
        const now = new Date();
        void utimes(path, now, now).catch(() => {});
      }, refreshMs);
      try {
        await assert.rejects(lockDirectory(dir, { refreshMs }), DirectoryLockedError, "a live holder refreshes it: refused");
      } finally {
        clearInterval(refresher);
      }
      assert.equal(JSON.parse(await readFile(path, "utf8")).pid, 1, "the holder's lock is left alone");
      // No longer refreshed (its holder was killed): taken over after two refresh periods and a bit.
      const lock = await lockDirectory(dir, { refreshMs });
      assert.equal(JSON.parse(await readFile(path, "utf8")).pid, process.pid);
      await lock.release();
    }));

  test("open creates a missing directory, parents included", () =>
    withDir(async (dir) => {
      const nested = join(dir, "a", "b");
      await mkdir(join(dir, "a"));
      const store = await FileAgentStore.open({ dir: nested, logger: silentLogger });
      assert.ok((await stat(join(nested, "agents"))).isDirectory());
      await store.close();
    }));
});

