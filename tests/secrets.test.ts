/**
 * Secrets never leak: with the service logging at debug level, neither the
 * LiteLLM master key nor the JWT secret nor any JWT a client used (the whole
 * token, or its signature segment alone) appears in a log line, a console
 * line, an HTTP response (status line, headers, body), a WebSocket event or
 * close reason. Exercised through a full conversation (text and a tool call),
 * the LiteLLM fault matrix with upstreams that echo the key back, and good
 * and bad tokens on REST, on the socket URL and at the gateway check.
 *
 * Each test also proves the secret was really in play (the upstream got the
 * key, an upstream message carried it, a masked marker reached the log), so
 * "nothing leaked" cannot pass by the path never running.
 *
 * Runs unchanged on Node and Deno.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";
import { signJwt } from "../src/jwt.ts";
import { type Reply, sseChunk } from "./fixtures/scripted-llm.ts";
import { rawRequest, statusOf, upgradeRequest } from "./helpers/raw-http.ts";
import { MASTER_KEY, startTestService, stopTestService, type TestService, type TestServiceOptions } from "./helpers/service.ts";
import { openSocket, type SocketEvent, type TestSocket } from "./helpers/socket.ts";
import { mintToken, TEST_SECRET } from "./helpers/tokens.ts";
import { addTool } from "./helpers/tools.ts";

// ---------------------------------------------------------------------------
// What must never come out, and everything that came out
// ---------------------------------------------------------------------------

interface Secret {
  readonly label: string;
  readonly value: string;
}

/** A master key, and its part after "sk-" (the entropy, in case a prefix-based mask cut only the prefix). */
function keySecrets(label: string, key: string): Secret[] {
  const secrets = [{ label, value: key }];
  if (key.startsWith("sk-") && key.length > 12) secrets.push({ label: `${label} without sk-`, value: key.slice(3) });
  return secrets;
}

/** A JWT: the whole token and, on its own, the signature segment that makes it usable. */
function tokenSecrets(label: string, token: string): Secret[] {
  const signature = token.slice(token.lastIndexOf(".") + 1);
  const secrets = [{ label, value: token }];
  if (signature.length >= 16) secrets.push({ label: `${label} (signature)`, value: signature });
  return secrets;
}

/** Everything the service let out during one test. */
class Exposure {
  readonly surfaces: Array<{ where: string; text: string }> = [];
  readonly #restoreConsole: () => void;

  constructor() {
    // Libraries (srvx, crossws, openai, the runtime) may print; capture that too.
    const methods = ["log", "info", "warn", "error", "debug"] as const;
    const originals = methods.map((name) => console[name]);
    for (const name of methods) {
      console[name] = (...args: unknown[]) => {
        this.add(`console.${name}`, args.map((arg) => (typeof arg === "string" ? arg : safeStringify(arg))).join(" "));
      };
    }
    this.#restoreConsole = () => methods.forEach((name, i) => (console[name] = originals[i]!));
  }

  add(where: string, text: string): void {
    this.surfaces.push({ where, text });
  }

  restoreConsole(): void {
    this.#restoreConsole();
  }

  /** An HTTP request; the whole response (status, every header, body) is recorded. */
  async http(service: TestService, method: string, path: string, options: { token?: string; headers?: Record<string, string>; body?: unknown } = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${service.url}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    const where = `HTTP ${method} ${path.replace(/access-token=[^&]*/, "access-token=…")} -> ${response.status}`;
    this.add(where, `${response.status} ${response.statusText}\n${[...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${text}`);
    return { status: response.status, text, headers: response.headers };
  }

  /** A WebSocket upgrade over a raw socket: the refusal exactly as the wire carries it. */
  async rawUpgrade(service: TestService, path: string): Promise<number> {
    const raw = await rawRequest(service.server.port, upgradeRequest(path), 150);
    this.add(`raw upgrade ${path.replace(/access-token=[^&]*/, "access-token=…")}`, raw);
    return statusOf(raw);
  }

  /** Every event a socket received, and how it closed (call after it closed). */
  async socket(label: string, socket: TestSocket): Promise<void> {
    for (const event of socket.events) this.add(`ws ${label} ${event.type}`, JSON.stringify(event));
    const { code, reason } = await socket.closedWithin();
    this.add(`ws ${label} close`, `${code} ${reason}`);
  }
}

function safeStringify(value: unknown): string {
  try {
    return value instanceof Error ? `${value.name}: ${value.message}\n${value.stack ?? ""}` : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Fails with every (surface, secret) pair that matched. */
function assertNothingLeaked(exposure: Exposure, service: TestService | undefined, secrets: readonly Secret[]): void {
  const surfaces = [...exposure.surfaces, ...(service?.logs ?? []).map((line, i) => ({ where: `log line ${i}`, text: line }))];
  assert.ok(surfaces.length > 0, "something was recorded");
  const leaks: string[] = [];
  for (const { where, text } of surfaces) {
    for (const secret of secrets) {
      if (text.includes(secret.value)) leaks.push(`${secret.label} in ${where}: ${text.slice(0, 300)}`);
    }
  }
  assert.deepEqual(leaks, [], `${leaks.length} leak(s)`);
}

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const toolkits = () => basicToolkit([addTool]);

const alice = mintToken({ userId: 1, sub: "alice" });
const bob = mintToken({ userId: 2, sub: "bob", role: "ADMIN" });
/**
 * Valid, but its header JSON starts with a space, so the token starts with
 * "IHsi" instead of "eyJ": the log redactor's JWT pattern would not know it.
 * Anything that logged tokens would leak this one even with redaction on.
 */
const oddHeader = (() => {
  const claims = { sub: "carol", userId: 3, role: "REGULAR", exp: Math.floor(Date.now() / 1000) + 3600 };
  const input = `${Buffer.from(' {"alg":"HS256"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
  return `${input}.${createHmac("sha256", TEST_SECRET).update(input).digest("base64url")}`;
})();

const expired = mintToken({ userId: 1, sub: "alice", expiresIn: -3600 });
const wrongKey = mintToken({ userId: 1, sub: "alice" }, "not-the-service-secret-0123456789abcdef");
const tampered = (() => {
  const [h, , s] = alice.split(".");
  return `${h}.${Buffer.from(JSON.stringify({ sub: "alice", userId: 99, role: "ADMIN", exp: 4_000_000_000 })).toString("base64url")}.${s}`;
})();
const algNone = signJwt({ sub: "alice", userId: 1, exp: 4_000_000_000 }, TEST_SECRET, { alg: "none" });
const inactive = mintToken({ userId: 4, sub: "dave", role: "INACTIVE" });
/** A bad token that does not look like a JWT to the redactor either. */
const oddBad = `${oddHeader.slice(0, oddHeader.lastIndexOf(".") + 1)}${"A".repeat(43)}`;

const goodTokens = { alice, bob, oddHeader };
const badTokens = { expired, wrongKey, tampered, algNone, oddBad };
const allTokens: Record<string, string> = { ...goodTokens, ...badTokens, inactive };

function baseSecrets(masterKey: string = MASTER_KEY): Secret[] {
  return [
    ...keySecrets("master key", masterKey),
    { label: "JWT signing secret", value: TEST_SECRET },
    ...Object.entries(allTokens).flatMap(([name, token]) => tokenSecrets(`JWT ${name}`, token)),
  ];
}

async function withExposedService(options: TestServiceOptions, run: (service: TestService, exposure: Exposure) => Promise<void>) {
  const exposure = new Exposure();
  let service: TestService | undefined;
  try {
    service = await startTestService({ toolkits, ...options });
    await run(service, exposure);
  } finally {
    if (service) await stopTestService(service);
    exposure.restoreConsole();
  }
  // After the stop: shutdown lines count too.
  return { service: service!, exposure };
}

async function createAgent(service: TestService, exposure: Exposure, token = alice): Promise<string> {
  const created = await exposure.http(service, "POST", "/api/agents", { token, body: { modelType: "scripted-model", name: "Leak check" } });
  assert.equal(created.status, 200, created.text);
  return (JSON.parse(created.text) as { id: string }).id;
}

/** Sends a message and waits for the run's `complete`; returns the events of that run. */
async function converse(socket: TestSocket, content: string): Promise<SocketEvent[]> {
  const from = socket.events.length;
  socket.send({ type: "message", content });
  await socket.waitFor((e) => e.type === "complete", { from, timeoutMs: 8000 });
  return socket.events.slice(from);
}

const lastStepOf = (events: SocketEvent[]) =>
  events.filter((e) => e.type === "step").map((e) => e.step as { content: string; error?: string; toolResults?: unknown[] }).at(-1)!;

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

describe("secrets never leak", () => {
  test("the leak check finds a planted secret in every kind of surface", () => {
    const token = tokenSecrets("t", alice);
    for (const planted of [
      { where: "log line", text: JSON.stringify({ msg: "oops", detail: `Bearer ${alice}` }) },
      { where: "header", text: `x-debug: ${alice.slice(alice.lastIndexOf(".") + 1)}` },
      { where: "ws event", text: JSON.stringify({ type: "error", error: `key ${MASTER_KEY.slice(3)}` }) },
    ]) {
      const exposure = new Exposure();
      exposure.restoreConsole();
      exposure.add(planted.where, planted.text);
      assert.throws(() => assertNothingLeaked(exposure, undefined, [...keySecrets("master key", MASTER_KEY), ...token]), /leak/, planted.where);
    }
    const clean = new Exposure();
    clean.restoreConsole();
    clean.add("log line", JSON.stringify({ msg: "fine", detail: "Bearer [redacted-jwt] sk-[redacted]" }));
    assertNothingLeaked(clean, undefined, [...keySecrets("master key", MASTER_KEY), ...token]);
  });

  test("a full conversation over the WebSocket (text and a tool call), REST around it", async () => {
    const { service, exposure } = await withExposedService({}, async (service, exposure) => {
      const id = await createAgent(service, exposure);
      for (const path of ["/api/agents", `/api/agents/${id}`, "/api/agents/whoami", "/api/agents/models?details=true", `/api/agents/${id}/system-info`]) {
        assert.equal((await exposure.http(service, "GET", path, { token: alice })).status, 200, path);
      }
      const socket = await openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${alice}`);
      try {
        await socket.waitFor((e) => e.type === "init");
        service.upstream.enqueue(
          { kind: "tool_calls", text: "Let me add.", calls: [{ id: "c1", name: "add", arguments: '{"a":2,"b":3}' }] },
          { kind: "text", text: "2 + 3 = 5", chunkSize: 2 },
        );
        const events = await converse(socket, "what is 2 + 3?");
        const steps = events.filter((e) => e.type === "step").map((e) => e.step as { toolResults?: { output: string }[]; content: string });
        assert.deepEqual(steps.find((s) => s.toolResults)?.toolResults?.map((r) => r.output), ["5"], "the tool ran");
        assert.equal(steps.at(-1)!.content, "2 + 3 = 5");
        assert.ok(events.some((e) => e.type === "delta"), "text was streamed");
        // Same socket, the token's owner asks for the steps over REST too.
        assert.equal((await exposure.http(service, "GET", `/api/agents/${id}/react-steps`, { token: alice })).status, 200);
      } finally {
        await socket.close();
        await exposure.socket("conversation", socket);
      }
      // The key was in play: the upstream got it on every call; the user's JWT never reached LiteLLM.
      const chats = service.upstream.requests.filter((r) => r.path === "/v1/chat/completions");
      assert.equal(chats.length, 2);
      for (const request of service.upstream.requests) assert.equal(request.headers.authorization, `Bearer ${MASTER_KEY}`);
      const upstreamText = JSON.stringify(service.upstream.requests);
      for (const secret of tokenSecrets("alice", alice)) assert.ok(!upstreamText.includes(secret.value), `${secret.label} was forwarded to LiteLLM`);
      assert.ok(!upstreamText.includes(TEST_SECRET), "the JWT secret was forwarded to LiteLLM");
    });
    assert.ok(service.logs.some((line) => JSON.parse(line).msg === "agent created"), "debug logging captured the service's lines");
    assertNothingLeaked(exposure, service, baseSecrets());
  });

  const echo = (key: string) => `Authentication Error, Invalid proxy server token passed. Received API Key = ${key}, Key Hash (Token) =abc`;
  const litellmError = (status: number, message: string, type: string | null = null) => ({ error: { message, type, param: null, code: String(status) } });
  /** Chat faults with the key in LiteLLM's own words, each with the error the user sees. */
  const chatFaults = (key: string): Array<[string, Reply, RegExp]> => [
    ["401 echoing the key", { kind: "status", status: 401, body: litellmError(401, echo(key), "auth_error") }, /credentials \(a server misconfiguration\)/],
    ["429 naming the key", { kind: "status", status: 429, body: litellmError(429, `Rate limit reached for key ${key}`) }, /rate limiting/],
    // LiteLLM's own text is not shown at all (issue 12): the category and the status only.
    ["500 with the key in the message", { kind: "status", status: 500, body: litellmError(500, `litellm.APIConnectionError: upstream refused Authorization: Bearer ${key}`) }, /LiteLLM failed \(HTTP 500\)\.$/],
    ["400 with the key in the message", { kind: "status", status: 400, body: litellmError(400, `Invalid model for key=${key}`) }, /LiteLLM refused the request \(HTTP 400\)\.$/],
    ["malformed JSON", { kind: "malformed" }, /not JSON/],
    ["reset mid-stream", { kind: "reset", chunks: [sseChunk({ content: "Half an ans" })] }, /unreachable|lost/],
    ["stream without [DONE]", { kind: "chunks", done: false, chunks: [sseChunk({ content: "partial" })] }, /before \[DONE\]/],
    ["error inside the stream with the key", { kind: "chunks", chunks: [sseChunk({ content: "a" }), { error: { message: `provider said: bad key ${key}` } }] }, /LiteLLM reported an error during the answer\.$/],
  ];

  for (const [variant, masterKey] of [["sk- master key", MASTER_KEY], ["master key without the sk- prefix", "plain-master-key-9f8e7d6c5b4a3921"]] as const) {
    test(`the LiteLLM fault matrix through the service's socket turns (${variant})`, async () => {
      const faults = chatFaults(masterKey);
      const { service, exposure } = await withExposedService({ masterKey }, async (service, exposure) => {
        const id = await createAgent(service, exposure);
        const socket = await openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${alice}`);
        try {
          await socket.waitFor((e) => e.type === "init");
          for (const [name, reply, shown] of faults) {
            service.upstream.enqueue(reply);
            const step = lastStepOf(await converse(socket, `trigger: ${name}`));
            assert.match(step.error ?? "", /^The model service failed: /, name);
            assert.match(step.error ?? "", shown, name);
            assert.doesNotMatch(step.error ?? "", /redacted|APIConnectionError|Invalid model for|provider said|Rate limit reached/, `${name}: LiteLLM's text reached the user`);
          }
          // And the agent still works.
          assert.equal(lastStepOf(await converse(socket, "still there?")).content, "echo: still there?");
        } finally {
          await socket.close();
          await exposure.socket("faults", socket);
        }
        assert.equal(service.upstream.requests.at(-1)!.headers.authorization, `Bearer ${masterKey}`, "the key was in play");
      });
      // The key-bearing messages reached the log path, masked.
      const warnings = service.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.msg === "a run ended on a LiteLLM failure");
      assert.equal(warnings.length, faults.length, "one warning per failed turn");
      assert.ok(warnings.some((l) => String(l.upstream).includes("[redacted]")), "an upstream message carrying the key was logged, masked");
      assertNothingLeaked(exposure, service, baseSecrets(masterKey));
    });
  }

  // An upstream (or a proxy in front of it) may echo the key cut short: every 8-character piece of the key
  // is masked (LiteLLMClient.#clean), not only the whole key, whatever its prefix.
  for (const [variant, masterKey] of [
    ["sk- master key", MASTER_KEY],
    ["master key without the sk- prefix", "plain-master-key-9f8e7d6c5b4a3921"],
  ] as const) {
    test(`an upstream echoing the key cut short (${variant})`, async () => {
      const fragment = masterKey.slice(0, 20);
      const { service, exposure } = await withExposedService({ masterKey }, async (service, exposure) => {
        const id = await createAgent(service, exposure);
        const socket = await openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${alice}`);
        try {
          await socket.waitFor((e) => e.type === "init");
          service.upstream.enqueue({ kind: "status", status: 500, body: litellmError(500, `upstream refused Authorization: Bearer ${fragment}... (truncated)`) });
          assert.match(lastStepOf(await converse(socket, "hi")).error ?? "", /HTTP 500/);
        } finally {
          await socket.close();
          await exposure.socket("truncated echo", socket);
        }
      });
      assertNothingLeaked(exposure, service, [...baseSecrets(masterKey), { label: "master key (first 20 characters)", value: fragment }]);
    });
  }

  test("the LiteLLM fault matrix on the REST paths that call it (model list, details, agent creation)", async () => {
    const listFaults: Array<[string, Parameters<TestService["upstream"]["failNextList"]>[0]]> = [
      ["401 echoing the key", { kind: "status", status: 401, body: litellmError(401, echo(MASTER_KEY), "auth_error") }],
      ["429 naming the key", { kind: "status", status: 429, body: litellmError(429, `Rate limit for ${MASTER_KEY}`) }],
      ["500 with the key", { kind: "status", status: 500, body: litellmError(500, `boom: Authorization: Bearer ${MASTER_KEY}`) }],
      ["malformed JSON", { kind: "malformed" }],
      ["connection reset", { kind: "reset", chunks: [] }],
    ];
    const { service, exposure } = await withExposedService({}, async (service, exposure) => {
      // Cold cache: agent creation must fetch the list, and fails with it.
      service.upstream.failNextList({ kind: "status", status: 500, body: litellmError(500, `list failed for ${MASTER_KEY}`) });
      const refused = await exposure.http(service, "POST", "/api/agents", { token: alice, body: { modelType: "scripted-model" } });
      assert.equal(refused.status, 502);
      assert.match(refused.text, /LiteLLM failed \(HTTP 500\)/);
      assert.doesNotMatch(refused.text, /list failed|redacted/, "LiteLLM's own text is not shown, not even masked");
      // The LiteLLM client retries a GET whose reused keep-alive connection was reset (the
      // stale-connection race), and the retry succeeds.
      const retried = (name: string) => name === "connection reset";
      for (const [name, fault] of listFaults) {
        service.upstream.failNextList(fault);
        const answer = await exposure.http(service, "GET", "/api/agents/models", { token: alice });
        if (retried(name)) assert.ok([200, 502].includes(answer.status), name);
        else assert.equal(answer.status, 502, name);
      }
      // Warm the list cache, then fail the details (/model/info is not cached).
      assert.equal((await exposure.http(service, "GET", "/api/agents/models", { token: alice })).status, 200);
      for (const [name, fault] of listFaults) {
        service.upstream.failNextList(fault);
        const answer = await exposure.http(service, "GET", "/api/agents/models?details=true", { token: alice });
        assert.equal(answer.status, 200, name);
        if (!retried(name)) assert.ok("details_error" in (JSON.parse(answer.text) as object), name);
      }
    });
    assert.ok(service.logs.some((line) => line.includes("rejected LITELLM_MASTER_KEY")), "the 401 was logged as our misconfiguration");
    assertNothingLeaked(exposure, service, baseSecrets());
  });

  test("an upstream that refuses the key and echoes what it received (LiteLLM's own 401)", async () => {
    const { service, exposure } = await withExposedService({ upstream: { models: ["scripted-model"], requireKey: "sk-the-key-litellm-expects-000" } }, async (service, exposure) => {
      for (const [method, path, body] of [["GET", "/api/agents/models"], ["GET", "/api/agents/models?details=true"], ["POST", "/api/agents", { modelType: "scripted-model" }]] as const) {
        const answer = await exposure.http(service, method, path, { token: alice, ...(body ? { body } : {}) });
        assert.equal(answer.status, 502, path);
        assert.match(answer.text, /credentials \(a server misconfiguration\)/);
      }
      const received = service.upstream.requests.map((r) => r.headers.authorization);
      assert.ok(received.length >= 3 && received.every((h) => h === `Bearer ${MASTER_KEY}`), "the upstream saw (and echoed) our key");
    });
    assertNothingLeaked(exposure, service, baseSecrets());
  });

  test("good and bad tokens on REST, on the socket URL and at the gateway check", async () => {
    const { service, exposure } = await withExposedService({}, async (service, exposure) => {
      const id = await createAgent(service, exposure);
      // REST: Bearer header.
      for (const [name, token] of Object.entries(allTokens)) {
        const expected = name in goodTokens ? 200 : name === "inactive" ? 403 : 401;
        assert.equal((await exposure.http(service, "GET", "/api/agents", { token })).status, expected, `GET /api/agents as ${name}`);
        assert.equal((await exposure.http(service, "GET", "/api/agents/whoami", { token })).status, expected, `whoami as ${name}`);
        // The token in the query of a REST call is not a credential there, and is not echoed.
        assert.equal((await exposure.http(service, "GET", `/api/agents?access-token=${token}`)).status, 401, `query token on REST (${name})`);
        // A broken percent-encoding in the path, with the token in the query: the answer does not echo the URL.
        const odd = await exposure.http(service, "GET", `/api/agents/%E0%A4%A/react?access-token=${token}`, { token });
        assert.equal(odd.status, 426, `malformed path (${name}): the route wants an upgrade before it reads a token`);
        // Gateway check: Envoy form (original path appended, token in the query) and nginx form (X-Original-URI).
        const envoy = await exposure.http(service, "GET", `/api/auth/api/agents/${id}/react?access-token=${token}`);
        const nginx = await exposure.http(service, "GET", "/api/auth", { headers: { "x-original-uri": `/api/agents/${id}/react?access-token=${token}` } });
        const header = await exposure.http(service, "GET", `/api/auth/api/agents/${id}`, { token });
        for (const answer of [envoy, nginx, header]) assert.equal(answer.status, expected, `gateway check (${name})`);
      }
      // The socket URL: bad tokens are refused before the upgrade (raw, as on the wire), good ones get a socket.
      for (const [name, token] of Object.entries(badTokens)) {
        assert.equal(await exposure.rawUpgrade(service, `/api/agents/${id}/react?access-token=${token}`), 401, `socket as ${name}`);
        await assert.rejects(openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${token}`), `socket as ${name}`);
      }
      assert.equal(await exposure.rawUpgrade(service, `/api/agents/${id}/react?access-token=${inactive}`), 403);
      // carol's own agent (alice's is not hers); bob is ADMIN and may open alice's.
      const carols = await createAgent(service, exposure, oddHeader);
      for (const [name, token] of Object.entries(goodTokens)) {
        const socket = await openSocket(`${service.wsUrl}/api/agents/${name === "oddHeader" ? carols : id}/react?access-token=${token}`);
        try {
          const init = await socket.waitFor((e) => e.type === "init");
          assert.equal(init.type, "init", name);
          if (name === "alice") assert.equal(lastStepOf(await converse(socket, "hello")).content, "echo: hello");
          // A frame that is not JSON, and one that carries the caller's own token: errors do not echo it.
          socket.sendRaw(`{not json ${token}`);
          await socket.waitFor((e) => e.type === "error", { from: socket.events.length - 1 });
        } finally {
          await socket.close();
          await exposure.socket(`socket ${name}`, socket);
        }
      }
      // Ownership holds for the odd-looking token too.
      assert.equal((await exposure.http(service, "GET", `/api/agents/${id}`, { token: oddHeader })).status, 404);
      assert.equal((await exposure.http(service, "GET", `/api/agents/${carols}`, { token: oddHeader })).status, 200);
    });
    assertNothingLeaked(exposure, service, baseSecrets());
  });
});
