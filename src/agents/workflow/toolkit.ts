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
import { copilotSystemPrompt, workflowContext } from "./prompt.ts";
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

/** A copilot toolkit over a fresh, empty workflow. */
export function copilotToolkit(catalog: OperatorCatalog, options: CopilotToolkitOptions): CopilotToolkit {
  const workflow = new WorkflowState();
  const tools = workflowTools({ catalog, workflow, settings: options.settings });
  const toolNames = tools.map((tool) => tool.name);
  // The prompt depends only on two settings; rebuild it when they change, not at every model call.
  let cached: { key: string; prompt: string } | undefined;

  return {
    catalog,
    workflow,
    tools: () => tools,
    systemPrompt(settings) {
      const disabled = new Set(settings.disabledTools);
      const enabledTools = toolNames.filter((name) => !disabled.has(name));
      const key = JSON.stringify([settings.allowedOperatorTypes, enabledTools]);
      if (cached?.key !== key) {
        cached = { key, prompt: copilotSystemPrompt(catalog, { allowedOperatorTypes: settings.allowedOperatorTypes, enabledTools }) };
      }
      return cached.prompt;
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
