/**
 * The schemas of what the stores keep, checked whole whenever a store reads
 * something back (a file, a row): an agent's meta with its settings, and a
 * step. A value that fails is refused with the path of the first failing
 * field, never its content, so a log line can name it safely.
 *
 * Settings added in later versions are filled with their defaults before the
 * check, so older records stay loadable.
 *
 * @module
 */
import { z } from "zod";
import { defaultSettings } from "../agents/settings.ts";
import type { AgentMeta, ReActStep } from "../agents/types.ts";
import type { StepUsageRecord } from "../usage/totals.ts";
import { AGENT_ID_PATTERN } from "./agent-store.ts";

const text = z.string().max(10_000_000);
const shortText = z.string().max(10_000);
const count = z.number().int().nonnegative();

export const settingsRecord = z.strictObject({
  maxOperatorResultCharLimit: z.number().int().min(1),
  maxOperatorResultCellCharLimit: z.number().int().min(1),
  operatorResultSerializationMode: z.literal("tsv"),
  toolTimeoutSeconds: z.number().int().min(1),
  executionTimeoutMinutes: z.number().int().min(1),
  disabledTools: z.array(shortText),
  maxSteps: z.number().int().min(1),
  allowedOperatorTypes: z.array(shortText),
});

export const metaRecord = z.object({
  id: z.string().regex(AGENT_ID_PATTERN),
  ownerUid: z.number().int(),
  ownerName: shortText,
  name: shortText,
  modelType: shortText,
  createdAt: z.iso.datetime(),
  settings: settingsRecord,
});

export const usageRecord = z.looseObject({
  inputTokens: count,
  outputTokens: count,
  totalTokens: count,
  cachedInputTokens: count.optional(),
});

export const costRecord = z.looseObject({
  usd: z.number().finite().nonnegative(),
  source: z.enum(["litellm", "model_prices"]),
});

export const stepRecord = z.object({
  id: shortText.min(1),
  parentId: shortText.min(1).optional(),
  messageId: shortText,
  stepId: count,
  timestamp: z.number().finite(),
  role: z.enum(["user", "agent"]),
  content: text,
  isBegin: z.boolean(),
  isEnd: z.boolean(),
  toolCalls: z.array(z.object({ toolName: shortText, toolCallId: shortText, input: z.unknown() })).optional(),
  toolResults: z.array(z.object({ toolCallId: shortText, output: text, isError: z.boolean().optional() })).optional(),
  usage: usageRecord.optional(),
  cost: costRecord.optional(),
  model: shortText.min(1).optional(),
  requestId: shortText.optional(),
  messageSource: z.enum(["chat", "feedback"]).optional(),
  stopped: z.boolean().optional(),
  interrupted: z.boolean().optional(),
  error: text.optional(),
  errorCode: shortText.optional(),
  retryAfterMs: count.optional(),
  beforeWorkflowContent: z.unknown().optional(),
  afterWorkflowContent: z.unknown().optional(),
});

/** Why `value` is not valid per `schema` (the first failing field's path and what is wrong), or undefined. */
export function recordProblem(schema: z.ZodType, value: unknown): string | undefined {
  const result = schema.safeParse(value);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  if (!issue) return "invalid";
  const path = issue.path.map(String).join(".");
  // The issue's message describes the expectation ("expected number"), never the value.
  return path ? `${path}: ${issue.code}` : issue.code;
}

/** A stored meta with defaults for settings added since it was written; throws RecordError when invalid. */
export function readMeta(value: unknown): AgentMeta {
  const withDefaults = value !== null && typeof value === "object" && !Array.isArray(value)
    ? { ...(value as Record<string, unknown>), settings: { ...defaultSettings(), ...((value as { settings?: object }).settings ?? {}) } }
    : value;
  const problem = recordProblem(metaRecord, withDefaults);
  if (problem !== undefined) throw new RecordError(problem);
  return withDefaults as AgentMeta;
}

/** A stored step, checked whole; throws RecordError when invalid. */
export function readStep(value: unknown): ReActStep {
  const problem = recordProblem(stepRecord, value);
  if (problem !== undefined) throw new RecordError(problem);
  return value as ReActStep;
}

const stepUsageRecord = stepRecord.pick({ messageId: true, stepId: true, timestamp: true, role: true, model: true, usage: true, cost: true });

/** A step's usage fields as a store read them back (JSON nulls are absent), checked; throws RecordError when invalid. */
export function readStepUsage(value: Record<string, unknown>): StepUsageRecord {
  const record = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined));
  const problem = recordProblem(stepUsageRecord, record);
  if (problem !== undefined) throw new RecordError(problem);
  return record as StepUsageRecord;
}

/** A stored value failed its schema; the message names the field, never its content. */
export class RecordError extends Error {
  override name = "RecordError";
}
