/**
 * The client library against the real service on an ephemeral port: the
 * token from getToken() on every call (checked at the server: a refreshed
 * token changes who the server sees), errors with the server's status and
 * message, the /react socket as typed events, and reconnection after a 4401
 * close (fresh token, new init) and after a server-side drop (backoff).
 */
import { after, describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";
import { TokenVerifier } from "../src/auth.ts";
import {
  AgentClient,
  AgentClientError,
  type ErrorCode,
  type ConnectionStatus,
  type ReactEvent,
  SOCKET_PROTOCOL,
  socketProtocols,
  tokenProtocol,
  type WebSocketConstructor,
  type WebSocketLike,
} from "../src/client/index.ts";
import { protocolTokens } from "../src/socket-auth.ts";
import { mintToken, TEST_SECRET } from "./helpers/tokens.ts";
import { type TestService, withService } from "./helpers/service.ts";
import { addTool } from "./helpers/tools.ts";
import { checkedWebSocket } from "./helpers/socket-contract.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
const bob = mintToken({ userId: 2, sub: "bob" });
const expired = mintToken({ userId: 1, sub: "alice", expiresIn: -3600 });

const toolkits = () => basicToolkit([addTool]);

interface Recorded {
  method: string;
  url: string;
  authorization: string | undefined;
  status: number;
}

/** A fetch that records what the client sent and what came back. */
function recordingFetch(log: Recorded[]) {
  return async (input: string, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers);
    const response = await fetch(input, init);
    log.push({ method: init.method ?? "GET", url: input, authorization: headers.get("authorization") ?? undefined, status: response.status });
    return response;
  };
}

interface OpenedSocket {
  readonly url: string;
  readonly protocols: string | string[] | undefined;
}

/**
 * Every frame the client library sends and receives in these tests, checked
 * against the published socket protocol (socket-contract.ts): any that does
 * not match fails the file.
 */
const socketViolations: string[] = [];
const CheckedWebSocket = checkedWebSocket(socketViolations) as unknown as WebSocketConstructor;
after(() => assert.deepEqual(socketViolations, [], "every socket frame matches the AsyncAPI document"));

/** The global WebSocket, recording each URL and subprotocols; `redirect` can send an attempt elsewhere (to make it fail). */
function recordingWebSocket(opened: OpenedSocket[], redirect: (url: string) => string = (url) => url): WebSocketConstructor {
  const Global = CheckedWebSocket;
  return class {
    constructor(url: string, protocols?: string | string[]) {
      opened.push({ url, protocols });
      return new Global(redirect(url), protocols);
    }
  } as unknown as WebSocketConstructor;
}

/** The token an opened socket carried in its protocol entry. */
const tokenOf = (socket: OpenedSocket) => protocolTokens(([] as string[]).concat(socket.protocols ?? []).join(", "))[0];

/** A loopback port nothing listens on (connections are refused at once). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const clientFor = (service: TestService, getToken: () => string | Promise<string>, extra: Partial<ConstructorParameters<typeof AgentClient>[0]> = {}) =>
  new AgentClient({ baseUrl: `${service.url}/api`, getToken, WebSocket: CheckedWebSocket, ...extra });

async function rejectsWith(
  promise: Promise<unknown>,
  expected: { status: number; kind: string; code?: ErrorCode; message?: string | RegExp; reason?: string },
) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AgentClientError, `an AgentClientError, got ${String(error)}`);
    assert.equal(error.status, expected.status);
    assert.equal(error.kind, expected.kind);
    // The service's stable code comes with every answer it gave; none without an answer.
    if ("code" in expected) assert.equal(error.code, expected.code);
    else if (expected.kind !== "http") assert.equal(error.code, undefined);
    if ("reason" in expected) assert.equal(error.reason, expected.reason);
    if (typeof expected.message === "string") assert.equal(error.message, expected.message);
    else if (expected.message) assert.match(error.message, expected.message);
    return true;
  });
}

describe("AgentClient REST", () => {
  test("pages: listAgentsPage follows nextCursor, listAgents gathers every page; conversation pages what init leaves out", async () => {
    await withService({ toolkits: () => basicToolkit(), initSteps: 2 }, async (service) => {
      const client = clientFor(service, () => alice);
      const made = [];
      for (let i = 0; i < 3; i++) made.push((await client.createAgent({ modelType: "scripted-model", name: `a${i}` })).id);
      const first = await client.listAgentsPage({ limit: 2 });
      assert.deepEqual(first.agents.map((a) => a.id), made.slice(0, 2));
      assert.ok(first.nextCursor);
      const second = await client.listAgentsPage({ limit: 2, cursor: first.nextCursor });
      assert.deepEqual([second.agents.map((a) => a.id), second.nextCursor], [made.slice(2), null]);
      assert.deepEqual((await client.listAgents()).map((a) => a.id), made);

      const connection = client.connect(made[0]!);
      await connection.once("init");
      for (const text of ["one", "two"]) {
        const complete = connection.once("complete");
        connection.send(text);
        await complete;
      }
      connection.close();
      const again = client.connect(made[0]!);
      const init = await again.once("init");
      assert.deepEqual([init.steps.length, init.more], [2, true]);
      const older = await client.conversation(made[0]!, { before: init.steps[0]!.id, limit: 10 });
      assert.deepEqual([older.steps.map((s) => s.content), older.more], [["one", "echo: one"], false]);
      again.close();
    });
  });

  test("every method sends Authorization: Bearer with the token getToken() gives at call time", async () => {
    await withService({ toolkits }, async (service) => {
      const log: Recorded[] = [];
      let calls = 0;
      const client = clientFor(service, () => {
        calls++;
        return alice;
      }, { fetch: recordingFetch(log) });

      assert.equal((await client.health()).status, "ok");
      assert.deepEqual(await client.whoami(), { uid: 1, name: "alice", email: "tester@example.com", role: "REGULAR" });
      assert.deepEqual((await client.listModels()).data.map((m) => m.id), ["scripted-model"]);
      assert.equal((await client.listModels({ details: true })).data[0]!.details?.supportsFunctionCalling, true);
      const created = await client.createAgent({ modelType: "scripted-model", name: "Ada", settings: { maxSteps: 5 } });
      assert.equal(created.name, "Ada");
      assert.deepEqual((await client.listAgents()).map((a) => a.id), [created.id]);
      const details = await client.getAgent(created.id);
      assert.equal(details.stepCount, 0);
      assert.equal(details.headId, null);
      assert.equal(details.workflow, undefined, "no workflow without the copilot");
      assert.equal((await client.updateAgent(created.id, { name: "Grace" })).name, "Grace");
      assert.equal((await client.getSettings(created.id)).maxSteps, 5);
      assert.equal((await client.updateSettings(created.id, { maxSteps: 7 })).maxSteps, 7);
      assert.deepEqual((await client.getSystemInfo(created.id)).tools.map((t) => t.name), ["add"]);
      assert.deepEqual(await client.getOperatorTypes(created.id), [], "an agent without the copilot has no operator types");

      const connection = client.connect(created.id);
      await connection.once("init");
      connection.send("hello");
      await connection.once("complete");
      await connection.close();
      const { steps, state, headId } = await client.getSteps(created.id);
      assert.equal(state, "AVAILABLE");
      assert.deepEqual(steps.map((s) => s.content), ["hello", "echo: hello"]);
      assert.deepEqual(await client.checkout(created.id, steps[0]!.id), { status: "checked out", headId: steps[0]!.id });
      assert.notEqual(headId, steps[0]!.id);
      assert.deepEqual(await client.stop(created.id), { status: "idle" });
      assert.deepEqual(await client.clear(created.id), { status: "cleared" });
      await client.deleteAgent(created.id);
      assert.deepEqual(await client.listAgents(), []);

      assert.equal(log.length, 18, "every REST method once, plus the checks in between");
      for (const entry of log) {
        assert.equal(entry.authorization, `Bearer ${alice}`, `${entry.method} ${entry.url}`);
        assert.ok(entry.status >= 200 && entry.status < 300, `${entry.method} ${entry.url}: ${entry.status}`);
      }
      assert.ok(calls >= log.length + 1, "getToken() was asked for every request and the socket");
    });
  });

  test("a refreshed token is used on the next call: the server sees the new caller", async () => {
    await withService({ toolkits }, async (service) => {
      let token = alice;
      const client = clientFor(service, () => token);
      const agent = await client.createAgent({ modelType: "scripted-model" });
      assert.equal((await client.whoami()).name, "alice");
      token = bob;
      assert.equal((await client.whoami()).name, "bob");
      assert.deepEqual(await client.listAgents(), [], "bob does not see alice's agent");
      await rejectsWith(client.getAgent(agent.id), { status: 404, kind: "http", code: "agent_not_found", message: "Agent not found" });
      token = alice;
      assert.deepEqual((await client.listAgents()).map((a) => a.id), [agent.id]);
    });
  });

  test("a 401 is retried once when getToken() then gives a different token, never with the same one", async () => {
    await withService({ toolkits }, async (service) => {
      const log: Recorded[] = [];
      const tokens = [expired, alice];
      const client = clientFor(service, async () => tokens.shift() ?? alice, { fetch: recordingFetch(log) });
      assert.equal((await client.whoami()).name, "alice");
      assert.deepEqual(log.map((e) => [e.status, e.authorization]), [[401, `Bearer ${expired}`], [200, `Bearer ${alice}`]]);

      log.length = 0;
      const stale = clientFor(service, () => expired, { fetch: recordingFetch(log) });
      await rejectsWith(stale.listAgents(), { status: 401, kind: "http", code: "unauthorized", message: "Unauthorized", reason: "expired" });
      assert.equal(log.length, 1, "no retry with the same token");
      const forged = clientFor(service, () => mintToken({}, "another-secret-0123456789abcdef-xyz"));
      await rejectsWith(forged.whoami(), { status: 401, kind: "http", reason: "bad_signature" });
    });
  });

  test("errors carry the server's status and message; without a token nothing is sent", async () => {
    await withService({ toolkits }, async (service) => {
      const log: Recorded[] = [];
      const client = clientFor(service, () => alice, { fetch: recordingFetch(log) });
      await rejectsWith(client.getAgent("00000000-0000-4000-8000-000000000000"), { status: 404, kind: "http", message: "Agent not found" });
      await rejectsWith(client.createAgent({ modelType: "no-such-model" }), {
        status: 400,
        kind: "http",
        message: 'modelType: "no-such-model" is not a model LiteLLM lists (scripted-model)',
      });
      await rejectsWith(client.updateAgent((await client.createAgent({ modelType: "scripted-model" })).id, {}), {
        status: 400,
        kind: "http",
        message: /name or modelType is required/,
      });
      const error = await client.getAgent("missing").catch((e: unknown) => e);
      assert.ok(error instanceof AgentClientError);
      assert.deepEqual(error.body, { error: "Agent not found", code: "agent_not_found" });

      const restricted = clientFor(service, () => mintToken({ userId: 9, role: "RESTRICTED" }));
      await rejectsWith(restricted.listAgents(), { status: 403, kind: "http", code: "forbidden", message: "Forbidden" });

      log.length = 0;
      for (const empty of ["", "   "]) {
        const tokenless = clientFor(service, () => empty, { fetch: recordingFetch(log) });
        await rejectsWith(tokenless.listAgents(), { status: 0, kind: "no_token", message: /getToken\(\) returned no token/ });
      }
      const throwing = clientFor(service, () => {
        throw new Error("refresh failed");
      }, { fetch: recordingFetch(log) });
      await rejectsWith(throwing.whoami(), { status: 0, kind: "no_token" });
      assert.equal(log.length, 0, "no request went out without a token");

      const offline = new AgentClient({ baseUrl: `http://127.0.0.1:${await deadPort()}/api`, getToken: () => alice });
      await rejectsWith(offline.listAgents(), { status: 0, kind: "network", message: /no answer from the service/ });

      assert.throws(() => new AgentClient({ baseUrl: "ftp://example.invalid", getToken: () => alice }), TypeError);
    });
  });
});

describe("AgentClient /react socket", () => {
  test("the token rides in a subprotocol entry, never the URL; events arrive typed and in order", async () => {
    await withService({ toolkits }, async (service) => {
      const opened: OpenedSocket[] = [];
      const client = clientFor(service, () => alice, { WebSocket: recordingWebSocket(opened) });
      const { id } = await client.createAgent({ modelType: "scripted-model" });

      const url = new URL(client.socketUrl(id));
      assert.equal(url.protocol, "ws:");
      assert.equal(url.pathname, `/api/agents/${id}/react`);
      assert.equal(url.search, "", "no token in the URL");
      assert.deepEqual(client.socketProtocols("a.b+c/d"), [SOCKET_PROTOCOL, tokenProtocol("a.b+c/d")]);

      service.upstream.enqueue(
        { kind: "tool_calls", text: "Adding.", calls: [{ id: "c1", name: "add", arguments: '{"a":2,"b":3}' }] },
        { kind: "text", text: "2+3 = 5", chunkSize: 2 },
      );
      const connection = client.connect(id);
      const statuses: ConnectionStatus["state"][] = [];
      connection.onStatus((status) => statuses.push(status.state));
      connection.send("add 2 and 3"); // queued until the socket opens
      const events: ReactEvent[] = [];
      for await (const event of connection) {
        events.push(event);
        if (event.type === "complete") break;
      }
      assert.equal(opened.length, 1);
      assert.equal(opened[0]!.url, client.socketUrl(id));
      assert.deepEqual(opened[0]!.protocols, socketProtocols(alice));
      assert.equal(tokenOf(opened[0]!), alice);

      const types = events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);
      assert.deepEqual(types, ["init", "state", "step", "delta", "step", "delta", "step", "complete"]);
      const init = events[0]!;
      assert.ok(init.type === "init");
      assert.deepEqual(init.steps, []);
      assert.equal(connection.lastInit, init);
      const steps = events.flatMap((e) => (e.type === "step" ? [e.step] : []));
      assert.deepEqual(steps[1]!.toolCalls, [{ toolName: "add", toolCallId: "c1", input: { a: 2, b: 3 } }]);
      assert.deepEqual(steps[1]!.toolResults, [{ toolCallId: "c1", output: "5" }]);
      assert.equal(events.flatMap((e) => (e.type === "delta" ? [e.text] : [])).join(""), "Adding.2+3 = 5");

      // A bad message gets the server's error event; the socket stays open.
      const error = connection.once("error");
      const complete = connection.once("complete");
      connection.send("again");
      connection.send("and again");
      assert.deepEqual(await error, { type: "error", error: "Agent is busy", code: "agent_busy" });
      await complete;

      assert.throws(() => connection.send("  "), TypeError);
      await connection.close();
      assert.deepEqual(statuses, ["open", "closed"]);
      assert.throws(() => connection.send("after close"), AgentClientError);
      await assert.rejects(connection.once("init"), AgentClientError);
    });
  });

  test("stop: over the socket while open; by REST otherwise", async () => {
    await withService({ toolkits }, async (service) => {
      const client = clientFor(service, () => alice);
      const { id } = await client.createAgent({ modelType: "scripted-model" });
      const connection = client.connect(id);
      await connection.once("init");
      service.upstream.enqueue({ kind: "text", text: "x".repeat(2000), chunkSize: 1, delayMs: 5 });
      connection.send("write a lot");
      await connection.once("delta");
      // Waiters go first: a runtime may deliver several frames in one task.
      const stopping = connection.once("state", (e) => e.state === "STOPPING");
      const stopped = connection.once("step", (e) => e.step.stopped === true);
      const complete = connection.once("complete");
      await connection.stop();
      await stopping;
      assert.equal((await stopped).step.content, "Generation stopped by user.");
      await complete;

      await connection.close();
      await assert.rejects(connection.stop(), AgentClientError, "a closed connection stops nothing");

      // A connection whose socket is not open stops the run by REST.
      service.upstream.enqueue({ kind: "text", text: "y".repeat(2000), chunkSize: 1, delayMs: 5 });
      const watcher = client.connect(id);
      await watcher.once("init");
      const restStopped = watcher.once("step", (e) => e.step.stopped === true);
      const watcherComplete = watcher.once("complete");
      watcher.send("again");
      await watcher.once("delta");
      const dead = await deadPort();
      const offline = clientFor(service, () => alice, {
        WebSocket: recordingWebSocket([], (url) => url.replace(/:\d+\//, `:${dead}/`)),
        reconnect: { initialDelayMs: 60_000 },
      }).connect(id);
      assert.notEqual(offline.status.state, "open");
      await offline.stop();
      assert.equal((await restStopped).step.content, "Generation stopped by user.");
      await watcherComplete;
      await offline.close();
      await watcher.close();
    });
  });

  test("close 4401 (token expired): reconnects at once with a fresh token and resumes from a new init", async () => {
    const verifier = new TokenVerifier({ keys: TEST_SECRET, clockSkewSeconds: 0, cacheSize: 0 });
    await withService({ toolkits, verifier }, async (service) => {
      const opened: OpenedSocket[] = [];
      const shortLived = mintToken({ userId: 1, sub: "alice", expiresIn: 2 });
      let token = shortLived;
      const client = clientFor(service, () => token, { WebSocket: recordingWebSocket(opened) });
      const { id } = await client.createAgent({ modelType: "scripted-model" });
      const connection = client.connect(id);
      const statuses: ConnectionStatus[] = [];
      connection.onStatus((status) => statuses.push(status));
      const inits: ReactEvent[] = [];
      connection.on("init", (event) => inits.push(event));
      await connection.once("init");
      connection.send("remember this");
      await connection.once("complete");

      token = alice; // the app refreshed its token meanwhile
      const second = await connection.once("init", () => true);
      assert.equal(inits.length, 2);
      assert.deepEqual(second.steps.map((s) => s.content), ["remember this", "echo: remember this"], "resumes with the steps so far");
      const reconnect = statuses.find((s) => s.state === "reconnecting");
      assert.ok(reconnect, JSON.stringify(statuses));
      assert.equal(reconnect.closeCode, 4401);
      assert.equal(reconnect.delayMs, 0, "at once, no backoff");
      assert.deepEqual(opened.map(tokenOf), [shortLived, alice]);

      const answer = connection.once("step", (e) => e.step.role === "agent");
      const complete = connection.once("complete");
      connection.send("still there?");
      assert.equal((await answer).step.content, "echo: still there?");
      await complete;
      await connection.close();
    });
  });

  test("a server-side drop: reconnects with growing backoff until it gets through, then a new init", async () => {
    await withService({ toolkits }, async (service) => {
      const opened: OpenedSocket[] = [];
      const dead = await deadPort();
      let failNext = 0;
      const redirect = (url: string) => {
        if (failNext === 0) return url;
        failNext--;
        const u = new URL(url);
        u.port = String(dead);
        return u.href;
      };
      const client = clientFor(service, () => alice, {
        WebSocket: recordingWebSocket(opened, redirect),
        reconnect: { initialDelayMs: 20, factor: 2, maxDelayMs: 1000, jitter: 0 },
      });
      const { id } = await client.createAgent({ modelType: "scripted-model" });
      const connection = client.connect(id);
      const statuses: ConnectionStatus[] = [];
      connection.onStatus((status) => statuses.push(status));
      await connection.once("init");

      failNext = 2;
      const next = connection.once("init");
      service.sockets.closeAll(1011, "server restarting");
      await next;
      const waits = statuses.filter((s) => s.state === "reconnecting");
      assert.deepEqual(waits.map((s) => s.delayMs), [20, 40, 80], "1st retry after the drop, then two refused attempts");
      assert.equal(waits[0]!.closeCode, 1011);
      assert.equal(statuses.at(-1)!.state, "open");
      assert.equal(opened.length, 4);

      // A new init resets the backoff.
      const again = connection.once("init");
      service.sockets.closeAll(1011, "again");
      await again;
      assert.equal(statuses.filter((s) => s.state === "reconnecting").at(-1)!.delayMs, 20);
      await connection.close();
    });
  });

  test("an agent that is gone ends the connection with its 404 instead of retrying forever", async () => {
    await withService({ toolkits }, async (service) => {
      const client = clientFor(service, () => alice, { reconnect: { initialDelayMs: 10, jitter: 0 } });
      const { id } = await client.createAgent({ modelType: "scripted-model" });
      const connection = client.connect(id);
      await connection.once("init");
      const notice = connection.once("error");
      await client.deleteAgent(id);
      assert.deepEqual({ ...(await notice), seq: 0 }, { type: "error", error: "Agent not found", code: "agent_not_found", seq: 0 });

      const closed = new Promise<ConnectionStatus>((resolve) => connection.onStatus((s) => s.state === "closed" && resolve(s)));
      service.sockets.closeAll(1011, "drop");
      const status = await closed;
      assert.equal(status.error?.status, 404);
      assert.equal(status.error?.kind, "gone");
      assert.equal(status.error?.code, "agent_not_found");
      assert.equal(status.error?.message, "Agent not found");
      await assert.rejects(connection.once("init"), (error: unknown) => error instanceof AgentClientError && error.status === 404);
      await connection.close();
    });
  });

  test("the client's socket interface fits the runtime's WebSocket", () => {
    const Global = (globalThis as unknown as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
    assert.equal(typeof Global, "function", "Node 20 needs --experimental-websocket");
  });
});
