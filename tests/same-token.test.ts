/**
 * The gateway check and the service pick the same token from the same
 * request: crafted URLs (percent-encoded parameter names, repeated or empty
 * parameters, a query token beside a header) go to both, over real HTTP on
 * both runtimes, and each must act for the same user or both refuse. The
 * socket route takes a query token; other routes only the header.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { AMBIGUOUS_TOKEN, requestToken } from "../src/auth.ts";
import { SOCKET_PROTOCOL, socketProtocols, TOKEN_PROTOCOL_PREFIX } from "../src/socket-auth.ts";
import type { ReactSocketProvider } from "../src/http/app.ts";
import { mulberry32 } from "./helpers/jwt-mutations.ts";
import { mintToken } from "./helpers/tokens.ts";
import { rawRequest, statusOf, upgradeRequest } from "./helpers/raw-http.ts";
import { withServer } from "./helpers/server.ts";

const alice = mintToken({ userId: 1, sub: "alice" });
const bob = mintToken({ userId: 2, sub: "bob" });

const entry = (token: string) => socketProtocols(token).join(", ");

/** Queries (and Sec-WebSocket-Protocol entries) to try, with the header beside them; `expected` is who both must act as on the socket route (0: refused). */
const CRAFTED: Array<{ query: string; authorization?: string; protocols?: string; expected: number; why: string; badRequestLine?: true }> = [
  { query: `access-token=${alice}`, expected: 1, why: "the plain parameter" },
  { query: `acc%65ss-token=${alice}`, expected: 1, why: "a percent-encoded name" },
  { query: `access%2Dtoken=${alice}&x=1`, expected: 1, why: "an encoded hyphen" },
  { query: `%61%63%63%65%73%73%2d%74%6f%6b%65%6e=${alice}`, expected: 1, why: "an entirely encoded name" },
  { query: `acc%65ss-token=${alice}`, authorization: `Bearer ${bob}`, expected: 0, why: "an encoded name beside another user's header" },
  { query: `access-token=${alice}`, authorization: `Bearer ${bob}`, expected: 0, why: "the parameter beside another user's header" },
  { query: `access-token=${alice}`, authorization: `Bearer ${alice}`, expected: 1, why: "the same token twice" },
  { query: `access-token=${alice}&access-token=${bob}`, expected: 0, why: "two parameters" },
  { query: `access-token=${alice}&acc%65ss-token=${bob}`, expected: 0, why: "a plain and an encoded parameter" },
  { query: "access-token=", authorization: `Bearer ${bob}`, expected: 2, why: "an empty parameter counts as absent" },
  { query: `access+token=${alice}`, authorization: `Bearer ${bob}`, expected: 2, why: "a plus decodes to a space: another name" },
  { query: `ACCESS-TOKEN=${alice}`, authorization: `Bearer ${bob}`, expected: 2, why: "names are case-sensitive" },
  { query: `x=%26access-token%3D${alice}`, authorization: `Bearer ${bob}`, expected: 2, why: "an encoded & is data, not a separator" },
  { query: `access-token=${alice};access-token=${bob}`, expected: 0, why: "a semicolon is not a separator: one garbled token" },
  { query: `access-token=${alice}%00`, expected: 0, why: "a NUL after the token" },
  { query: `access-token=garbage`, authorization: `Bearer ${bob}`, expected: 0, why: "a bad parameter is not rescued by a good header" },
  { query: `x=1#&access-token=${alice}`, authorization: `Bearer ${bob}`, expected: 2, why: "after a # is a fragment, not the query" },
  { query: "x=1", protocols: entry(alice), expected: 1, why: "a protocol entry" },
  { query: "x=1", protocols: entry(alice), authorization: `Bearer ${bob}`, expected: 0, why: "a protocol entry beside another user's header" },
  { query: `access-token=${bob}`, protocols: entry(alice), expected: 0, why: "a protocol entry and another user's parameter" },
  { query: `access-token=${alice}`, protocols: entry(alice), expected: 1, why: "a protocol entry and the same token in the URL" },
  { query: "x=1", protocols: `${entry(alice)}, ${TOKEN_PROTOCOL_PREFIX}${bob}`, expected: 0, why: "a second entry that is not base64url" },
  { query: "x=1", protocols: `${SOCKET_PROTOCOL}, base64url.bearer.authorization.k8s.io.eA`, authorization: `Bearer ${bob}`, expected: 2, why: "another service's entry is not ours" },
  // Not valid in a request line: the runtime's HTTP parser answers 400 before any of our code (so would nginx).
  { query: `acc\tess-token=${alice}`, authorization: `Bearer ${bob}`, expected: 0, why: "a tab the URL parser would drop", badRequestLine: true },
];

describe("requestToken", () => {
  test("what it picks from each crafted request", () => {
    for (const { query, authorization, protocols, expected, why } of CRAFTED) {
      const picked = requestToken({ target: `/api/agents/a/react?${query}`, authorization, protocols }, "/api");
      if (expected === 0) {
        assert.ok(picked === AMBIGUOUS_TOKEN || (picked !== alice && picked !== bob), why);
      } else {
        assert.equal(picked, expected === 1 ? alice : bob, why);
      }
    }
    assert.equal(requestToken({ target: "/api/agents" }, "/api"), undefined);
    assert.equal(requestToken({ target: "http://h/api/agents?x=1", authorization: `Bearer ${bob}` }, "/api"), bob, "absolute URLs too");
    assert.equal(requestToken({ target: `/api/agents/a/react#?access-token=${alice}` }, "/api"), undefined, "a fragment is not a query");
  });

  test("a token in the URL counts on the socket route only, however the path is spelled", () => {
    const socket = [
      "/api/agents/a/react", "/api/agents/a/react/", "/api/agents/a/./react", "/api/agents/a/%2e/react", "/api/agents/b/../a/react",
      "http://h:1/api/agents/a/react", "/api/agents/%2F/react",
    ];
    for (const path of socket) assert.equal(requestToken({ target: `${path}?access-token=${alice}` }, "/api"), alice, path);
    const other = [
      "/api/agents", "/api/agents/a", "/api/agents/a/react/x", "/api/agents//react", "/api/agents/a/reactx", "/api/agents/a/b/react",
      "/api/agents/a/react/..", "/api/agents/a/%72eact", "/svc/agents/a/react", "/api/agents/whoami",
    ];
    for (const path of other) {
      assert.equal(requestToken({ target: `${path}?access-token=${alice}` }, "/api"), undefined, path);
      assert.equal(requestToken({ target: `${path}?access-token=${alice}`, authorization: `Bearer ${bob}` }, "/api"), bob, path);
    }
    assert.equal(requestToken({ target: `/svc/agents/a/react?access-token=${alice}` }, "/svc"), alice, "the prefix is the service's");
  });
});

describe("requestToken reads a query exactly as the URL parser does", () => {
  // The reference: what `new URL(request.url).searchParams` gives, with
  // requestToken's own rules (empty is absent, two different is ambiguous).
  const reference = (target: string) => {
    const values = new URL(target, "http://x.invalid").searchParams.getAll("access-token").filter((v) => v !== "");
    return new Set(values).size > 1 ? AMBIGUOUS_TOKEN : values[0];
  };
  const pieces = [
    "access-token", "acc%65ss-token", "access%2dtoken", "access%2Dtoken", "=", "=", "&", "&", "#", "?", "+", "%", "%2", "%zz", "%25",
    " ", "\t", "\n", "\r", "\u0000", "é", "\ud800", "'", '"', "<", "\\", ";", "A", "B", "token-a", "token-b", "%41", "%3D", "%26",
  ];

  test("on 5,000 random queries built from separators, escapes, controls and non-ASCII", () => {
    const random = mulberry32(12);
    for (let i = 0; i < 5_000; i++) {
      let query = "";
      const length = 1 + Math.floor(random() * 12);
      for (let j = 0; j < length; j++) query += pieces[Math.floor(random() * pieces.length)];
      const target = `/api/agents/a/react?${query}`;
      assert.equal(requestToken({ target }, "/api"), reference(target), JSON.stringify(target));
    }
  });
});

describe("the gateway check and the service agree on who is calling", () => {
  const echo: ReactSocketProvider = async (_agentId, caller) => ({
    open: (peer) => {
      peer.send(JSON.stringify({ uid: caller.user.uid }));
    },
  });

  /** The uid the first frame of a 101 names, or 0 for any refusal. */
  const socketUser = (raw: string): number => {
    if (statusOf(raw) !== 101) return 0;
    const frame = raw.slice(raw.indexOf("\r\n\r\n") + 4);
    return JSON.parse(frame.slice(2)).uid as number; // a short unmasked text frame: 2 header bytes
  };
  const restUser = (raw: string): number => (statusOf(raw) === 200 ? JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)).user.uid : 0);
  const gatewayUser = (raw: string): number => (statusOf(raw) === 200 ? Number(/\r\nx-user-id: (\d+)\r\n/i.exec(raw)![1]) : 0);

  test("for every crafted URL: the socket and both gateway forms name the same user, or all refuse; on REST only the header counts", async () => {
    await withServer({ reactSocket: echo }, async ({ port }) => {
      const get = (target: string, headers: Record<string, string>) =>
        rawRequest(port, [`GET ${target} HTTP/1.1`, "Host: 127.0.0.1", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "Connection: close", "", ""].join("\r\n"));
      const gateway = async (target: string, headers: Record<string, string>) => ({
        nginx: gatewayUser(await get("/api/auth", { ...headers, "X-Original-URI": target })),
        envoy: gatewayUser(await get(`/api/auth${target}`, headers)),
      });
      for (const { query, authorization, protocols, expected, why, badRequestLine } of CRAFTED) {
        const headers: Record<string, string> = { ...(authorization ? { Authorization: authorization } : {}), ...(protocols ? { "Sec-WebSocket-Protocol": protocols } : {}) };
        const socketTarget = `/api/agents/echo/react?${query}`;
        const socket = { service: socketUser(await rawRequest(port, upgradeRequest(socketTarget, headers), 100)), ...(await gateway(socketTarget, headers)) };
        assert.deepEqual(socket, { service: expected, nginx: expected, envoy: expected }, `socket, ${why}: ?${query.slice(0, 40)}`);

        const restTarget = `/api/agents/whoami?${query}`;
        const rest = { service: restUser(await get(restTarget, headers)), ...(await gateway(restTarget, headers)) };
        const headerUser = authorization === `Bearer ${alice}` ? 1 : authorization === `Bearer ${bob}` ? 2 : 0;
        const inRequestLine = badRequestLine ? 0 : headerUser;
        assert.deepEqual(rest, { service: inRequestLine, nginx: headerUser, envoy: inRequestLine }, `REST, ${why}: ?${query.slice(0, 40)}`);
      }
    });
  });
});
