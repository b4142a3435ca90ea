/**
 * The `/api/agents/:id/react` WebSocket protocol (the reference's, plus
 * `delta` events for streamed text and sequence numbers).
 *
 * Client -> server: `{"type":"message","content":...}` (or the newer
 * reference's `{"type":"prompt","content":...,"messageSource":"chat"|"feedback"}`),
 * `{"type":"stop"}`.
 * Server -> client: `init`, `state`, `delta`, `step`, `complete`, `error`,
 * `headChange`, `agent`; every event carries `seq`, the agent's event
 * number. With `?protocol=2` the newer reference's names are used: `snapshot`
 * for `init`, `status` for `state`, and a `snapshot` instead of `headChange`.
 *
 * A socket opened with `?after=<seq>` gets what it missed of the current run
 * first (the events after `seq`, in order) and then live events, with no
 * `init`; when those events are no longer kept it gets an `init` as usual.
 *
 * Every socket of an agent gets every event, whichever replica it is on. Bad
 * input gets an `error` event and the socket stays open; an oversized frame
 * closes it with 1009; the socket closes with 4401 when its token expires.
 *
 * @module
 */
import type { Hooks, Peer } from "crossws";
import { stateOf } from "../agents/agent.ts";
import type { AgentEvent, SeqEvent } from "../agents/events.ts";
import type { AgentRegistry } from "../agents/registry.ts";
import type { TokenVerifier } from "../auth.ts";
import type { ErrorCode } from "../error-codes.ts";
import type { EventBus } from "../events/event-bus.ts";
import { DEFAULT_SOCKET_CONFIG } from "../config/sockets.ts";
import type { Logger } from "../log.ts";
import { NO_TRACING, type RequestOrigin, type Tracing } from "../observability/tracing.ts";
import { StoreUnavailableError } from "../store/agent-store.ts";
import type { ReactSocketProvider, SocketCaller } from "./app.ts";
import { closeIfBacklogged } from "./socket-backlog.ts";
import { randomUuid } from "../ids.ts";

/** Close code sent when the socket's token expires; the client reconnects with a fresh token. */
export const TOKEN_EXPIRED_CLOSE_CODE = 4401;
export const MESSAGE_TOO_BIG_CLOSE_CODE = 1009;
/** Policy violation: the client sent frames faster than any UI would. */
export const TOO_MANY_MESSAGES_CLOSE_CODE = 1008;

/**
 * A token bucket per socket: bursts up to `burst` frames, then `perSecond`.
 * A person typing or a tab reconnecting is far below it; a flood closes the
 * socket instead of filling the event loop with error events.
 */
export class FrameBudget {
  #tokens: number;
  #last: number;
  constructor(
    readonly burst = 100,
    readonly perSecond = 20,
    readonly now: () => number = Date.now,
  ) {
    this.#tokens = burst;
    this.#last = now();
  }
  take(): boolean {
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

export interface ReactSocketDeps {
  readonly registry: AgentRegistry;
  readonly bus: EventBus;
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
  /** Largest text frame accepted. */
  readonly maxFrameBytes: number;
  /** Longest message content accepted, in characters. */
  readonly maxMessageChars?: number;
  /** Steps `init` carries: the latest of the conversation (older ones are paged over REST). */
  readonly initSteps?: number;
  /** A span per message, under the upgrade request's; default: off. */
  readonly tracing?: Tracing;
  /** Unsent bytes a socket may have before it is closed instead of sent more (SOCKET_MAX_BUFFER_BYTES). */
  readonly maxBufferBytes?: number;
}

interface ClientMessage {
  type?: unknown;
  content?: unknown;
  messageSource?: unknown;
}

/** Sockets open now, for graceful shutdown. */
export class SocketSet {
  readonly peers = new Set<Peer>();
  closeAll(code: number, reason: string): void {
    for (const peer of this.peers) {
      try {
        peer.close(code, reason);
      } catch {
        // Already closing.
      }
    }
  }
}

/** `?after=` as a sequence number, or undefined when absent or not one. */
function parseAfter(raw: string | null): number | undefined {
  if (raw === null || !/^\d{1,15}$/.test(raw)) return undefined;
  return Number(raw);
}

type Frame = Record<string, unknown> & { type: string };

/** An event as the socket sends it, in the names the client asked for. */
function frameOf(entry: SeqEvent, newerNames: boolean): Frame {
  const { event, seq } = entry;
  if (!newerNames) return { ...event, seq };
  if (event.type === "state") return { type: "status", state: event.state, seq };
  if (event.type === "headChange") return { type: "snapshot", headId: event.headId, steps: event.steps, ...(event.more === undefined ? {} : { more: event.more }), seq };
  return { ...event, seq };
}

export function reactSocketProvider(deps: ReactSocketDeps, sockets = new SocketSet()): ReactSocketProvider {
  const maxMessageChars = deps.maxMessageChars ?? 100_000;
  const initSteps = deps.initSteps ?? 200;
  const maxBufferBytes = deps.maxBufferBytes ?? DEFAULT_SOCKET_CONFIG.maxBufferBytes;
  const { registry, bus, logger } = deps;
  const tracing = deps.tracing ?? NO_TRACING;

  return async (agentId: string, caller: SocketCaller, query: URLSearchParams): Promise<Partial<Hooks> | undefined> => {
    if (!(await registry.find(agentId, caller.user))) return undefined;
    const after = parseAfter(query.get("after"));
    const newerNames = query.get("protocol") === "2";

    let unsubscribe: (() => void) | undefined;
    let expiry: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    /** The last sequence number sent; events at or below it were already sent or reflected in `init`. */
    let lastSent = -1;
    /** Events that arrived before the socket caught up (init or replay); sent after it. */
    let waiting: SeqEvent[] | undefined = [];
    const budget = new FrameBudget();
    const socketId = randomUuid();
    /** Whether this socket is counted against its owner's open sockets. */
    let counted = false;

    const cleanup = (peer: Peer) => {
      closed = true;
      unsubscribe?.();
      unsubscribe = undefined;
      if (expiry !== undefined) clearTimeout(expiry);
      expiry = undefined;
      sockets.peers.delete(peer);
      if (counted) void registry.closeSocket(socketId);
      counted = false;
    };
    const sendFrame = (peer: Peer, frame: Record<string, unknown>) => {
      if (closed) return;
      // A client that stopped reading: closed, and released now, rather than buffered for.
      if (closeIfBacklogged(peer, maxBufferBytes)) return cleanup(peer);
      try {
        peer.send(JSON.stringify(frame));
      } catch {
        cleanup(peer);
      }
    };
    const sendError = (peer: Peer, error: string, code: ErrorCode) => sendFrame(peer, { type: "error", error, code });
    const deliver = (peer: Peer, entry: SeqEvent) => {
      if (entry.seq <= lastSent) return;
      lastSent = entry.seq;
      sendFrame(peer, frameOf(entry, newerNames));
    };

    /** Sends `init` (the agent now, and the last event it reflects), unless the client can resume after `from`. */
    const catchUp = async (peer: Peer, from: number | undefined) => {
      waiting = [];
      let resumed = false;
      if (from !== undefined) {
        const replay = await bus.since(agentId, from);
        if (replay.complete) {
          resumed = true;
          lastSent = from;
          for (const entry of replay.events) deliver(peer, entry);
        }
      }
      if (!resumed) {
        const snapshot = await registry.snapshot(agentId, initSteps);
        if (!snapshot) {
          sendError(peer, "Agent not found", "agent_not_found");
          return;
        }
        lastSent = snapshot.seq;
        sendFrame(peer, {
          type: newerNames ? "snapshot" : "init",
          state: stateOf(snapshot.agent.run),
          steps: snapshot.steps,
          headId: snapshot.agent.headId,
          seq: snapshot.seq,
          // Older steps of the conversation exist: GET /api/agents/:id/conversation?before=<the first step's id>.
          more: snapshot.more,
        });
      }
      const pending = waiting;
      waiting = undefined;
      for (const entry of pending) deliver(peer, entry);
    };
    const start = (peer: Peer, from: number | undefined) => {
      catchUp(peer, from).catch((error) => {
        logger.warn("a socket could not catch up", { agentId, error });
        sendError(peer, ...storeFailure(error));
        waiting = undefined;
      });
    };

    return {
      open(peer) {
        sockets.peers.add(peer);
        // Counted against the owner's open sockets (across replicas) before anything is sent.
        registry.openSocket(caller.user, socketId).then(
          (opened) => {
            if (closed) {
              if (opened) void registry.closeSocket(socketId);
              return;
            }
            if (!opened) {
              sendError(peer, "You have as many sockets open as you may: close one (another tab?) to open this", "quota_exceeded");
              peer.close(TOO_MANY_MESSAGES_CLOSE_CODE, "too many sockets");
              return;
            }
            counted = true;
            unsubscribe = bus.subscribe(
              agentId,
              (entry) => {
                if (waiting) waiting.push(entry);
                else deliver(peer, entry);
              },
              // Events were lost on the way (the database connection dropped): start over from a snapshot.
              () => start(peer, undefined),
            );
            start(peer, after);
          },
          (error) => {
            logger.warn("a socket could not be counted", { agentId, error });
            sendError(peer, ...storeFailure(error));
            peer.close(1011, "store unavailable");
          },
        );
        // The token's life bounds the socket's: the reference checked only at open.
        const ms = deps.verifier.msUntilExpiry(caller.exp);
        expiry = setTimeout(() => peer.close(TOKEN_EXPIRED_CLOSE_CODE, "token expired"), Math.max(0, Math.min(ms, 2_147_483_647)));
      },

      message(peer, message) {
        if (!budget.take()) {
          peer.close(TOO_MANY_MESSAGES_CLOSE_CODE, "too many messages");
          return;
        }
        const raw = message.rawData;
        const size = typeof raw === "string" ? raw.length : (raw as { byteLength?: number })?.byteLength ?? 0;
        if (size > deps.maxFrameBytes) {
          peer.close(MESSAGE_TOO_BIG_CLOSE_CODE, "message too big");
          return;
        }
        let parsed: ClientMessage;
        try {
          const value: unknown = JSON.parse(message.text());
          if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("not an object");
          parsed = value as ClientMessage;
        } catch {
          sendError(peer, "Invalid message format", "invalid_request");
          return;
        }
        // The message's span: the run it starts goes under it (observability/tracing.ts).
        const span = tracing.childSpan(caller.origin.span, "socket message", "server", { "agent_service.message.type": String(parsed.type).slice(0, 20) });
        handle(peer, parsed, { requestId: caller.origin.requestId, span }).catch((error) => {
          if (!(error instanceof StoreUnavailableError)) logger.error("a socket message failed", { agentId, error, requestId: caller.origin.requestId });
          sendError(peer, ...storeFailure(error));
        }).finally(() => span.end());
      },

      close(peer) {
        cleanup(peer);
      },

      error(peer, error) {
        logger.debug("socket error", { agentId, error });
        cleanup(peer);
      },
    };

    async function handle(peer: Peer, parsed: ClientMessage, origin: RequestOrigin): Promise<void> {
      if (parsed.type !== "message" && parsed.type !== "prompt" && parsed.type !== "stop") {
        sendError(peer, `Unknown message type: ${String(parsed.type).slice(0, 50)}`, "invalid_request");
        return;
      }
      const agent = await registry.find(agentId, caller.user);
      if (!agent) {
        sendError(peer, "Agent not found", "agent_not_found");
        return;
      }
      if (parsed.type === "stop") {
        await registry.stop(agent);
        return;
      }
      if (typeof parsed.content !== "string" || parsed.content.trim() === "") {
        sendError(peer, "Message content is required", "invalid_request");
        return;
      }
      if (parsed.content.length > maxMessageChars) {
        sendError(peer, `Message content is longer than ${maxMessageChars} characters`, "invalid_request");
        return;
      }
      const source = parsed.messageSource === "feedback" ? "feedback" : "chat";
      const started = await registry.startTurn(agent, parsed.content, caller.user, source, origin);
      if (started === "busy") sendError(peer, "Agent is busy", "agent_busy");
      else if (started === "closing") sendError(peer, "Service is shutting down", "service_shutting_down");
      else if (started === "quota") sendError(peer, "You have as many runs going as you may; wait for one to finish", "quota_exceeded");
      else if (started === "missing") sendError(peer, "Agent not found", "agent_not_found");
      else if (started === "full") {
        sendError(peer, "This conversation is full: clear it (or check out an earlier step) or start a new agent to go on", "history_full");
      } else if (typeof started === "object") {
        sendFrame(peer, { type: "error", error: started.message, code: "quota_exceeded", resetsAt: started.resetsAt, retryAfterMs: started.retryAfterMs });
      }
    }
  };
}

function storeFailure(error: unknown): [string, ErrorCode] {
  return error instanceof StoreUnavailableError
    ? ["The agent store is unavailable; try again shortly", "store_unavailable"]
    : ["Internal error", "internal_error"];
}

export type { AgentEvent };
