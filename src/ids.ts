/**
 * Random ids (UUID v4) as flat strings.
 *
 * Node's `crypto.randomUUID()` builds its answer by concatenating hex pairs,
 * and V8 keeps the result as a rope of those pieces: 487 bytes of heap per
 * id held, against 63 for the same 36 characters in one piece (Node 20;
 * Deno's and Bun's are flat already). Ids live as long as what they name:
 * each open socket holds two, the file store one per step in memory.
 * Joining the parts gives one flat string; random bytes are drawn 2 KiB at a
 * time. ~0.2 µs per id on each runtime.
 *
 * @module
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const POOL = new Uint8Array(16 * 128);
let offset = POOL.length;

/** A random UUID (version 4, RFC 9562), e.g. `8cfdf112-12f8-46c6-bdbd-f2e615548ca5`. */
export function randomUuid(): string {
  if (offset === POOL.length) {
    crypto.getRandomValues(POOL);
    offset = 0;
  }
  const at = offset;
  offset += 16;
  const hex = (i: number) => HEX[POOL[at + i]!]!;
  return [
    hex(0) + hex(1) + hex(2) + hex(3),
    hex(4) + hex(5),
    HEX[(POOL[at + 6]! & 0x0f) | 0x40]! + hex(7), // version 4
    HEX[(POOL[at + 8]! & 0x3f) | 0x80]! + hex(9), // variant 10
    hex(10) + hex(11) + hex(12) + hex(13) + hex(14) + hex(15),
  ].join("-");
}
