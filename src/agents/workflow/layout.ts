/**
 * Automatic layout of a workflow for Texera's canvas: left to right along the
 * links (dagre's layered layout), so a pipeline reads as a row and branches
 * fan out vertically. Deterministic: the same operators and links in the
 * same order always get the same positions.
 *
 * @example
 * ```ts
 * import { layoutDag } from "./layout.ts";
 *
 * const positions = layoutDag(["op1", "op2"], [{ source: "op1", target: "op2" }]);
 * console.log(positions.get("op1"), positions.get("op2")); // op2 is to the right of op1
 * ```
 *
 * @module
 */
// Named imports: @dagrejs/dagre ships ESM with named exports, which Node and
// Deno resolve alike (its default export is the same object).
import { Graph, layout } from "@dagrejs/dagre";

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Texera's operator box is about 60 px square; the gaps leave room for port labels and link arrows. */
const NODE_SIZE = 60;
const RANK_GAP = 140;
const NODE_GAP = 80;
/** Where the first column starts on the canvas. */
const MARGIN = 100;

/** Top-left corners (Texera's `operatorPositions`) for `nodes`, given the `edges` between them. */
export function layoutDag(nodes: readonly string[], edges: readonly { source: string; target: string }[]): Map<string, Point> {
  const positions = new Map<string, Point>();
  if (nodes.length === 0) return positions;
  const graph = new Graph({ multigraph: true });
  graph.setGraph({ rankdir: "LR", ranksep: RANK_GAP, nodesep: NODE_GAP, marginx: 0, marginy: 0 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node, { width: NODE_SIZE, height: NODE_SIZE });
  edges.forEach((edge, index) => {
    if (graph.hasNode(edge.source) && graph.hasNode(edge.target)) graph.setEdge(edge.source, edge.target, {}, `e${index}`);
  });
  layout(graph);
  for (const node of nodes) {
    const placed = graph.node(node) as { x: number; y: number };
    // dagre gives centres; the canvas wants top-left corners.
    positions.set(node, { x: Math.round(placed.x - NODE_SIZE / 2) + MARGIN, y: Math.round(placed.y - NODE_SIZE / 2) + MARGIN });
  }
  return positions;
}
