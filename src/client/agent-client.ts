/**
 * `AgentClient`: typed calls to every agent-service route, for browsers,
 * Node and Deno. Every REST call asks `getToken()` for the current token and
 * sends it as `Authorization: Bearer`; there is no way to make a call without
 * it (the reference frontend once forgot it on the agent list, which then
 * failed silently). The `/react` socket carries it in a
 * `Sec-WebSocket-Protocol` entry, never in its URL (see socket-auth.ts).
 *
 * @module
 */
import { socketProtocols } from "../socket-auth.ts";
import { AgentClientError } from "./errors.ts";
import { type ReconnectOptions, ReactConnection, type WebSocketLike } from "./react-connection.ts";
import type {
  AgentDetails,
  AgentUsage,
  AgentInfo,
  AgentPage,
  ConversationPage,
  AgentSettings,
  CallerInfo,
  CreateAgentInput,
  ModelList,
  ReactSteps,
  OperatorTypeInfo,
  SystemInfo,
  UpdateAgentInput,
  UserUsage,
  UserUsageQuery,
} from "./types.ts";

/** A constructor of WebSockets: the global one, or another with the same API (subprotocols as the second argument). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface AgentClientOptions {
  /**
   * The service's API root, prefix included: `http://localhost:3001/api`.
   * In a browser a relative one (`/api`) is resolved against the page.
   */
  readonly baseUrl: string | URL;
  /**
   * The current token. Called before every request and every socket
   * (re)connection, so a refreshed token is picked up; never cached here.
   */
  readonly getToken: () => string | Promise<string>;
  /** Defaults to the global `fetch`. */
  readonly fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Defaults to the global `WebSocket` (Node 20 needs `--experimental-websocket`). */
  readonly WebSocket?: WebSocketConstructor;
  /** How dropped sockets reconnect. */
  readonly reconnect?: ReconnectOptions;
}

/** Options of one `/react` connection. */
export interface ConnectOptions {
  readonly reconnect?: ReconnectOptions;
}

/** What a connection needs from its client. */
export interface ConnectionHost {
  token(): Promise<string>;
  /** A new socket to the agent, carrying `token`. */
  openSocket(agentId: string, token: string): WebSocketLike;
  getAgent(agentId: string): Promise<AgentDetails>;
  stop(agentId: string): Promise<{ status: "stopping" | "idle" }>;
}

/**
 * A client of agent-service.
 *
 * @example
 * ```ts
 * import { AgentClient } from "agent-service/client";
 *
 * const client = new AgentClient({ baseUrl: "http://localhost:3001/api", getToken: () => auth.currentToken() });
 * const agent = await client.createAgent({ modelType: "gpt-4o-mini", name: "Ada" });
 * const socket = client.connect(agent.id);
 * socket.on("delta", (event) => process.stdout.write(event.text));
 * socket.on("complete", () => socket.close());
 * socket.send("Build me a workflow that counts words");
 * ```
 */
export class AgentClient {
  readonly baseUrl: string;
  readonly #getToken: () => string | Promise<string>;
  readonly #fetch: (input: string, init: RequestInit) => Promise<Response>;
  readonly #WebSocket: WebSocketConstructor | undefined;
  readonly #reconnect: ReconnectOptions | undefined;

  constructor(options: AgentClientOptions) {
    if (typeof options.getToken !== "function") throw new TypeError("AgentClient: getToken must be a function");
    const location = (globalThis as { location?: { href: string } }).location;
    const base = new URL(String(options.baseUrl), location?.href);
    if (base.protocol !== "http:" && base.protocol !== "https:") throw new TypeError(`AgentClient: baseUrl must be http(s), got ${base.protocol}`);
    this.baseUrl = base.href.replace(/\/+$/, "");
    this.#getToken = options.getToken;
    // Looked up at call time: a browser's fetch must be called with the global as `this`.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#WebSocket = options.WebSocket;
    this.#reconnect = options.reconnect;
  }

  // --- REST ----------------------------------------------------------------

  /** `GET /healthcheck`. */
  health(): Promise<{ status: "ok"; timestamp: string }> {
    return this.#request("GET", "/healthcheck");
  }

  /** `GET /agents/whoami`: who the token says the caller is. */
  async whoami(): Promise<CallerInfo> {
    return (await this.#request<{ user: CallerInfo }>("GET", "/agents/whoami")).user;
  }

  /** `GET /agents/models`: the models LiteLLM lists; `details` adds what `/model/info` knows. */
  listModels(options: { details?: boolean } = {}): Promise<ModelList> {
    return this.#request("GET", options.details ? "/agents/models?details=true" : "/agents/models");
  }

  /** `GET /agents`, every page: the caller's agents (an ADMIN's: everyone's), oldest first. */
  async listAgents(): Promise<AgentInfo[]> {
    const agents: AgentInfo[] = [];
    let cursor: string | null = null;
    do {
      const page: AgentPage = await this.listAgentsPage(cursor === null ? {} : { cursor });
      agents.push(...page.agents);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return agents;
  }

  /** `GET /agents?limit=&cursor=`: one page; pass `nextCursor` back as `cursor` for the next (`null` on the last). */
  listAgentsPage(options: { limit?: number; cursor?: string } = {}): Promise<AgentPage> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    if (options.cursor !== undefined) query.set("cursor", options.cursor);
    const search = query.toString();
    return this.#request("GET", search ? `/agents?${search}` : "/agents");
  }

  /**
   * `GET /agents/:id/conversation`: a page of the conversation (root to
   * HEAD), newest last: the `limit` steps before step `before` (default: the
   * latest), and whether older ones exist. A socket's `init` carries the
   * latest steps and says `more` when there are older ones: page them from
   * its first step.
   */
  conversation(agentId: string, options: { before?: string; limit?: number } = {}): Promise<ConversationPage> {
    const query = new URLSearchParams();
    if (options.before !== undefined) query.set("before", options.before);
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    const search = query.toString();
    return this.#request("GET", agentPath(agentId, search ? `/conversation?${search}` : "/conversation"));
  }

  /** `POST /agents`. */
  createAgent(input: CreateAgentInput): Promise<AgentInfo> {
    return this.#request("POST", "/agents", input);
  }

  /** `GET /agents/:id`, with `workflow` when the agent has one. */
  getAgent(agentId: string): Promise<AgentDetails> {
    return this.#request("GET", agentPath(agentId));
  }

  /** `PATCH /agents/:id`: rename or change model. */
  updateAgent(agentId: string, input: UpdateAgentInput): Promise<AgentInfo> {
    return this.#request("PATCH", agentPath(agentId), input);
  }

  /** `DELETE /agents/:id`. */
  async deleteAgent(agentId: string): Promise<void> {
    await this.#request("DELETE", agentPath(agentId));
  }

  /** `GET /agents/:id/react-steps`: every step (all branches), the state and HEAD. */
  getSteps(agentId: string): Promise<ReactSteps> {
    return this.#request("GET", agentPath(agentId, "/react-steps"));
  }

  /** `POST /agents/:id/stop`: `"stopping"` when a run was going, `"idle"` otherwise. */
  stop(agentId: string): Promise<{ status: "stopping" | "idle" }> {
    return this.#request("POST", agentPath(agentId, "/stop"), {});
  }

  /** `POST /agents/:id/clear`: drops the conversation (409 while a run is going). */
  clear(agentId: string): Promise<{ status: "cleared" }> {
    return this.#request("POST", agentPath(agentId, "/clear"), {});
  }

  /** `POST /agents/:id/checkout`: moves HEAD to a step; new messages branch from it. */
  checkout(agentId: string, stepId: string): Promise<{ status: "checked out"; headId: string }> {
    return this.#request("POST", agentPath(agentId, "/checkout"), { stepId });
  }

  /** `GET /agents/:id/settings`. */
  getSettings(agentId: string): Promise<AgentSettings> {
    return this.#request("GET", agentPath(agentId, "/settings"));
  }

  /** `PATCH /agents/:id/settings`: changes the given fields only. */
  updateSettings(agentId: string, patch: Partial<AgentSettings>): Promise<AgentSettings> {
    return this.#request("PATCH", agentPath(agentId, "/settings"), patch);
  }

  /** `GET /agents/:id/system-info`: the system prompt and the tools. */
  getSystemInfo(agentId: string): Promise<SystemInfo> {
    return this.#request("GET", agentPath(agentId, "/system-info"));
  }

  /** `GET /agents/:id/operator-types`: the operator types the agent may add. */
  async getOperatorTypes(agentId: string): Promise<OperatorTypeInfo[]> {
    return (await this.#request<{ operatorTypes: OperatorTypeInfo[] }>("GET", agentPath(agentId, "/operator-types"))).operatorTypes;
  }

  /** `GET /agents/:id/usage`: the agent's tokens and cost, in total and per run (user message). */
  getAgentUsage(agentId: string): Promise<AgentUsage> {
    return this.#request("GET", agentPath(agentId, "/usage"));
  }

  /**
   * `GET /agents/usage`: the caller's tokens and cost by UTC day and by model,
   * today unless `from`/`to` (`YYYY-MM-DD`) say otherwise, with where they
   * stand against the platform's daily limits. An ADMIN may pass another
   * user's `uid`, or `"all"`.
   */
  getUsage(query: UserUsageQuery = {}): Promise<UserUsage> {
    const params = new URLSearchParams();
    if (query.from !== undefined) params.set("from", query.from);
    if (query.to !== undefined) params.set("to", query.to);
    if (query.uid !== undefined) params.set("uid", String(query.uid));
    const search = params.toString();
    return this.#request("GET", search ? `/agents/usage?${search}` : "/agents/usage");
  }

  // --- WebSocket -------------------------------------------------------------

  /**
   * Opens the agent's `/react` socket. It reconnects by itself: at once with
   * a fresh token when the server closes it because the token expired
   * (4401), with backoff after any other drop; each reconnection starts with
   * a new `init` event. `close()` ends it.
   */
  connect(agentId: string, options: ConnectOptions = {}): ReactConnection {
    const reconnect = options.reconnect ?? this.#reconnect;
    return new ReactConnection(this.#host(), agentId, reconnect ? { reconnect } : {});
  }

  /**
   * The agent's socket URL. It holds no token: open it with
   * {@link AgentClient.socketProtocols} as the subprotocols (what `connect`
   * does), or, like the reference frontend, add `?access-token=`.
   */
  socketUrl(agentId: string): string {
    const url = new URL(`${this.baseUrl}${agentPath(agentId, "/react")}`);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
  }

  /**
   * The subprotocols that carry a token: `agent-service.v1` (the server
   * selects it) and `base64url.bearer.authorization.agent-service.<token>`.
   * `new WebSocket(client.socketUrl(id), client.socketProtocols(token))`.
   */
  socketProtocols(token: string): string[] {
    return socketProtocols(token);
  }

  #host(): ConnectionHost {
    return {
      token: () => this.#token(),
      openSocket: (agentId, token) => {
        const Ctor = this.#WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
        if (!Ctor) {
          throw new AgentClientError("No WebSocket implementation: on Node 20 run with --experimental-websocket, or pass options.WebSocket", {
            status: 0,
            kind: "network",
          });
        }
        // The token rides in a subprotocol entry, not the URL: URLs end up in logs.
        return new Ctor(this.socketUrl(agentId), this.socketProtocols(token));
      },
      getAgent: (agentId) => this.getAgent(agentId),
      stop: (agentId) => this.stop(agentId),
    };
  }

  async #token(): Promise<string> {
    let token: unknown;
    try {
      token = await this.#getToken();
    } catch (error) {
      throw new AgentClientError("getToken() failed", { status: 0, kind: "no_token", cause: error });
    }
    if (typeof token !== "string" || token.trim() === "") {
      throw new AgentClientError("getToken() returned no token; nothing was sent", { status: 0, kind: "no_token" });
    }
    return token.trim();
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const send = async (token: string): Promise<Response> => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
      if (body !== undefined) headers["content-type"] = "application/json";
      try {
        return await this.#fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      } catch (error) {
        throw new AgentClientError(`${method} ${path}: no answer from the service`, { status: 0, kind: "network", cause: error });
      }
    };

    const token = await this.#token();
    let response = await send(token);
    if (response.status === 401) {
      // The token may have expired between getToken() and the server: one retry, only with a different token.
      const fresh = await this.#token();
      if (fresh !== token) {
        await response.body?.cancel();
        response = await send(fresh);
      }
    }

    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
      if (response.ok) {
        throw new AgentClientError(`${method} ${path}: the answer is not JSON`, { status: response.status, kind: "bad_response" });
      }
    }
    if (!response.ok) {
      const message = (parsed as { error?: unknown } | undefined)?.error;
      throw new AgentClientError(typeof message === "string" ? message : `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`, {
        status: response.status,
        kind: "http",
        body: parsed,
        reason: response.status === 401 ? challengeReason(response.headers.get("www-authenticate")) : undefined,
      });
    }
    return parsed as T;
  }
}

/** The `error_description` of a Bearer challenge (RFC 6750 §3), e.g. `expired`. */
function challengeReason(challenge: string | null): string | undefined {
  return challenge ? /\berror_description="([^"]*)"/.exec(challenge)?.[1] : undefined;
}

function agentPath(agentId: string, rest = ""): string {
  if (typeof agentId !== "string" || agentId === "") throw new TypeError("agentId must be a non-empty string");
  return `/agents/${encodeURIComponent(agentId)}${rest}`;
}
