/**
 * The toolkit of an agent with no tools of its own: a plain assistant. Tests
 * and deployers build on it by passing tools.
 *
 * @module
 */
import type { AgentToolkit } from "./agent.ts";
import type { Tool } from "./tool.ts";

export const BASIC_SYSTEM_PROMPT =
  "You are a helpful assistant for the users of a data platform. Answer concisely. " +
  "Call a tool only when it helps answer the request.";

export function basicToolkit(tools: readonly Tool[] = [], systemPrompt = BASIC_SYSTEM_PROMPT): AgentToolkit {
  return {
    tools: () => tools,
    systemPrompt: () => systemPrompt,
  };
}
