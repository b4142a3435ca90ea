/**
 * Workflow snapshots stored once per distinct content. A step records the
 * tool state before and after it (the copilot's workflow); consecutive steps
 * mostly see the same workflow, so the stores keep each distinct snapshot
 * once per agent, keyed by a hash of its JSON, and steps refer to it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { ReActStep } from "../agents/types.ts";

/** A step without its snapshots, plus the keys of the snapshots it saw. */
export interface SplitStep {
  readonly body: Omit<ReActStep, "beforeWorkflowContent" | "afterWorkflowContent">;
  readonly before?: string;
  readonly after?: string;
  /** The snapshots by key, as JSON text. */
  readonly snapshots: ReadonlyMap<string, string>;
}

/** The key of a snapshot: SHA-256 of its JSON text, base64url. */
export function snapshotKey(json: string): string {
  return createHash("sha256").update(json).digest("base64url");
}

/** Splits a step into its body and its snapshots (each serialised once, even when before and after are the same object). */
export function splitStep(step: ReActStep): SplitStep {
  const { beforeWorkflowContent, afterWorkflowContent, ...body } = step;
  const snapshots = new Map<string, string>();
  const keyOf = (content: unknown): string | undefined => {
    if (content === undefined) return undefined;
    const json = JSON.stringify(content);
    const key = snapshotKey(json);
    snapshots.set(key, json);
    return key;
  };
  const before = keyOf(beforeWorkflowContent);
  const after = afterWorkflowContent === beforeWorkflowContent ? before : keyOf(afterWorkflowContent);
  return {
    body,
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    snapshots,
  };
}

/** Puts a step back together from its body and its snapshots' contents. */
export function joinStep(
  body: SplitStep["body"],
  before: unknown,
  after: unknown,
): ReActStep {
  return {
    ...body,
    ...(before !== undefined ? { beforeWorkflowContent: before } : {}),
    ...(after !== undefined ? { afterWorkflowContent: after } : {}),
  };
}
