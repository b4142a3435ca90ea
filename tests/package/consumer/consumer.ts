// A TypeScript user of the installed tarball: tsc checks this file against
// the package's .d.ts (resolved through its exports, `types` condition).
// Each @ts-expect-error is a misuse the types must refuse: were they `any`,
// the directive would be unused, and tsc fails on an unused one.
import { type JwtFailureCode, type JwtResult, type JwtUser, signJwt, verifyJwt, type VerifyJwtOptions } from "agent-service/jwt";
import { AgentClient, AgentClientError, type AgentInfo, type ReactEvent } from "agent-service/client";

const secret: string = "consumer-secret-0123456789abcdef-0123";
const options: VerifyJwtOptions = { issuer: ["https://login.example.com"], audience: "agent-service", typ: "JWT", maxTokenAge: 600 };
const result: JwtResult = verifyJwt(signJwt({ sub: "bob", userId: 7, exp: 1 }, secret), [secret], options);
if (result.ok) {
  const user: JwtUser = result.user;
  const uid: number = user.uid;
  void uid;
} else {
  const code: JwtFailureCode = result.code;
  void code;
}
// @ts-expect-error a key is a string or bytes, not a number
verifyJwt("token", 42);
// @ts-expect-error maxTokenAge is a number of seconds
verifyJwt("token", secret, { maxTokenAge: "10m" });

const client = new AgentClient({ baseUrl: "http://localhost:3001/api", getToken: () => "token" });
async function use(): Promise<string> {
  const agents: AgentInfo[] = await client.listAgents();
  const onEvent = (event: ReactEvent) => event.type;
  void onEvent;
  try {
    return agents[0]?.name ?? "";
  } catch (error) {
    return error instanceof AgentClientError ? String(error.status) : "";
  }
}
void use;
// @ts-expect-error getToken is required
new AgentClient({ baseUrl: "http://localhost:3001/api" });
