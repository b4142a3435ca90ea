/**
 * What one signed-in user may take: agents, open sockets, runs at once,
 * REST requests per minute, and the size of everything a user or the model
 * can grow. Defaults are what a platform would pick for interactive use; 0
 * turns a count limit off. The agent, socket and run counts hold across
 * replicas where the store is shared (PostgreSQL); the request rate is per
 * replica.
 *
 * @module
 */

export interface Limits {
  /** `MAX_AGENTS_PER_USER` (100): agents one user may own. */
  readonly maxAgentsPerUser: number;
  /** `MAX_SOCKETS_PER_USER` (20): `/react` sockets one user may have open. */
  readonly maxSocketsPerUser: number;
  /** `MAX_RUNS_PER_USER` (3): runs one user may have going at once. */
  readonly maxRunsPerUser: number;
  /** `REQUESTS_PER_MINUTE_PER_USER` (600): REST requests per user per minute, per replica (a token bucket). */
  readonly requestsPerMinute: number;
  /** `REQUEST_BURST_PER_USER` (60): requests a user may make at once before the per-minute rate applies. */
  readonly requestBurst: number;
  /** `MAX_MESSAGE_CHARS` (32,000): a user message. */
  readonly maxMessageChars: number;
  /** `MAX_STEPS_PER_AGENT` (2,000): an agent's stored steps; then the user clears it or starts a new agent. */
  readonly maxStepsPerAgent: number;
  /** `MAX_STEP_CHARS` (100,000): the text of one model answer. */
  readonly maxStepChars: number;
  /** `MAX_TOOL_ARGUMENT_CHARS` (65,536): the arguments of one tool call as the model wrote them. */
  readonly maxToolArgumentChars: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxAgentsPerUser: 100,
  maxSocketsPerUser: 20,
  maxRunsPerUser: 3,
  requestsPerMinute: 600,
  requestBurst: 60,
  maxMessageChars: 32_000,
  maxStepsPerAgent: 2_000,
  maxStepChars: 100_000,
  maxToolArgumentChars: 65_536,
});

const VARIABLES: Readonly<Record<keyof Limits, readonly [name: string, min: number, max: number]>> = {
  maxAgentsPerUser: ["MAX_AGENTS_PER_USER", 0, 1_000_000],
  maxSocketsPerUser: ["MAX_SOCKETS_PER_USER", 0, 100_000],
  maxRunsPerUser: ["MAX_RUNS_PER_USER", 0, 10_000],
  requestsPerMinute: ["REQUESTS_PER_MINUTE_PER_USER", 0, 10_000_000],
  requestBurst: ["REQUEST_BURST_PER_USER", 1, 1_000_000],
  maxMessageChars: ["MAX_MESSAGE_CHARS", 1, 10_000_000],
  maxStepsPerAgent: ["MAX_STEPS_PER_AGENT", 10, 10_000_000],
  maxStepChars: ["MAX_STEP_CHARS", 100, 10_000_000],
  maxToolArgumentChars: ["MAX_TOOL_ARGUMENT_CHARS", 100, 10_000_000],
};

/** The limits from the environment, or a one-line problem naming the variable. */
export function parseLimits(get: (name: string) => string | undefined): Limits | string {
  const limits: Record<string, number> = {};
  for (const [key, [name, min, max]] of Object.entries(VARIABLES)) {
    const raw = get(name);
    if (raw === undefined) {
      limits[key] = DEFAULT_LIMITS[key as keyof Limits];
      continue;
    }
    const value = /^\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!(value >= min && value <= max)) {
      return `${name} must be an integer between ${min} and ${max}${min === 0 ? " (0: no limit)" : ""} (got ${JSON.stringify(raw.slice(0, 40))})`;
    }
    limits[key] = value;
  }
  return limits as unknown as Limits;
}

/** A count limit as the stores take it: undefined when 0 (off). */
export const bound = (limit: number | undefined): number | undefined => (limit === 0 ? undefined : limit);
