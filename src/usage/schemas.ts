/**
 * The usage routes' query and answers as zod schemas: the query is checked
 * with them (a bad one is a 400 naming the field) and the answers are
 * documented by them; the types in types.ts are what they describe.
 *
 * @module
 */
import { z } from "zod";
import { isDay } from "./totals.ts";
import type { AgentUsage, UserUsage } from "./types.ts";

const count = z.number().int().nonnegative();
// The pattern is what the OpenAPI document can say; the refinement rejects days that do not exist (2026-02-30).
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a UTC day, YYYY-MM-DD").refine(isDay, "must be a UTC day, YYYY-MM-DD");

const totalsShape = {
  inputTokens: count.describe("Prompt tokens, cached ones included"),
  outputTokens: count,
  totalTokens: count,
  cachedInputTokens: count.describe("Prompt tokens read from the provider's cache"),
  costUsd: z.number().nonnegative().describe("USD of the calls whose cost is known (to the nano-dollar); a lower bound when callsWithoutCost > 0"),
  calls: count.describe("Model calls counted"),
  callsWithoutUsage: count.describe("Calls LiteLLM reported no usage for: not in the token sums"),
  callsWithoutCost: count.describe("Calls whose cost is unknown: not in costUsd"),
};

export const usageTotalsSchema = z.strictObject(totalsShape);

/** `GET /api/agents/:id/usage`: no query. */
export const agentUsageQuerySchema = z.strictObject({});

/** The answer of `GET /api/agents/:id/usage`. */
export const agentUsageSchema = z.strictObject({
  agentId: z.string(),
  total: usageTotalsSchema,
  runs: z.array(z.strictObject({
    messageId: z.string(),
    startedAt: z.iso.datetime().describe("When the message was sent"),
    models: z.array(z.string()).describe("The models its calls went to, in order of first use"),
    ...totalsShape,
  })).describe("One entry per run (user message) of the stored steps, oldest first"),
});

/** The query of `GET /api/agents/usage`. */
export const userUsageQuerySchema = z.strictObject({
  from: day.optional().describe("First UTC day, inclusive; default today"),
  to: day.optional().describe("Last UTC day, inclusive; default today (at most 366 days after from)"),
  uid: z.union([z.literal("all"), z.string().regex(/^[1-9]\d{0,15}$/, "must be a user id or all")]).optional()
    .describe("Another user's id, or all (ADMIN only); default the caller"),
});

const modelUsage = z.strictObject({ model: z.string(), ...totalsShape });

/** The answer of `GET /api/agents/usage`. */
export const userUsageSchema = z.strictObject({
  uid: z.number().int().nullable().describe("The user, or null for every user"),
  from: day,
  to: day,
  total: usageTotalsSchema,
  days: z.array(z.strictObject({ day, ...totalsShape, models: z.array(modelUsage) })).describe("Days with usage, oldest first"),
  models: z.array(modelUsage).describe("The whole range per model"),
  users: z.array(z.strictObject({ uid: z.number().int(), ...totalsShape })).optional().describe("With uid=all: the range per user"),
  limits: z.strictObject({
    day,
    tokens: z.strictObject({ limit: count, used: count }).optional(),
    costUsd: z.strictObject({ limit: z.number().positive(), used: z.number().nonnegative() }).optional(),
    exceeded: z.boolean(),
    resetsAt: z.iso.datetime(),
  }).optional().describe("For one user, when the platform sets daily limits: where they stand today"),
});

// The schemas and the types of types.ts describe the same answers.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _agentUsage: Same<z.infer<typeof agentUsageSchema>, AgentUsage> = true;
const _userUsage: Same<z.infer<typeof userUsageSchema>, UserUsage> = true;
void _agentUsage;
void _userUsage;
