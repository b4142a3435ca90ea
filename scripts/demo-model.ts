/**
 * The demo model for `npm run demo`: a scripted OpenAI-compatible server (no
 * model weights can be downloaded here, and a newcomer may have no provider
 * key) that behaves like a copilot. For any request it builds a small
 * dataflow with real tool calls (CSVFileScan -> Filter -> Aggregate ->
 * BarChart), reading the ids from the tool results, then sums up. It is
 * listed as `demo-scripted-copilot`, owned by "scripted demo (not an LLM)",
 * and is never used when LITELLM_BASE_URL is set.
 */
import { type Reply, type ScriptedLLM, startScriptedLLM } from "../tests/fixtures/scripted-llm.ts";

export const DEMO_MODEL = "demo-scripted-copilot";
export const DEMO_OWNER = "scripted demo (not an LLM)";

interface Message {
  role: string;
  content?: unknown;
}

interface PlannedOperator {
  readonly operatorType: string;
  readonly properties: Record<string, unknown>;
  readonly summary: string;
  readonly thought: string;
}

const PLAN: readonly PlannedOperator[] = [
  {
    operatorType: "CSVFileScan",
    properties: { fileName: "/demo/sales.csv", hasHeader: true },
    summary: "Load sales",
    thought: "First I load the sales data.",
  },
  {
    operatorType: "Filter",
    properties: { predicates: [{ attribute: "amount", condition: ">", value: "100" }] },
    summary: "Orders over 100",
    thought: "Next I keep the orders above 100.",
  },
  {
    operatorType: "Aggregate",
    properties: { groupByKeys: ["region"], aggregations: [{ aggFunction: "sum", attribute: "amount", "result attribute": "total" }] },
    summary: "Total per region",
    thought: "Then I add up the amounts per region.",
  },
  {
    operatorType: "BarChart",
    properties: { fields: "region", value: "total" },
    summary: "Revenue by region",
    thought: "Finally a bar chart of the totals.",
  },
];

const text = (value: string): Reply => ({ kind: "text", text: value, chunkSize: 3, delayMs: 12 });

/** Decides the next answer from the conversation so far. */
export function demoReply(body: Record<string, unknown>): Reply {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as Message[];
  let lastUser = -1;
  messages.forEach((message, index) => {
    if (message.role === "user") lastUser = index;
  });
  const request = typeof messages[lastUser]?.content === "string" ? (messages[lastUser]!.content as string) : "";
  const results = messages.slice(lastUser + 1).filter((m) => m.role === "tool").map((m) => String(m.content ?? ""));
  const failed = results.find((result) => result.startsWith("[ERROR]"));
  if (failed) return text(`A step failed, so I stopped: ${failed.split("\n")[0]!.slice(0, 200)}`);

  const ids = results.map((result) => /Added operator (op\d+)/.exec(result)?.[1]).filter((id): id is string => !!id);
  const next = PLAN[ids.length];
  if (!next) {
    return text(
      `Done. For "${request.slice(0, 80)}" I built a dataflow: ${ids.join(" -> ")} ` +
        "(load sales, keep orders over 100, total per region, bar chart). " +
        "This answer comes from the scripted demo model; set LITELLM_BASE_URL to use a real one.",
    );
  }
  const previous = ids.at(-1);
  return {
    kind: "tool_calls",
    text: next.thought,
    calls: [{
      id: `call_demo_${ids.length + 1}`,
      name: "addOperator",
      arguments: JSON.stringify({
        operatorType: next.operatorType,
        properties: next.properties,
        ...(previous ? { inputOperatorIds: { "0": [previous] } } : {}),
        summary: next.summary,
      }),
    }],
  };
}

export function startDemoModel(): Promise<ScriptedLLM> {
  return startScriptedLLM({ models: [DEMO_MODEL], ownedBy: DEMO_OWNER, fallback: demoReply });
}
