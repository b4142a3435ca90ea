/**
 * The `/react` WebSocket protocol as an AsyncAPI 3.0 document, generated
 * from the zod schemas of socket-messages.ts (`z.toJSONSchema`): the upgrade
 * and its authentication, every client and server message, the close codes
 * and the error codes. Pure: the same prefix gives the same document.
 *
 * Served at `GET ${prefix}/asyncapi.json` (http/docs-routes.ts), built on the
 * first request; tests validate it against the official AsyncAPI 3.0 schema.
 *
 * @example
 * ```ts
 * const document = asyncapiDocument({ apiPrefix: "/api" });
 * document.channels.react.address; // "/api/agents/{id}/react"
 * ```
 *
 * @module
 */
import { z } from "zod";
import { ERROR_CODES } from "../error-codes.ts";
import { SOCKET_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from "../socket-auth.ts";
import { CLIENT_MESSAGES, SERVER_FRAMES, socketSchemas } from "./socket-messages.ts";

export interface AsyncapiOptions {
  /** The API's path prefix (API_PREFIX), e.g. `/api`. */
  readonly apiPrefix: string;
  /** The document's `info.version`. Default: the service's version. */
  readonly version?: string;
}

/** The close codes a `/react` socket may end with, and what the client should do. */
export const SOCKET_CLOSE_CODES = [
  { code: 1000, reason: "normal", description: "A normal close (the client closed the socket)." },
  { code: 1001, reason: "going away", description: "The service is shutting down; reconnect (another replica answers)." },
  { code: 1008, reason: "too many messages / too many sockets", description: "Policy violation: the client sent frames faster than any UI would (a burst of 100, then 20 per second), or the user has as many sockets open as they may (after an `error` with `quota_exceeded`)." },
  { code: 1009, reason: "message too big", description: "A frame larger than MAX_BODY_BYTES." },
  { code: 1011, reason: "store unavailable", description: "The agent store could not be reached when the socket opened (after an `error` with `store_unavailable`); reconnect shortly." },
  { code: 1013, reason: "client is not reading", description: "Try again later: more than SOCKET_MAX_BUFFER_BYTES waited unsent; reconnect with `?after=<seq>` once reading again." },
  { code: 4401, reason: "token expired", description: "The token the socket was opened with expired; reconnect with a fresh token." },
] as const;

const SERVICE_VERSION = "0.1.0";

/** Examples, one per message: the document's, and the tests' proof that the schemas accept what the service sends. */
const STEP_EXAMPLE = {
  id: "3f1c2a9e-0c1d-4f4e-9a51-6f0e7f2b1c11",
  messageId: "9b2d6c1e-4e7f-4b3a-8d2c-1a0b9c8d7e6f",
  stepId: 0,
  timestamp: 1764633600000,
  role: "user",
  content: "Add a CSV scan of sales.csv",
  isBegin: true,
  isEnd: false,
  messageSource: "chat",
};
const AGENT_EXAMPLE = {
  id: "a-7d0e6f",
  name: "Sales copilot",
  modelType: "gpt-4o-mini",
  state: "AVAILABLE",
  createdAt: "2026-12-02T00:00:00.000Z",
  owner: { uid: 1, name: "alice" },
  settings: {
    maxOperatorResultCharLimit: 20000,
    maxOperatorResultCellCharLimit: 4000,
    operatorResultSerializationMode: "tsv",
    toolTimeoutSeconds: 120,
    executionTimeoutMinutes: 10,
    disabledTools: [],
    maxSteps: 20,
    allowedOperatorTypes: [],
  },
};
export const MESSAGE_EXAMPLES: Record<string, Record<string, unknown>> = {
  message: { type: "message", content: "Add a CSV scan of sales.csv" },
  prompt: { type: "prompt", content: "That filter is wrong", messageSource: "feedback" },
  stop: { type: "stop" },
  init: { type: "init", state: "AVAILABLE", steps: [STEP_EXAMPLE], headId: STEP_EXAMPLE.id, seq: 12, more: false },
  state: { type: "state", state: "GENERATING", seq: 13 },
  delta: { type: "delta", messageId: STEP_EXAMPLE.messageId, stepId: 1, text: "I'll add", seq: 14 },
  step: { type: "step", step: STEP_EXAMPLE, seq: 15 },
  complete: {
    type: "complete",
    state: "AVAILABLE",
    usage: { inputTokens: 812, outputTokens: 64, totalTokens: 876, cachedInputTokens: 0, costUsd: 0.000161, calls: 1, callsWithoutUsage: 0, callsWithoutCost: 0 },
    seq: 16,
  },
  error: { type: "error", error: "Agent is busy", code: "agent_busy" },
  headChange: { type: "headChange", headId: null, steps: [], seq: 17 },
  agent: { type: "agent", agent: AGENT_EXAMPLE, seq: 18 },
  snapshot: { type: "snapshot", state: "AVAILABLE", steps: [], headId: null, seq: 0, more: false },
  status: { type: "status", state: "GENERATING", seq: 1 },
};

const CHANNEL_DESCRIPTION = (prefix: string) => `One agent's conversation, live. Open it with a WebSocket upgrade of \`GET ${prefix}/agents/{id}/react\`.

**Authentication** (any one of): the token in a \`Sec-WebSocket-Protocol\` entry — offer \`${SOCKET_PROTOCOL}\` and \`${TOKEN_PROTOCOL_PREFIX}<the token as unpadded base64url>\`; the service selects \`${SOCKET_PROTOCOL}\` and never echoes the token entry (what browsers should use: URLs end up in logs) — or \`?access-token=<token>\` (the reference frontend's way), or an \`Authorization: Bearer\` header (non-browser clients). A refused upgrade is an HTTP answer with an \`{error, code}\` body: 401 \`unauthorized\`, 403 \`forbidden\`, 404 \`agent_not_found\` (no such agent, or not the caller's), 426 \`upgrade_required\` (not an upgrade), 400 \`invalid_request\` (a token entry without \`${SOCKET_PROTOCOL}\`).

**Flow**: the first frame is \`init\` (the agent now); then every event of the agent, each with \`seq\`. Reconnecting with \`?after=<seq>\` replays what was missed of the current run instead (no \`init\`), or sends \`init\` when those events are no longer kept. \`?protocol=2\` uses the newer reference's names (\`snapshot\` for \`init\` and \`headChange\`, \`status\` for \`state\`).

**Bad input** (not JSON, not an object, an unknown \`type\`, blank or too long \`content\`) gets an \`error\` frame and the socket stays open.

**Close codes**:
${SOCKET_CLOSE_CODES.map((entry) => `- \`${entry.code}\` (${entry.reason}): ${entry.description}`).join("\n")}

**Error codes** (\`code\` of \`error\` frames): ${Object.keys(ERROR_CODES).map((code) => `\`${code}\``).join(", ")}.`;

const SERVER_FRAME_TITLES: Record<keyof typeof SERVER_FRAMES, string> = {
  init: "The agent now",
  state: "State changed",
  delta: "Streamed text",
  step: "Step added",
  complete: "Run ended",
  error: "Error",
  headChange: "HEAD moved",
  agent: "Agent changed",
  snapshot: "Snapshot (protocol 2)",
  status: "Status (protocol 2)",
};
const CLIENT_MESSAGE_TITLES: Record<keyof typeof CLIENT_MESSAGES, string> = {
  message: "Send a message",
  prompt: "Send a prompt",
  stop: "Stop the run",
};

/** A JSON document (what `JSON.stringify` takes). */
export type AsyncapiDocument = Record<string, unknown> & {
  asyncapi: "3.0.0";
  channels: { react: { address: string; messages: Record<string, unknown> } };
  components: { schemas: Record<string, unknown>; messages: Record<string, unknown> };
};

/** The AsyncAPI 3.0 document of the `/react` socket. */
export function asyncapiDocument(options: AsyncapiOptions): AsyncapiDocument {
  const prefix = options.apiPrefix;
  const { schemas } = z.toJSONSchema(socketSchemas, {
    target: "draft-7",
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: "any",
  });
  const named = (schema: z.ZodType): string => {
    const id = socketSchemas.get(schema)?.id;
    if (!id) throw new Error("a socket message schema has no id");
    return id;
  };
  const message = (name: string, schema: z.ZodType, title: string) => ({
    name,
    title,
    summary: socketSchemas.get(schema)?.description,
    contentType: "application/json",
    payload: { $ref: `#/components/schemas/${named(schema)}` },
    examples: [{ name, payload: MESSAGE_EXAMPLES[name] }],
  });
  const messages: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(CLIENT_MESSAGES)) {
    messages[name] = message(name, schema, CLIENT_MESSAGE_TITLES[name as keyof typeof CLIENT_MESSAGES]);
  }
  for (const [name, schema] of Object.entries(SERVER_FRAMES)) {
    messages[name] = message(name, schema, SERVER_FRAME_TITLES[name as keyof typeof SERVER_FRAMES]);
  }
  const channelMessages = Object.fromEntries(Object.keys(messages).map((name) => [name, { $ref: `#/components/messages/${name}` }]));
  const refs = (names: string[]) => names.map((name) => ({ $ref: `#/channels/react/messages/${name}` }));
  const security = [
    { $ref: "#/components/securitySchemes/protocolToken" },
    { $ref: "#/components/securitySchemes/accessTokenQuery" },
    { $ref: "#/components/securitySchemes/bearer" },
  ];

  // z.toJSONSchema puts `$schema` and `$id` (the uri) on every entry; inside a document they are noise.
  for (const schema of Object.values(schemas)) {
    delete (schema as { $schema?: unknown }).$schema;
    delete (schema as { $id?: unknown }).$id;
  }

  return {
    asyncapi: "3.0.0",
    id: "urn:agent-service:react-socket",
    info: {
      title: "agent-service: the /react WebSocket",
      version: options.version ?? SERVICE_VERSION,
      description:
        "The live side of agent-service: one WebSocket per agent carries the user's messages to it and every event of its runs back. " +
        `The REST side is described by \`${prefix}/openapi.json\`; a reference page for both is at \`${prefix}/docs\`. ` +
        "The client library (`agent-service/client`, `ReactConnection`) speaks this protocol and reconnects by itself.",
    },
    defaultContentType: "application/json",
    channels: {
      react: {
        address: `${prefix}/agents/{id}/react`,
        title: "An agent's /react socket",
        description: CHANNEL_DESCRIPTION(prefix),
        parameters: { id: { description: "The agent's id (one of the caller's agents)." } },
        messages: channelMessages,
        bindings: {
          ws: {
            bindingVersion: "0.1.0",
            method: "GET",
            query: {
              type: "object",
              properties: {
                after: { type: "string", pattern: "^\\d{1,15}$", description: "Resume after this `seq`: replay the missed events of the current run instead of `init`." },
                protocol: { type: "string", enum: ["2"], description: "Use the newer reference's frame names (`snapshot`, `status`)." },
                "access-token": { type: "string", description: "The JWT (the reference frontend's way; prefer the Sec-WebSocket-Protocol entry)." },
              },
            },
            headers: {
              type: "object",
              properties: {
                "Sec-WebSocket-Protocol": {
                  type: "string",
                  description: `\`${SOCKET_PROTOCOL}, ${TOKEN_PROTOCOL_PREFIX}<token as unpadded base64url>\`; the answer selects \`${SOCKET_PROTOCOL}\`.`,
                },
                Authorization: { type: "string", description: "`Bearer <token>` (clients that can set headers)." },
              },
            },
          },
        },
      },
    },
    operations: {
      receiveClientMessage: {
        action: "receive",
        channel: { $ref: "#/channels/react" },
        title: "Client to service",
        summary: "What a client sends: a user message (`message` or `prompt`) to start a run, or `stop`.",
        security,
        messages: refs(Object.keys(CLIENT_MESSAGES)),
      },
      sendAgentEvent: {
        action: "send",
        channel: { $ref: "#/channels/react" },
        title: "Service to client",
        summary: "What the service sends: `init` first, then the agent's events (each with `seq`), and `error` answers.",
        security,
        messages: refs(Object.keys(SERVER_FRAMES)),
      },
    },
    components: {
      schemas,
      messages,
      securitySchemes: {
        protocolToken: {
          type: "httpApiKey",
          in: "header",
          name: "Sec-WebSocket-Protocol",
          description: `The JWT in a subprotocol entry: offer \`${SOCKET_PROTOCOL}\` and \`${TOKEN_PROTOCOL_PREFIX}\` followed by the token as unpadded base64url (the client library's \`socketProtocols(token)\`).`,
        },
        accessTokenQuery: {
          type: "httpApiKey",
          in: "query",
          name: "access-token",
          description: "The JWT in the `access-token` query parameter.",
        },
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "The JWT in an `Authorization: Bearer` header." },
      },
    },
    "x-close-codes": SOCKET_CLOSE_CODES,
  } as AsyncapiDocument;
}
