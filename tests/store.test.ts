/**
 * The AgentStore contract, run against MemoryAgentStore and FileAgentStore,
 * then what only the file store does: surviving a restart, skipping bad files
 * with a warning, cleaning leftover temp files, refusing path-like ids, and
 * applying concurrent writes of one id in call order. Every test works in its
 * own temp directory and removes it.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentRecord } from "../src/agents/types.ts";
import type { AgentStore } from "../src/store/agent-store.ts";
import { FileAgentStore } from "../src/store/file-store.ts";
import { MemoryAgentStore } from "../src/store/memory-store.ts";
import { createLogger, type Logger, silentLogger } from "../src/log.ts";

/** A valid record; `overrides` replace top-level fields. */
function record(overrides: Partial<AgentRecord> = {}): AgentRecord {
  return {
    version: 1,
    id: "agent-1",
    ownerUid: 7,
    ownerName: "ada",
    name: "Helper",
    modelType: "gpt-4o-mini",
    createdAt: "2026-06-01T12:00:00.000Z",
    settings: {
      maxOperatorResultCharLimit: 20000,
      maxOperatorResultCellCharLimit: 4000,
      operatorResultSerializationMode: "tsv",
      toolTimeoutSeconds: 120,
      executionTimeoutMinutes: 10,
      disabledTools: [],
      maxSteps: 20,
      allowedOperatorTypes: ["CSVFileScan", "Filter"],
    },
    steps: [],
    ...overrides,
  };
}

/** A record with a two-step conversation, exercising every optional step field. */
function conversation(id = "agent-1"): AgentRecord {
  return record({
    id,
    headId: "s2",
    steps: [
      {
        id: "s1",
        messageId: "m1",
        stepId: 0,
        timestamp: 1_780_000_000_000,
        role: "user",
        content: "Load the CSV and filter it",
        isBegin: true,
        isEnd: false,
        messageSource: "chat",
      },
      {
        id: "s2",
        parentId: "s1",
        messageId: "m1",
        stepId: 1,
        timestamp: 1_780_000_001_000,
        role: "agent",
        content: "Added two operators.",
        isBegin: false,
        isEnd: true,
        toolCalls: [{ toolName: "addOperator", toolCallId: "c1", input: { type: "Filter", nested: [1, "two", null, true] } }],
        toolResults: [{ toolCallId: "c1", output: "ok", isError: false }],
        usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 },
        beforeWorkflowContent: { operators: [] },
        afterWorkflowContent: { operators: [{ id: "op1", type: "Filter", props: { unicode: "héllo ✓" } }] },
      },
    ],
  });
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "agent-store-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A logger that keeps its parsed lines. */
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

const byId = (a: AgentRecord, b: AgentRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const BAD_IDS = ["../x", "a/b", "", "..", ".", "a\\b", "/abs", "x.agent", "sp ace", "x".repeat(129), "é"];

interface Flavour {
  name: string;
  make(dir: string): Promise<AgentStore>;
}

const flavours: Flavour[] = [
  { name: "MemoryAgentStore", make: () => Promise.resolve(new MemoryAgentStore()) },
  { name: "FileAgentStore", make: (dir) => FileAgentStore.open({ dir: join(dir, "agents"), logger: silentLogger }) },
];

/** Runs `fn` with a fresh store in a fresh temp dir, flushing before the dir goes. */
function withStore(flavour: Flavour, fn: (store: AgentStore, dir: string) => Promise<void>): () => Promise<void> {
  return () =>
    withTempDir(async (dir) => {
      const store = await flavour.make(dir);
      try {
        await fn(store, dir);
      } finally {
        await store.flush();
      }
    });
}

for (const flavour of flavours) {
  describe(`${flavour.name} (AgentStore contract)`, () => {
    test(
      "save then load round-trips the record deep-equal",
      withStore(flavour, async (store) => {
        const original = conversation();
        await store.save(original);
        assert.deepEqual(await store.load("agent-1"), original);
        assert.equal(await store.load("agent-2"), undefined);
      }),
    );

    test(
      "a second save of the id replaces the first",
      withStore(flavour, async (store) => {
        await store.save(record({ name: "first" }));
        await store.save(record({ name: "second", steps: conversation().steps, headId: "s2" }));
        const loaded = await store.load("agent-1");
        assert.equal(loaded?.name, "second");
        assert.equal(loaded?.steps.length, 2);
        assert.equal((await store.loadAll()).length, 1);
      }),
    );

    test(
      "delete removes the agent; deleting a missing one resolves",
      withStore(flavour, async (store) => {
        await store.save(record({ id: "keep" }));
        await store.save(record({ id: "drop" }));
        await store.delete("drop");
        assert.equal(await store.load("drop"), undefined);
        assert.deepEqual(await store.load("keep"), record({ id: "keep" }));
        await store.delete("drop");
        await store.delete("never-existed");
        assert.deepEqual(
          (await store.loadAll()).map((r) => r.id),
          ["keep"],
        );
      }),
    );

    test(
      "loadAll returns every saved agent",
      withStore(flavour, async (store) => {
        assert.deepEqual(await store.loadAll(), []);
        const saved = [conversation("b"), record({ id: "a", ownerUid: 1 }), record({ id: "c_3-x", ownerUid: 2 })];
        for (const r of saved) await store.save(r);
        assert.deepEqual((await store.loadAll()).sort(byId), [...saved].sort(byId));
      }),
    );

    test(
      "changing a record after save, or a loaded record, does not change the store",
      withStore(flavour, async (store) => {
        const mine = conversation();
        const pending = store.save(mine);
        // Mutate before the save has even settled.
        mine.name = "mutated";
        mine.steps[1]!.toolCalls![0]!.input = "mutated";
        mine.settings.disabledTools.push("mutated");
        await pending;
        assert.deepEqual(await store.load("agent-1"), conversation());

        const loaded = (await store.load("agent-1"))!;
        loaded.steps.pop();
        loaded.settings.maxSteps = 1;
        const all = await store.loadAll();
        all[0]!.name = "mutated";
        assert.deepEqual(await store.load("agent-1"), conversation());
      }),
    );

    test(
      "ids that could name a path are refused by save and missing for load and delete",
      withStore(flavour, async (store) => {
        for (const id of BAD_IDS) {
          await assert.rejects(store.save(record({ id })), Error, JSON.stringify(id));
          assert.equal(await store.load(id), undefined, JSON.stringify(id));
          await store.delete(id);
        }
        await store.save(record({ id: "x".repeat(128) }));
        assert.equal((await store.load("x".repeat(128)))?.id, "x".repeat(128));
        assert.equal((await store.loadAll()).length, 1);
      }),
    );

    test(
      "a record that could not be loaded back is refused by save",
      withStore(flavour, async (store) => {
        const bad = { ...record(), version: 2 } as unknown as AgentRecord;
        await assert.rejects(store.save(bad), /version/);
        const noSteps = { ...record(), steps: undefined } as unknown as AgentRecord;
        await assert.rejects(store.save(noSteps), /steps/);
        assert.deepEqual(await store.loadAll(), []);
      }),
    );

    test(
      "flush resolves with nothing pending and after unawaited saves",
      withStore(flavour, async (store) => {
        await store.flush();
        void store.save(record({ id: "a" }));
        void store.save(record({ id: "b" }));
        await store.flush();
        assert.deepEqual(
          (await store.loadAll()).map((r) => r.id).sort(),
          ["a", "b"],
        );
      }),
    );
  });
}

describe("FileAgentStore", () => {
  test("open creates a missing directory, parents included", () =>
    withTempDir(async (root) => {
      const dir = join(root, "deep", "er", "data");
      const store = await FileAgentStore.open({ dir, logger: silentLogger });
      assert.equal(store.dir, dir);
      assert.ok((await stat(dir)).isDirectory());
      await store.save(record());
      // Opening an existing directory is fine too.
      const again = await FileAgentStore.open({ dir, logger: silentLogger });
      assert.deepEqual(await again.load("agent-1"), record());
    }));

  test("writes one <id>.agent.json file per agent, holding the record as JSON", () =>
    withTempDir(async (dir) => {
      const store = await FileAgentStore.open({ dir, logger: silentLogger });
      await store.save(conversation("one"));
      await store.save(record({ id: "two" }));
      assert.deepEqual((await readdir(dir)).sort(), ["one.agent.json", "two.agent.json"]);
      assert.deepEqual(JSON.parse(await readFile(join(dir, "one.agent.json"), "utf8")), conversation("one"));
      await store.delete("one");
      assert.deepEqual(await readdir(dir), ["two.agent.json"]);
    }));

  test("agents survive a restart (a new store over the same directory)", () =>
    withTempDir(async (dir) => {
      const before = await FileAgentStore.open({ dir, logger: silentLogger });
      await before.save(conversation("a"));
      await before.save(record({ id: "b", name: "bee" }));
      await before.save(record({ id: "gone" }));
      await before.delete("gone");
      await before.flush();

      const after = await FileAgentStore.open({ dir, logger: silentLogger });
      assert.deepEqual((await after.loadAll()).sort(byId), [conversation("a"), record({ id: "b", name: "bee" })]);
      assert.deepEqual(await after.load("a"), conversation("a"));
      assert.equal(await after.load("gone"), undefined);
    }));

  test("bad files are skipped with one warning each naming the file and why, never the content", () =>
    withTempDir(async (dir) => {
      const { logger, lines, raw } = collectingLogger();
      const store = await FileAgentStore.open({ dir, logger });
      await store.save(record({ id: "good" }));
      await store.save(conversation("good2"));

      const marker = "SECRET-CONTENT-MARKER";
      const json = (value: unknown) => JSON.stringify(value);
      const without = (field: keyof AgentRecord) => {
        const r: Record<string, unknown> = { ...record(), name: marker };
        delete r[field];
        return r;
      };
      const bad: Record<string, { content: string; reason: RegExp }> = {
        corrupt: { content: `{"version":1,"id":"corrupt","name":"${marker}"`, reason: /not valid JSON/ },
        empty: { content: "", reason: /not valid JSON/ },
        array: { content: json([marker]), reason: /not a JSON object/ },
        nullish: { content: "null", reason: /not a JSON object/ },
        foreign: { content: json({ hello: marker }), reason: /version/ },
        v2: { content: json({ ...record({ id: "v2", name: marker }), version: 2 }), reason: /version/ },
        mismatch: { content: json(record({ id: "someone-else", name: marker })), reason: /id does not match/ },
        noid: { content: json({ ...without("id") }), reason: /missing id/ },
        "no-owner": { content: json({ ...without("ownerUid"), id: "no-owner" }), reason: /ownerUid/ },
        "owner-string": { content: json({ ...record({ id: "owner-string", name: marker }), ownerUid: "7" }), reason: /ownerUid/ },
        "no-name": { content: json({ ...record({ id: "no-name" }), name: 42, modelType: marker }), reason: /name/ },
        "no-model": { content: json({ ...without("modelType"), id: "no-model" }), reason: /modelType/ },
        "no-steps": { content: json({ ...without("steps"), id: "no-steps" }), reason: /steps/ },
        "steps-object": { content: json({ ...record({ id: "steps-object", name: marker }), steps: {} }), reason: /steps/ },
        "no-settings": { content: json({ ...without("settings"), id: "no-settings" }), reason: /settings/ },
        "settings-array": { content: json({ ...record({ id: "settings-array", name: marker }), settings: [] }), reason: /settings/ },
      };
      for (const [id, { content }] of Object.entries(bad)) await writeFile(join(dir, `${id}.agent.json`), content);
      // A file whose name is not a valid id, and files that are not agent files at all.
      await writeFile(join(dir, "bad name.agent.json"), json(record({ id: "bad name" })));
      await writeFile(join(dir, "notes.txt"), marker);
      await writeFile(join(dir, "good.json"), json(record({ id: "good" })));
      await mkdir(join(dir, "subdir"));

      const loaded = await store.loadAll();
      assert.deepEqual(loaded.sort(byId), [record({ id: "good" }), conversation("good2")]);

      const warnings = lines.filter((line) => line.level === "warn");
      assert.equal(warnings.length, Object.keys(bad).length + 1, raw.join("\n"));
      for (const [id, { reason }] of Object.entries(bad)) {
        const hits = warnings.filter((line) => line.file === `${id}.agent.json`);
        assert.equal(hits.length, 1, `one warning for ${id}`);
        assert.match(String(hits[0]!.reason), reason, id);
      }
      assert.equal(warnings.filter((line) => line.file === "bad name.agent.json").length, 1);
      for (const line of raw) assert.ok(!line.includes(marker), `log line leaks content: ${line}`);

      // Non-agent files are left alone.
      assert.ok((await readdir(dir)).includes("notes.txt"));
    }));

  test("load applies the same validation, with a warning", () =>
    withTempDir(async (dir) => {
      const { logger, lines } = collectingLogger();
      const store = await FileAgentStore.open({ dir, logger });
      await writeFile(join(dir, "broken.agent.json"), "{nope");
      await writeFile(join(dir, "other.agent.json"), JSON.stringify(record({ id: "agent-1" })));
      assert.equal(await store.load("broken"), undefined);
      assert.equal(await store.load("other"), undefined);
      assert.equal(await store.load("absent"), undefined);
      const warnings = lines.filter((line) => line.level === "warn");
      assert.deepEqual(
        warnings.map((line) => [line.file, line.reason]),
        [
          ["broken.agent.json", "not valid JSON"],
          ["other.agent.json", "id does not match the file name"],
        ],
      );
    }));

  test("a leftover .tmp file from a crash is ignored and removed by loadAll", () =>
    withTempDir(async (dir) => {
      const store = await FileAgentStore.open({ dir, logger: silentLogger });
      await store.save(record({ id: "real" }));
      const leftovers = ["ghost.agent.json.4242.0a1b2c3d4e5f.tmp", "real.agent.json.1.ffffffffffff.tmp"];
      await writeFile(join(dir, leftovers[0]!), JSON.stringify(record({ id: "ghost" })));
      await writeFile(join(dir, leftovers[1]!), '{"version":1,"id":"real","trunc');
      await writeFile(join(dir, "unrelated.tmp"), "keep me");

      const fresh = await FileAgentStore.open({ dir, logger: silentLogger });
      assert.deepEqual(await fresh.loadAll(), [record({ id: "real" })]);
      assert.equal(await fresh.load("ghost"), undefined);
      assert.deepEqual((await readdir(dir)).sort(), ["real.agent.json", "unrelated.tmp"]);
    }));

  test("path-traversal ids never touch files outside the directory", () =>
    withTempDir(async (root) => {
      const dir = join(root, "agents");
      const store = await FileAgentStore.open({ dir, logger: silentLogger });
      // A valid record one level up, where "../x" would point without the id check.
      const outside = join(root, "x.agent.json");
      await writeFile(outside, JSON.stringify(record({ id: "x" })));
      await mkdir(join(dir, "a"));
      await writeFile(join(dir, "a", "b.agent.json"), JSON.stringify(record({ id: "b" })));

      for (const id of ["../x", "a/b", "", "..", ".", `..${"/"}..${"/"}x`]) {
        await assert.rejects(store.save(record({ id })), /cannot save/);
        assert.equal(await store.load(id), undefined);
        await store.delete(id);
      }
      await store.flush();
      assert.deepEqual((await readdir(root)).sort(), ["agents", "x.agent.json"]);
      assert.deepEqual(await readdir(dir), ["a"]);
      assert.deepEqual(await readdir(join(dir, "a")), ["b.agent.json"]);
      assert.equal(JSON.parse(await readFile(outside, "utf8")).id, "x");
    }));

  test("50 concurrent saves of one id end with the last one on disk, and no .tmp remains", () =>
    withTempDir(async (dir) => {
      const store = await FileAgentStore.open({ dir, logger: silentLogger });
      const saves: Promise<void>[] = [];
      // The oldest write is by far the slowest: without ordering it would land last.
      const bulky = conversation("hot").steps.map((step) => ({ ...step, content: "x".repeat(4_000_000) }));
      for (let i = 0; i < 50; i++) saves.push(store.save(record({ id: "hot", name: `v${i}`, steps: i === 0 ? bulky : [] })));
      // Other ids proceed alongside.
      for (let i = 0; i < 10; i++) saves.push(store.save(record({ id: `side-${i}`, name: `s${i}` })));
      await store.flush();
      assert.deepEqual(await readdir(dir).then((names) => names.filter((name) => name.endsWith(".tmp"))), []);
      await Promise.all(saves);
      assert.equal(JSON.parse(await readFile(join(dir, "hot.agent.json"), "utf8")).name, "v49");
      assert.equal((await store.load("hot"))?.name, "v49");
      const fresh = new FileAgentStore({ dir, logger: silentLogger });
      assert.equal((await fresh.load("hot"))?.name, "v49");
      assert.equal((await fresh.loadAll()).length, 11);
    }));

  test("saves and deletes of one id apply in call order", () =>
    withTempDir(async (dir) => {
      const store = await FileAgentStore.open({ dir, logger: silentLogger });
      const ops = [
        store.save(record({ id: "a", name: "1" })),
        store.delete("a"),
        store.save(record({ id: "a", name: "2" })),
        store.save(record({ id: "b", name: "1" })),
        store.delete("b"),
      ];
      await Promise.all(ops);
      assert.equal((await store.load("a"))?.name, "2");
      assert.equal(await store.load("b"), undefined);
      assert.deepEqual(await readdir(dir), ["a.agent.json"]);
    }));

  test("load and loadAll see saves that have not been awaited yet", () =>
    withTempDir(async (dir) => {
      const store = await FileAgentStore.open({ dir, logger: silentLogger });
      const first = store.save(record({ id: "a", name: "old" }));
      const second = store.save(record({ id: "a", name: "new" }));
      assert.equal((await store.load("a"))?.name, "new");
      const third = store.save(record({ id: "c" }));
      assert.deepEqual(
        (await store.loadAll()).map((r) => r.id).sort(),
        ["a", "c"],
      );
      await Promise.all([first, second, third]);
    }));

  test("a failed write rejects its save but does not block later writes of the id", () =>
    withTempDir(async (root) => {
      const dir = join(root, "not-yet");
      // The constructor does not create the directory, so the first write fails.
      const store = new FileAgentStore({ dir, logger: silentLogger });
      assert.deepEqual(await store.loadAll(), []);
      const failing = store.save(record({ name: "lost" }));
      await assert.rejects(failing);
      await store.flush();
      await mkdir(dir);
      await store.save(record({ name: "kept" }));
      assert.equal((await store.load("agent-1"))?.name, "kept");
      assert.deepEqual(await readdir(dir), ["agent-1.agent.json"]);
    }));
});
