/**
 * The `/api/agents/:id/react` WebSocket protocol (the reference's, plus
 * `delta` events for streamed text).
 *
 * Client -> server: `{"type":"message","content":...}`, `{"type":"stop"}`.
 * Server -> client: `init`, `state`, `delta`, `step`, `complete`, `error`,
 * `headChange`. Every socket of an agent gets every event. Bad input gets an
 * `error` event and the socket stays open; an oversized frame closes it with
 * 1009; the socket closes with 4401 when its token expires.
 *
 * @module
 */
import type { Hooks, Peer } from "crossws";
import type { AgentEvent } from "../agents/agent.ts";
import type { AgentRegistry } from "../agents/registry.ts";
import type { TokenVerifier } from "../auth.ts";
import type { Logger } from "../log.ts";
import type { ReactSocketProvider, SocketCaller } from "./app.ts";

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
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
  /** Largest text frame accepted. */
  readonly maxFrameBytes: number;
  /** Longest message content accepted, in characters. */
  readonly maxMessageChars?: number;
}

interface ClientMessage {
  type?: unknown;
  content?: unknown;
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

export function reactSocketProvider(deps: ReactSocketDeps, sockets = new SocketSet()): ReactSocketProvider {
  const maxMessageChars = deps.maxMessageChars ?? 100_000;

  return (agentId: string, caller: SocketCaller): Partial<Hooks> | undefined => {
    const agent = deps.registry.find(agentId, caller.user);
    if (!agent) return undefined;

    let unsubscribe: (() => void) | undefined;
    const budget = new FrameBudget();
    let expiry: ReturnType<typeof setTimeout> | undefined;
    const cleanup = (peer: Peer) => {
      unsubscribe?.();
      unsubscribe = undefined;
      if (expiry !== undefined) clearTimeout(expiry);
      expiry = undefined;
      sockets.peers.delete(peer);
    };
    const send = (peer: Peer, event: AgentEvent | Record<string, unknown>) => {
      try {
        peer.send(JSON.stringify(event));
      } catch {
        cleanup(peer);
      }
    };

    return {
      open(peer) {
        sockets.peers.add(peer);
        unsubscribe = agent.subscribe((event) => send(peer, event));
        send(peer, { type: "init", state: agent.state, steps: agent.visibleSteps(), headId: agent.record.headId ?? null });
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
          send(peer, { type: "error", error: "Invalid message format" });
          return;
        }
        if (deps.registry.find(agent.id, caller.user) !== agent) {
          send(peer, { type: "error", error: "Agent not found" });
          return;
        }
        switch (parsed.type) {
          case "message": {
            if (typeof parsed.content !== "string" || parsed.content.trim() === "") {
              send(peer, { type: "error", error: "Message content is required" });
              return;
            }
            if (parsed.content.length > maxMessageChars) {
              send(peer, { type: "error", error: `Message content is longer than ${maxMessageChars} characters` });
              return;
            }
            const started = deps.registry.startTurn(agent, parsed.content, caller.user.uid);
            if (started === "busy") send(peer, { type: "error", error: "Agent is busy" });
            if (started === "closing") send(peer, { type: "error", error: "Service is shutting down" });
            return;
          }
          case "stop":
            deps.registry.stop(agent);
            return;
          default:
            send(peer, { type: "error", error: `Unknown message type: ${String(parsed.type).slice(0, 50)}` });
        }
      },

      close(peer) {
        cleanup(peer);
      },

      error(peer, error) {
        deps.logger.debug("socket error", { agentId: agent.id, error });
        cleanup(peer);
      },
    };
  };
}
