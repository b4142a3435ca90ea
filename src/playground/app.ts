/**
 * The playground page: sign in with a token (pasted, or minted in development
 * mode), see the models, create, select and delete agents, chat with streamed
 * text and tool steps, stop a run, and watch the workflow the agent builds.
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
  type ToolResultRecord,
} from "../client/index.ts";
import { layoutWorkflow, parseWorkflow, renderWorkflowSvg } from "./workflow-graph.ts";

const TOKEN_KEY = "agent-service.playground.token";

interface PlaygroundConfig {
  devTokens: boolean;
  apiPrefix: string;
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

const ui = {
  connection: byId("connection"),
  whoami: byId("whoami"),
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
  toast: byId("toast"),
};

// --- token -------------------------------------------------------------------

const readToken = (): string => sessionStorage.getItem(TOKEN_KEY) ?? "";

function storeToken(token: string): void {
  const clean = token.trim().replace(/^Bearer\s+/i, "");
  if (clean) sessionStorage.setItem(TOKEN_KEY, clean);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The token's `exp`, read from its payload (display only: the server verifies). */
function tokenExpiry(token: string): Date | undefined {
  try {
    const payload = token.split(".")[1] ?? "";
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? new Date(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

// --- state -------------------------------------------------------------------

let client: AgentClient;
let config: PlaygroundConfig = { devTokens: false, apiPrefix: "/api" };
let agents: AgentInfo[] = [];
let selectedId: string | undefined;
let connection: ReactConnection | undefined;
let steps: ReActStep[] = [];
let agentState: AgentState | undefined;
let workflowTimer: ReturnType<typeof setTimeout> | undefined;
let toastTimer: ReturnType<typeof setTimeout> | undefined;

function describeError(error: unknown): string {
  if (error instanceof AgentClientError) {
    if (error.status === 401) return "The token was refused (401 Unauthorized): paste or mint a new one.";
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

/** Runs an async UI action; a failure becomes a toast, never an unhandled rejection. */
function act(action: () => Promise<void>): void {
  action().catch((error: unknown) => toast(describeError(error), "error"));
}

// --- sign-in, models, agents ---------------------------------------------------

async function signIn(): Promise<void> {
  const previous = selectedId;
  closeConnection();
  const token = readToken();
  ui.tokenInput.value = "";
  ui.tokenInput.placeholder = token ? "stored · paste to replace" : "eyJhbGciOiJIUzI1NiIs…";
  if (!token) {
    ui.whoami.textContent = "not signed in";
    ui.tokenStatus.textContent = config.devTokens ? "Paste a token, or mint one below." : "Paste a token to start.";
    ui.tokenStatus.classList.remove("error");
    renderModels(undefined);
    agents = [];
    renderAgents();
    selectAgent(undefined);
    return;
  }
  try {
    const user = await client.whoami();
    const expiry = tokenExpiry(token);
    ui.whoami.textContent = `${user.name} · uid ${user.uid} · ${user.role}`;
    ui.tokenStatus.textContent = expiry ? `Signed in; the token expires at ${expiry.toLocaleTimeString()}.` : "Signed in.";
    ui.tokenStatus.classList.remove("error");
  } catch (error) {
    ui.whoami.textContent = "not signed in";
    ui.tokenStatus.textContent = describeError(error);
    ui.tokenStatus.classList.add("error");
    return;
  }
  await Promise.all([refreshModels(), refreshAgents()]);
  // Same agent, new token (e.g. after the old one expired): reconnect to it.
  if (previous && agents.some((agent) => agent.id === previous)) selectAgent(previous);
}

async function refreshModels(): Promise<void> {
  try {
    const list = await client.listModels({ details: true });
    renderModels(list.data.map((model) => ({ id: model.id, tags: modelTags(model.details, model.owned_by) })));
  } catch (error) {
    renderModels(undefined, describeError(error));
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
  agents = await client.listAgents();
  renderAgents();
  if (selectedId && !agents.some((agent) => agent.id === selectedId)) selectAgent(undefined);
}

function renderAgents(): void {
  ui.agentList.replaceChildren();
  if (agents.length === 0) {
    ui.agentList.append(h("li", "hint", readToken() ? "No agents yet." : ""));
    return;
  }
  for (const agent of agents) {
    const item = h("li");
    item.dataset.agentId = agent.id;
    item.classList.toggle("selected", agent.id === selectedId);
    const pick = h("button", "pick");
    pick.type = "button";
    pick.append(h("span", undefined, agent.name), h("small", undefined, `${agent.modelType} · ${agent.state}`));
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
  agentState = undefined;
  renderAgents();
  renderSteps();
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
    renderSteps();
    setAgentState(event.state);
  });
  current.on("state", (event) => setAgentState(event.state));
  current.on("delta", (event) => appendDelta(event.messageId, event.stepId, event.text));
  current.on("step", (event) => {
    addStep(event.step);
    scheduleWorkflowRefresh();
  });
  current.on("complete", (event) => {
    setAgentState(event.state);
    scheduleWorkflowRefresh();
    act(refreshAgents);
  });
  current.on("error", (event) => toast(event.error, "error"));
  current.on("headChange", (event) => {
    steps = event.steps;
    renderSteps();
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
  agentState = state;
  ui.agentState.dataset.state = state ?? "idle";
  ui.agentState.textContent = state ?? "";
  updateComposer();
}

function updateComposer(): void {
  const usable = connection !== undefined && connection.status.state !== "closed";
  const busy = agentState === "GENERATING" || agentState === "STOPPING";
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
  for (const step of steps) ui.messages.append(stepElement(step));
  scrollDown(true);
}

function addStep(step: ReActStep): void {
  const follow = atBottom();
  ui.messages.querySelector(".empty")?.remove();
  ui.messages.querySelector(`[data-stream="${CSS.escape(`${step.messageId}:${step.stepId}`)}"]`)?.remove();
  const index = steps.findIndex((s) => s.id === step.id);
  const element = stepElement(step);
  const existing = ui.messages.querySelector(`[data-step-id="${CSS.escape(step.id)}"]`);
  if (index >= 0) steps[index] = step;
  else steps.push(step);
  if (existing) existing.replaceWith(element);
  else ui.messages.append(element);
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

function stepElement(step: ReActStep): HTMLElement {
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
  if (step.usage) meta.append(h("span", undefined, `${step.usage.totalTokens} tokens`));
  if (step.stopped) meta.append(h("span", "flag stopped", "stopped"));
  if (step.error) meta.append(h("span", "flag failed", "failed"));
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
    throw new AgentClientError(typeof body.error === "string" ? body.error : `HTTP ${response.status}`, { status: response.status, code: "http", body });
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

/**
 * `npm run demo` prints the page's URL with `#token=…`: a fragment never
 * reaches a server or its logs. Take it into sessionStorage and drop it from
 * the address bar at once.
 */
function takeTokenFromFragment(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return;
  storeToken(decodeURIComponent(match[1]));
  history.replaceState(null, "", location.pathname + location.search);
}

async function main(): Promise<void> {
  takeTokenFromFragment();
  config = await loadConfig();
  client = new AgentClient({ baseUrl: config.apiPrefix, getToken: readToken });
  ui.mintForm.hidden = !config.devTokens;
  wire();
  await signIn();
  document.body.dataset.ready = "true";
}

act(main);
