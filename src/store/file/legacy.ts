/**
 * The first round's agent files (`<id>.agent.json` in the state directory:
 * one JSON record per agent, every step included, rewritten whole on every
 * save) are migrated to the journal layout when the store opens: each is
 * checked whole, written as meta + journal + index entry, then removed. A
 * file that fails its check is moved to quarantine/. An interrupted
 * migration starts that agent over at the next open.
 *
 * @module
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { AgentMeta, ReActStep } from "../../agents/types.ts";
import type { Logger } from "../../log.ts";
import { isValidAgentId } from "../agent-store.ts";
import { readMeta, readStep, RecordError } from "../records.ts";
import { removeIfPresent } from "./fs-util.ts";

const LEGACY_SUFFIX = ".agent.json";

export interface LegacyMigration {
  readonly logger: Logger;
  /** Writes the agent in the new layout. */
  write(meta: AgentMeta, steps: ReActStep[], headId: string | undefined): Promise<void>;
  /** Moves a file that failed its check aside. */
  quarantine(name: string, reason: string): Promise<void>;
}

/** Migrates every legacy file in `dir`; resolves with how many agents were migrated. */
export async function migrateLegacyFiles(dir: string, migration: LegacyMigration): Promise<number> {
  let migrated = 0;
  for (const name of (await readdir(dir)).sort()) {
    if (!name.endsWith(LEGACY_SUFFIX)) continue;
    const id = name.slice(0, -LEGACY_SUFFIX.length);
    let record: { meta: AgentMeta; steps: ReActStep[]; headId: string | undefined };
    try {
      if (!isValidAgentId(id)) throw new RecordError("id: invalid in the file name");
      record = parseLegacy(await readFile(join(dir, name), "utf8"), id);
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      await migration.quarantine(name, error.message);
      continue;
    }
    await migration.write(record.meta, record.steps, record.headId);
    await removeIfPresent(join(dir, name));
    migrated++;
  }
  return migrated;
}

function parseLegacy(text: string, id: string): { meta: AgentMeta; steps: ReActStep[]; headId: string | undefined } {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RecordError("not valid JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new RecordError("not a JSON object");
  if (value.version !== 1) throw new RecordError("version: unsupported");
  const { version: _version, steps, headId, ...rest } = value;
  const meta = readMeta(rest);
  if (meta.id !== id) throw new RecordError("id: does not match the file name");
  if (!Array.isArray(steps)) throw new RecordError("steps: invalid_type");
  const checked = steps.map((step, i) => {
    try {
      return readStep(step);
    } catch (error) {
      throw new RecordError(`steps.${i}.${(error as Error).message}`);
    }
  });
  if (headId !== undefined && typeof headId !== "string") throw new RecordError("headId: invalid_type");
  return { meta, steps: checked, headId: headId as string | undefined };
}
