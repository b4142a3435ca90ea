import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { latestWithin } from "../src/agents/window.ts";

describe("latestWithin: the latest steps that fit in a number of bytes", () => {
  const steps = ["a".repeat(100), "b".repeat(100), "c".repeat(100)];
  const size = JSON.stringify(steps[0]).length + 1; // 103

  test("all of them when they fit; nothing cut", () => {
    assert.deepEqual(latestWithin(steps, 3 * size), { steps, cut: false });
    assert.deepEqual(latestWithin([], 10), { steps: [], cut: false });
  });

  test("the newest that fit, oldest first, and cut", () => {
    assert.deepEqual(latestWithin(steps, 3 * size - 1), { steps: steps.slice(1), cut: true });
    assert.deepEqual(latestWithin(steps, 2 * size - 1), { steps: steps.slice(2), cut: true });
  });

  test("the newest one always, even when it alone is over", () => {
    assert.deepEqual(latestWithin(steps, 1), { steps: steps.slice(2), cut: true });
    assert.deepEqual(latestWithin(steps.slice(2), 1), { steps: steps.slice(2), cut: false });
  });
});
