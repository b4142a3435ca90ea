/**
 * A small client of agent-service for browsers, Node and Deno: typed calls to
 * every route with the JWT always attached, and the `/react` socket as a
 * typed event stream that reconnects by itself.
 *
 * Exported as `agent-service/client` (npm) and `./client` (deno.json). The
 * service also serves it, compiled, as a plain ES module at
 * `/api/playground/client.js`, so a page can import it without a bundler.
 *
 * @example
 * ```ts
 * import { AgentClient } from "agent-service/client";
 *
 * const client = new AgentClient({ baseUrl: "http://localhost:3001/api", getToken: () => sessionStorage.getItem("token") ?? "" });
 * const models = await client.listModels();
 * const agent = await client.createAgent({ modelType: models.data[0]!.id });
 * const connection = client.connect(agent.id);
 * connection.on("step", ({ step }) => console.log(step.role, step.content));
 * connection.send("hello");
 * ```
 *
 * @module
 */
export { AgentClient, type AgentClientOptions, type ConnectOptions, type WebSocketConstructor } from "./agent-client.ts";
export { AgentClientError, type AgentClientErrorKind, type ErrorCode } from "./errors.ts";
export {
  type ConnectionState,
  type ConnectionStatus,
  ReactConnection,
  type ReconnectOptions,
  TOKEN_EXPIRED_CLOSE_CODE,
  type WebSocketLike,
} from "./react-connection.ts";
export { SOCKET_PROTOCOL, socketProtocols, TOKEN_PROTOCOL_PREFIX, tokenProtocol } from "../socket-auth.ts";
export type * from "./types.ts";
