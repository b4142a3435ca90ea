/**
 * The step tree on the page: the whole tree as an outline in the side panel
 * (every step a button that checks it out, HEAD and the current path
 * marked, each fork's branches numbered with the current one named), and
 * the marker the conversation shows where it branched (branch i of n, with
 * buttons to the neighbouring branches).
 *
 * @module
 */
import { button, h } from "./dom.ts";
import { branchTip, type Fork, holdsHead, type StepTree, stepSummary, type TreeNode } from "./step-tree.ts";

export interface StepTreeActions {
  /** Moves HEAD to a step (`POST /agents/:id/checkout`). */
  checkout(stepId: string): void;
  /** A run is going: the service refuses checkouts (409), so the buttons are off. */
  readonly busy: boolean;
}

function stepRow(tree: StepTree, node: TreeNode, actions: StepTreeActions): HTMLElement {
  const { step } = node;
  const isHead = tree.head === node;
  const row = button(
    `tree-step ${step.role}`,
    "",
    isHead ? "HEAD: the conversation is here" : `Check out this step: ${stepSummary(step, 200)}`,
    () => actions.checkout(step.id),
  );
  row.dataset.stepId = step.id;
  row.classList.toggle("on-path", tree.path.has(step.id));
  row.classList.toggle("head", isHead);
  row.disabled = isHead || actions.busy;
  row.append(h("span", "tree-summary", stepSummary(step)));
  if (isHead) row.append(h("span", "tag head-tag", "HEAD"));
  return row;
}

/** A chain of steps, then (where it forks) its branches, each drawn the same way. */
function renderChain(tree: StepTree, first: TreeNode, into: HTMLElement, actions: StepTreeActions): void {
  let node: TreeNode | undefined = first;
  while (node) {
    into.append(stepRow(tree, node, actions));
    if (node.children.length === 1) {
      node = node.children[0];
      continue;
    }
    if (node.children.length > 1) into.append(renderFork(tree, node.children, actions));
    node = undefined;
  }
}

function renderFork(tree: StepTree, branches: readonly TreeNode[], actions: StepTreeActions): HTMLElement {
  const fork = h("div", "tree-fork");
  fork.append(h("div", "tree-fork-label", `${branches.length} branches from here`));
  branches.forEach((start, index) => {
    const current = holdsHead(tree, start);
    const branch = h("div", current ? "tree-branch current" : "tree-branch");
    branch.dataset.branch = String(index + 1);
    branch.append(h("div", "tree-branch-label", `branch ${index + 1}${current ? " · current" : ""}`));
    renderChain(tree, start, branch, actions);
    fork.append(branch);
  });
  return fork;
}

/** Draws the whole tree into `container` (replacing what was there). */
export function renderStepTree(container: HTMLElement, tree: StepTree, actions: StepTreeActions): void {
  container.replaceChildren();
  if (tree.roots.length === 1) renderChain(tree, tree.roots[0]!, container, actions);
  else if (tree.roots.length > 1) container.append(renderFork(tree, tree.roots, actions));
}

/** The line the conversation shows before the step where it branched: which branch this is, and buttons to the others' newest ends. */
export function branchMarker(fork: Fork, actions: StepTreeActions): HTMLElement {
  const marker = h("div", "branch-marker");
  marker.dataset.forkStepId = fork.node.step.id;
  marker.dataset.branch = String(fork.branch);
  marker.dataset.branches = String(fork.siblings.length);
  const to = (index: number) => () => actions.checkout(branchTip(fork.siblings[index]!).step.id);
  const previous = button("secondary branch-prev", "‹", "Previous branch", to(fork.branch - 2));
  const next = button("secondary branch-next", "›", "Next branch", to(fork.branch));
  // `edge`: off because there is no branch that way, whatever the run does.
  previous.dataset.edge = String(fork.branch === 1);
  next.dataset.edge = String(fork.branch === fork.siblings.length);
  previous.disabled = fork.branch === 1 || actions.busy;
  next.disabled = fork.branch === fork.siblings.length || actions.busy;
  marker.append(previous, h("span", "branch-text", `The conversation branched here: branch ${fork.branch} of ${fork.siblings.length}`), next);
  return marker;
}
