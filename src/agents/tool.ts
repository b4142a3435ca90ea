/**
 * The tool interface: the workflow tools and any deployer's tools plug into
 * the ReAct loop the same way.
 *
 * @module
 */
import type { ChatTool } from "../litellm.ts";

/** What a tool's `run` gets besides its input. */
export interface ToolContext {
  readonly agentId: string;
  /** The caller's uid. */
  readonly uid: number;
  /** Aborted on stop and on the tool timeout. */
  readonly signal: AbortSignal;
}

/** A tool's answer: text for the model; `isError` marks it failed (the model sees `[ERROR] ...`). */
export interface ToolOutput {
  readonly output: string;
  readonly isError?: boolean;
}

export interface Tool {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the input object. */
  readonly parameters: Record<string, unknown>;
  run(input: unknown, context: ToolContext): Promise<string | ToolOutput> | string | ToolOutput;
}

/** The OpenAI function-calling description of a tool. */
export function toChatTool(tool: Tool): ChatTool {
  return { type: "function", function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

/** The output a stopped run records for a tool that was still running; whatever it returns later is discarded. */
export const TOOL_STOPPED_OUTPUT = "[ERROR] Not finished: the run was stopped (a result arriving later is discarded)";

/**
 * Keys a tool's input may not have, at any depth. JSON.parse makes
 * `"__proto__"` an own key, but the first plain assignment or spread that
 * copies it (`target[key] = value`) sets the target's prototype instead: a
 * value validation then sees and storage loses, which is how a model could
 * make modifyOperator store properties that fail their own schema.
 * `constructor` and `prototype` reach the same places through
 * `constructor.prototype`. No tool's schema uses these names.
 */
export const FORBIDDEN_INPUT_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** The JSON Pointer of the first forbidden key in `input`, and the key; undefined when there is none. */
export function forbiddenInputKey(input: unknown): { readonly at: string; readonly key: string } | undefined {
  // Iterative: the model controls the nesting depth.
  const pending: Array<[unknown, string]> = [[input, ""]];
  while (pending.length > 0) {
    const [value, at] = pending.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push([value[i], `${at}/${i}`]);
      continue;
    }
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const pointer = `${at}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      if (FORBIDDEN_INPUT_KEYS.has(key)) return { at: pointer, key };
      pending.push([(value as Record<string, unknown>)[key], pointer]);
    }
  }
  return undefined;
}

/**
 * Runs a tool within `timeoutMs`; every failure becomes an `[ERROR] ...`
 * output, never an exception. A thrown error's message is internal: it goes
 * to `onError` (the log), and the model and user see a generic line. Input
 * with a {@link FORBIDDEN_INPUT_KEYS} key is refused before the tool runs,
 * whatever produced it.
 *
 * When `signal` aborts (stop, shutdown) this resolves at once, whether or
 * not the tool honours its own abort signal: a tool that ignores it cannot
 * hold a run (or a shutdown) for its whole timeout. Its late result, if
 * any, is discarded and reported to `onLate`.
 */
export async function runTool(
  tool: Tool,
  input: unknown,
  context: Omit<ToolContext, "signal">,
  signal: AbortSignal,
  timeoutMs: number,
  onError: (error: unknown) => void = () => {},
  onLate: () => void = () => {},
): Promise<ToolOutput> {
  if (signal.aborted) return { output: TOOL_STOPPED_OUTPUT, isError: true };
  const forbidden = forbiddenInputKey(input);
  if (forbidden) {
    return { output: `[ERROR] Invalid input for ${tool.name}: ${forbidden.at}: the key "${forbidden.key}" is not allowed.`, isError: true };
  }
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  let settled = false;
  const cutOff = new Promise<ToolOutput>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ output: `[ERROR] ${tool.name} did not finish within ${Math.round(timeoutMs / 1000)} s`, isError: true });
    }, timeoutMs);
    onAbort = () => {
      controller.abort();
      resolve({ output: TOOL_STOPPED_OUTPUT, isError: true });
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const run = Promise.resolve()
      .then(() => tool.run(input, { ...context, signal: controller.signal }))
      .then((result): ToolOutput => (typeof result === "string" ? { output: result, isError: result.startsWith("[ERROR]") } : result))
      .catch((error: unknown): ToolOutput => {
        onError(error);
        return { output: `[ERROR] ${tool.name} failed unexpectedly`, isError: true };
      })
      .then((result) => {
        if (settled) onLate();
        return result;
      });
    return await Promise.race([run, cutOff]);
  } finally {
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}
