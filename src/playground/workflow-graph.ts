/**
 * The workflow an agent builds (Texera's workflow-content JSON), laid out and
 * drawn as a small SVG graph. The layout is a pure function (tested without
 * a browser); drawing builds DOM nodes only (no markup strings), so nothing
 * the model wrote can become HTML.
 *
 * @module
 */
import type { WorkflowContent, WorkflowLink, WorkflowOperator } from "../client/types.ts";

export const NODE_WIDTH = 160;
export const NODE_HEIGHT = 52;
const GAP_X = 24;
const GAP_Y = 40;
const PADDING = 16;
const MAX_NODES = 500;

export interface GraphNode {
  readonly id: string;
  /** The name shown: `customDisplayName`, else the operator type. */
  readonly label: string;
  readonly type: string;
  readonly x: number;
  readonly y: number;
}

export interface GraphEdge {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** An SVG path from the bottom of the source to the top of the target. */
  readonly path: string;
}

export interface GraphLayout {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  /** The SVG viewBox that holds everything, padded. */
  readonly viewBox: { x: number; y: number; width: number; height: number };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

/**
 * The workflow in `value` when it has Texera's shape, else undefined. Extra
 * fields are ignored; malformed operators and links are dropped, not fatal.
 */
export function parseWorkflow(value: unknown): WorkflowContent | undefined {
  if (!isRecord(value) || !Array.isArray(value.operators)) return undefined;
  const operators: WorkflowOperator[] = [];
  const seen = new Set<string>();
  for (const raw of value.operators.slice(0, MAX_NODES)) {
    if (!isRecord(raw) || typeof raw.operatorID !== "string" || raw.operatorID === "" || seen.has(raw.operatorID)) continue;
    seen.add(raw.operatorID);
    operators.push({
      ...raw,
      operatorID: raw.operatorID,
      operatorType: typeof raw.operatorType === "string" ? raw.operatorType : "Operator",
      ...(typeof raw.customDisplayName === "string" && raw.customDisplayName.trim() !== "" ? { customDisplayName: raw.customDisplayName } : {}),
    });
  }
  const operatorPositions: Record<string, { x: number; y: number }> = {};
  if (isRecord(value.operatorPositions)) {
    for (const [id, position] of Object.entries(value.operatorPositions)) {
      if (seen.has(id) && isRecord(position) && isFiniteNumber(position.x) && isFiniteNumber(position.y)) {
        operatorPositions[id] = { x: position.x, y: position.y };
      }
    }
  }
  const links: WorkflowLink[] = [];
  for (const raw of Array.isArray(value.links) ? value.links : []) {
    if (!isRecord(raw) || !isRecord(raw.source) || !isRecord(raw.target)) continue;
    const from = raw.source.operatorID;
    const to = raw.target.operatorID;
    if (typeof from !== "string" || typeof to !== "string" || !seen.has(from) || !seen.has(to)) continue;
    links.push({
      linkID: typeof raw.linkID === "string" ? raw.linkID : `${from}->${to}#${links.length}`,
      source: { operatorID: from, portID: typeof raw.source.portID === "string" ? raw.source.portID : "" },
      target: { operatorID: to, portID: typeof raw.target.portID === "string" ? raw.target.portID : "" },
    });
  }
  return { operators, operatorPositions, links };
}

/**
 * Places the operators top to bottom, one row per distance from the sources
 * (longest path), so a pipeline reads downwards in a narrow side panel.
 * Within a row, operators keep the editor's order (`operatorPositions`: top
 * to bottom, then left to right), else the order they were added in.
 */
export function layoutWorkflow(workflow: WorkflowContent): GraphLayout {
  const { operators, links } = workflow;
  const positions = workflow.operatorPositions ?? {};
  const level = new Map<string, number>(operators.map((op) => [op.operatorID, 0]));
  // Bounded passes so a cycle cannot loop forever.
  for (let pass = 0; pass < operators.length; pass++) {
    let changed = false;
    for (const link of links) {
      const next = (level.get(link.source.operatorID) ?? 0) + 1;
      if (next > (level.get(link.target.operatorID) ?? 0) && next < operators.length) {
        level.set(link.target.operatorID, next);
        changed = true;
      }
    }
    if (!changed) break;
  }

  const order = new Map(operators.map((op, index) => [op.operatorID, index]));
  const editorOrder = (a: WorkflowOperator, b: WorkflowOperator): number => {
    const pa = positions[a.operatorID];
    const pb = positions[b.operatorID];
    if (pa && pb && (pa.y !== pb.y || pa.x !== pb.x)) return pa.y - pb.y || pa.x - pb.x;
    return (order.get(a.operatorID) ?? 0) - (order.get(b.operatorID) ?? 0);
  };
  const rows: WorkflowOperator[][] = [];
  for (const op of operators) (rows[level.get(op.operatorID) ?? 0] ??= []).push(op);
  const widest = Math.max(0, ...rows.map((row) => row?.length ?? 0));

  const nodes: GraphNode[] = [];
  rows.forEach((row, rowIndex) => {
    if (!row) return;
    row.sort(editorOrder);
    // Centre each row under the widest one.
    const offset = ((widest - row.length) * (NODE_WIDTH + GAP_X)) / 2;
    row.forEach((op, column) => {
      nodes.push({
        id: op.operatorID,
        label: op.customDisplayName ?? op.operatorType,
        type: op.operatorType,
        x: offset + column * (NODE_WIDTH + GAP_X),
        y: rowIndex * (NODE_HEIGHT + GAP_Y),
      });
    });
  });

  const byId = new Map(nodes.map((node) => [node.id, node]));
  const edges: GraphEdge[] = [];
  for (const link of links) {
    const from = byId.get(link.source.operatorID);
    const to = byId.get(link.target.operatorID);
    if (!from || !to) continue;
    const x1 = from.x + NODE_WIDTH / 2;
    const y1 = from.y + NODE_HEIGHT;
    const x2 = to.x + NODE_WIDTH / 2;
    const y2 = to.y;
    const bend = Math.max(20, Math.abs(y2 - y1) / 2);
    edges.push({ id: link.linkID, from: from.id, to: to.id, path: `M ${x1} ${y1} C ${x1} ${y1 + bend}, ${x2} ${y2 - bend}, ${x2} ${y2}` });
  }

  if (nodes.length === 0) return { nodes, edges, viewBox: { x: 0, y: 0, width: 0, height: 0 } };
  const minX = Math.min(...nodes.map((n) => n.x)) - PADDING;
  const minY = Math.min(...nodes.map((n) => n.y)) - PADDING;
  const maxX = Math.max(...nodes.map((n) => n.x + NODE_WIDTH)) + PADDING;
  const maxY = Math.max(...nodes.map((n) => n.y + NODE_HEIGHT)) + PADDING;
  return { nodes, edges, viewBox: { x: minX, y: minY, width: maxX - minX, height: maxY - minY } };
}

const SVG = "http://www.w3.org/2000/svg";

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Draws a layout as an `<svg>` (styled by the page's CSS classes). */
export function renderWorkflowSvg(layout: GraphLayout, doc: Document): SVGSVGElement {
  const el = <K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number> = {}): SVGElementTagNameMap[K] => {
    const node = doc.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
    return node;
  };
  const { x, y, width, height } = layout.viewBox;
  // Natural size (CSS shrinks it to fit the panel, never enlarges it).
  const svg = el("svg", { viewBox: `${x} ${y} ${width} ${height}`, width, height, class: "workflow-svg", role: "img" });
  svg.setAttribute("aria-label", `Workflow with ${layout.nodes.length} operators and ${layout.edges.length} links`);

  const defs = el("defs");
  const marker = el("marker", { id: "wf-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "wf-arrow" }));
  defs.append(marker);
  svg.append(defs);

  for (const edge of layout.edges) {
    const path = el("path", { d: edge.path, class: "wf-edge", "marker-end": "url(#wf-arrow)" });
    path.dataset.from = edge.from;
    path.dataset.to = edge.to;
    svg.append(path);
  }
  for (const node of layout.nodes) {
    const group = el("g", { class: "wf-node", transform: `translate(${node.x} ${node.y})` });
    group.dataset.operatorId = node.id;
    const title = el("title");
    title.textContent = node.label === node.type ? node.type : `${node.label} (${node.type})`;
    group.append(title, el("rect", { width: NODE_WIDTH, height: NODE_HEIGHT, rx: 8, ry: 8, class: "wf-box" }));
    const named = node.label !== node.type;
    const label = el("text", { x: 12, y: named ? 22 : 31, class: "wf-label" });
    label.textContent = truncate(node.label, 19);
    group.append(label);
    if (named) {
      // A custom name: the operator type goes underneath.
      const type = el("text", { x: 12, y: 40, class: "wf-type" });
      type.textContent = truncate(node.type, 24);
      group.append(type);
    }
    svg.append(group);
  }
  return svg;
}
