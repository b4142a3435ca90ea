/**
 * The parent watch's decision (src/parent-watch.ts) with a fake ppid: no
 * timer runs here. The real thing (kill npm, the service stops) is in
 * tests/e2e/npm-scripts.e2e.ts.
 */
import { test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import process from "node:process";
import { ParentWatch } from "../src/parent-watch.ts";

test("a parent that stays is not gone; a re-parented process (its parent exited) is, and stays so", () => {
  let ppid = 4321;
  const watch = new ParentWatch(() => ppid);
  assert.equal(watch.initialParent, 4321);
  assert.equal(watch.parentGone(), false);
  ppid = 1; // re-parented to init
  assert.equal(watch.parentGone(), true);
  ppid = 777; // or to a subreaper, later anything else
  assert.equal(watch.parentGone(), true);
});

test("started by init (ppid 1) there is nothing to lose: never gone", () => {
  const watch = new ParentWatch(() => 1);
  assert.equal(watch.parentGone(), false);
});

test("this runtime's process.ppid is the live parent pid the watch reads", () => {
  const watch = new ParentWatch(() => process.ppid);
  assert.ok(Number.isInteger(watch.initialParent) && watch.initialParent > 0);
  assert.equal(watch.parentGone(), false, "the test runner is still there");
});
