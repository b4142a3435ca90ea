/**
 * Soak: N users, each with an agent and an open `/react` socket, run
 * conversations with tool calls against the scripted upstream for a set
 * time, against a real service process (`src/main.ts`, file store in a temp
 * directory) on Node or Deno. It fails (exit 1) on any lost, duplicated or
 * out-of-order event, on a run that neither completes nor ends stopped, when
 * the service's memory grows past the bound, or when its file descriptors
 * grow.
 *
 *   npm run soak                                        # 200 users, 5 minutes, Node
 *   SOAK_USERS=20 SOAK_SECONDS=30 SOAK_RUNTIME=deno npm run soak
 *   npx tsx scripts/soak.ts --users 50 --seconds 60 --runtime all
 *   SOAK_REPLICAS=node,deno,node npm run soak           # three replicas on one PostgreSQL database
 *
 * With several replicas (AGENT_STORE=postgres, a database made for the run
 * on TEST_DATABASE_URL's server, default 127.0.0.1:5432), each user's agent
 * is made on one replica, its runs go through a socket on the next, its
 * clears through the REST API of the one after, where a second socket must
 * see exactly the same events as the first; memory and descriptors are
 * bounded per replica.
 *
 * What a user does, in a loop until the time is up (with a pause of up to
 * SOAK_THINK_MS, default 300, between runs):
 * - sends a message that scripts its run: 0, 1 or 2 model calls that call a
 *   tool (the toolkit's `getWorkflow` when the agents have it, else an
 *   unknown tool, which the loop answers with `[ERROR] Unknown tool` and goes
 *   on: the tool path either way), then a streamed answer; the tool-call
 *   chunks rotate through LiteLLM's re-chunking shapes;
 * - every 5th run streams a long answer slowly and is stopped at its first
 *   delta: it must end with the stopped step;
 * - every 10th run, clears the conversation (`POST /clear`; a `headChange`
 *   must arrive), so the agent's record stays bounded like a real user's.
 *
 * Every event is checked, in order: `state` GENERATING, the user `step`
 * (its content, parent = the previous HEAD), then per model call its
 * `delta`s and its agent `step` (same messageId, stepId counting up, parent =
 * the previous step, content = the concatenated deltas = the scripted text,
 * the tool call and its result), then `complete`; for stopped runs `state`
 * STOPPING and a stopped step whose deltas were a prefix of the answer. No
 * step id twice, no event outside a run but the expected `headChange`. At
 * the end, each agent's stored steps (`GET /react-steps`) must be exactly the
 * steps its socket saw since the last clear, and SIGTERM must close every
 * socket with 1001 and exit 0.
 *
 * Memory and file descriptors of the service process (/proc/<pid>) are
 * sampled with every user idle (runs finished), after the warm-up (the first
 * 20% of the time, 5 to 60 s) and at the end. Bound: the end RSS may exceed
 * the warm-up RSS by at most max(64 MiB, 25%). Why: after the warm-up every
 * agent has been through a clear, so the live state (sockets, agents, at most
 * 10 runs of steps per agent, the token cache) is at its steady size, and
 * what is left is the garbage collector's slack: RSS moved by 20 to 30 MiB
 * between samples in the 5-minute runs (V8 grows and returns its heap in
 * steps). At the ~135 runs/s of 200 users here, the 4 minutes after the
 * warm-up are ~32,000 runs: a leak of ~3 KiB per run (one step or event
 * kept) breaks the default bound of a 5-minute soak. File descriptors other
 * than the connections to the upstream (a keep-alive pool that follows the
 * load) may not grow by more than 5; the pool is reported. The soak's own
 * REST calls use a connection each, closed after the answer, so they never
 * show up as the service's descriptors.
 *
 * Environment or flags: SOAK_USERS / --users (default 200, at most 2000),
 * SOAK_SECONDS / --seconds (default 300, at most 3600), SOAK_RUNTIME /
 * --runtime (node | deno | bun | both (node and deno) | all; default node).
 *
 * @module
 */
import { request as httpRequest } from "node:http";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { STOPPED_MESSAGE } from "../src/agents/react-loop.ts";
import { type Reply, startScriptedLLM } from "../tests/fixtures/scripted-llm.ts";
import { createTestDatabase, type TestDatabase } from "../tests/helpers/postgres.ts";
import {
  benchToken,
  createAgent,
  fdBreakdown,
  fmt,
  machine,
  mib,
  ms,
  openFileLimit,
  openSocket,
  percentile,
  rssBytes,
  type Runtime,
  RUNTIMES,
  runtimeVersion,
  type ServiceChild,
  sleep,
  startService,
} from "./bench/lib.ts";

export interface SoakOptions {
  readonly users: number;
  readonly seconds: number;
  readonly runtime: Runtime;
  /** Default: 20% of `seconds`, between 5 and 60. */
  readonly warmupSeconds?: number;
  /** Every `stopEvery`-th run of a user is stopped mid-stream (default 5). */
  readonly stopEvery?: number;
  /** A user clears its conversation every `clearEvery` runs (default 10). */
  readonly clearEvery?: number;
  /** Longest pause between a user's runs, in ms (default 300). */
  readonly thinkMs?: number;
  /** Allowed RSS growth over the warm-up sample: max(bytes, ratio x warm-up RSS). Defaults 64 MiB, 0.25. */
  readonly maxGrowthBytes?: number;
  readonly maxGrowthRatio?: number;
  /** Allowed growth of file descriptors other than upstream connections (default 5). */
  readonly fdSlack?: number;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
  /**
   * Several replicas on one PostgreSQL database (AGENT_STORE=postgres), one
   * per runtime listed (e.g. node, deno, node) instead of `runtime`: each
   * user's agent is made on one replica, its runs go through a socket on the
   * next, and a third socket on the one after that must see exactly the same
   * events. The database is created for the soak (on TEST_DATABASE_URL's
   * server, default the local one) and dropped after.
   */
  readonly replicas?: readonly Runtime[];
}

export interface ResourceSample {
  readonly rss: number;
  readonly fds: number;
  readonly upstreamConnections: number;
}

export interface SoakResult {
  readonly ok: boolean;
  /** The runtime, or the replicas' runtimes joined with "+". */
  readonly runtime: string;
  /** Every reason the soak failed (at most 50 listed; `problemCount` has them all). */
  readonly problems: string[];
  readonly problemCount: number;
  readonly stats: {
    readonly users: number;
    readonly seconds: number;
    readonly runs: number;
    readonly completed: number;
    readonly stopped: number;
    /** Stop requests that arrived after the answer had finished (the run completed; not a failure). */
    readonly stopLate: number;
    readonly toolCalls: number;
    readonly deltas: number;
    readonly events: number;
    readonly clears: number;
    readonly runP50Ms: number;
    readonly runP99Ms: number;
    readonly tool: string;
  };
  /** Per replica (one entry without `replicas`). */
  readonly warmup?: ResourceSample[];
  readonly end?: ResourceSample[];
  readonly peak?: ResourceSample[];
  readonly memoryBounds?: number[];
  /** A few lines for a human. */
  readonly summary: string;
}

// --- The script the upstream plays ------------------------------------------------

const STYLES = ["split", "repeat-id", "late-id", "burst"] as const;
const UNKNOWN_TOOL = "soak_probe";
const WORDS = "the quick brown fox jumps over the lazy dog while a careful agent checks every delta twice".split(" ");

export interface RunPlan {
  readonly uid: number;
  readonly run: number;
  /** Model calls that call the tool before the answer. */
  readonly toolRounds: number;
  readonly tool: string;
  readonly stop: boolean;
}

const messageFor = (plan: RunPlan) => `soak u=${plan.uid} r=${plan.run} k=${plan.toolRounds} tool=${plan.tool} stop=${plan.stop ? 1 : 0}`;

function parseMessage(content: string): RunPlan | undefined {
  const match = /^soak u=(\d+) r=(\d+) k=(\d+) tool=(\w+) stop=([01])$/.exec(content);
  if (!match) return undefined;
  return { uid: Number(match[1]), run: Number(match[2]), toolRounds: Number(match[3]), tool: match[4]!, stop: match[5] === "1" };
}

const toolText = (plan: RunPlan, round: number) => `u${plan.uid} r${plan.run} call ${round}: let me look.`;
const toolCallId = (plan: RunPlan, round: number) => `call_${plan.uid}_${plan.run}_${round}`;

/** The answer of a run: deterministic, so the client knows what the deltas must add up to. */
function answerText(plan: RunPlan): string {
  const words: string[] = [`u${plan.uid} r${plan.run}:`];
  const count = plan.stop ? 700 : 30 + ((plan.uid * 7 + plan.run * 13) % 50);
  for (let i = 0; i < count; i++) words.push(WORDS[(plan.uid + plan.run + i) % WORDS.length]!);
  return words.join(" ");
}

/** The upstream's answer to a chat request: from the run's message and how many tool results follow it. */
export function soakReply(body: Record<string, unknown>): Reply {
  const messages = Array.isArray(body.messages) ? body.messages as { role?: string; content?: unknown }[] : [];
  let lastUser = -1;
  messages.forEach((message, index) => {
    if (message.role === "user") lastUser = index;
  });
  const content = lastUser >= 0 && typeof messages[lastUser]!.content === "string" ? messages[lastUser]!.content as string : "";
  const plan = parseMessage(content);
  if (!plan) return { kind: "text", text: "ok" };
  const done = messages.slice(lastUser + 1).filter((m) => m.role === "tool").length;
  if (done < plan.toolRounds) {
    return {
      kind: "tool_calls",
      text: toolText(plan, done + 1),
      calls: [{ id: toolCallId(plan, done + 1), name: plan.tool, arguments: "{}" }],
      style: STYLES[(plan.run + done) % STYLES.length]!,
    };
  }
  // A stopped run's answer is long and slow (~3 s), so the stop lands mid-stream.
  if (plan.stop) return { kind: "text", text: answerText(plan), chunkSize: 8, delayMs: 5 };
  return { kind: "text", text: answerText(plan), chunkSize: 1 + (plan.run % 7), delayMs: 1 };
}

// --- Checking one run's events ----------------------------------------------------

export interface SoakEvent {
  type: string;
  [key: string]: unknown;
}

interface Step {
  id: string;
  parentId?: string;
  messageId: string;
  stepId: number;
  role: string;
  content: string;
  isEnd: boolean;
  stopped?: boolean;
  toolCalls?: { toolName: string; toolCallId: string }[];
  toolResults?: { toolCallId: string; output: string; isError?: boolean }[];
}

interface RunCheck {
  readonly problems: string[];
  readonly outcome: "completed" | "stopped" | "stop-late" | "broken";
  readonly stepIds: string[];
  readonly deltas: number;
  readonly toolCalls: number;
}

/**
 * Checks the events of one run, from the `state` that opens it to its
 * `complete`, against its plan. `head` is the HEAD before the run; `seen`
 * holds every step id the socket saw (and gets this run's).
 */
export function checkRun(plan: RunPlan, events: readonly SoakEvent[], head: string | undefined, seen: Set<string>, stopSent: boolean): RunCheck {
  const problems: string[] = [];
  const where = `user ${plan.uid} run ${plan.run}`;
  const expect = (ok: boolean, message: string) => {
    if (!ok) problems.push(`${where}: ${message}`);
    return ok;
  };
  const stepIds: string[] = [];
  const answer = answerText(plan);
  let deltas = 0;
  let toolCalls = 0;

  const [opening, userEvent, ...rest] = events;
  expect(opening?.type === "state" && opening.state === "GENERATING", `first event is ${JSON.stringify(opening)?.slice(0, 120)}, not state GENERATING`);
  const user = userEvent?.type === "step" ? userEvent.step as Step : undefined;
  if (user === undefined) {
    problems.push(`${where}: second event is ${userEvent?.type}, not the user step`);
    return { problems, outcome: "broken", stepIds, deltas, toolCalls };
  }
  expect(user.role === "user" && user.stepId === 0 && user.content === messageFor(plan), "the user step differs from the message sent");
  expect(user.parentId === head, `the user step's parent is ${user.parentId}, not the previous HEAD ${head}`);
  expect(!seen.has(user.id), `step ${user.id} arrived twice`);
  seen.add(user.id);
  stepIds.push(user.id);
  const messageId = user.messageId;

  let previous = user.id;
  let stepNo = 1;
  let text = "";
  let stopping = false;
  let stoppedStep = false;
  let answered = false;
  let completed = false;
  for (const [index, event] of rest.entries()) {
    if (completed) {
      problems.push(`${where}: ${event.type} after complete`);
      break;
    }
    switch (event.type) {
      case "delta":
        deltas++;
        expect(event.messageId === messageId, "a delta of another message");
        expect(event.stepId === stepNo, `a delta for step ${String(event.stepId)} while step ${stepNo} streams`);
        expect(!answered && !stoppedStep, "a delta after the last step");
        text += String(event.text);
        break;
      case "state":
        expect(stopSent && event.state === "STOPPING" && !stopping, `unexpected state ${String(event.state)}`);
        stopping = true;
        break;
      case "step": {
        const step = event.step as Step;
        expect(step.role === "agent" && step.messageId === messageId, "an agent step of another message");
        expect(step.parentId === previous, `step ${step.stepId}'s parent is not the step before it (lost or out of order)`);
        expect(!seen.has(step.id), `step ${step.id} arrived twice`);
        seen.add(step.id);
        stepIds.push(step.id);
        previous = step.id;
        if (step.stopped) {
          expect(plan.stop && stopSent, "a stopped step without a stop");
          expect(step.content === STOPPED_MESSAGE && step.isEnd, "the stopped step's content");
          expect(step.stepId === (answered ? stepNo - 1 : stepNo), `the stopped step's stepId ${step.stepId}`);
          expect(answered || answer.startsWith(text), "the deltas before the stop are not a prefix of the answer");
          stoppedStep = true;
          text = "";
          break;
        }
        expect(!stoppedStep, "a step after the stopped step");
        expect(step.stepId === stepNo, `step ${step.stepId} where step ${stepNo} was due`);
        expect(step.content === text, `step ${step.stepId}'s content differs from its deltas (${text.length} vs ${step.content.length} characters)`);
        if (stepNo <= plan.toolRounds) {
          toolCalls++;
          expect(step.content === toolText(plan, stepNo) && !step.isEnd, `tool step ${stepNo} differs from the script`);
          const call = step.toolCalls?.[0];
          const result = step.toolResults?.[0];
          expect(
            step.toolCalls?.length === 1 && call?.toolName === plan.tool && call.toolCallId === toolCallId(plan, stepNo),
            `tool step ${stepNo}'s call is ${JSON.stringify(step.toolCalls)?.slice(0, 200)}`,
          );
          expect(result?.toolCallId === toolCallId(plan, stepNo), `tool step ${stepNo} has no result for its call`);
          if (plan.tool === UNKNOWN_TOOL) expect(result?.output.startsWith(`[ERROR] Unknown tool "${UNKNOWN_TOOL}"`) === true, "the unknown tool's result");
          else expect(result?.isError !== true, `the tool failed: ${result?.output.slice(0, 200)}`);
        } else {
          expect(step.content === answer && step.isEnd && !step.toolCalls, "the answer step differs from the script");
          answered = true;
        }
        stepNo++;
        text = "";
        break;
      }
      case "complete":
        expect(event.state === "AVAILABLE", `complete with state ${String(event.state)}`);
        expect(index === rest.length - 1, "events after complete");
        completed = true;
        break;
      default:
        problems.push(`${where}: unexpected ${event.type} event ${JSON.stringify(event).slice(0, 200)}`);
    }
  }
  expect(completed, "no complete event");
  if (stopSent) expect(stopping || !stoppedStep, "a stopped run without state STOPPING");
  expect(answered || stoppedStep, "the run neither answered nor ended stopped");
  const outcome = problems.length > 0 ? "broken" : stoppedStep ? "stopped" : plan.stop ? "stop-late" : "completed";
  return { problems, outcome, stepIds, deltas, toolCalls };
}

/**
 * The events a correct service sends for `plan` when nothing is stopped
 * (deltas of `chunk` characters): what the tests of {@link checkRun} mutate.
 */
export function scriptedRunEvents(plan: RunPlan, head?: string, chunk = 5): SoakEvent[] {
  const messageId = `msg-${plan.uid}-${plan.run}`;
  let parent = head;
  const step = (stepId: number, role: string, content: string, extra: Record<string, unknown> = {}): SoakEvent => {
    const id = `step-${plan.uid}-${plan.run}-${stepId}`;
    const value = { id, ...(parent ? { parentId: parent } : {}), messageId, stepId, timestamp: 0, role, content, isBegin: stepId <= 1, isEnd: false, ...extra };
    parent = id;
    return { type: "step", step: value };
  };
  const deltas = (stepId: number, text: string): SoakEvent[] => {
    const out: SoakEvent[] = [];
    for (let i = 0; i < text.length; i += chunk) out.push({ type: "delta", messageId, stepId, text: text.slice(i, i + chunk) });
    return out;
  };
  const events: SoakEvent[] = [{ type: "state", state: "GENERATING" }, step(0, "user", messageFor(plan), { isEnd: true })];
  for (let round = 1; round <= plan.toolRounds; round++) {
    const id = toolCallId(plan, round);
    const output = plan.tool === UNKNOWN_TOOL ? `[ERROR] Unknown tool "${UNKNOWN_TOOL}". Available tools: none` : "workflow";
    events.push(...deltas(round, toolText(plan, round)));
    events.push(step(round, "agent", toolText(plan, round), {
      toolCalls: [{ toolName: plan.tool, toolCallId: id, input: {} }],
      toolResults: [{ toolCallId: id, output, ...(plan.tool === UNKNOWN_TOOL ? { isError: true } : {}) }],
    }));
  }
  const answer = plan.toolRounds + 1;
  events.push(...deltas(answer, answerText(plan)), step(answer, "agent", answerText(plan), { isEnd: true }));
  events.push({ type: "complete", state: "AVAILABLE" });
  return events;
}

/**
 * One REST call on a connection of its own, closed after the answer: keep-alive
 * connections of the soak's own client would otherwise count as the
 * service's file descriptors, in numbers that follow the load.
 */
function request(method: string, url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false, headers: { authorization: `Bearer ${token}`, connection: "close" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

// --- One user ------------------------------------------------------------------------

const RUN_TIMEOUT_MS = 60_000;

class SoakUser {
  readonly uid: number;
  readonly token: string;
  agentId = "";
  tool = UNKNOWN_TOOL;
  #ws: WebSocket | undefined;
  #events: SoakEvent[] = [];
  #inRun = false;
  #wake: (() => void) | undefined;
  #head: string | undefined;
  readonly #seen = new Set<string>();
  /** Step ids since the last clear, in order: what the store must hold. */
  stepsSinceClear: string[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<void>;
  #resolveClosed!: () => void;
  run = 0;

  constructor(uid: number) {
    this.uid = uid;
    this.token = benchToken(uid);
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  #observed: SoakEvent[] = [];
  #observer: WebSocket | undefined;

  /**
   * Makes the user's agent on `home` and opens its socket on `runOn` (where
   * its runs execute); with `observeOn`, a second socket there that must see
   * the very same events (another replica, through the database).
   */
  async open(home: ServiceChild, problems: Problems, runOn: ServiceChild = home, observeOn?: ServiceChild): Promise<void> {
    this.agentId = await createAgent(home.url, this.token);
    const service = runOn;
    const info = await request("GET", `${home.url}/api/agents/${this.agentId}/system-info`, this.token);
    const { tools } = JSON.parse(info.body) as { tools: { name: string; enabled: boolean }[] };
    if (tools.some((tool) => tool.name === "getWorkflow" && tool.enabled)) this.tool = "getWorkflow";
    const ws = await openSocket(`${service.wsUrl}/api/agents/${this.agentId}/react?access-token=${this.token}`, (data) => {
      const event = JSON.parse(data) as SoakEvent;
      if (!this.#inRun && event.type !== "headChange") problems.add(`user ${this.uid}: ${event.type} event outside a run: ${data.slice(0, 200)}`);
      this.#events.push(event);
      this.#wake?.();
    });
    ws.addEventListener("close", (event) => {
      this.closeCode = (event as CloseEvent).code;
      this.#resolveClosed();
      this.#wake?.();
    });
    this.#ws = ws;
    if (observeOn) {
      this.#observer = await openSocket(`${observeOn.wsUrl}/api/agents/${this.agentId}/react?access-token=${this.token}`, (data) => {
        const event = JSON.parse(data) as SoakEvent;
        if (event.type !== "init") this.#observed.push(event);
        this.#wake?.();
      });
    }
  }

  /** The observer socket must have seen exactly `events` (those after `afterSeq`), in order. */
  async #checkObserved(events: readonly SoakEvent[], problems: Problems, where: string): Promise<void> {
    if (!this.#observer || events.length === 0) return;
    const last = events.at(-1)!.seq as number;
    const first = events[0]!.seq as number;
    const deadline = performance.now() + 10_000;
    while (!this.#observed.some((e) => (e.seq as number) >= last) && performance.now() < deadline) await sleep(10);
    const seen = this.#observed.filter((e) => (e.seq as number) >= first && (e.seq as number) <= last);
    this.#observed = this.#observed.filter((e) => (e.seq as number) > last);
    if (JSON.stringify(seen) !== JSON.stringify(events)) {
      const diff = seen.length === events.length ? "the same number of events, but not the same" : `${seen.length} events, not ${events.length}`;
      problems.add(`${where}: the socket on another replica saw ${diff}`);
    }
  }

  /** Resolves when an event matching `match` (from index `from`) has arrived; false on timeout or close. */
  #waitFor(match: (event: SoakEvent) => boolean, timeoutMs: number, from = 0): Promise<boolean> {
    return new Promise((resolve) => {
      let checked = from;
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (value: boolean) => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve(value);
      };
      const check = () => {
        for (; checked < this.#events.length; checked++) if (match(this.#events[checked]!)) return finish(true);
        if (this.closeCode !== undefined) finish(false);
      };
      this.#wake = check;
      check();
    });
  }

  async runOnce(options: Required<Pick<SoakOptions, "stopEvery">>, stats: MutableStats, problems: Problems): Promise<void> {
    const run = ++this.run;
    const plan: RunPlan = { uid: this.uid, run, toolRounds: run % 3, tool: this.tool, stop: run % options.stopEvery === 0 };
    this.#events = [];
    this.#inRun = true;
    const started = performance.now();
    let stopSent = false;
    this.#ws!.send(JSON.stringify({ type: "message", content: messageFor(plan) }));
    stats.runs++;
    if (plan.stop) {
      const answerStep = plan.toolRounds + 1;
      await this.#waitFor((e) => (e.type === "delta" && e.stepId === answerStep) || e.type === "complete", RUN_TIMEOUT_MS);
      this.#ws!.send(JSON.stringify({ type: "stop" }));
      stopSent = true;
    }
    const finished = await this.#waitFor((e) => e.type === "complete", RUN_TIMEOUT_MS);
    this.#inRun = false;
    stats.durations.push(performance.now() - started);
    stats.events += this.#events.length;
    if (!finished) {
      problems.add(`user ${this.uid} run ${run}: no complete within ${RUN_TIMEOUT_MS / 1000} s (events: ${this.#events.map((e) => e.type).join(",").slice(0, 300)})`);
      return;
    }
    const check = checkRun(plan, this.#events, this.#head, this.#seen, stopSent);
    for (const problem of check.problems) problems.add(problem);
    await this.#checkObserved(this.#events, problems, `user ${this.uid} run ${run}`);
    stats.deltas += check.deltas;
    stats.toolCalls += check.toolCalls;
    if (check.outcome === "completed") stats.completed++;
    else if (check.outcome === "stopped") stats.stopped++;
    else if (check.outcome === "stop-late") {
      stats.completed++;
      stats.stopLate++;
    }
    this.stepsSinceClear.push(...check.stepIds);
    this.#head = check.stepIds.at(-1) ?? this.#head;
  }

  async clear(serviceUrl: string, stats: MutableStats, problems: Problems): Promise<void> {
    this.#events = [];
    const response = await request("POST", `${serviceUrl}/api/agents/${this.agentId}/clear`, this.token);
    if (response.status !== 200) {
      problems.add(`user ${this.uid}: clear answered ${response.status}`);
      return;
    }
    const changed = await this.#waitFor((e) => e.type === "headChange", 10_000);
    await this.#checkObserved(this.#events, problems, `user ${this.uid} clear`);
    const event = this.#events[0];
    if (!changed || event?.headId !== null || (event.steps as unknown[]).length !== 0 || this.#events.length !== 1) {
      problems.add(`user ${this.uid}: after clear, expected one headChange to null, got ${JSON.stringify(this.#events).slice(0, 200)}`);
    }
    this.#head = undefined;
    this.stepsSinceClear = [];
    stats.clears++;
  }

  /** The stored steps must be the ones this socket saw since the last clear. */
  async checkStored(serviceUrl: string, problems: Problems): Promise<void> {
    const response = await request("GET", `${serviceUrl}/api/agents/${this.agentId}/react-steps`, this.token);
    const body = JSON.parse(response.body) as { steps: Step[]; state: string; headId: string | null };
    const stored = body.steps.map((s) => s.id);
    if (stored.join() !== this.stepsSinceClear.join()) {
      problems.add(`user ${this.uid}: the store holds ${stored.length} steps, the socket saw ${this.stepsSinceClear.length} since the last clear (or in another order)`);
    }
    if (body.state !== "AVAILABLE") problems.add(`user ${this.uid}: the agent is ${body.state} after the soak`);
  }
}

interface MutableStats {
  runs: number;
  completed: number;
  stopped: number;
  stopLate: number;
  toolCalls: number;
  deltas: number;
  events: number;
  clears: number;
  durations: number[];
}

class Problems {
  readonly list: string[] = [];
  count = 0;
  add(problem: string): void {
    this.count++;
    if (this.list.length < 50) this.list.push(problem);
  }
}

// --- The soak --------------------------------------------------------------------------

/** A gate the users pass before every run; closed, they park at it once their run is done. */
class Gate {
  #open = false;
  #parked = 0;
  #waiters: (() => void)[] = [];
  #onParked: (() => void) | undefined;
  finished = false;

  open(): void {
    this.#open = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  close(): void {
    this.#open = false;
  }

  /** Waits until the gate opens; true when the soak is over. */
  async pass(): Promise<boolean> {
    if (this.#open) return this.finished;
    this.#parked++;
    this.#onParked?.();
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#parked--;
    return this.finished;
  }

  /** Resolves once `count` users are parked. */
  parked(count: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.#onParked = undefined;
        resolve(value);
      };
      this.#onParked = () => {
        if (this.#parked >= count) done(true);
      };
      this.#onParked();
    });
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const users = Math.min(Math.max(1, Math.floor(options.users)), 2000);
  const seconds = Math.min(Math.max(1, options.seconds), 3600);
  const warmupSeconds = options.warmupSeconds ?? Math.min(60, Math.max(5, seconds * 0.2));
  const stopEvery = options.stopEvery ?? 5;
  const clearEvery = options.clearEvery ?? 10;
  const thinkMs = options.thinkMs ?? 300;
  const maxGrowthBytes = options.maxGrowthBytes ?? 64 * 1048576;
  const maxGrowthRatio = options.maxGrowthRatio ?? 0.25;
  const fdSlack = options.fdSlack ?? 5;
  const log = options.log ?? (() => {});
  const problems = new Problems();
  const stats: MutableStats = { runs: 0, completed: 0, stopped: 0, stopLate: 0, toolCalls: 0, deltas: 0, events: 0, clears: 0, durations: [] };
  const runtimes: readonly Runtime[] = options.replicas && options.replicas.length > 1 ? options.replicas : [options.runtime];
  const fleet = runtimes.length > 1;
  const label = runtimes.join("+");
  const socketsPerUser = fleet ? 2 : 1;

  if (openFileLimit() < users * 2 * socketsPerUser + 100) {
    throw new Error(`soak: ${users} users need about ${users * 2 * socketsPerUser + 100} open files here; raise the limit (bash -c 'ulimit -n 65536 && npm run soak')`);
  }

  const upstream = await startScriptedLLM({ models: ["scripted-model"], fallback: soakReply });
  const upstreamPort = upstream.port;
  const services: ServiceChild[] = [];
  let database: TestDatabase | undefined;
  let warmup: ResourceSample[] | undefined;
  let end: ResourceSample[] | undefined;
  let peak: ResourceSample[] | undefined;
  let memoryBounds: number[] | undefined;
  const sample = (): ResourceSample[] =>
    services.map((service) => {
      const fds = fdBreakdown(service.pid, upstreamPort);
      return { rss: rssBytes(service.pid), fds: fds.other, upstreamConnections: fds.toPeer };
    });
  const describe = (samples: ResourceSample[]) =>
    samples.map((s, i) => `${runtimes[i]}: RSS ${mib(s.rss)} MiB, ${s.fds} fds (+${s.upstreamConnections})`).join("; ");
  const soakUsers: SoakUser[] = [];
  const started = performance.now();
  try {
    if (fleet) {
      database = await createTestDatabase();
      for (const runtime of runtimes) {
        services.push(await startService(runtime, { llmUrl: upstream.url, env: { LOG_LEVEL: "warn", AGENT_STORE: "postgres", DATABASE_URL: database.url } }));
      }
    } else {
      services.push(await startService(options.runtime, { llmUrl: upstream.url, env: { LOG_LEVEL: "warn" } }));
    }
    log(`soak (${label}): service pid ${services.map((s) => s.pid).join(", ")} at ${services.map((s) => s.url).join(", ")}; opening ${users} users`);
    const replica = (i: number) => services[i % services.length]!;
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(20, users) }, async () => {
      while (next < users) {
        const i = next++;
        const user = new SoakUser(i + 1);
        soakUsers.push(user);
        // In a fleet: made on one replica, run through the next, watched from the one after.
        await user.open(replica(i), problems, replica(i + 1), fleet ? replica(i + 2) : undefined);
      }
    }));

    const gate = new Gate();
    const loops = soakUsers.map(async (user, i) => {
      const clearOn = replica(i + 2).url;
      while (!(await gate.pass())) {
        try {
          await user.runOnce({ stopEvery }, stats, problems);
          if (user.run % clearEvery === 0) await user.clear(clearOn, stats, problems);
        } catch (error) {
          problems.add(`user ${user.uid}: ${(error as Error).message}`);
        }
        await sleep(Math.random() * thinkMs);
      }
    });
    const quiesce = async (what: string) => {
      gate.close();
      if (!(await gate.parked(users, RUN_TIMEOUT_MS + 15_000))) problems.add(`${what}: users did not finish their runs`);
      // The service persists after `complete` too; let it settle.
      await sleep(1000);
    };

    gate.open();
    log(`soak (${label}): warm-up ${warmupSeconds} s`);
    await sleep(warmupSeconds * 1000);
    await quiesce("after the warm-up");
    warmup = sample();
    peak = warmup.map((s) => ({ ...s }));
    log(`soak (${label}): after warm-up: ${describe(warmup)}, ${stats.runs} runs`);
    gate.open();
    const mainEnds = started + seconds * 1000;
    while (performance.now() < mainEnds) {
      await sleep(Math.min(5000, Math.max(0, mainEnds - performance.now())));
      upstream.requests.splice(0); // the fixture records every request: keep this process's memory flat
      const now = sample();
      now.forEach((s, i) => {
        if (s.rss > peak![i]!.rss) peak![i] = { ...s };
      });
      log(`soak (${label}): ${((performance.now() - started) / 1000).toFixed(0)} s: ${describe(now)}, ${stats.runs} runs, ${problems.count} problems`);
    }
    await quiesce("at the end");
    end = sample();
    gate.finished = true;
    gate.open();
    await Promise.all(loops);

    memoryBounds = warmup.map((s) => s.rss + Math.max(maxGrowthBytes, s.rss * maxGrowthRatio));
    end.forEach((s, i) => {
      const at = fleet ? ` (replica ${i + 1}, ${runtimes[i]})` : "";
      const bound = memoryBounds![i]!;
      if (s.rss > bound) problems.add(`memory${at}: RSS ${mib(s.rss)} MiB at the end, over the bound of ${mib(bound)} MiB (warm-up ${mib(warmup![i]!.rss)} MiB)`);
      if (s.fds > warmup![i]!.fds + fdSlack) problems.add(`file descriptors${at}: ${s.fds} at the end, ${warmup![i]!.fds} after the warm-up (slack ${fdSlack})`);
      if (s.upstreamConnections > users) problems.add(`${s.upstreamConnections} connections to the upstream for ${users} users${at}`);
    });
    for (const [i, user] of soakUsers.entries()) await user.checkStored(replica(i).url, problems);
    if (stats.runs !== stats.completed + stats.stopped) {
      problems.add(`${stats.runs} runs started, ${stats.completed} completed and ${stats.stopped} stopped`);
    }
    if (stats.stopped === 0 && stats.runs >= users * stopEvery) problems.add("no run was stopped mid-stream");

    // SIGTERM: every socket closes with 1001, every process exits 0.
    for (const service of services) {
      const exit = new Promise<number | null>((resolve) => service.process.once("exit", (code) => resolve(code)));
      await service.stop();
      const code = await exit.catch(() => null);
      if (code !== 0 && code !== null) problems.add(`the service (pid ${service.pid}) exited with ${code} after SIGTERM`);
    }
    await Promise.race([Promise.all(soakUsers.map((u) => u.closed)), sleep(5000)]);
    const not1001 = soakUsers.filter((u) => u.closeCode !== 1001).length;
    if (not1001 > 0) problems.add(`${not1001} sockets did not close with 1001 on SIGTERM`);
  } catch (error) {
    const output = services.map((s) => s.output().slice(-2000)).join("\n---\n");
    problems.add(`soak aborted: ${(error as Error).stack ?? String(error)}${output ? `\nservice output:\n${output}` : ""}`);
  } finally {
    for (const service of services) await service.stop().catch(() => {});
    await upstream.close();
    await database?.drop().catch(() => {});
  }

  const durations = stats.durations;
  const elapsed = (performance.now() - started) / 1000;
  const tool = soakUsers[0]?.tool ?? UNKNOWN_TOOL;
  const ok = problems.count === 0;
  const versions = [...new Set(runtimes)].map(runtimeVersion).join(", ");
  const summary = [
    `soak ${ok ? "PASSED" : "FAILED"}: ${versions}, ${fleet ? `${runtimes.length} replicas (${label}) on PostgreSQL, ` : ""}${users} users, ${seconds} s (${fmt(elapsed)} s with setup and checks); machine: ${machine()}`,
    `runs: ${fmt(stats.runs)} (${fmt(stats.runs / seconds, 1)}/s): ${fmt(stats.completed)} completed, ${fmt(stats.stopped)} stopped mid-stream` +
    `${stats.stopLate ? `, ${stats.stopLate} stopped too late (completed)` : ""}; ${fmt(stats.toolCalls)} tool calls (${tool}), ` +
    `${fmt(stats.deltas)} deltas, ${fmt(stats.events)} events, ${fmt(stats.clears)} clears; run time p50 ${ms(percentile(durations, 50))} ms, p99 ${ms(percentile(durations, 99))} ms`,
    ...(warmup && end && peak && memoryBounds
      ? warmup.map((w, i) => {
        const e = end![i]!;
        return `service${fleet ? ` ${i + 1} (${runtimes[i]})` : ""} RSS: ${mib(w.rss)} MiB after warm-up, ${mib(e.rss)} MiB at the end (${e.rss >= w.rss ? "+" : ""}${mib(e.rss - w.rss)}; bound ${mib(memoryBounds![i]!)}), peak sampled ${mib(peak![i]!.rss)}; ` +
          `fds (without upstream connections): ${w.fds} -> ${e.fds}; upstream connections ${w.upstreamConnections} -> ${e.upstreamConnections}`;
      })
      : ["service resources: not sampled"]),
    ...(ok ? [] : [`${problems.count} problems:`, ...problems.list.map((p) => `  - ${p}`)]),
  ].join("\n");
  return {
    ok,
    runtime: label,
    problems: problems.list,
    problemCount: problems.count,
    stats: {
      users,
      seconds,
      runs: stats.runs,
      completed: stats.completed,
      stopped: stats.stopped,
      stopLate: stats.stopLate,
      toolCalls: stats.toolCalls,
      deltas: stats.deltas,
      events: stats.events,
      clears: stats.clears,
      runP50Ms: percentile(durations, 50),
      runP99Ms: percentile(durations, 99),
      tool,
    },
    ...(warmup ? { warmup } : {}),
    ...(end ? { end } : {}),
    ...(peak ? { peak } : {}),
    ...(memoryBounds ? { memoryBounds } : {}),
    summary,
  };
}

// --- Command line ------------------------------------------------------------------------

function flag(name: string): string | undefined {
  const args = process.argv.slice(2);
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main(): Promise<void> {
  const users = Number(flag("users") ?? process.env.SOAK_USERS ?? 200);
  const seconds = Number(flag("seconds") ?? process.env.SOAK_SECONDS ?? 300);
  const runtimeArg = flag("runtime") ?? process.env.SOAK_RUNTIME ?? "node";
  const replicasArg = flag("replicas") ?? process.env.SOAK_REPLICAS;
  if (!Number.isFinite(users) || users < 1 || users > 2000) throw new Error("SOAK_USERS / --users: 1 to 2000");
  if (!Number.isFinite(seconds) || seconds < 5 || seconds > 3600) throw new Error("SOAK_SECONDS / --seconds: 5 to 3600");
  if (![...RUNTIMES, "both", "all"].includes(runtimeArg)) throw new Error("SOAK_RUNTIME / --runtime: node, deno, bun, both (node and deno) or all");
  const runtimes: Runtime[] = runtimeArg === "all" ? [...RUNTIMES] : runtimeArg === "both" ? ["node", "deno"] : [runtimeArg as Runtime];
  if (replicasArg !== undefined) {
    const replicas = replicasArg.split(",").map((r) => r.trim()) as Runtime[];
    if (replicas.length < 2 || !replicas.every((r) => ["node", "deno", "bun"].includes(r))) {
      throw new Error("SOAK_REPLICAS / --replicas: two or more of node, deno, bun, comma-separated (e.g. node,deno,node)");
    }
    const result = await runSoak({ users, seconds, runtime: replicas[0]!, replicas, log: (line) => console.log(line) });
    console.log(result.summary);
    process.exit(result.ok ? 0 : 1);
  }
  let ok = true;
  for (const runtime of runtimes) {
    const result = await runSoak({ users, seconds, runtime, log: (line) => console.log(line) });
    console.log(result.summary);
    ok &&= result.ok;
  }
  process.exit(ok ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
