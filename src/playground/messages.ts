/**
 * One step of the conversation on the page: its text, its tool calls as
 * cards (input and result), time, tokens and cost (and, on the step that
 * ends a run, the run's), how it ended, and (unless it is HEAD) the button
 * that checks it out.
 *
 * @module
 */
import type { ReActStep, ToolResultRecord, UsageTotals } from "../client/index.ts";
import { button, h } from "./dom.ts";
import { stepUsageText, totalsText } from "./usage-view.ts";

export interface StepElementOptions {
  /** HEAD is where the conversation is: it has no checkout button. */
  readonly isHead: boolean;
  /** A run is going: the service refuses checkouts, so the button is off. */
  readonly busy: boolean;
  /** On the step that ends a run: the run's totals. */
  readonly run?: UsageTotals;
  checkout(stepId: string): void;
}

export function stepElement(step: ReActStep, options: StepElementOptions): HTMLElement {
  const element = h("div", `msg ${step.role}`);
  element.dataset.stepId = step.id;
  element.dataset.role = step.role;
  if (step.stopped) element.classList.add("stopped");
  if (step.error) element.classList.add("failed");
  const hasTools = (step.toolCalls?.length ?? 0) > 0;
  if (step.content || !hasTools) element.append(h("div", "bubble", step.content || "(no text)"));

  const results = new Map<string, ToolResultRecord>((step.toolResults ?? []).map((result) => [result.toolCallId, result]));
  for (const call of step.toolCalls ?? []) element.append(toolCard(call.toolName, call.input, results.get(call.toolCallId)));

  const meta = h("div", "meta");
  meta.append(h("span", undefined, new Date(step.timestamp).toLocaleTimeString()));
  const usage = stepUsageText(step);
  if (usage) {
    const span = h("span", "usage", usage.text);
    span.title = usage.title;
    meta.append(span);
  }
  if (options.run) meta.append(h("span", "run-usage", `run: ${totalsText(options.run)}`));
  if (step.stopped) meta.append(h("span", "flag stopped", "stopped"));
  if (step.error) meta.append(h("span", "flag failed", "failed"));
  if (!options.isHead) {
    const back = button(
      "link checkout",
      "↶ back to here",
      "Check out this step: the conversation and the workflow go back to it, and your next message starts a new branch from here",
      () => options.checkout(step.id),
    );
    back.disabled = options.busy;
    meta.append(back);
  }
  element.append(meta);
  return element;
}

function compactJson(value: unknown): string {
  try {
    return typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function prettyJson(value: unknown): string {
  try {
    return typeof value === "string" ? value : JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

function toolCard(name: string, input: unknown, result: ToolResultRecord | undefined): HTMLElement {
  const card = h("details", "tool-card");
  if (result?.isError) card.classList.add("error");
  const summary = h("summary");
  const args = compactJson(input);
  summary.append(
    h("span", "tool-name", name),
    h("code", undefined, args.length > 90 ? `${args.slice(0, 89)}…` : args),
    h("span", "tool-status", result ? (result.isError ? "✗ error" : "✓ done") : "… running"),
  );
  const body = h("div", "tool-body");
  body.append(h("h4", undefined, "Input"), h("pre", undefined, prettyJson(input)));
  if (result) body.append(h("h4", undefined, result.isError ? "Error" : "Result"), h("pre", undefined, result.output));
  card.append(summary, body);
  return card;
}
