// A library user's program, in plain JavaScript: it imports both entry points
// of the installed tarball by package name, signs and verifies a token, and
// calls the client against a stand-in service (its fetch) that verifies the
// token the client attached. Prints one JSON line for the test to check.
import { JWT_FAILURE_CODES, signJwt, verifyJwt } from "agent-service/jwt";
import { AgentClient, AgentClientError } from "agent-service/client";

const secret = "consumer-secret-0123456789abcdef-0123";
const issuer = "https://login.example.com";
const token = signJwt({ sub: "alice", userId: 42, role: "ADMIN", iss: issuer, exp: Math.floor(Date.now() / 1000) + 60 }, secret);
const verified = verifyJwt(token, secret, { issuer });
const forged = verifyJwt(token, "another-secret-0123456789abcdef-0123");
const wrongIssuer = verifyJwt(token, secret, { issuer: "https://elsewhere.example.com" });

// The stand-in service: whoami for a token that verifies, 401 otherwise.
const service = async (url, init) => {
  const authorization = new Headers(init.headers).get("authorization") ?? "";
  const result = verifyJwt(authorization.replace(/^Bearer /, ""), secret);
  if (!url.endsWith("/api/agents/whoami")) return Response.json({ error: "Not found" }, { status: 404 });
  return result.ok ? Response.json({ user: result.user }) : Response.json({ error: "Unauthorized", code: "unauthorized" }, { status: 401 });
};
const whoami = await new AgentClient({ baseUrl: "http://service.invalid/api", getToken: () => token, fetch: service }).whoami();
let refused;
try {
  await new AgentClient({ baseUrl: "http://service.invalid/api", getToken: () => "not-a-token", fetch: service }).whoami();
} catch (error) {
  refused = error instanceof AgentClientError ? { status: error.status, kind: error.kind, code: error.code, message: error.message } : String(error);
}

console.log(JSON.stringify({
  verified: verified.ok ? verified.user : verified.code,
  forged: forged.ok ? "ok" : forged.code,
  wrongIssuer: wrongIssuer.ok ? "ok" : wrongIssuer.code,
  codes: JWT_FAILURE_CODES.length,
  whoami,
  refused,
}));
