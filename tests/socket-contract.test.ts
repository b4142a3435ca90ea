/**
 * The socket protocol's published contract: the AsyncAPI document is valid
 * AsyncAPI 3.0 (the official JSON Schema, from @asyncapi/specs), it is served
 * open and cacheable, the types the client library exports are the schemas'
 * types (checked by the compiler), and the checker the suite runs on every
 * socket frame rejects what the service must not send.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { Ajv } from "ajv";
import type { z } from "zod";
import type { AgentEvent, AgentInfo, AgentSettings, InitEvent, ReActStep, StepCost, StepUsage, UsageTotals } from "../src/client/index.ts";
import { asyncapiDocument, MESSAGE_EXAMPLES, SOCKET_CLOSE_CODES } from "../src/contract/asyncapi.ts";
import {
  agentEventUnionSchema,
  agentInfoSchema,
  agentSettingsSchema,
  CLIENT_MESSAGES,
  initEventSchema,
  reactStepSchema,
  SERVER_FRAMES,
  stepCostSchema,
  stepUsageSchema,
  usageTotalsSchema,
} from "../src/contract/socket-messages.ts";
import { ERROR_CODES } from "../src/error-codes.ts";
import { docsRoutes } from "../src/http/docs-routes.ts";
import { BACKLOG_CLOSE_CODE } from "../src/http/socket-backlog.ts";
import { MESSAGE_TOO_BIG_CLOSE_CODE, TOKEN_EXPIRED_CLOSE_CODE, TOO_MANY_MESSAGES_CLOSE_CODE } from "../src/http/react-socket.ts";
import { readFile } from "node:fs/promises";
import { checkClientMessage, checkedWebSocket, checkServerFrame, ContractViolation, contractProblem } from "./helpers/socket-contract.ts";
import { withService } from "./helpers/service.ts";
import { openSocket } from "./helpers/socket.ts";
import { bearer, mintToken } from "./helpers/tokens.ts";

// ---- compile time: the client library's types are the schemas' types ----------
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const same = <A, B>(proof: Equal<A, B>) => proof;
same<z.infer<typeof reactStepSchema>, ReActStep>(true);
same<z.infer<typeof agentInfoSchema>, AgentInfo>(true);
same<z.infer<typeof agentSettingsSchema>, AgentSettings>(true);
same<z.infer<typeof stepUsageSchema>, StepUsage>(true);
same<z.infer<typeof stepCostSchema>, StepCost>(true);
same<z.infer<typeof usageTotalsSchema>, UsageTotals>(true);
same<z.infer<typeof initEventSchema>, InitEvent>(true);
same<z.infer<typeof agentEventUnionSchema>, AgentEvent>(true);
// The checker is not vacuous: a type that differs is told apart.
same<z.infer<typeof stepUsageSchema>, StepUsage & { extra: 1 }>(false);

const require = createRequire(import.meta.url);

/** The official AsyncAPI 3.0.0 JSON Schema (draft-07, with its own copy of the draft-07 meta-schema). */
function asyncapiValidator() {
  const specs = require("@asyncapi/specs") as { schemas: Record<string, object> };
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, meta: false, validateSchema: false });
  return ajv.compile(specs.schemas["3.0.0"]!);
}

describe("the AsyncAPI document of the /react socket", () => {
  test("validates against the official AsyncAPI 3.0 schema, and a broken one does not", () => {
    const validate = asyncapiValidator();
    const document = JSON.parse(JSON.stringify(asyncapiDocument({ apiPrefix: "/api" })));
    assert.equal(validate(document), true, JSON.stringify(validate.errors?.slice(0, 5), null, 2));

    const broken = structuredClone(document);
    broken.operations.sendAgentEvent.action = "publish"; // AsyncAPI 2's word, not 3's
    assert.equal(validate(broken), false);
    const noInfo = structuredClone(document);
    delete noInfo.info;
    assert.equal(validate(noInfo), false);
  });

  test("has every client and server message, each with a schema and an example that the checker accepts", () => {
    const document = asyncapiDocument({ apiPrefix: "/api" });
    const names = Object.keys(document.channels.react.messages).sort();
    assert.deepEqual(names, [...Object.keys(CLIENT_MESSAGES), ...Object.keys(SERVER_FRAMES)].sort());
    for (const name of Object.keys(CLIENT_MESSAGES)) checkClientMessage(MESSAGE_EXAMPLES[name]);
    for (const name of Object.keys(SERVER_FRAMES)) checkServerFrame(MESSAGE_EXAMPLES[name]);
    for (const message of Object.values(document.components.messages) as { payload: { $ref: string } }[]) {
      const id = message.payload.$ref.split("/").pop()!;
      assert.ok(document.components.schemas[id], `${id} is in components.schemas`);
    }
  });

  test("honours the API prefix, and describes the upgrade's auth, the close codes and the error codes", () => {
    const document = asyncapiDocument({ apiPrefix: "/v2/api" });
    assert.equal(document.channels.react.address, "/v2/api/agents/{id}/react");
    const description = (document.channels.react as unknown as { description: string }).description;
    for (const code of [TOO_MANY_MESSAGES_CLOSE_CODE, MESSAGE_TOO_BIG_CLOSE_CODE, BACKLOG_CLOSE_CODE, TOKEN_EXPIRED_CLOSE_CODE, 1011]) {
      assert.ok(SOCKET_CLOSE_CODES.some((entry) => entry.code === code), `close code ${code} is described`);
      assert.ok(description.includes(`\`${code}\``), `close code ${code} is in the channel's description`);
    }
    const schemes = (document.components as unknown as { securitySchemes: Record<string, { in?: string; name?: string }> }).securitySchemes;
    assert.deepEqual(Object.values(schemes).map((scheme) => scheme.name ?? "Authorization").sort(), ["Authorization", "Sec-WebSocket-Protocol", "access-token"]);
    const errorCode = document.components.schemas.ErrorCode as { enum: string[] };
    assert.deepEqual([...errorCode.enum].sort(), Object.keys(ERROR_CODES).sort());
  });
});

describe("the socket checker the test suite runs on every frame", () => {
  const good = { type: "state", state: "GENERATING", seq: 3 };

  test("accepts a valid frame and rejects malformed server messages", () => {
    checkServerFrame(good);
    const bad: [string, unknown][] = [
      ["no seq on an event", { type: "state", state: "GENERATING" }],
      ["an unknown state", { ...good, state: "SLEEPING" }],
      ["an unknown type", { type: "dance", seq: 1 }],
      ["a field the protocol does not have", { ...good, secret: "sk-…" }],
      ["an error code outside the table", { type: "error", error: "x", code: "oops" }],
      ["a step whose role is wrong", { type: "step", seq: 1, step: { ...(MESSAGE_EXAMPLES.step!.step as object), role: "system" } }],
      ["a negative seq", { ...good, seq: -1 }],
      ["init without more", { type: "init", state: "AVAILABLE", steps: [], headId: null, seq: 0 }],
      ["not an object", [good]],
      ["null", null],
    ];
    for (const [what, frame] of bad) {
      assert.throws(() => checkServerFrame(frame), ContractViolation, what);
    }
  });

  test("the checking WebSocket records a malformed frame from the server and a malformed message to it", async () => {
    const violations: string[] = [];
    // A stand-in socket: what it "receives" is dispatched by hand.
    class FakeSocket extends EventTarget {
      sent: unknown[] = [];
      constructor(readonly url: string) {
        super();
      }
      send(data: unknown) {
        this.sent.push(data);
      }
    }
    const Checked = checkedWebSocket(violations, FakeSocket as unknown as new (url: string) => WebSocket);
    const socket = new Checked("ws://example.invalid/") as unknown as FakeSocket;
    socket.dispatchEvent(Object.assign(new Event("message"), { data: JSON.stringify(good) }));
    socket.send(JSON.stringify({ type: "stop" }));
    assert.deepEqual(violations, []);
    socket.dispatchEvent(Object.assign(new Event("message"), { data: JSON.stringify({ type: "state", state: "GENERATING" }) }));
    socket.dispatchEvent(Object.assign(new Event("message"), { data: "{not json" }));
    socket.send(JSON.stringify({ type: "message", content: "" }));
    assert.equal(violations.length, 3, violations.join("\n"));
    assert.equal(socket.sent.length, 2, "the messages are still sent (the test of the service sees its answer)");
  });

  test("client messages: a blank content or an unknown type is not a valid client message", () => {
    checkClientMessage({ type: "message", content: "hi" });
    checkClientMessage({ type: "prompt", content: "hi", messageSource: "feedback" });
    checkClientMessage({ type: "stop" });
    assert.ok(contractProblem({ type: "message", content: "" }, "client"));
    assert.ok(contractProblem({ type: "message" }, "client"));
    assert.ok(contractProblem({ type: "prompt", content: "x", messageSource: "email" }, "client"));
    assert.ok(contractProblem({ type: "dance" }, "client"));
    // A server frame is not a client message.
    assert.ok(contractProblem(good, "client"));
  });
});

describe("GET /api/asyncapi.json", () => {
  test("is open (no token), JSON, cacheable with an ETag, and a matching If-None-Match gets 304", async () => {
    await withService({ extraRoutes: [docsRoutes()] }, async (service) => {
      const response = await fetch(`${service.url}/api/asyncapi.json`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      assert.match(response.headers.get("cache-control") ?? "", /max-age=\d+/);
      const etag = response.headers.get("etag");
      assert.match(etag ?? "", /^"[A-Za-z0-9_-]{43}"$/);
      const document = await response.json();
      assert.equal(document.asyncapi, "3.0.0");
      assert.equal(document.channels.react.address, "/api/agents/{id}/react");
      assert.deepEqual(document, JSON.parse(JSON.stringify(asyncapiDocument({ apiPrefix: "/api" }))));

      const again = await fetch(`${service.url}/api/asyncapi.json`, { headers: { "if-none-match": etag! } });
      assert.equal(again.status, 304);
      assert.equal(again.headers.get("etag"), etag);
      assert.equal(await again.text(), "");
      const other = await fetch(`${service.url}/api/asyncapi.json`, { headers: { "if-none-match": '"something-else"' } });
      assert.equal(other.status, 200);
      await other.body?.cancel();
    });
  });
});

describe("GET /api/docs", () => {
  test("serves the reference page and its files under a CSP of its own origin only", async () => {
    await withService({ extraRoutes: [docsRoutes({ openapiUrl: "/api/openapi.json" })] }, async (service) => {
      const page = await fetch(`${service.url}/api/docs`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      const csp = page.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/);
      assert.match(csp, /style-src 'self' 'nonce-[A-Za-z0-9+/=]{24}'/);
      assert.match(csp, /(^|; )script-src|default-src 'self';/);
      assert.equal(page.headers.get("x-frame-options"), "DENY");
      const html = await page.text();
      assert.match(html, /data-spec="\/api\/openapi\.json"/);
      assert.match(html, /href="asyncapi\.json"/);
      assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]|https?:\/\//, "no inline script, nothing from elsewhere");

      for (const name of ["redoc.standalone.js", "docs.js", "docs.css"]) {
        const file = await fetch(`${service.url}/api/docs/${name}`);
        assert.equal(file.status, 200, name);
        assert.ok((await file.arrayBuffer()).byteLength > 100, name);
      }
      // A fresh nonce per load: the page is never cached.
      const second = await fetch(`${service.url}/api/docs`);
      assert.notEqual(second.headers.get("content-security-policy"), csp);
      assert.equal(second.headers.get("cache-control"), "no-store");
      await second.body?.cancel();
      const asset = await fetch(`${service.url}/api/docs/redoc.standalone.js`);
      assert.doesNotMatch(await asset.text(), /cdn\.redoc\.ly/, "the bundle loads nothing from Redocly");

      const slash = await fetch(`${service.url}/api/docs/`, { redirect: "manual" });
      assert.equal(slash.status, 308);
      assert.equal(slash.headers.get("location"), "/api/docs");
      await slash.body?.cancel();
    });
  });

  test("the playground links to it", async () => {
    const html = await readFile(new URL("../src/playground/index.html", import.meta.url), "utf8");
    assert.match(html, /<a id="api-docs"[^>]* href="\.\.\/docs"/);
  });
});

describe("every frame the service sends, sent and checked", () => {
  test("one conversation on each protocol produces every server frame of the document, each valid", async () => {
    const alice = mintToken({ userId: 1, sub: "alice" });
    const json = { ...bearer(alice), "content-type": "application/json" };
    await withService({}, async (service) => {
      const created = await fetch(`${service.url}/api/agents`, { method: "POST", headers: json, body: JSON.stringify({ modelType: "scripted-model" }) });
      const { id } = (await created.json()) as { id: string };
      const seen = new Set<string>();
      for (const protocol of ["", "&protocol=2"]) {
        const socket = await openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${alice}${protocol}`);
        try {
          await socket.waitFor((e) => e.type === "init" || e.type === "snapshot");
          socket.send({ type: protocol ? "prompt" : "message", content: "hello", ...(protocol ? { messageSource: "chat" } : {}) });
          await socket.waitFor((e) => e.type === "complete");
          socket.sendRaw("{not json");
          await socket.waitFor((e) => e.type === "error");
          let from = socket.events.length;
          const renamed = await fetch(`${service.url}/api/agents/${id}`, { method: "PATCH", headers: json, body: JSON.stringify({ name: `renamed${protocol}` }) });
          assert.equal(renamed.status, 200);
          await renamed.body?.cancel();
          await socket.waitFor((e) => e.type === "agent", { from });
          from = socket.events.length;
          const cleared = await fetch(`${service.url}/api/agents/${id}/clear`, { method: "POST", headers: json });
          await cleared.body?.cancel();
          await socket.waitFor((e) => e.type === (protocol ? "snapshot" : "headChange"), { from });
          socket.send({ type: "stop" });
          for (const event of socket.events) seen.add(event.type);
        } finally {
          await socket.close();
        }
        assert.deepEqual(socket.violations, []);
      }
      assert.deepEqual([...seen].sort(), Object.keys(SERVER_FRAMES).sort(), "every server frame of the document was sent (and checked)");
    });
  });
});
