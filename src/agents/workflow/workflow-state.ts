/**
 * The workflow an agent edits: a DAG of operators (id, type, properties,
 * display name, ports) and links from an operator's output port to another
 * operator's input port, laid out automatically.
 *
 * Every change is checked before anything is touched: an unknown operator, a
 * port out of range, a second link into a single-link port, a repeated link,
 * or a link that would close a cycle throws a {@link WorkflowError} and
 * leaves the workflow as it was.
 *
 * The snapshot is Texera's workflow-content JSON (`operators`,
 * `operatorPositions`, `links`, `commentBoxes`, `settings`): plain JSON, so it
 * is persisted in the agent file, sent to the frontend as `workflowContent`,
 * and loadable by the platform as is; {@link WorkflowState.fromContent} reads
 * it back.
 *
 * @example
 * ```ts
 * import { WorkflowState } from "./workflow-state.ts";
 *
 * const workflow = new WorkflowState();
 * const scan = workflow.addOperator({ type: "CSVFileScan", displayName: "Load", inputPorts: [], outputPorts: [{}], properties: { fileName: "a.csv" } });
 * const limit = workflow.addOperator(
 *   { type: "Limit", displayName: "First 10", inputPorts: [{}], outputPorts: [{}], properties: { limit: 10 } },
 *   { 0: [{ operatorId: scan.operator.id, port: 0 }] },
 * );
 * console.log(limit.operator.id, limit.createdLinks.map(linkLabel)); // "op2" ["op1 -> op2"]
 * ```
 *
 * @module
 */
import { layoutDag, type Point } from "./layout.ts";
import type { PortSpec } from "./catalog.ts";

export type WorkflowErrorCode =
  | "unknown-operator"
  | "port-out-of-range"
  | "port-taken"
  | "duplicate-link"
  | "cycle"
  | "bad-content";

/** A change the workflow refuses. The message is meant for the model: it says what is wrong and what exists. */
export class WorkflowError extends Error {
  override name = "WorkflowError";
  readonly code: WorkflowErrorCode;
  constructor(code: WorkflowErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface WorkflowOperator {
  readonly id: string;
  readonly type: string;
  /** Texera's operatorVersion (from the catalog), carried into the content. */
  readonly version: string;
  readonly displayName: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly inputPorts: readonly PortSpec[];
  readonly outputPorts: readonly PortSpec[];
}

/** One end of a link: an operator and one of its ports (0-based). */
export interface PortRef {
  readonly operatorId: string;
  readonly port: number;
}

export interface WorkflowLink {
  readonly id: string;
  /** An output port. */
  readonly source: PortRef;
  /** An input port. */
  readonly target: PortRef;
}

/** Sources per input port: `{ 0: [{ operatorId: "op1", port: 0 }] }`. */
export type InputWiring = Readonly<Record<number, readonly PortRef[]>>;

export interface NewOperator {
  readonly type: string;
  readonly version?: string;
  readonly displayName: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly inputPorts: readonly PortSpec[];
  readonly outputPorts: readonly PortSpec[];
}

export interface OperatorChange {
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly displayName?: string;
  /** Replaces every incoming link of the operator. */
  readonly inputs?: InputWiring;
}

export interface ChangeResult {
  readonly operator: WorkflowOperator;
  readonly createdLinks: readonly WorkflowLink[];
  readonly deletedLinks: readonly WorkflowLink[];
}

// ---------------------------------------------------------------------------
// Texera's workflow-content JSON
// ---------------------------------------------------------------------------

export interface TexeraPortDescription {
  portID: string;
  displayName?: string;
  disallowMultiInputs?: boolean;
  isDynamicPort: boolean;
  dependencies?: { id: number; internal: boolean }[];
}

export interface TexeraOperatorPredicate {
  operatorID: string;
  operatorType: string;
  operatorVersion: string;
  operatorProperties: Record<string, unknown>;
  inputPorts: TexeraPortDescription[];
  outputPorts: TexeraPortDescription[];
  showAdvanced: boolean;
  isDisabled: boolean;
  customDisplayName: string;
}

export interface TexeraLink {
  linkID: string;
  source: { operatorID: string; portID: string };
  target: { operatorID: string; portID: string };
}

/** Texera's `WorkflowContent`, as the dashboard stores it and the workspace loads it. */
export interface TexeraWorkflowContent {
  operators: TexeraOperatorPredicate[];
  operatorPositions: Record<string, Point>;
  links: TexeraLink[];
  commentBoxes: unknown[];
  settings: { dataTransferBatchSize: number };
}

const DATA_TRANSFER_BATCH_SIZE = 400;
const OPERATOR_ID = /^op(\d+)$/;
const LINK_ID = /^link-(\d+)$/;

/** `op1 -> op3`, with `:n` after an operator when the port is not 0 (`op1 -> op4:1`). */
export function linkLabel(link: Pick<WorkflowLink, "source" | "target">): string {
  return `${portLabel(link.source)} -> ${portLabel(link.target)}`;
}

/** `op1` for port 0, `op1:2` for port 2. */
export function portLabel(ref: PortRef): string {
  return ref.port === 0 ? ref.operatorId : `${ref.operatorId}:${ref.port}`;
}

export class WorkflowState {
  /** Insertion order is the tie-break of the topological order. */
  #operators = new Map<string, WorkflowOperator>();
  #links: WorkflowLink[] = [];
  #positions = new Map<string, Point>();

  /** Builds a workflow from Texera workflow content (a snapshot of this class, or compatible). */
  static fromContent(content: unknown): WorkflowState {
    const state = new WorkflowState();
    state.load(content);
    return state;
  }

  get size(): number {
    return this.#operators.size;
  }

  operator(id: string): WorkflowOperator | undefined {
    return this.#operators.get(id);
  }

  /** Every operator, in the order they were added. */
  operators(): WorkflowOperator[] {
    return [...this.#operators.values()];
  }

  links(): WorkflowLink[] {
    return [...this.#links];
  }

  /** Links into `operatorId`, in the order they were made. */
  incoming(operatorId: string): WorkflowLink[] {
    return this.#links.filter((link) => link.target.operatorId === operatorId);
  }

  outgoing(operatorId: string): WorkflowLink[] {
    return this.#links.filter((link) => link.source.operatorId === operatorId);
  }

  position(operatorId: string): Point | undefined {
    return this.#positions.get(operatorId);
  }

  /**
   * The id the next added operator gets: one more than the highest `opN` in
   * the workflow. It is a function of the workflow alone (no counter to
   * persist beside Texera's content), so it is the same after a restart or a
   * checkout to the same state; deleting the highest operator frees its id.
   */
  nextOperatorId(): string {
    let max = 0;
    for (const id of this.#operators.keys()) {
      const match = OPERATOR_ID.exec(id);
      if (match) max = Math.max(max, Number(match[1]));
    }
    return `op${max + 1}`;
  }

  /** Adds an operator with the next id ({@link nextOperatorId}) and links its inputs. */
  addOperator(spec: NewOperator, inputs: InputWiring = {}): ChangeResult {
    const id = this.nextOperatorId();
    const operator: WorkflowOperator = {
      id,
      type: spec.type,
      version: spec.version ?? "N/A",
      displayName: spec.displayName,
      properties: structuredClone(spec.properties) as Record<string, unknown>,
      inputPorts: spec.inputPorts.map((port) => ({ ...port })),
      outputPorts: spec.outputPorts.map((port) => ({ ...port })),
    };
    const planned = this.#planInputs(operator, inputs, [], true);
    this.#operators.set(id, operator);
    this.#links.push(...planned);
    this.#relayout();
    return { operator, createdLinks: planned, deletedLinks: [] };
  }

  /** Replaces properties and/or the display name, and (with `inputs`) every incoming link. */
  updateOperator(id: string, change: OperatorChange): ChangeResult {
    const current = this.#require(id);
    const previous = this.incoming(id);
    const planned = change.inputs === undefined ? undefined : this.#planInputs(current, change.inputs, previous, false);
    const operator: WorkflowOperator = {
      ...current,
      ...(change.properties !== undefined ? { properties: structuredClone(change.properties) as Record<string, unknown> } : {}),
      ...(change.displayName !== undefined ? { displayName: change.displayName } : {}),
    };
    this.#operators.set(id, operator);
    if (planned === undefined) return { operator, createdLinks: [], deletedLinks: [] };
    // Links that stay (same source and port) keep their ids.
    const key = (link: WorkflowLink) => `${link.source.operatorId}\u0000${link.source.port}\u0000${link.target.port}`;
    const kept = new Map(previous.map((link) => [key(link), link]));
    const next = planned.map((link) => kept.get(key(link)) ?? link);
    const nextKeys = new Set(next.map(key));
    const deletedLinks = previous.filter((link) => !nextKeys.has(key(link)));
    const createdLinks = next.filter((link) => !kept.has(key(link)));
    this.#links = [...this.#links.filter((link) => link.target.operatorId !== id), ...next];
    this.#relayout();
    return { operator, createdLinks, deletedLinks };
  }

  /** Removes an operator and every link into or out of it. */
  deleteOperator(id: string): ChangeResult {
    const operator = this.#require(id);
    const deletedLinks = this.#links.filter((link) => link.source.operatorId === id || link.target.operatorId === id);
    this.#links = this.#links.filter((link) => !deletedLinks.includes(link));
    this.#operators.delete(id);
    this.#relayout();
    return { operator, createdLinks: [], deletedLinks };
  }

  /**
   * The path that a link `source -> target` would close into a cycle
   * (`[target, ..., source, target]`), or undefined when it would not.
   */
  cycleThrough(sourceId: string, targetId: string): string[] | undefined {
    return findCycle(this.#links, sourceId, targetId);
  }

  /** Operators so that every link goes forward; ties keep the order operators were added in. */
  topologicalOrder(): WorkflowOperator[] {
    const indegree = new Map<string, number>();
    for (const id of this.#operators.keys()) indegree.set(id, 0);
    for (const link of this.#links) indegree.set(link.target.operatorId, (indegree.get(link.target.operatorId) ?? 0) + 1);
    const order: WorkflowOperator[] = [];
    const done = new Set<string>();
    while (order.length < this.#operators.size) {
      // O(n²) on purpose: workflows are tens of operators and this keeps the tie-break obvious.
      const next = [...this.#operators.values()].find((op) => !done.has(op.id) && indegree.get(op.id) === 0);
      if (!next) break; // unreachable: every change is checked for cycles
      done.add(next.id);
      order.push(next);
      for (const link of this.#links) {
        if (link.source.operatorId === next.id) indegree.set(link.target.operatorId, (indegree.get(link.target.operatorId) ?? 0) - 1);
      }
    }
    return order;
  }

  /** The workflow as Texera's workflow-content JSON (a fresh copy). */
  toContent(): TexeraWorkflowContent {
    const operatorPositions: Record<string, Point> = {};
    for (const operator of this.#operators.values()) {
      const point = this.#positions.get(operator.id);
      if (point) operatorPositions[operator.id] = { x: point.x, y: point.y };
    }
    return {
      operators: [...this.#operators.values()].map(toPredicate),
      operatorPositions,
      links: this.#links.map((link) => ({
        linkID: link.id,
        source: { operatorID: link.source.operatorId, portID: `output-${link.source.port}` },
        target: { operatorID: link.target.operatorId, portID: `input-${link.target.port}` },
      })),
      commentBoxes: [],
      settings: { dataTransferBatchSize: DATA_TRANSFER_BATCH_SIZE },
    };
  }

  /**
   * Replaces the whole workflow with `content` (Texera workflow content).
   * Checked like any change: on a problem nothing is replaced.
   *
   * @throws {WorkflowError} `bad-content`, naming the first problem.
   */
  load(content: unknown): void {
    const bad = (message: string): never => {
      throw new WorkflowError("bad-content", `Not a workflow: ${message}`);
    };
    if (!isObject(content) || !Array.isArray(content.operators) || !Array.isArray(content.links)) {
      return bad('expected an object with "operators" and "links" arrays');
    }
    const next = new WorkflowState();
    content.operators.forEach((raw: unknown, index: number) => {
      if (!isObject(raw) || typeof raw.operatorID !== "string" || raw.operatorID === "" || typeof raw.operatorType !== "string") {
        return bad(`operators[${index}] needs a string operatorID and operatorType`);
      }
      if (next.#operators.has(raw.operatorID)) bad(`operator ${raw.operatorID} appears twice`);
      const properties = raw.operatorProperties ?? {};
      if (!isObject(properties)) bad(`operatorProperties of ${raw.operatorID} must be an object`);
      next.#operators.set(raw.operatorID, {
        id: raw.operatorID,
        type: raw.operatorType,
        version: typeof raw.operatorVersion === "string" ? raw.operatorVersion : "N/A",
        displayName: typeof raw.customDisplayName === "string" ? raw.customDisplayName : raw.operatorType,
        properties: structuredClone(properties) as Record<string, unknown>,
        inputPorts: readPorts(raw.inputPorts, "input", true, raw.operatorID, bad),
        outputPorts: readPorts(raw.outputPorts, "output", false, raw.operatorID, bad),
      });
    });
    let linkNumber = 0;
    for (const raw of content.links as unknown[]) {
      const match = isObject(raw) && typeof raw.linkID === "string" ? LINK_ID.exec(raw.linkID) : null;
      if (match) linkNumber = Math.max(linkNumber, Number(match[1]));
    }
    content.links.forEach((raw: unknown, index: number) => {
      const source = isObject(raw) && isObject(raw.source) ? raw.source : undefined;
      const target = isObject(raw) && isObject(raw.target) ? raw.target : undefined;
      if (!source || !target || typeof source.operatorID !== "string" || typeof target.operatorID !== "string") {
        return bad(`links[${index}] needs source and target operators`);
      }
      const link: WorkflowLink = {
        id: isObject(raw) && typeof raw.linkID === "string" ? raw.linkID : `link-${++linkNumber}`,
        source: { operatorId: source.operatorID, port: portIndex(source.portID, "output", bad) },
        target: { operatorId: target.operatorID, port: portIndex(target.portID, "input", bad) },
      };
      if (next.#links.some((other) => other.id === link.id)) bad(`link ${link.id} appears twice`);
      try {
        next.#checkLink(link, next.#links);
      } catch (error) {
        return bad(`links[${index}] (${linkLabel(link)}): ${(error as Error).message}`);
      }
      next.#links.push(link);
    });
    const positions = isObject(content.operatorPositions) ? content.operatorPositions : {};
    const given = new Map<string, Point>();
    for (const id of next.#operators.keys()) {
      const point = positions[id];
      if (isObject(point) && Number.isFinite(point.x) && Number.isFinite(point.y)) given.set(id, { x: point.x as number, y: point.y as number });
    }
    this.#operators = next.#operators;
    this.#links = next.#links;
    // Positions the content gives are kept (the user may have arranged them); otherwise lay out.
    if (given.size === this.#operators.size) this.#positions = given;
    else this.#relayout();
  }

  // -------------------------------------------------------------------------

  /** The operator, or a `unknown-operator` error that lists the operators there are. */
  requireOperator(id: string): WorkflowOperator {
    return this.#require(id);
  }

  #require(id: string): WorkflowOperator {
    const operator = this.#operators.get(id);
    if (!operator) {
      const ids = [...this.#operators.keys()];
      throw new WorkflowError("unknown-operator", `No operator "${id}" in the workflow. ${ids.length ? `Operators: ${ids.join(", ")}` : "The workflow is empty"}.`);
    }
    return operator;
  }

  /** The links `inputs` asks for, checked against the workflow without `replaced` (the target's current incoming links). */
  #planInputs(target: WorkflowOperator, inputs: InputWiring, replaced: readonly WorkflowLink[], pending: boolean): WorkflowLink[] {
    const others = this.#links.filter((link) => !replaced.includes(link));
    const planned: WorkflowLink[] = [];
    let number = this.#maxLinkNumber();
    const ports = Object.keys(inputs).map(Number).sort((a, b) => a - b);
    for (const port of ports) {
      for (const source of inputs[port] ?? []) {
        const link: WorkflowLink = { id: `link-${++number}`, source, target: { operatorId: target.id, port } };
        this.#checkLink(link, [...others, ...planned], pending ? target : undefined);
        planned.push(link);
      }
    }
    return planned;
  }

  /** Throws when `link` cannot join a workflow whose other links are `links`. `target` is given when it is not added yet. */
  #checkLink(link: WorkflowLink, links: readonly WorkflowLink[], pendingTarget?: WorkflowOperator): void {
    const source = this.#require(link.source.operatorId);
    const target = pendingTarget ?? this.#require(link.target.operatorId);
    if (!Number.isInteger(link.target.port) || link.target.port < 0 || link.target.port >= target.inputPorts.length) {
      throw new WorkflowError("port-out-of-range", `${describe(target)} has ${portCount(target.inputPorts.length, "input")}; input port ${link.target.port} does not exist.`);
    }
    if (!Number.isInteger(link.source.port) || link.source.port < 0 || link.source.port >= source.outputPorts.length) {
      throw new WorkflowError("port-out-of-range", `${describe(source)} has ${portCount(source.outputPorts.length, "output")}; output port ${link.source.port} does not exist.`);
    }
    const into = links.filter((l) => l.target.operatorId === link.target.operatorId && l.target.port === link.target.port);
    if (into.some((l) => l.source.operatorId === link.source.operatorId && l.source.port === link.source.port)) {
      throw new WorkflowError("duplicate-link", `The link ${linkLabel(link)} already exists.`);
    }
    if (into.length > 0 && !target.inputPorts[link.target.port]?.allowMultiLinks) {
      throw new WorkflowError(
        "port-taken",
        `Input port ${link.target.port} of ${describe(target)} takes one link and already has ${into.map(linkLabel).join(", ")}.`,
      );
    }
    // A new target has no outgoing links yet, so only links into an existing operator can close a cycle.
    if (!pendingTarget) {
      const cycle = findCycle(links, link.source.operatorId, link.target.operatorId);
      if (cycle) throw new WorkflowError("cycle", `The link ${linkLabel(link)} would make a cycle: ${cycle.join(" -> ")}.`);
    }
  }

  #maxLinkNumber(): number {
    let max = 0;
    for (const link of this.#links) {
      const match = LINK_ID.exec(link.id);
      if (match) max = Math.max(max, Number(match[1]));
    }
    return max;
  }

  #relayout(): void {
    this.#positions = layoutDag(
      [...this.#operators.keys()],
      this.#links.map((link) => ({ source: link.source.operatorId, target: link.target.operatorId })),
    );
  }
}

/** Depth-first from the target along `links`, looking for the source. */
function findCycle(links: readonly WorkflowLink[], sourceId: string, targetId: string): string[] | undefined {
  if (sourceId === targetId) return [sourceId, sourceId];
  const parent = new Map<string, string>();
  const stack = [targetId];
  const seen = new Set(stack);
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const link of links) {
      if (link.source.operatorId !== current) continue;
      const next = link.target.operatorId;
      if (seen.has(next)) continue;
      seen.add(next);
      parent.set(next, current);
      if (next === sourceId) {
        const path = [sourceId];
        for (let at = sourceId; at !== targetId;) {
          at = parent.get(at)!;
          path.unshift(at);
        }
        return [...path, targetId];
      }
      stack.push(next);
    }
  }
  return undefined;
}

function toPredicate(operator: WorkflowOperator): TexeraOperatorPredicate {
  return {
    operatorID: operator.id,
    operatorType: operator.type,
    operatorVersion: operator.version,
    operatorProperties: structuredClone(operator.properties) as Record<string, unknown>,
    inputPorts: operator.inputPorts.map((port, index) => ({
      portID: `input-${index}`,
      ...(port.displayName ? { displayName: port.displayName } : {}),
      disallowMultiInputs: !port.allowMultiLinks,
      isDynamicPort: false,
      dependencies: [],
    })),
    outputPorts: operator.outputPorts.map((port, index) => ({
      portID: `output-${index}`,
      ...(port.displayName ? { displayName: port.displayName } : {}),
      isDynamicPort: false,
    })),
    showAdvanced: false,
    isDisabled: false,
    customDisplayName: operator.displayName,
  };
}

function readPorts(value: unknown, kind: "input" | "output", input: boolean, operatorId: string, bad: (m: string) => never): PortSpec[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return bad(`${kind}Ports of ${operatorId} must be an array`);
  return value.map((port: unknown, index) => {
    if (!isObject(port)) return bad(`${kind}Ports[${index}] of ${operatorId} must be an object`);
    const multi = input && (port.disallowMultiInputs === false || port.allowMultiInputs === true || port.allowMultiLinks === true);
    return {
      ...(typeof port.displayName === "string" && port.displayName ? { displayName: port.displayName } : {}),
      ...(multi ? { allowMultiLinks: true } : {}),
    };
  });
}

function portIndex(portId: unknown, kind: "input" | "output", bad: (m: string) => never): number {
  const match = typeof portId === "string" ? new RegExp(`^${kind}-(\\d+)$`).exec(portId) : null;
  if (!match) return bad(`port ${JSON.stringify(portId)} is not an ${kind} port id like "${kind}-0"`);
  return Number(match[1]);
}

function describe(operator: WorkflowOperator): string {
  return `${operator.id} (${operator.type})`;
}

function portCount(count: number, kind: string): string {
  if (count === 0) return `no ${kind} port`;
  return `${count} ${kind} port${count === 1 ? "" : "s"} (${Array.from({ length: count }, (_, i) => i).join(", ")})`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
