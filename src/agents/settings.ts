/**
 * Agent settings: defaults (the reference's `DEFAULT_AGENT_SETTINGS`) and the
 * schemas that validate them on create and PATCH.
 *
 * @module
 */
import { z } from "zod";
import type { AgentSettings } from "./types.ts";

/** The reference's default operator allow-list. */
export const DEFAULT_OPERATOR_TYPES: readonly string[] = Object.freeze([
  "CSVFileScan", "Filter", "Projection", "TypeCasting", "Sort", "Limit", "Distinct", "Union", "KeywordSearch",
  "HashJoin", "Aggregate", "LineChart", "BarChart", "PieChart", "Histogram", "Scatterplot", "WordCloud", "PythonUDFV2",
]);

export function defaultSettings(): AgentSettings {
  return {
    maxOperatorResultCharLimit: 2000,
    maxOperatorResultCellCharLimit: 2000,
    operatorResultSerializationMode: "tsv",
    toolTimeoutSeconds: 240,
    executionTimeoutMinutes: 4,
    disabledTools: [],
    maxSteps: 100,
    allowedOperatorTypes: [...DEFAULT_OPERATOR_TYPES],
  };
}

const name = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
const toolName = z.string().min(1).max(100);

/** A partial settings object, as accepted by create and PATCH; unknown fields are refused. */
export const settingsPatchSchema = z.strictObject({
  maxOperatorResultCharLimit: z.number().int().min(1).max(1_000_000).optional(),
  maxOperatorResultCellCharLimit: z.number().int().min(1).max(1_000_000).optional(),
  operatorResultSerializationMode: z.literal("tsv").optional(),
  toolTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
  executionTimeoutMinutes: z.number().int().min(1).max(1440).optional(),
  // Bounded so that a user's agents stay small (settings are in every list answer):
  // the whole object is at most ~25 KB of JSON.
  disabledTools: z.array(toolName).max(50).optional(),
  maxSteps: z.number().int().min(1).max(200).optional(),
  allowedOperatorTypes: z.array(z.string().min(1).max(100)).max(200).optional(),
});

export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export const createAgentSchema = z.strictObject({
  modelType: z.string().trim().min(1, "is required").max(200),
  name: name.optional(),
  settings: settingsPatchSchema.optional(),
  // Accepted for compatibility with the reference frontend, which still sends them; identity comes from the Bearer token.
  userToken: z.string().optional(),
  workflowId: z.number().optional(),
  computingUnitId: z.number().optional(),
});

export const patchAgentSchema = z
  .strictObject({ name: name.optional(), modelType: z.string().trim().min(1, "must not be empty").max(200).optional() })
  .refine((body) => body.name !== undefined || body.modelType !== undefined, { message: "name or modelType is required" });

export const checkoutSchema = z.strictObject({ stepId: z.string().min(1, "is required").max(200) });

/** Applies a validated patch to settings, returning a new object. */
export function applySettings(settings: AgentSettings, patch: SettingsPatch): AgentSettings {
  const next = { ...settings };
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) (next as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value;
  }
  return next;
}
