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

/**
 * Runs a tool within `timeoutMs`; every failure becomes an `[ERROR] ...`
 * output, never an exception. A thrown error's message is internal: it goes
 * to `onError` (the log), and the model and user see a generic line.
 */
export async function runTool(
  tool: Tool,
  input: unknown,
  context: Omit<ToolContext, "signal">,
  signal: AbortSignal,
  timeoutMs: number,
  onError: (error: unknown) => void = () => {},
): Promise<ToolOutput> {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<ToolOutput>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ output: `[ERROR] ${tool.name} did not finish within ${Math.round(timeoutMs / 1000)} s`, isError: true });
    }, timeoutMs);
  });
  try {
    const run = Promise.resolve()
      .then(() => tool.run(input, { ...context, signal: controller.signal }))
      .then((result): ToolOutput => (typeof result === "string" ? { output: result, isError: result.startsWith("[ERROR]") } : result))
      .catch((error: unknown): ToolOutput => {
        onError(error);
        return { output: `[ERROR] ${tool.name} failed unexpectedly`, isError: true };
      });
    return await Promise.race([run, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}
