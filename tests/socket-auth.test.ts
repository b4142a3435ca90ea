/**
 * The /react socket's token in a Sec-WebSocket-Protocol entry: the encoding,
 * the upgrade (the 101 names only agent-service.v1, never the token), the
 * refusals before the upgrade, and the gateway check reading the same entry.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import type { ReactSocketProvider } from "../src/http/app.ts";
import { offeredProtocols, protocolTokens, SOCKET_PROTOCOL, socketProtocols, TOKEN_PROTOCOL_PREFIX, tokenProtocol } from "../src/socket-auth.ts";
import { mintToken } from "./helpers/tokens.ts";
import { rawRequest, statusOf, upgradeRequest } from "./helpers/raw-http.ts";
import { withServer } from "./helpers/server.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
const bob = mintToken({ userId: 2, sub: "bob" });
const protocolHeader = (token: string) => socketProtocols(token).join(", ");

describe("the protocol entry", () => {
  test("a token round-trips as unpadded base64url after the documented prefix", () => {
    assert.deepEqual(socketProtocols(alice), [SOCKET_PROTOCOL, tokenProtocol(alice)]);
    assert.equal(SOCKET_PROTOCOL, "agent-service.v1");
    assert.equal(TOKEN_PROTOCOL_PREFIX, "base64url.bearer.authorization.agent-service.");
    for (const token of [alice, "a", "ab", "abc", "with spaces+/=", "zoë ✓"]) {
      const entry = tokenProtocol(token);
      assert.match(entry.slice(TOKEN_PROTOCOL_PREFIX.length), /^[A-Za-z0-9_-]+$/, "an HTTP token: no padding, no + or /");
      assert.deepEqual(protocolTokens(`${SOCKET_PROTOCOL}, ${entry}`), [token]);
    }
    assert.equal(tokenProtocol("?>"), `${TOKEN_PROTOCOL_PREFIX}Pz4`, "the URL-safe alphabet");
  });

  test("parsing: entries split on commas with whitespace; entries that are not base64url stand for themselves", () => {
    assert.deepEqual(offeredProtocols(" a ,b,, c "), ["a", "b", "c"]);
    assert.deepEqual(offeredProtocols(null), []);
    assert.deepEqual(protocolTokens("agent-service.v1, chat"), []);
    for (const bad of ["", "a", "ab=", "a+b/", "ab cd", "_w"]) {
      const entry = `${TOKEN_PROTOCOL_PREFIX}${bad}`;
      assert.deepEqual(protocolTokens(entry), [entry], JSON.stringify(bad));
    }
  });
});

describe("the socket with its token in Sec-WebSocket-Protocol", () => {
  const echo: ReactSocketProvider = async (agentId, caller) =>
    agentId === "echo" ? { open: (peer) => void peer.send(JSON.stringify({ uid: caller.user.uid })) } : undefined;

  test("opens with a real client; the 101 selects agent-service.v1 and never carries the token", async () => {
    await withServer({ reactSocket: echo }, async ({ port, wsUrl }) => {
      const raw = await rawRequest(port, upgradeRequest("/api/agents/echo/react", { "Sec-WebSocket-Protocol": protocolHeader(alice) }), 100);
      const head = raw.slice(0, raw.indexOf("\r\n\r\n"));
      assert.equal(statusOf(raw), 101);
      // Header names are case-insensitive (Bun writes Sec-WebSocket-Protocol, Node sec-websocket-protocol).
      const lines = head.split("\r\n").filter((line) => /^sec-websocket-protocol:/i.test(line)).map((line) => line.replace(/^[^:]+/, (name) => name.toLowerCase()));
      assert.deepEqual(lines, [`sec-websocket-protocol: ${SOCKET_PROTOCOL}`]);
      assert.ok(!raw.includes(alice) && !raw.includes(tokenProtocol(alice).slice(TOKEN_PROTOCOL_PREFIX.length)), "no token in the answer");

      const socket = new WebSocket(`${wsUrl}/api/agents/echo/react`, socketProtocols(bob));
      const first = await new Promise<string>((resolve, reject) => {
        socket.onerror = () => reject(new Error("the socket failed"));
        socket.onmessage = (event) => resolve(String(event.data));
      });
      assert.equal(socket.protocol, SOCKET_PROTOCOL);
      assert.deepEqual(JSON.parse(first), { uid: 2 });
      const closed = new Promise((resolve) => (socket.onclose = resolve));
      socket.close();
      await closed;
    });
  });

  test("refused before the upgrade: bad, expired, wrong-role and undecodable tokens, a token that disagrees, no protocol to select", async () => {
    await withServer({ reactSocket: echo }, async ({ port }) => {
      const cases: Array<[string, Record<string, string>, number, string?]> = [
        ["garbage", { "Sec-WebSocket-Protocol": protocolHeader("garbage") }, 401],
        ["expired", { "Sec-WebSocket-Protocol": protocolHeader(mintToken({ expiresIn: -100 })) }, 401],
        ["wrong secret", { "Sec-WebSocket-Protocol": protocolHeader(mintToken({}, "another-secret-0123456789abcdef-xyz")) }, 401],
        ["INACTIVE", { "Sec-WebSocket-Protocol": protocolHeader(mintToken({ role: "INACTIVE" })) }, 403],
        ["not base64url", { "Sec-WebSocket-Protocol": `${SOCKET_PROTOCOL}, ${TOKEN_PROTOCOL_PREFIX}${alice}` }, 401],
        ["two different entries", { "Sec-WebSocket-Protocol": `${protocolHeader(alice)}, ${tokenProtocol(bob)}` }, 401],
        ["an entry and another user's header", { "Sec-WebSocket-Protocol": protocolHeader(alice), Authorization: `Bearer ${bob}` }, 401],
        ["no agent-service.v1 to select", { "Sec-WebSocket-Protocol": tokenProtocol(alice) }, 400, "Offer the agent-service.v1 subprotocol with the token entry"],
        ["an unknown agent", { "Sec-WebSocket-Protocol": protocolHeader(alice) }, 404],
      ];
      for (const [name, headers, status, message] of cases) {
        const path = name === "an unknown agent" ? "/api/agents/nope/react" : "/api/agents/echo/react";
        const raw = await rawRequest(port, upgradeRequest(path, headers), 100);
        assert.equal(statusOf(raw), status, name);
        if (message) assert.match(raw, new RegExp(message), name);
      }
      const sameTwice = await rawRequest(port, upgradeRequest(`/api/agents/echo/react?access-token=${alice}`, { "Sec-WebSocket-Protocol": protocolHeader(alice) }), 100);
      assert.equal(statusOf(sameTwice), 101, "the same token in the URL and the entry is one token");
      const queryOnly = await rawRequest(port, upgradeRequest(`/api/agents/echo/react?access-token=${alice}`, { "Sec-WebSocket-Protocol": SOCKET_PROTOCOL }), 100);
      assert.equal(statusOf(queryOnly), 101);
      assert.match(queryOnly, /\r\nsec-websocket-protocol: agent-service\.v1\r\n/i, "the name is selected whenever it is offered");
    });
  });

  test("the gateway check reads the entry on the socket path, in both forms, and only there", async () => {
    await withServer({}, async ({ url }) => {
      const check = (path: string, headers: Record<string, string>) => fetch(`${url}${path}`, { headers });
      const protocols = { "sec-websocket-protocol": protocolHeader(alice) };
      for (const response of [
        await check("/api/auth", { ...protocols, "x-original-uri": "/api/agents/a/react" }),
        await check("/api/auth/api/agents/a/react", protocols),
      ]) {
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-user-id"), "1");
      }
      const expired = { "sec-websocket-protocol": protocolHeader(mintToken({ expiresIn: -100 })) };
      assert.equal((await check("/api/auth/api/agents/a/react", expired)).status, 401);
      assert.equal((await check("/api/auth/api/agents/a", protocols)).status, 401, "not a credential on REST routes");
      assert.equal((await check("/api/auth/api/agents/a/react", { ...protocols, authorization: `Bearer ${bob}` })).status, 401);
    });
  });
});
