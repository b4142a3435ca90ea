/**
 * A parser for the subset of HOCON that Texera's `auth.conf` uses, resolving
 * `${path}` / `${?VAR}` substitutions against the document and then an
 * environment lookup passed in (never `process.env`).
 *
 * @module
 */
// ---------------------------------------------------------------------------
// HOCON (the subset auth.conf uses)
// ---------------------------------------------------------------------------
//
// Why a parser of our own and not a library:
// - `@pushcorn/hocon-parser` (1.3.1) parses correctly and runs on Node and
//   Deno, but only asynchronously (its `parse` returns a Promise; every
//   resolution step awaits), while `loadConfig` is synchronous. It also brings
//   an HTTP client (`include "https://…"`), an `eval` transform and reads
//   `process.env` unless told not to: far more surface than reading one key.
// - `hocon-parser` (1.0.1) throws `SyntaxError: Unexpected token '?'` on
//   `${?AUTH_JWT_SECRET}`: it resolves substitutions with
//   `eval("mainObj." + path)`, so it neither supports optional substitutions
//   nor is safe on untrusted text.
//
// Supported: a root object with or without braces; nested objects with braces
// (`key { … }` needs no separator); dotted keys (`a.b.c = 1`) and quoted keys
// (`"a.b" = 1`, one key with a dot); `=` or `:`; fields separated by newlines
// or commas; quoted strings with JSON escapes; unquoted strings and numbers,
// kept as their text (as Typesafe Config's `getString` returns them); value
// concatenation on one line (`a = foo bar` is "foo bar"); comments `#` and
// `//`; duplicate keys with later-wins semantics, objects merging; `${path}`
// and `${?path}` substitutions looked up in the document first, then in the
// environment (an empty variable counts as unset), with `${?x}` that is
// undefined leaving the earlier value in place. Refused with a clear
// HoconError: arrays, `include`, `+=`, triple-quoted strings, and
// self-referential or cyclic substitutions.
//
// Bounded, because the file is input: a hostile or broken auth.conf must get
// the same clear error as any other bad file, not a stack overflow, a string
// of gigabytes or an exponential run at start-up. The limits are far above
// what a real auth.conf (a dozen lines, depth 3, a handful of substitutions)
// needs; see HOCON_LIMITS.

/** A resolved HOCON value: scalars are their text; objects have a null prototype. */
export type HoconValue = string | HoconObject;

/** A resolved HOCON object. */
export interface HoconObject {
  readonly [key: string]: HoconValue;
}

/** The bounds on a document; a document over any of them is refused with a {@link HoconError}. */
export const HOCON_LIMITS = Object.freeze({
  /** Characters of text. */
  maxTextChars: 1_048_576,
  /** Object nesting, counting each segment of a dotted key; also the longest key path. */
  maxDepth: 64,
  /** Substitutions resolving one inside another (`a = ${b}`, `b = ${c}`, ...). */
  maxSubstitutionDepth: 64,
  /** Substitutions resolved in the whole document: `${a}${a}` chains grow exponentially. */
  maxSubstitutions: 10_000,
  /** Characters of one value after substitution. */
  maxValueChars: 65_536,
});

/** A syntax or resolution error in HOCON text; the message gives the line and column. */
export class HoconError extends Error {
  override name = "HoconError";
}

type Part =
  | { readonly kind: "text"; readonly text: string }
  | {
      readonly kind: "subst";
      readonly path: readonly string[];
      readonly optional: boolean;
      /** Offset in the text; the line and column are worked out only for an error message. */
      readonly at: number;
    };

/** One `key = value` (or `key { … }`) in source order. */
type Assignment = ObjectNode | ConcatNode;

interface ObjectNode {
  readonly kind: "object";
  /** Each key's assignments, earliest first. */
  readonly fields: Map<string, Assignment[]>;
}

interface ConcatNode {
  readonly kind: "concat";
  readonly parts: readonly Part[];
}

const UNQUOTED_FORBIDDEN = new Set([..."$\"{}[]:=,+#`^?!@*&\\"]);

/**
 * Parses and resolves HOCON text of the subset that auth.conf uses (see the
 * comment above this function in the source for what is supported).
 * Substitutions not found in the document are looked up with `lookupEnv`.
 * Exported for tests and tools that read the same files.
 *
 * @throws {Error} A `HoconError` naming the line and column when the text is
 *   malformed, uses an unsupported feature, or has an unresolvable `${path}`.
 */
export function parseHocon(text: string, lookupEnv: (name: string) => string | undefined): HoconObject {
  if (text.length > HOCON_LIMITS.maxTextChars) {
    throw new HoconError(`the file is larger than ${HOCON_LIMITS.maxTextChars} characters`);
  }
  const root = new HoconParser(text).parseDocument();
  return new HoconResolver(root, lookupEnv, text).resolveObject(root);
}

class HoconParser {
  private pos = 0;

  constructor(private readonly src: string) {
    if (src.startsWith("\uFEFF")) this.pos = 1;
  }

  parseDocument(): ObjectNode {
    this.skipBlank();
    let root: ObjectNode;
    if (this.peek() === "{") {
      this.pos++;
      root = this.parseFields(true, 0);
      this.skipBlank();
      if (!this.atEnd()) this.fail(`unexpected ${this.describeChar()} after the root object`);
    } else {
      root = this.parseFields(false, 0);
    }
    return root;
  }

  /** The fields of an object at `depth` (the root is 0). */
  private parseFields(braced: boolean, depth: number): ObjectNode {
    const node: ObjectNode = { kind: "object", fields: new Map() };
    for (;;) {
      this.skipBlank();
      if (this.atEnd()) {
        if (braced) this.fail('missing "}"');
        return node;
      }
      if (this.peek() === "}") {
        if (!braced) this.fail('unexpected "}"');
        this.pos++;
        return node;
      }
      if (this.peek() === ",") this.fail('unexpected ","');

      const keyAt = this.pos;
      const path = this.parseKey();
      // `a.b.c = {…}` opens path.length objects; recursion below stays bounded.
      const valueDepth = depth + path.length;
      if (valueDepth > HOCON_LIMITS.maxDepth) {
        this.pos = keyAt;
        this.fail(`objects nested deeper than ${HOCON_LIMITS.maxDepth} levels`);
      }
      this.skipInline();
      let value: Assignment;
      const c = this.peek();
      if (c === "{") {
        this.pos++;
        value = this.parseFields(true, valueDepth);
      } else if (c === "=" || c === ":") {
        this.pos++;
        this.skipInline();
        value = this.parseValue(path, valueDepth);
      } else if (c === "+" && this.src[this.pos + 1] === "=") {
        this.fail('"+=" is not supported');
      } else if (path.length === 1 && path[0] === "include") {
        this.fail('"include" is not supported');
      } else {
        this.fail(`expected "=", ":" or "{" after key "${path.join(".")}" (${this.position(keyAt)})`);
      }
      this.assign(node, path, value);

      // A field ends at a newline, a comma, "}" or the end of the text.
      this.skipInline();
      this.skipComment();
      const next = this.peek();
      if (next === ",") this.pos++;
      else if (next !== "\n" && next !== "\r" && next !== "}" && !this.atEnd()) {
        this.fail(`expected a newline, "," or "}" after the value of "${path.join(".")}", found ${this.describeChar()}`);
      }
    }
  }

  /** `a.b.c = v` is `a { b { c = v } }`. */
  private assign(node: ObjectNode, path: readonly string[], value: Assignment): void {
    let target = node;
    for (const [index, key] of path.entries()) {
      let history = target.fields.get(key);
      if (history === undefined) {
        history = [];
        target.fields.set(key, history);
      }
      if (index === path.length - 1) {
        history.push(value);
      } else {
        const child: ObjectNode = { kind: "object", fields: new Map() };
        history.push(child);
        target = child;
      }
    }
  }

  private parseKey(): string[] {
    const segments: string[] = [];
    let current = "";
    let sawPiece = false;
    for (;;) {
      const c = this.peek();
      if (c === '"') {
        current += this.parseQuoted();
        sawPiece = true;
      } else if (c === ".") {
        if (!sawPiece) this.fail("empty key segment (a key may not start with \".\" or contain \"..\")");
        segments.push(current);
        current = "";
        sawPiece = false;
        this.pos++;
      } else if (segments.length >= HOCON_LIMITS.maxDepth) {
        this.fail(`a path longer than ${HOCON_LIMITS.maxDepth} keys`);
      } else if (c !== undefined && isUnquotedChar(c) && !this.startsComment()) {
        let run = "";
        while (!this.atEnd() && isUnquotedChar(this.peek()!) && this.peek() !== "." && !this.startsComment()) {
          run += this.src[this.pos++];
        }
        current += run;
        sawPiece = true;
      } else {
        break;
      }
    }
    if (!sawPiece) {
      this.fail(segments.length === 0 ? `expected a key, found ${this.describeChar()}` : 'a key may not end with "."');
    }
    segments.push(current);
    return segments;
  }

  private parseValue(path: readonly string[], depth: number): Assignment {
    const c = this.peek();
    if (c === "{") {
      this.pos++;
      return this.parseFields(true, depth);
    }
    if (c === "[") this.fail("arrays are not supported");
    const parts: Part[] = [];
    let pendingSpace = "";
    for (;;) {
      const ch = this.peek();
      if (ch === undefined || ch === "\n" || ch === "\r" || ch === "," || ch === "}" || this.startsComment()) break;
      if (ch === " " || ch === "\t") {
        const start = this.pos;
        this.skipInline();
        pendingSpace = this.src.slice(start, this.pos);
        continue;
      }
      if (parts.length > 0 && pendingSpace !== "") parts.push({ kind: "text", text: pendingSpace });
      pendingSpace = "";
      if (ch === '"') {
        parts.push({ kind: "text", text: this.parseQuoted() });
      } else if (ch === "$" && this.src[this.pos + 1] === "{") {
        parts.push(this.parseSubstitution());
      } else if (ch === "{" || ch === "[") {
        this.fail("objects and arrays inside a value concatenation are not supported");
      } else if (isUnquotedChar(ch)) {
        let run = "";
        while (!this.atEnd() && isUnquotedChar(this.peek()!) && !this.startsComment()) run += this.src[this.pos++];
        parts.push({ kind: "text", text: run });
      } else {
        this.fail(`unexpected ${this.describeChar()} in the value of "${path.join(".")}"`);
      }
    }
    if (parts.length === 0) this.fail(`missing value for "${path.join(".")}"`);
    return { kind: "concat", parts };
  }

  private parseSubstitution(): Part {
    const at = this.pos;
    this.pos += 2; // "${"
    let optional = false;
    if (this.peek() === "?") {
      optional = true;
      this.pos++;
    }
    const path = this.parseKey();
    if (this.peek() !== "}") this.fail(`expected "}" to close the substitution, found ${this.describeChar()}`);
    this.pos++;
    return { kind: "subst", path, optional, at };
  }

  private parseQuoted(): string {
    if (this.src.startsWith('"""', this.pos)) this.fail("triple-quoted strings are not supported");
    this.pos++; // opening quote
    let out = "";
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === "\n" || c === "\r") this.fail("unterminated quoted string");
      this.pos++;
      if (c === '"') return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.peek();
      this.pos++;
      switch (e) {
        case '"':
        case "\\":
        case "/":
          out += e;
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "u": {
          const hex = this.src.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("invalid \\u escape in a quoted string");
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          this.pos--;
          this.fail("invalid escape in a quoted string");
      }
    }
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  private startsComment(): boolean {
    const c = this.src[this.pos];
    return c === "#" || (c === "/" && this.src[this.pos + 1] === "/");
  }

  private skipInline(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
  }

  private skipComment(): void {
    if (!this.startsComment()) return;
    while (!this.atEnd() && this.peek() !== "\n") this.pos++;
  }

  /** Whitespace, newlines and comments. */
  private skipBlank(): void {
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\uFEFF") this.pos++;
      else if (this.startsComment()) this.skipComment();
      else return;
    }
  }

  /** Linear in the text: called only for an error message. */
  private position(at = this.pos): string {
    return position(this.src, at);
  }

  private describeChar(): string {
    const c = this.peek();
    if (c === undefined) return "the end of the text";
    if (c === "\n" || c === "\r") return "a newline";
    return JSON.stringify(c);
  }

  private fail(message: string): never {
    throw new HoconError(`${this.position()}: ${message}`);
  }
}

/** `line L, column C` of an offset. */
function position(src: string, at: number): string {
  const before = src.slice(0, at);
  const line = before.split("\n").length;
  const column = at - (before.lastIndexOf("\n") + 1) + 1;
  return `line ${line}, column ${column}`;
}

function isUnquotedChar(c: string): boolean {
  return !UNQUOTED_FORBIDDEN.has(c) && !/\s/.test(c);
}

class HoconResolver {
  /** Values being evaluated, to report cycles instead of overflowing the stack. */
  private readonly active = new Set<ConcatNode>();
  /** Substitutions resolved so far (see HOCON_LIMITS.maxSubstitutions). */
  private substitutions = 0;

  constructor(
    private readonly root: ObjectNode,
    private readonly lookupEnv: (name: string) => string | undefined,
    private readonly src: string,
  ) {}

  resolveObject(node: ObjectNode): HoconObject {
    const out: Record<string, HoconValue> = Object.create(null);
    for (const [key, history] of node.fields) {
      const value = this.resolveHistory(history);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  /**
   * The value of a key given its assignments: the last one that is defined
   * wins; objects merge with the objects just before them (later keys win).
   */
  private resolveHistory(history: readonly Assignment[]): HoconValue | undefined {
    const objects: HoconObject[] = [];
    for (let i = history.length - 1; i >= 0; i--) {
      const value = this.resolveAssignment(history[i]!);
      if (value === undefined) continue; // `${?x}` undefined: as if the line were absent
      if (typeof value === "string") {
        if (objects.length === 0) return value;
        break; // a scalar hides the objects before it
      }
      objects.push(value);
    }
    if (objects.length === 0) return undefined;
    return objects.reduceRight<HoconObject>((merged, later) => mergeObjects(merged, later), Object.create(null));
  }

  private resolveAssignment(assignment: Assignment): HoconValue | undefined {
    return assignment.kind === "object" ? this.resolveObject(assignment) : this.resolveConcat(assignment);
  }

  private resolveConcat(node: ConcatNode): HoconValue | undefined {
    if (this.active.has(node)) {
      throw new HoconError("substitution cycle (self-referential substitutions are not supported)");
    }
    if (this.active.size >= HOCON_LIMITS.maxSubstitutionDepth) {
      const first = node.parts.find((part) => part.kind === "subst");
      throw new HoconError(
        `${first ? `${position(this.src, first.at)}: ` : ""}substitutions nested deeper than ${HOCON_LIMITS.maxSubstitutionDepth} levels`,
      );
    }
    this.active.add(node);
    try {
      const only = node.parts.length === 1 ? node.parts[0]! : undefined;
      if (only?.kind === "subst") return this.resolveSubstitution(only);
      let text = "";
      for (const part of node.parts) {
        if (part.kind === "text") {
          text += part.text;
          continue;
        }
        const value = this.resolveSubstitution(part);
        if (typeof value === "object") {
          throw new HoconError(
            `${position(this.src, part.at)}: an object cannot be concatenated with text (\${${part.path.join(".")}})`,
          );
        }
        text += value ?? "";
        if (text.length > HOCON_LIMITS.maxValueChars) {
          throw new HoconError(
            `${position(this.src, part.at)}: a value longer than ${HOCON_LIMITS.maxValueChars} characters after substitution`,
          );
        }
      }
      return text;
    } finally {
      this.active.delete(node);
    }
  }

  private resolveSubstitution(part: Extract<Part, { kind: "subst" }>): HoconValue | undefined {
    if (++this.substitutions > HOCON_LIMITS.maxSubstitutions) {
      throw new HoconError(
        `${position(this.src, part.at)}: more than ${HOCON_LIMITS.maxSubstitutions} substitutions to resolve (do values repeat each other, like \${a}\${a}?)`,
      );
    }
    const value = this.lookup(this.root, part.path) ?? this.lookupEnv(part.path.join("."));
    if (value === undefined && !part.optional) {
      throw new HoconError(
        `${position(this.src, part.at)}: \${${part.path.join(".")}} is not defined in the file or the environment (use \${?…} if it is optional)`,
      );
    }
    return value;
  }

  /** Finds `path` under `node`, evaluating only what lies on the way (so sibling references are not cycles). */
  private lookup(node: ObjectNode, path: readonly string[]): HoconValue | undefined {
    const [head, ...rest] = path;
    const history = head === undefined ? undefined : node.fields.get(head);
    if (history === undefined) return undefined;
    if (rest.length === 0) return this.resolveHistory(history);
    for (let i = history.length - 1; i >= 0; i--) {
      const assignment = history[i]!;
      if (assignment.kind === "object") {
        const found = this.lookup(assignment, rest);
        if (found !== undefined) return found;
        continue; // earlier objects merge underneath
      }
      const value = this.resolveConcat(assignment);
      if (value === undefined) continue;
      if (typeof value === "string") return undefined;
      const found = getPath(value, rest);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

function getPath(value: HoconValue, path: readonly string[]): HoconValue | undefined {
  let node: HoconValue | undefined = value;
  for (const key of path) node = typeof node === "object" ? node[key] : undefined;
  return node;
}

function mergeObjects(earlier: HoconObject, later: HoconObject): HoconObject {
  const out: Record<string, HoconValue> = Object.create(null);
  for (const key of Object.keys(earlier)) out[key] = earlier[key]!;
  for (const key of Object.keys(later)) {
    const before = out[key];
    const after = later[key]!;
    out[key] = typeof before === "object" && typeof after === "object" ? mergeObjects(before, after) : after;
  }
  return out;
}
