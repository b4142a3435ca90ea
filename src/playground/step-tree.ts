/**
 * The step tree of a conversation, as the playground shows it: every step
 * the service keeps (`GET /agents/:id/react-steps`, linked by `parentId`),
 * HEAD and the path to it (the conversation as it is now), and the forks
 * where a message was sent from an earlier, checked-out step.
 *
 * Pure data (no DOM), so it is tested without a browser.
 *
 * @module
 */
import type { ReActStep } from "../client/types.ts";

export interface TreeNode {
  readonly step: ReActStep;
  /** In the order the steps were added: branch 1 is the oldest. */
  readonly children: TreeNode[];
  readonly parent: TreeNode | undefined;
}

export interface StepTree {
  /** Steps without a (known) parent, oldest first; normally one. */
  readonly roots: readonly TreeNode[];
  readonly byId: ReadonlyMap<string, TreeNode>;
  /** The step new messages branch from; undefined before the first message or after `clear`. */
  readonly head: TreeNode | undefined;
  /** The ids from the root to HEAD: the conversation as it is now. */
  readonly path: ReadonlySet<string>;
}

/** Where the path to HEAD passes a fork: the branch taken, 1-based, and how many there are. */
export interface Fork {
  /** The node on the path that starts the branch (a child of the fork's step, or a root). */
  readonly node: TreeNode;
  readonly siblings: readonly TreeNode[];
  /** 1-based position of `node` among `siblings`. */
  readonly branch: number;
}

/**
 * Builds the tree from the steps in insertion order (the service's order: a
 * step is added as a child of HEAD, so its parent always comes before it).
 * A step whose parent is missing or comes later becomes a root: the data
 * comes over the network, and this way no cycle can form.
 */
export function buildStepTree(steps: readonly ReActStep[], headId: string | null | undefined): StepTree {
  const byId = new Map<string, TreeNode>();
  const roots: TreeNode[] = [];
  for (const step of steps) {
    if (byId.has(step.id)) continue;
    const parent = step.parentId === undefined ? undefined : byId.get(step.parentId);
    const node: TreeNode = { step, children: [], parent };
    byId.set(step.id, node);
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const head = headId ? byId.get(headId) : undefined;
  const path = new Set<string>();
  for (let node = head; node; node = node.parent) path.add(node.step.id);
  return { roots, byId, head, path };
}

/** The branch's newest end: from `node`, always down to the most recently added child. Where "switch to this branch" goes. */
export function branchTip(node: TreeNode): TreeNode {
  let tip = node;
  while (tip.children.length > 0) tip = tip.children[tip.children.length - 1]!;
  return tip;
}

/** The forks the path to HEAD passes, from the root down: one per step on the path that has siblings. */
export function forksOnPath(tree: StepTree): Fork[] {
  const forks: Fork[] = [];
  const onPath: TreeNode[] = [];
  for (let node = tree.head; node; node = node.parent) onPath.push(node);
  for (const node of onPath.reverse()) {
    const siblings = node.parent ? node.parent.children : tree.roots;
    if (siblings.length > 1) forks.push({ node, siblings, branch: siblings.indexOf(node) + 1 });
  }
  return forks;
}

/** True when HEAD is `node` or below it: the branch that starts at `node` is the current one. */
export function holdsHead(tree: StepTree, node: TreeNode): boolean {
  return tree.path.has(node.step.id);
}

/** One line for a step in the tree: who, and the first words or the tools called. */
export function stepSummary(step: ReActStep, maxChars = 60): string {
  const text = step.content.replace(/\s+/g, " ").trim();
  const tools = (step.toolCalls ?? []).map((call) => call.toolName);
  let what = text || (tools.length > 0 ? tools.join(", ") : "(no text)");
  if (text && tools.length > 0) what = `${text} [${tools.join(", ")}]`;
  if (what.length > maxChars) what = `${what.slice(0, maxChars - 1)}…`;
  const flags = step.stopped ? " (stopped)" : step.error ? " (failed)" : "";
  return `${step.role === "user" ? "You" : "Agent"}: ${what}${flags}`;
}
