/**
 * The dataflow copilot as an {@link AgentToolkit}: one workflow per agent,
 * the five workflow tools, the copilot system prompt, the per-step context,
 * and the workflow as the state recorded before and after each step (Texera
 * workflow content, plain JSON) that checkout restores.
 *
 * @example
 * ```ts
 * import { loadOperatorCatalog } from "./catalog.ts";
 * import { copilotToolkitFactory } from "./toolkit.ts";
 *
 * const catalog = await loadOperatorCatalog({ path: process.env.OPERATOR_CATALOG_PATH });
 * const toolkits = copilotToolkitFactory(catalog); // createService({ ..., toolkits })
 * ```
 *
 * @module
 */
import type { AgentToolkit, ToolkitFactory } from "../agent.ts";
import type { Tool } from "../tool.ts";
import type { AgentSettings, ReActStep } from "../types.ts";
import type { OperatorCatalog, OperatorType } from "./catalog.ts";
import { copilotSystemPrompt, type SystemPromptOptions, workflowContext } from "./prompt.ts";
import { workflowTools } from "./tools.ts";
import { type TexeraWorkflowContent, WorkflowState } from "./workflow-state.ts";

/** A toolkit that can say which operator types its agent may use now (`GET /api/agents/:id/operator-types`). */
export interface OperatorTypesSource {
  operatorTypes(): OperatorType[];
}

export interface CopilotToolkit extends AgentToolkit, OperatorTypesSource {
  readonly catalog: OperatorCatalog;
  readonly workflow: WorkflowState;
  tools(): readonly Tool[];
  context(): string;
  snapshot(): TexeraWorkflowContent;
  restore(snapshot: unknown): void;
  describe(): { workflow: TexeraWorkflowContent };
}

export interface CopilotToolkitOptions {
  /**
   * The agent's settings now. PATCH replaces the settings object, so this is
   * called at each use (tools, operator types), never read once.
   */
  readonly settings: () => AgentSettings;
  /** The visible conversation (root to HEAD) now, for the task part of the context. */
  readonly conversation?: () => readonly ReActStep[];
}

/** Prompts kept per catalog: distinct (allowed operator types, enabled tools) pairs, least recently used first out. */
export const PROMPTS_PER_CATALOG = 64;
// A catalog never changes once loaded, so its identity is its version; a replaced one takes its prompts with it.
const prompts = new WeakMap<OperatorCatalog, Map<string, string>>();

/**
 * The copilot's system prompt for `catalog` and two of an agent's settings,
 * built once and shared by every agent (and turn: a run loads a fresh
 * toolkit) with the same ones. It is ~15 KB; rebuilding it delayed each
 * turn's model request.
 */
export function systemPromptFor(catalog: OperatorCatalog, options: SystemPromptOptions): string {
  const key = JSON.stringify([options.allowedOperatorTypes, options.enabledTools]);
  let cache = prompts.get(catalog);
  if (!cache) prompts.set(catalog, (cache = new Map()));
  let prompt = cache.get(key);
  if (prompt !== undefined) {
    // Most recently used last.
    cache.delete(key);
  } else {
    prompt = copilotSystemPrompt(catalog, options);
    if (cache.size >= PROMPTS_PER_CATALOG) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, prompt);
  return prompt;
}

/** How many prompts are kept for `catalog` (tests of the bound). */
export function cachedPromptCount(catalog: OperatorCatalog): number {
  return prompts.get(catalog)?.size ?? 0;
}

/** A copilot toolkit over a fresh, empty workflow. */
export function copilotToolkit(catalog: OperatorCatalog, options: CopilotToolkitOptions): CopilotToolkit {
  const workflow = new WorkflowState();
  const tools = workflowTools({ catalog, workflow, settings: options.settings });
  const toolNames = tools.map((tool) => tool.name);

  return {
    catalog,
    workflow,
    tools: () => tools,
    systemPrompt(settings) {
      const disabled = new Set(settings.disabledTools);
      const enabledTools = toolNames.filter((name) => !disabled.has(name));
      return systemPromptFor(catalog, { allowedOperatorTypes: settings.allowedOperatorTypes, enabledTools });
    },
    context: () => workflowContext(workflow, options.conversation?.() ?? []),
    snapshot: () => workflow.toContent(),
    restore: (snapshot) => workflow.load(snapshot),
    describe: () => ({ workflow: workflow.toContent() }),
    operatorTypes: () => catalog.allowed(options.settings().allowedOperatorTypes),
  };
}

/**
 * The {@link ToolkitFactory} for `createService`: each agent gets a copilot
 * over `catalog` that reads the agent's current settings and conversation
 * at call time.
 */
export function copilotToolkitFactory(catalog: OperatorCatalog): ToolkitFactory {
  return (host) => copilotToolkit(catalog, { settings: () => host.settings, conversation: () => host.visibleSteps() });
}

/** Whether a toolkit lists operator types (the copilot does; a plain assistant does not). */
export function hasOperatorTypes(toolkit: AgentToolkit): toolkit is AgentToolkit & OperatorTypesSource {
  return typeof (toolkit as Partial<OperatorTypesSource>).operatorTypes === "function";
}
