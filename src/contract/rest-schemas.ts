/**
 * The REST answers as zod schemas, in one place: the OpenAPI document
 * (openapi.ts) is generated from them and from the request schemas the
 * routes validate with (agents/settings.ts, usage/schemas.ts); the client
 * library's types are checked against them (tests/contract/client-types.ts),
 * and the test suite checks every answer it receives against the document.
 *
 * Answers are strict objects where the service builds every field itself, so
 * a field the service adds without saying so here fails the tests; the
 * pass-through ones (LiteLLM's model list, a toolkit's extra agent fields)
 * are open.
 *
 * @module
 */
import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../error-codes.ts";
import { agentUsageSchema, userUsageSchema } from "../usage/schemas.ts";
import {
  agentInfoSchema,
  agentSettingsSchema,
  agentStateSchema,
  reactStepSchema,
  stepCostSchema,
  stepUsageSchema,
  toolCallRecordSchema,
  toolResultRecordSchema,
} from "./socket-messages.ts";

const count = z.number().int().nonnegative();
const uid = z.number().int().positive();

/** `{error, code}`: every REST error. */
export const errorBodySchema = z.strictObject({
  error: z.string().describe("For people; may change"),
  code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]).describe("Stable, for programs (src/error-codes.ts)"),
});

export const healthSchema = z.strictObject({ status: z.literal("ok"), timestamp: z.iso.datetime() });
export const readySchema = z.strictObject({ status: z.literal("ready"), store: z.string().describe("The store that answered: file, memory, postgres or none") });

export const callerSchema = z.strictObject({ uid, name: z.string(), email: z.string(), role: z.string() });
export const whoamiSchema = z.strictObject({ user: callerSchema });

// What an agent, its settings and a step are: the socket protocol's schemas, one definition for both documents.
export { agentInfoSchema, agentSettingsSchema, agentStateSchema, reactStepSchema, stepCostSchema, stepUsageSchema, toolCallRecordSchema, toolResultRecordSchema };

export const agentPageSchema = z.strictObject({
  agents: z.array(agentInfoSchema),
  nextCursor: z.string().nullable().describe("Pass it back as cursor for the next page; null on the last"),
});

const workflowEndpoint = z.strictObject({ operatorID: z.string(), portID: z.string() });
export const workflowContentSchema = z.looseObject({
  operators: z.array(z.looseObject({
    operatorID: z.string(),
    operatorType: z.string(),
    operatorProperties: z.record(z.string(), z.unknown()).optional(),
    customDisplayName: z.string().optional(),
  })),
  operatorPositions: z.record(z.string(), z.strictObject({ x: z.number(), y: z.number() })),
  links: z.array(z.strictObject({ linkID: z.string(), source: workflowEndpoint, target: workflowEndpoint })),
});

/** `GET /agents/{id}`: open, since a toolkit adds its own fields (the copilot's `workflow`). */
export const agentDetailsSchema = z.looseObject({
  ...agentInfoSchema.shape,
  stepCount: count,
  headId: z.string().nullable(),
  workflow: workflowContentSchema.optional(),
});

export const reactStepsSchema = z.strictObject({ steps: z.array(reactStepSchema), state: agentStateSchema, headId: z.string().nullable() });
export const conversationPageSchema = z.strictObject({ steps: z.array(reactStepSchema), more: z.boolean().describe("Older steps exist before the first of steps") });

export const stopAnswerSchema = z.strictObject({ status: z.enum(["stopping", "idle"]) });
export const clearAnswerSchema = z.strictObject({ status: z.literal("cleared") });
export const checkoutAnswerSchema = z.strictObject({ status: z.literal("checked out"), headId: z.string() });
export const deletedAnswerSchema = z.strictObject({ deleted: z.literal(true) });

export const systemInfoSchema = z.strictObject({
  systemPrompt: z.string(),
  tools: z.array(z.strictObject({ name: z.string(), description: z.string(), inputSchema: z.record(z.string(), z.unknown()), enabled: z.boolean() })),
});

export const operatorTypeInfoSchema = z.strictObject({
  type: z.string(),
  displayName: z.string(),
  group: z.string().optional(),
  description: z.string(),
  inputPorts: z.array(z.strictObject({ displayName: z.string().optional(), allowMultiLinks: z.boolean().optional() })),
  outputPorts: z.array(z.strictObject({ displayName: z.string().optional() })),
  propertiesSchema: z.record(z.string(), z.unknown()),
  version: z.string().optional(),
});
export const operatorTypesSchema = z.strictObject({ operatorTypes: z.array(operatorTypeInfoSchema) });

/** LiteLLM's OpenAI-shaped model list, passed through (open: LiteLLM may add fields). */
export const modelEntrySchema = z.looseObject({
  id: z.string(),
  object: z.string().optional(),
  created: z.number().optional(),
  owned_by: z.string().optional(),
  details: z.strictObject({
    provider: z.string().optional(),
    mode: z.string().optional(),
    maxInputTokens: z.number().optional(),
    maxOutputTokens: z.number().optional(),
    supportsFunctionCalling: z.boolean().optional(),
    supportsParallelFunctionCalling: z.boolean().optional(),
    supportsVision: z.boolean().optional(),
    inputCostPerToken: z.number().optional().describe("USD per input token"),
    outputCostPerToken: z.number().optional().describe("USD per output token"),
    cacheReadInputTokenCost: z.number().optional().describe("USD per input token read from the provider's prompt cache"),
    outputCostPerReasoningToken: z.number().optional().describe("USD per reasoning token, when priced apart"),
    tieredPriceFromTokens: z.number().optional().describe("Input size from which other prices apply (a call past it has no known cost)"),
  }).optional().describe("With details=true: what LiteLLM's /model/info knows"),
});
export const modelListSchema = z.looseObject({
  object: z.string().optional(),
  data: z.array(modelEntrySchema),
  details_error: z.string().optional().describe("Set when the list came back but the details could not be fetched"),
  details_error_code: z.string().optional(),
});

export const playgroundConfigSchema = z.strictObject({ devTokens: z.boolean(), apiPrefix: z.string() });
export const devTokenAnswerSchema = z.strictObject({
  token: z.string(),
  expiresInSeconds: count,
  user: z.strictObject({ uid, name: z.string(), email: z.string(), role: z.enum(["REGULAR", "ADMIN"]) }),
});

export { agentUsageSchema, userUsageSchema };
