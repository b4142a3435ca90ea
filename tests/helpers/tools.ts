/** Tools defined by the tests (the ReAct loop's tool interface, without the copilot). */
import type { Tool } from "../../src/agents/tool.ts";

/** Adds two numbers. */
export const addTool: Tool = {
  name: "add",
  description: "Adds two numbers",
  parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
  run: (input) => {
    const { a, b } = input as { a: number; b: number };
    return `${a + b}`;
  },
};
