/**
 * The client library's request and answer types (src/client) checked
 * against the schemas the OpenAPI document is generated from: type-level
 * only, so `tsc --noEmit` (npm run typecheck, and npm run test:contract) fails
 * when they drift. Each pair must have the same fields, the same optional
 * ones, and the same types, recursively: a field renamed, added or dropped on
 * either side is an error here (the last block proves the check catches a
 * rename).
 *
 * Not a test file of the runtimes' runners: it has no runtime part.
 */
import type { z } from "zod";
import type { AgentClient } from "../../src/client/agent-client.ts";
import type * as client from "../../src/client/types.ts";
import type { checkoutSchema, createAgentSchema, patchAgentSchema, settingsPatchSchema } from "../../src/agents/settings.ts";
import type * as answers from "../../src/contract/rest-schemas.ts";
import type { userUsageQuerySchema } from "../../src/usage/schemas.ts";

/** String keys (an index signature's `keyof` is `string | number` in an interface, `string` in zod's output). */
type Key<T> = Extract<keyof T, string>;
type OptionalKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? K : never }[keyof T];
type AllTrue<T> = false extends T[keyof T] ? false : true;
/** The same shape: mutually assignable, the same keys, the same optional keys, recursively. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? SameFields<A, B> : false) : false;
type SameFields<A, B> = A extends readonly (infer X)[]
  ? B extends readonly (infer Y)[] ? Same<X, Y> : false
  : A extends object
    ? B extends object
      ? [Exclude<Key<A>, Key<B>> | Exclude<Key<B>, Key<A>>] extends [never]
        ? [Exclude<OptionalKeys<A>, OptionalKeys<B>> | Exclude<OptionalKeys<B>, OptionalKeys<A>>] extends [never]
          ? AllTrue<{ [K in keyof A & keyof B]-?: Same<Exclude<A[K], undefined>, Exclude<B[K], undefined>> }>
          : false
        : false
      : false
    : true;
/** Fails to compile unless `T` is `true`. */
type Expect<T extends true> = T;
/** `true` only when every branch of the comparison is (a union of results is not). */
type Check<T> = [T] extends [true] ? true : false;

type Out<S extends z.ZodType> = z.output<S>;
type In<S extends z.ZodType> = z.input<S>;
type Answer<M extends keyof AgentClient> = AgentClient[M] extends (...args: never[]) => Promise<infer R> ? R : never;

// Answers: the client's types are what the document says the service sends.
// Answers: the client's types are what the document says the service sends.
export type AnswersMatch = {
  a0: Expect<Check<Same<client.AgentInfo, Out<typeof answers.agentInfoSchema>>>>;
  a1: Expect<Check<Same<client.AgentSettings, Out<typeof answers.agentSettingsSchema>>>>;
  a2: Expect<Check<Same<client.AgentDetails, Out<typeof answers.agentDetailsSchema>>>>;
  a3: Expect<Check<Same<client.WorkflowContent, Out<typeof answers.workflowContentSchema>>>>;
  a4: Expect<Check<Same<client.ReActStep, Out<typeof answers.reactStepSchema>>>>;
  a5: Expect<Check<Same<client.AgentPage, Out<typeof answers.agentPageSchema>>>>;
  a6: Expect<Check<Same<client.ConversationPage, Out<typeof answers.conversationPageSchema>>>>;
  a7: Expect<Check<Same<client.ReactSteps, Out<typeof answers.reactStepsSchema>>>>;
  a8: Expect<Check<Same<client.SystemInfo, Out<typeof answers.systemInfoSchema>>>>;
  a9: Expect<Check<Same<client.OperatorTypeInfo, Out<typeof answers.operatorTypeInfoSchema>>>>;
  a10: Expect<Check<Same<client.ModelList, Out<typeof answers.modelListSchema>>>>;
  a11: Expect<Check<Same<client.ModelEntry, Out<typeof answers.modelEntrySchema>>>>;
  a12: Expect<Check<Same<client.CallerInfo, Out<typeof answers.callerSchema>>>>;
  a13: Expect<Check<Same<client.AgentUsage, Out<typeof answers.agentUsageSchema>>>>;
  a14: Expect<Check<Same<client.UserUsage, Out<typeof answers.userUsageSchema>>>>;
  a15: Expect<Check<Same<Answer<"health">, Out<typeof answers.healthSchema>>>>;
  a16: Expect<Check<Same<Answer<"stop">, Out<typeof answers.stopAnswerSchema>>>>;
  a17: Expect<Check<Same<Answer<"clear">, Out<typeof answers.clearAnswerSchema>>>>;
  a18: Expect<Check<Same<Answer<"checkout">, Out<typeof answers.checkoutAnswerSchema>>>>;
  a19: Expect<Check<Same<Answer<"getOperatorTypes">, Out<typeof answers.operatorTypesSchema>["operatorTypes"]>>>;
};

// Requests: what the client sends is what the routes accept. createAgent's
// schema also takes the reference frontend's userToken, workflowId and
// computingUnitId, which the client never sends (identity is the token's).
type CreateAccepted = Omit<In<typeof createAgentSchema>, "userToken" | "workflowId" | "computingUnitId">;
export type RequestsMatch = {
  r0: Expect<Check<Same<client.CreateAgentInput, CreateAccepted>>>;
  r1: Expect<Check<Same<client.UpdateAgentInput, In<typeof patchAgentSchema>>>>;
  r2: Expect<Check<Same<Partial<client.AgentSettings>, In<typeof settingsPatchSchema>>>>;
  r3: Expect<Check<Same<{ stepId: Parameters<AgentClient["checkout"]>[1] }, In<typeof checkoutSchema>>>>;
  r4: Expect<Check<Same<client.UserUsageQuery, { [K in keyof In<typeof userUsageQuerySchema>]: K extends "uid" ? number | "all" : In<typeof userUsageQuerySchema>[K] }>>>;
};

// The check itself: a renamed, a dropped and a retyped field are each told apart.
type Differs<T> = Check<T> extends false ? true : false;
export type CatchesDrift = {
  d0: Expect<Differs<Same<{ a: string; b?: number }, { a: string; c?: number }>>>;
  d1: Expect<Differs<Same<{ a: string; b?: number }, { a: string }>>>;
  d2: Expect<Differs<Same<{ a: { x: string[] } }, { a: { x: number[] } }>>>;
  d3: Expect<Differs<Same<{ a: string; b?: number }, { a: string; b: number }>>>;
};
