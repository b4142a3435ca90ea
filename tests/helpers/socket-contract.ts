/**
 * The socket protocol, enforced: every frame the tests receive from the
 * service (and every message they mean to send validly) is checked against
 * the AsyncAPI document the service publishes (src/contract/asyncapi.ts),
 * with Ajv, and against the zod schemas it is generated from. A frame that
 * does not match either fails the test that received it.
 *
 * Used by openSocket (socket.ts), openRawSocket (raw-socket.ts) and the
 * client tests' WebSocket (`checkedWebSocket`).
 */
import { Ajv, type ValidateFunction } from "ajv";
import { asyncapiDocument } from "../../src/contract/asyncapi.ts";
import { CLIENT_MESSAGES, clientMessageSchema, SERVER_FRAMES, serverFrameSchema } from "../../src/contract/socket-messages.ts";

/** A message that does not match the published protocol. */
export class ContractViolation extends Error {
  override name = "ContractViolation";
}

type Direction = "server" | "client";

let validators: { server: Map<string, ValidateFunction>; client: Map<string, ValidateFunction> } | undefined;

/** One validator per message of the document, compiled once per process. */
function compiled() {
  if (validators) return validators;
  const document = asyncapiDocument({ apiPrefix: "/api" });
  const ajv = new Ajv({ allErrors: true, strict: false });
  // The document's schemas, at the same place as in the document (its `#/components/schemas/...` refs resolve).
  ajv.addSchema({ $id: "https://agent-service.invalid/asyncapi.json", components: { schemas: document.components.schemas } });
  const messageValidator = (name: string): ValidateFunction => {
    const message = document.components.messages[name] as { payload: { $ref: string } };
    const validate = ajv.getSchema(`https://agent-service.invalid/asyncapi.json${message.payload.$ref}`);
    if (!validate) throw new Error(`the document has no schema for ${name}`);
    return validate;
  };
  validators = {
    server: new Map(Object.keys(SERVER_FRAMES).map((name) => [name, messageValidator(name)])),
    client: new Map(Object.keys(CLIENT_MESSAGES).map((name) => [name, messageValidator(name)])),
  };
  return validators;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Why `value` is not a valid message in `direction`, or undefined when it is one. */
export function contractProblem(value: unknown, direction: Direction): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return `not a JSON object: ${describe(value)}`;
  const type = (value as { type?: unknown }).type;
  const validate = typeof type === "string" ? compiled()[direction].get(type) : undefined;
  if (!validate) return `no ${direction} message has type ${JSON.stringify(type)}: ${describe(value)}`;
  if (!validate(value)) {
    const errors = (validate.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ""}`);
    return `a ${direction} "${type}" message does not match the AsyncAPI document: ${errors.join("; ")} in ${describe(value)}`;
  }
  const parsed = (direction === "server" ? serverFrameSchema : clientMessageSchema).safeParse(value);
  if (!parsed.success) return `a ${direction} "${type}" message does not match its zod schema: ${parsed.error.message} in ${describe(value)}`;
  return undefined;
}

/** Throws a ContractViolation unless `value` is a frame the service may send. */
export function checkServerFrame(value: unknown): void {
  const problem = contractProblem(value, "server");
  if (problem) throw new ContractViolation(problem);
}

/** Throws a ContractViolation unless `value` is a message a client may send. */
export function checkClientMessage(value: unknown): void {
  const problem = contractProblem(value, "client");
  if (problem) throw new ContractViolation(problem);
}

/** Checks a text frame from the service: JSON, and a valid server frame. */
export function serverTextProblem(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `the service sent a text frame that is not JSON: ${text.slice(0, 200)}`;
  }
  return contractProblem(value, "server");
}

interface WebSocketConstructorLike {
  new (url: string, protocols?: string | string[]): WebSocket;
}

/**
 * A WebSocket class whose sockets check every frame received and sent,
 * recording each one that does not match in `violations` (the test asserts
 * it is empty): for code under test that opens its own sockets, such as the
 * client library's `ReactConnection`.
 */
export function checkedWebSocket(violations: string[], Base: WebSocketConstructorLike = globalThis.WebSocket): WebSocketConstructorLike {
  return class {
    constructor(url: string, protocols?: string | string[]) {
      const socket = protocols === undefined ? new Base(url) : new Base(url, protocols);
      socket.addEventListener("message", (event: MessageEvent) => {
        const problem = serverTextProblem(String(event.data));
        if (problem) violations.push(problem);
      });
      const send = socket.send.bind(socket);
      socket.send = (data: string | ArrayBufferLike | Blob | ArrayBufferView) => {
        if (typeof data === "string") {
          const problem = (() => {
            try {
              return contractProblem(JSON.parse(data), "client");
            } catch {
              return `the client sent a text frame that is not JSON: ${data.slice(0, 200)}`;
            }
          })();
          if (problem) violations.push(problem);
        }
        send(data);
      };
      return socket;
    }
  } as unknown as WebSocketConstructorLike;
}
