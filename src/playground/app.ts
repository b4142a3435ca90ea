/**
 * The playground page: sign in with a token (pasted, or minted in development
 * mode), see the models, create, select and delete agents, chat with streamed
 * text and tool steps, stop a run, watch the workflow the agent builds, and
 * move about the conversation's step tree (check out an earlier step, see
 * where it branched and which branch is current).
 *
 * Security: the token lives in this tab's sessionStorage only, is never put
 * in the page's URL and never logged; every text from the server or the
 * model goes into the DOM as text (no markup strings anywhere).
 *
 * Compiled by `scripts/build-playground.ts` into `dist/app.js`, which
 * imports the client from `./client.js`.
 *
 * @module
 */
import {
  AgentClient,
  AgentClientError,
  type AgentInfo,
  type AgentState,
  type ConnectionStatus,
  type ReactConnection,
  type ReActStep,
} from "../client/index.ts";
import { h } from "./dom.ts";
import { stepElement as renderStep } from "./messages.ts";
import { buildStepTree, forksOnPath, type StepTree } from "./step-tree.ts";
import { branchMarker, renderStepTree, type StepTreeActions } from "./step-tree-view.ts";
import { readToken, refusedBecause, storeToken, takeTokenFromFragment, tokenExpiry } from "./token.ts";
import { runTotals, todayText } from "./usage-view.ts";
import { layoutWorkflow, parseWorkflow, renderWorkflowSvg } from "./workflow-graph.ts";

interface PlaygroundConfig {
  devTokens: boolean;
  apiPrefix: string;
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

const ui = {
  connection: byId("connection"),
  whoami: byId("whoami"),
  usageToday: byId("usage-today"),
  tokenForm: byId<HTMLFormElement>("token-form"),
  tokenInput: byId<HTMLInputElement>("token-input"),
  tokenForget: byId<HTMLButtonElement>("token-forget"),
  tokenStatus: byId("token-status"),
  mintForm: byId<HTMLFormElement>("mint-form"),
  mintName: byId<HTMLInputElement>("mint-name"),
  modelList: byId<HTMLUListElement>("model-list"),
  createForm: byId<HTMLFormElement>("create-form"),
  agentName: byId<HTMLInputElement>("agent-name"),
  agentModel: byId<HTMLSelectElement>("agent-model"),
  createButton: byId<HTMLButtonElement>("create-agent"),
  agentList: byId<HTMLUListElement>("agent-list"),
  chatTitle: byId("chat-title"),
  agentState: byId("agent-state"),
  messages: byId("messages"),
  composer: byId<HTMLFormElement>("composer"),
  message: byId<HTMLTextAreaElement>("message"),
  send: byId<HTMLButtonElement>("send"),
  stop: byId<HTMLButtonElement>("stop"),
  graph: byId("workflow-graph"),
  workflowNote: byId("workflow-note"),
  stepTree: byId("step-tree"),
  treeNote: byId("tree-note"),
  toast: byId("toast"),
};

// --- state -------------------------------------------------------------------

let client: AgentClient;
let config: PlaygroundConfig = { devTokens: false, apiPrefix: "/api" };
let agents: AgentInfo[] = [];
let selectedId: string | undefined;
let connection: ReactConnection | undefined;
/** The path from the root to HEAD: the conversation as it is now. */
let steps: ReActStep[] = [];
/** Older steps of the conversation exist before `steps` (the socket's init said `more`). */
let earlier = false;
/** Every step of the agent (all branches), and HEAD: the step tree. */
let allSteps: ReActStep[] = [];
let headId: string | null = null;
/** Answers to older tree requests are dropped. */
let treeTicket = 0;
/** Bumped at every sign-in and sign-out: answers meant for an earlier one are dropped. */
let session = 0;
/** The token was accepted (whoami answered). */
let signedIn = false;
let agentState: AgentState | undefined;
let workflowTimer: ReturnType<typeof setTimeout> | undefined;
let toastTimer: ReturnType<typeof setTimeout> | undefined;

function describeError(error: unknown): string {
  if (error instanceof AgentClientError) {
    if (error.status === 401) return refusedBecause(error.reason);
    if (error.status === 403) return "This token's role may not use agents (403 Forbidden).";
    return error.status ? `${error.message} (HTTP ${error.status})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

function toast(message: string, kind: "info" | "error" = "info"): void {
  ui.toast.textContent = message;
  ui.toast.classList.toggle("error", kind === "error");
  ui.toast.hidden = false;
  if (toastTimer !== undefined) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (ui.toast.hidden = true), kind === "error" ? 6000 : 3000);
}

/**
 * Runs an async UI action; a failure becomes a toast, never an unhandled
 * rejection. A refused token (401) also signs out, so nothing of the
 * previous user stays on screen.
 */
function act(action: () => Promise<void>): void {
  action().catch((error: unknown) => {
    toast(describeError(error), "error");
    if (error instanceof AgentClientError && error.status === 401) showSignedOut(describeError(error));
  });
}

// --- sign-in, models, agents ---------------------------------------------------

async function signIn(): Promise<void> {
  const previous = selectedId;
  session++;
  closeConnection();
  const token = readToken();
  ui.tokenInput.value = "";
  ui.tokenInput.placeholder = token ? "stored · paste to replace" : "eyJhbGciOiJIUzI1NiIs…";
  if (!token) {
    showSignedOut(config.devTokens ? "Paste a token, or mint one below." : "Paste a token to start.", false);
    return;
  }
  try {
    const user = await client.whoami();
    const expiry = tokenExpiry(token);
    signedIn = true;
    ui.whoami.textContent = `${user.name} · uid ${user.uid} · ${user.role}`;
    ui.tokenStatus.textContent = expiry ? `Signed in; the token expires at ${expiry.toLocaleTimeString()}.` : "Signed in.";
    ui.tokenStatus.classList.remove("error");
  } catch (error) {
    showSignedOut(describeError(error));
    return;
  }
  await Promise.all([refreshModels(), refreshAgents(), refreshUsage()]);
  // Same agent, new token (e.g. after the old one expired): reconnect to it.
  if (previous && agents.some((agent) => agent.id === previous)) selectAgent(previous);
}

/**
 * No one is signed in (no token, or it was refused): nothing of the previous
 * user stays on screen (models, agents, conversation, workflow, step tree),
 * and "Create agent" is off.
 */
function showSignedOut(message: string, isError = true): void {
  session++;
  signedIn = false;
  ui.whoami.textContent = "not signed in";
  ui.usageToday.textContent = "";
  ui.usageToday.hidden = true;
  ui.tokenStatus.textContent = message;
  ui.tokenStatus.classList.toggle("error", isError);
  renderModels(undefined);
  agents = [];
  renderAgents();
  selectAgent(undefined);
}

/** The user's tokens and cost today (and the daily limits), in the top bar. */
async function refreshUsage(): Promise<void> {
  const mine = session;
  try {
    const usage = await client.getUsage();
    if (mine !== session) return;
    const shown = todayText(usage);
    ui.usageToday.textContent = shown.text;
    ui.usageToday.title = shown.title;
    ui.usageToday.classList.toggle("exceeded", shown.exceeded);
    ui.usageToday.hidden = false;
  } catch {
    // The usage line is extra: a failure here must not get in the way of chatting.
    if (mine === session) ui.usageToday.hidden = true;
  }
}

async function refreshModels(): Promise<void> {
  const mine = session;
  try {
    const list = await client.listModels({ details: true });
    if (mine === session) renderModels(list.data.map((model) => ({ id: model.id, tags: modelTags(model.details, model.owned_by) })));
  } catch (error) {
    if (mine === session) renderModels(undefined, describeError(error));
  }
}

function modelTags(details: { provider?: string; supportsFunctionCalling?: boolean } | undefined, owner: string | undefined): string[] {
  const tags: string[] = [];
  if (details?.provider) tags.push(details.provider);
  else if (owner) tags.push(owner);
  if (details?.supportsFunctionCalling) tags.push("tools");
  return tags;
}

function renderModels(models: { id: string; tags: string[] }[] | undefined, error?: string): void {
  ui.modelList.replaceChildren();
  const previous = ui.agentModel.value;
  ui.agentModel.replaceChildren();
  if (!models || models.length === 0) {
    const note = h("li", error ? "hint error" : "hint", error ?? (models ? "LiteLLM lists no models." : "Sign in to see the models."));
    ui.modelList.append(note);
    ui.createButton.disabled = true;
    return;
  }
  for (const model of models) {
    const item = h("li");
    item.dataset.model = model.id;
    item.append(h("code", undefined, model.id), ...model.tags.map((tag) => h("span", "tag", tag)));
    ui.modelList.append(item);
    const option = h("option", undefined, model.id);
    option.value = model.id;
    ui.agentModel.append(option);
  }
  if (models.some((model) => model.id === previous)) ui.agentModel.value = previous;
  ui.createButton.disabled = false;
}

async function refreshAgents(): Promise<void> {
  const mine = session;
  const list = await client.listAgents();
  // An answer for a previous sign-in (another user's agents) is dropped.
  if (mine !== session) return;
  agents = list;
  renderAgents();
  if (selectedId && !agents.some((agent) => agent.id === selectedId)) selectAgent(undefined);
}

function renderAgents(): void {
  ui.agentList.replaceChildren();
  if (agents.length === 0) {
    ui.agentList.append(h("li", "hint", signedIn ? "No agents yet." : ""));
    return;
  }
  for (const agent of agents) {
    const item = h("li");
    item.dataset.agentId = agent.id;
    item.classList.toggle("selected", agent.id === selectedId);
    const pick = h("button", "pick");
    pick.type = "button";
    // The state is a badge of its own: a long model name must not cut it off.
    const top = h("span", "pick-top");
    const state = h("span", "badge agent-state", agent.state);
    state.dataset.state = agent.state;
    top.append(h("span", "pick-name", agent.name), state);
    pick.append(top, h("small", "pick-model", agent.modelType));
    pick.addEventListener("click", () => selectAgent(agent.id));
    const remove = h("button", "delete", "✕");
    remove.type = "button";
    remove.title = `Delete ${agent.name}`;
    remove.setAttribute("aria-label", `Delete ${agent.name}`);
    remove.addEventListener("click", () =>
      act(async () => {
        await client.deleteAgent(agent.id);
        toast(`Deleted ${agent.name}.`);
        if (selectedId === agent.id) selectAgent(undefined);
        await refreshAgents();
      })
    );
    item.append(pick, remove);
    ui.agentList.append(item);
  }
}

// --- the conversation ------------------------------------------------------------

function closeConnection(): void {
  void connection?.close();
  connection = undefined;
}

function selectAgent(agentId: string | undefined): void {
  closeConnection();
  selectedId = agentId;
  steps = [];
  allSteps = [];
  headId = null;
  treeTicket++;
  agentState = undefined;
  renderAgents();
  renderSteps();
  renderTree();
  setAgentState(undefined);
  const agent = agents.find((a) => a.id === agentId);
  ui.chatTitle.textContent = agent ? `${agent.name} · ${agent.modelType}` : "No agent selected";
  if (!agentId) {
    setConnection("idle", "no agent");
    renderWorkflow(undefined, "No agent selected.");
    return;
  }
  const current = client.connect(agentId);
  connection = current;
  current.onStatus((status) => {
    if (connection === current) showStatus(status);
  });
  current.on("init", (event) => {
    steps = event.steps;
    earlier = event.more === true;
    // The path until the whole tree arrives.
    allSteps = [...event.steps];
    headId = event.headId;
    setAgentState(event.state);
    renderSteps();
    refreshTree();
  });
  current.on("state", (event) => setAgentState(event.state));
  current.on("delta", (event) => appendDelta(event.messageId, event.stepId, event.text));
  current.on("step", (event) => {
    addToTree(event.step);
    addStep(event.step);
    scheduleWorkflowRefresh();
  });
  current.on("complete", (event) => {
    setAgentState(event.state);
    scheduleWorkflowRefresh();
    refreshTree();
    act(refreshAgents);
    void refreshUsage();
  });
  current.on("error", (event) => {
    toast(event.error, "error");
    if (event.code === "quota_exceeded") void refreshUsage();
  });
  // A checkout (from this tab or another) or a clear: the conversation, the workflow and the tree follow.
  current.on("headChange", (event) => {
    steps = event.steps;
    earlier = event.more === true;
    headId = event.headId;
    if (event.headId === null) allSteps = [];
    renderSteps();
    renderTree();
    refreshTree();
    const workflow = parseWorkflow(event.workflowContent);
    if (workflow) renderWorkflow(workflow);
    else scheduleWorkflowRefresh();
  });
  scheduleWorkflowRefresh(0);
}

function showStatus(status: ConnectionStatus): void {
  switch (status.state) {
    case "open":
      setConnection("open", "connected");
      break;
    case "connecting":
      setConnection("connecting", "connecting…");
      break;
    case "reconnecting": {
      // The client asks getToken() again before each attempt: pasting or minting a new token is enough.
      const stale = (tokenExpiry(readToken())?.getTime() ?? Number.POSITIVE_INFINITY) <= Date.now();
      const why = stale
        ? "token expired: paste or mint a new one"
        : status.closeCode === 4401
        ? "token expired"
        : status.closeCode
        ? `closed ${status.closeCode}`
        : "connection failed";
      const wait = status.delayMs ? ` in ${Math.max(1, Math.round(status.delayMs / 1000))} s` : "";
      setConnection("reconnecting", `reconnecting${wait} (${why})`);
      break;
    }
    case "closed":
      setConnection("closed", status.error ? `closed: ${status.error.message}` : "closed");
      updateComposer();
      break;
  }
}

function setConnection(state: string, text: string): void {
  ui.connection.dataset.state = state;
  ui.connection.textContent = text;
  updateComposer();
}

function setAgentState(state: AgentState | undefined): void {
  const wasBusy = isBusy();
  agentState = state;
  ui.agentState.dataset.state = state ?? "idle";
  ui.agentState.textContent = state ?? "";
  updateComposer();
  // The sidebar shows the selected agent's state as it changes, not only after the run.
  const listed = agents.find((agent) => agent.id === selectedId);
  if (listed && state && listed.state !== state) {
    listed.state = state;
    renderAgents();
  }
  // Checkout buttons are off while a run is going.
  if (wasBusy !== isBusy()) {
    renderTree();
    for (const button of ui.messages.querySelectorAll<HTMLButtonElement>(".checkout, .branch-marker button")) {
      button.disabled = isBusy() || button.dataset.edge === "true";
    }
  }
}

function isBusy(): boolean {
  return agentState === "GENERATING" || agentState === "STOPPING";
}

function updateComposer(): void {
  const usable = connection !== undefined && connection.status.state !== "closed";
  const busy = isBusy();
  ui.message.disabled = !usable;
  ui.send.disabled = !usable || busy;
  ui.stop.disabled = !usable || agentState !== "GENERATING";
}

function atBottom(): boolean {
  const box = ui.messages;
  return box.scrollHeight - box.scrollTop - box.clientHeight < 40;
}

function scrollDown(force = false): void {
  if (force || atBottom()) ui.messages.scrollTop = ui.messages.scrollHeight;
}

function renderSteps(): void {
  ui.messages.replaceChildren();
  if (steps.length === 0) {
    ui.messages.append(h("p", "hint empty", selectedId ? "No messages yet. Say something." : "Create or select an agent, then say something."));
    return;
  }
  const forks = new Map(forksOnPath(currentTree()).map((fork) => [fork.node.step.id, fork]));
  // The socket's init carries the latest steps; older ones come a page at a time.
  if (earlier) {
    const more = h("button", "earlier", "Show earlier messages");
    more.type = "button";
    more.addEventListener("click", () => act(showEarlier));
    ui.messages.append(more);
  }
  steps.forEach((step, index) => {
    const fork = forks.get(step.id);
    if (fork) ui.messages.append(branchMarker(fork, treeActions()));
    ui.messages.append(stepElement(step, index === steps.length - 1));
  });
  scrollDown(true);
}

/** Prepends the page of the conversation before the first step shown. */
async function showEarlier(): Promise<void> {
  const agentId = selectedId;
  const first = steps[0];
  if (!agentId || !first) return;
  const page = await client.conversation(agentId, { before: first.id, limit: 100 });
  if (selectedId !== agentId || steps[0] !== first) return;
  const height = ui.messages.scrollHeight;
  steps = [...page.steps, ...steps];
  earlier = page.more;
  renderSteps();
  // Keep what the reader was looking at where it was.
  ui.messages.scrollTop = ui.messages.scrollHeight - height;
}

function addStep(step: ReActStep): void {
  const follow = atBottom();
  ui.messages.querySelector(".empty")?.remove();
  ui.messages.querySelector(`[data-stream="${CSS.escape(`${step.messageId}:${step.stepId}`)}"]`)?.remove();
  const index = steps.findIndex((s) => s.id === step.id);
  const existing = ui.messages.querySelector(`[data-step-id="${CSS.escape(step.id)}"]`);
  if (index >= 0) {
    steps[index] = step;
    existing?.replaceWith(stepElement(step, index === steps.length - 1));
  } else {
    // The new step is HEAD: the previous one gets its checkout button.
    const previous = steps.at(-1);
    steps.push(step);
    if (previous) ui.messages.querySelector(`[data-step-id="${CSS.escape(previous.id)}"]`)?.replaceWith(stepElement(previous, false));
    // A message sent from a checked-out step starts a branch: mark it.
    const fork = forksOnPath(currentTree()).find((f) => f.node.step.id === step.id);
    if (fork) ui.messages.append(branchMarker(fork, treeActions()));
    ui.messages.append(stepElement(step, true));
  }
  scrollDown(follow);
}

function appendDelta(messageId: string, stepId: number, text: string): void {
  const follow = atBottom();
  const key = `${messageId}:${stepId}`;
  let element = ui.messages.querySelector<HTMLElement>(`[data-stream="${CSS.escape(key)}"]`);
  if (!element) {
    ui.messages.querySelector(".empty")?.remove();
    element = h("div", "msg agent streaming");
    element.dataset.stream = key;
    element.dataset.role = "agent";
    element.append(h("div", "bubble"));
    ui.messages.append(element);
  }
  element.querySelector(".bubble")?.append(text);
  scrollDown(follow);
}

function stepElement(step: ReActStep, isHead: boolean): HTMLElement {
  const actions = treeActions();
  // The step that ends a run shows the run's totals (its steps are on the page before it).
  const run = step.role === "agent" && step.isEnd ? runTotals(steps, step.messageId) : undefined;
  return renderStep(step, { isHead, busy: actions.busy, checkout: actions.checkout, ...(run ? { run } : {}) });
}

// --- the step tree ------------------------------------------------------------------

function currentTree(): StepTree {
  return buildStepTree(allSteps, headId);
}

function treeActions(): StepTreeActions {
  return {
    busy: isBusy(),
    checkout: (stepId) => {
      const agentId = selectedId;
      if (!agentId) return;
      // The service answers every socket of the agent with headChange: the page follows from there.
      act(async () => {
        await client.checkout(agentId, stepId);
      });
    },
  };
}

/** A step just made (or updated) by a run: it joins the tree, and a new one becomes HEAD. */
function addToTree(step: ReActStep): void {
  const index = allSteps.findIndex((s) => s.id === step.id);
  if (index >= 0) allSteps[index] = step;
  else {
    allSteps.push(step);
    headId = step.id;
  }
  renderTree();
}

function renderTree(): void {
  const tree = currentTree();
  renderStepTree(ui.stepTree, tree, treeActions());
  const forks = forksOnPath(tree).length;
  ui.treeNote.textContent = !selectedId
    ? "No agent selected."
    : tree.byId.size === 0
    ? "No steps yet."
    : `${tree.byId.size} ${tree.byId.size === 1 ? "step" : "steps"}, ${forks === 0 ? "one branch" : `branched ${forks} ${forks === 1 ? "time" : "times"} on the way to HEAD`}. Click a step to go back to it.`;
}

function markersOf(tree: StepTree): string {
  return forksOnPath(tree).map((fork) => `${fork.node.step.id}:${fork.branch}/${fork.siblings.length}`).join(" ");
}

function markersOnPage(): string {
  return [...ui.messages.querySelectorAll<HTMLElement>(".branch-marker")]
    .map((marker) => `${marker.dataset.forkStepId}:${marker.dataset.branch}/${marker.dataset.branches}`)
    .join(" ");
}

/** Fetches the whole tree (every branch): the socket sends only the path to HEAD. */
function refreshTree(): void {
  const agentId = selectedId;
  if (!agentId) return;
  const ticket = ++treeTicket;
  client.getSteps(agentId).then(
    (answer) => {
      if (ticket !== treeTicket || selectedId !== agentId) return;
      allSteps = answer.steps;
      headId = answer.headId;
      renderTree();
      // Branch markers in the conversation need the siblings only the tree knows:
      // redraw it when they change (not otherwise: that would lose the reader's scroll).
      if (!isBusy() && markersOf(currentTree()) !== markersOnPage()) renderSteps();
    },
    (error: unknown) => {
      if (ticket === treeTicket && selectedId === agentId) ui.treeNote.textContent = describeError(error);
    },
  );
}

// --- the workflow ------------------------------------------------------------------

function scheduleWorkflowRefresh(delayMs = 150): void {
  if (workflowTimer !== undefined) clearTimeout(workflowTimer);
  workflowTimer = setTimeout(() => {
    workflowTimer = undefined;
    const agentId = selectedId;
    if (!agentId) return;
    client.getAgent(agentId).then(
      (details) => {
        if (selectedId !== agentId) return;
        const workflow = parseWorkflow(details.workflow);
        renderWorkflow(workflow, workflow ? undefined : "This agent has no workflow: it was created without the workflow copilot.");
      },
      (error: unknown) => {
        if (selectedId === agentId) renderWorkflow(undefined, describeError(error));
      },
    );
  }, delayMs);
}

function renderWorkflow(workflow: ReturnType<typeof parseWorkflow>, note?: string): void {
  ui.graph.replaceChildren();
  if (!workflow) {
    ui.workflowNote.textContent = note ?? "No workflow.";
    return;
  }
  if (workflow.operators.length === 0) {
    ui.workflowNote.textContent = "The workflow is empty: ask the agent to build something.";
    return;
  }
  ui.graph.append(renderWorkflowSvg(layoutWorkflow(workflow), document));
  const operators = workflow.operators.length;
  const links = workflow.links.length;
  ui.workflowNote.textContent = `${operators} ${operators === 1 ? "operator" : "operators"}, ${links} ${links === 1 ? "link" : "links"}.`;
}

// --- wiring ------------------------------------------------------------------------

async function loadConfig(): Promise<PlaygroundConfig> {
  try {
    const response = await fetch("config", { headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = (await response.json()) as Partial<PlaygroundConfig>;
    return { devTokens: body.devTokens === true, apiPrefix: typeof body.apiPrefix === "string" ? body.apiPrefix : "/api" };
  } catch {
    // Served without the config route: assume the defaults.
    return { devTokens: false, apiPrefix: "/api" };
  }
}

async function mintToken(name: string): Promise<string> {
  const response = await fetch(`${config.apiPrefix}/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ name }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; error?: unknown };
  if (!response.ok || typeof body.token !== "string") {
    throw new AgentClientError(typeof body.error === "string" ? body.error : `HTTP ${response.status}`, { status: response.status, kind: "http", body });
  }
  return body.token;
}

function wire(): void {
  ui.tokenForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const pasted = ui.tokenInput.value;
    if (!pasted.trim()) {
      ui.tokenStatus.textContent = "Paste a token first.";
      return;
    }
    storeToken(pasted);
    act(signIn);
  });
  ui.tokenForget.addEventListener("click", () => {
    storeToken("");
    act(signIn);
  });
  ui.mintForm.addEventListener("submit", (event) => {
    event.preventDefault();
    act(async () => {
      storeToken(await mintToken(ui.mintName.value.trim() || "dev"));
      await signIn();
    });
  });
  ui.createForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const modelType = ui.agentModel.value;
    if (!modelType) return;
    const name = ui.agentName.value.trim();
    act(async () => {
      ui.createButton.disabled = true;
      try {
        const agent = await client.createAgent({ modelType, ...(name ? { name } : {}) });
        ui.agentName.value = "";
        await refreshAgents();
        selectAgent(agent.id);
      } finally {
        ui.createButton.disabled = false;
      }
    });
  });
  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.message.value.trim();
    if (!text || !connection || ui.send.disabled) return;
    try {
      connection.send(text);
      ui.message.value = "";
    } catch (error) {
      toast(describeError(error), "error");
    }
  });
  ui.message.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  ui.stop.addEventListener("click", () => {
    const current = connection;
    if (!current) return;
    ui.stop.disabled = true;
    act(() => current.stop());
  });
}

async function main(): Promise<void> {
  takeTokenFromFragment();
  config = await loadConfig();
  client = new AgentClient({ baseUrl: config.apiPrefix, getToken: readToken });
  ui.mintForm.hidden = !config.devTokens;
  wire();
  // Opening the demo URL in a tab that already shows the page changes only
  // the fragment: no reload, so the new token is taken here.
  addEventListener("hashchange", () => {
    if (takeTokenFromFragment()) act(signIn);
  });
  await signIn();
  document.body.dataset.ready = "true";
}

act(main);
