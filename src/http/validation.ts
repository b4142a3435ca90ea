/**
 * Request-body validation with zod: a violation is a 400 whose message names
 * the field (`settings.maxSteps: Too small: expected number to be >=1`).
 *
 * @module
 */
import type { z } from "zod";
import { HttpError, readJson } from "./errors.ts";

export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new HttpError(400, "Invalid request body");
  const path = issue.path.map(String).join(".");
  const message = issue.code === "unrecognized_keys" ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(", ")}` : issue.message;
  throw new HttpError(400, path ? `${path}: ${message}` : message);
}

/** Reads and validates a JSON body. */
export async function readBody<T extends z.ZodType>(request: Request, schema: T, maxBytes: number): Promise<z.infer<T>> {
  return parseWith(schema, await readJson(request, maxBytes));
}
