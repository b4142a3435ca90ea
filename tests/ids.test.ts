import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUuid } from "../src/ids.ts";

describe("randomUuid", () => {
  test("RFC 9562 version 4 UUIDs, all different, across more than one pool of random bytes", () => {
    const ids = Array.from({ length: 1_000 }, () => randomUuid());
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, ids.length);
  });

  test("every hex digit turns up in every random position (the bytes are used, not a constant)", () => {
    const ids = Array.from({ length: 2_000 }, () => randomUuid().replaceAll("-", ""));
    for (const position of [0, 7, 13, 17, 31]) {
      assert.equal(new Set(ids.map((id) => id[position])).size, 16, `position ${position}`);
    }
  });
});
