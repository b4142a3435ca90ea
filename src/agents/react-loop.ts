/**
 * The ReAct loop: the user's message becomes a step; then, up to `maxSteps`
 * model calls, the model streams text (sent out as `delta` events), its tool
 * calls run, and their results feed the next call. The run ends when the
 * model answers without tool calls, on `maxSteps`, on stop, or on an error.
 *
 * @module
 */
import {
  type ChatMessage,
  type ChatToolCallMessage,
  describeLiteLLMFailure,
  type LiteLLMClient,
  LiteLLMError,
  type TokenUsage,
  type ToolCall,
} from "../litellm.ts";
import type { Logger } from "../log.ts";
import { setImmediate } from "node:timers";
import type { Agent } from "./agent.ts";
import { runTool, toChatTool, type Tool } from "./tool.ts";
import type { ReActStep, ToolCallRecord, ToolResultRecord } from "./types.ts";

export interface RunDeps {
  readonly llm: Pick<LiteLLMClient, "chat">;
  readonly logger: Logger;
  /** Persists the agent (after every step). Failures are logged, not fatal to the run. */
  readonly save: (agent: Agent) => Promise<void>;
  readonly now?: () => number;
}

export const STOPPED_MESSAGE = "Generation stopped by user.";

/** The tools the model is offered now: all of the toolkit's, minus `disabledTools`. */
export function enabledTools(agent: Agent): Tool[] {
  const disabled = new Set(agent.record.settings.disabledTools);
  return agent.toolkit.tools().filter((tool) => !disabled.has(tool.name));
}

/** The chat messages for the next model call: the system prompt (with the current context) and the visible conversation. */
export function buildMessages(agent: Agent): ChatMessage[] {
  const context = agent.toolkit.context?.();
  const system = agent.toolkit.systemPrompt(agent.record.settings) + (context ? `\n\n${context}` : "");
  const messages: ChatMessage[] = [{ role: "system", content: system }];
  for (const step of agent.visibleSteps()) {
    if (step.role === "user") {
      messages.push({ role: "user", content: step.content });
      continue;
    }
    // Markers of a stopped or failed run are for the user, not things the model said.
    if (step.stopped || step.error !== undefined) continue;
    const calls = step.toolCalls ?? [];
    const toolCalls: ChatToolCallMessage[] = calls.map((call) => ({
      id: call.toolCallId,
      type: "function",
      function: { name: call.toolName, arguments: JSON.stringify(call.input ?? {}) },
    }));
    messages.push(
      toolCalls.length > 0
        ? { role: "assistant", content: step.content || null, tool_calls: toolCalls }
        : { role: "assistant", content: step.content },
    );
    for (const call of calls) {
      const result = step.toolResults?.find((r) => r.toolCallId === call.toolCallId);
      messages.push({ role: "tool", tool_call_id: call.toolCallId, content: result?.output ?? "[ERROR] the tool did not run" });
    }
  }
  return messages;
}

const newId = (prefix: string) => `${prefix}-${crypto.randomUUID()}`;

/**
 * Streamed text, sent without adding latency or a frame per token: the first
 * delta of a step goes out at once; text arriving while that event loop turn
 * is busy is merged and sent on the next turn (setImmediate). A real model's
 * tokens, tens of ms apart, still go out one by one as they come; a burst
 * collapses into few frames. Concatenated deltas always equal the step's text.
 */
class DeltaCoalescer {
  #pending = "";
  #stepId = 0;
  #scheduled = false;
  #sentFor = -1;
  readonly #send: (stepId: number, text: string) => void;

  constructor(send: (stepId: number, text: string) => void) {
    this.#send = send;
  }

  push(stepId: number, text: string): void {
    if (stepId !== this.#stepId) this.flush();
    this.#stepId = stepId;
    if (this.#sentFor !== stepId && !this.#pending) {
      this.#sentFor = stepId;
      this.#send(stepId, text);
      return;
    }
    this.#pending += text;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (!this.#pending) return;
    const text = this.#pending;
    this.#pending = "";
    this.#send(this.#stepId, text);
  }
}

/**
 * Runs one turn. The caller has checked the agent is not busy; this marks it
 * busy until the returned promise settles. Never rejects: every failure ends
 * the run with a step that says what happened.
 */
export async function runTurn(agent: Agent, content: string, uid: number, deps: RunDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  const controller = new AbortController();
  agent.runController = controller;
  agent.state = "GENERATING";
  const messageId = newId("msg");
  const settings = agent.record.settings;
  const snapshot = () => agent.toolkit.snapshot?.();

  // Saves start as each step is published but are not awaited on the way to
  // the next model call (the store orders writes per agent and serialises the
  // record at call time); `complete` waits for all of them, so it still means
  // "persisted".
  const deltas = new DeltaCoalescer((stepId, text) => agent.emit({ type: "delta", messageId, stepId, text }));
  const saves: Promise<void>[] = [];
  const publish = (step: ReActStep) => {
    deltas.flush();
    agent.emit({ type: "step", step });
    saves.push(deps.save(agent).catch((error) => deps.logger.error("could not save the agent", { agentId: agent.id, error })));
  };
  const endStep = (stepId: number, fields: Partial<ReActStep>): ReActStep =>
    agent.addStep({
      id: newId("step"),
      messageId,
      stepId,
      timestamp: now(),
      role: "agent",
      content: "",
      isBegin: false,
      isEnd: true,
      beforeWorkflowContent: snapshot(),
      afterWorkflowContent: snapshot(),
      ...fields,
    });

  agent.emit({ type: "state", state: "GENERATING" });
  const state = snapshot();
  publish(
    agent.addStep({
      id: newId("step"),
      messageId,
      stepId: 0,
      timestamp: now(),
      role: "user",
      content,
      isBegin: true,
      isEnd: true,
      messageSource: "chat",
      beforeWorkflowContent: state,
      afterWorkflowContent: state,
    }),
  );

  let stepNo = 0;
  try {
    const tools = enabledTools(agent);
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    const chatTools = tools.map(toChatTool);
    while (true) {
      stepNo++;
      let text = "";
      const calls: ToolCall[] = [];
      let usage: TokenUsage | undefined;
      for await (
        const event of deps.llm.chat({
          model: agent.record.modelType,
          messages: buildMessages(agent),
          tools: chatTools,
          signal: controller.signal,
          user: String(uid),
        })
      ) {
        if (event.type === "text") {
          text += event.text;
          deltas.push(stepNo, event.text);
        } else if (event.type === "tool_call") {
          calls.push(event.call);
        } else {
          usage = event.usage;
        }
      }

      const before = snapshot();
      const toolCalls: ToolCallRecord[] = [];
      const toolResults: ToolResultRecord[] = [];
      for (const call of calls) {
        toolCalls.push({ toolName: call.name, toolCallId: call.id, input: call.input ?? call.rawArguments });
        const tool = byName.get(call.name);
        let result;
        if (!tool) {
          result = { output: `[ERROR] Unknown tool "${call.name}". Available tools: ${[...byName.keys()].join(", ") || "none"}`, isError: true };
        } else if (call.argumentsError !== undefined) {
          result = { output: `[ERROR] The arguments for ${call.name} are not valid JSON: ${call.rawArguments.slice(0, 200)}`, isError: true };
        } else if (controller.signal.aborted) {
          result = { output: "[ERROR] Not run: the run was stopped", isError: true };
        } else {
          result = await runTool(
            tool,
            call.input,
            { agentId: agent.id, uid },
            controller.signal,
            settings.toolTimeoutSeconds * 1000,
            (error) => deps.logger.error("a tool failed", { agentId: agent.id, tool: call.name, error }),
          );
        }
        toolResults.push(result.isError ? { toolCallId: call.id, output: result.output, isError: true } : { toolCallId: call.id, output: result.output });
      }

      const finished = calls.length === 0;
      const step = agent.addStep({
        id: newId("step"),
        messageId,
        stepId: stepNo,
        timestamp: now(),
        role: "agent",
        content: text,
        isBegin: stepNo === 1,
        isEnd: finished,
        ...(calls.length > 0 ? { toolCalls, toolResults } : {}),
        ...(usage ? { usage } : {}),
        beforeWorkflowContent: before,
        afterWorkflowContent: snapshot(),
      });
      publish(step);
      if (controller.signal.aborted) throw new LiteLLMError("aborted", "stopped");
      if (finished) break;
      if (stepNo >= settings.maxSteps) {
        publish(endStep(stepNo + 1, { content: `Stopped after ${settings.maxSteps} model calls (the maxSteps setting).` }));
        break;
      }
    }
  } catch (error) {
    if (error instanceof LiteLLMError && error.kind === "aborted") {
      publish(endStep(stepNo, { content: STOPPED_MESSAGE, stopped: true }));
    } else if (error instanceof LiteLLMError) {
      deps.logger.warn("a run ended on a LiteLLM failure", {
        agentId: agent.id,
        code: error.code,
        status: error.status,
        requestId: error.requestId,
        upstream: error.upstreamMessage,
      });
      const message = `The model service failed: ${describeLiteLLMFailure(error)}.`;
      publish(endStep(stepNo, { content: `Error: ${message}`, error: message }));
    } else {
      deps.logger.error("a run failed unexpectedly", { agentId: agent.id, error });
      const message = "The agent failed unexpectedly; the details are in the service log.";
      publish(endStep(stepNo, { content: `Error: ${message}`, error: message }));
    }
  } finally {
    deltas.flush();
    await Promise.all(saves);
    agent.runController = undefined;
    agent.state = "AVAILABLE";
    agent.emit({ type: "complete", state: "AVAILABLE" });
  }
}
