/**
 * LiteLLM's error answers -> typed errors with stable codes (src/litellm/errors.ts):
 * the decision table, the retry time of a rate limit, masking, and what a user
 * may be shown.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import {
  describeLiteLLMFailure,
  errorFromAnswer,
  type HeaderReader,
  LITELLM_ERROR_CODES,
  LiteLLMError,
  type LiteLLMErrorCode,
  type LiteLLMErrorKind,
  maskSecret,
  requestIdOf,
  retryAfterMsOf,
} from "../src/litellm/errors.ts";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const KEY = "sk-master-key-under-test-4f9a2c";
const headers = (values: Record<string, string> = {}): HeaderReader => new Headers(values);
const mask = (text: string) => maskSecret(text, KEY);
const litellm = (message: string, type: string | null, code: string) => ({ error: { message, type, param: null, code } });

describe("errorFromAnswer: decided on error.type first, then on the status", () => {
  const cases: Array<[string, { status?: number; body: unknown; inStream?: boolean }, LiteLLMErrorKind, LiteLLMErrorCode]> = [
    // LiteLLM's budget refusal changed status across versions: 400, then 429, 422 in 1.108.7.
    ["budget_exceeded at 400", { status: 400, body: litellm("Budget has been exceeded! Current cost: 1.2, Max budget: 1.0", "budget_exceeded", "400") }, "budget_exceeded", "budget_exceeded"],
    ["budget_exceeded at 422", { status: 422, body: litellm("Budget has been exceeded!", "budget_exceeded", "422") }, "budget_exceeded", "budget_exceeded"],
    ["budget_exceeded at 429", { status: 429, body: litellm("Budget has been exceeded!", "budget_exceeded", "429") }, "budget_exceeded", "budget_exceeded"],
    // Measured on 1.108.7 without a database: a deployment's max_budget crossed.
    ["a deployment's budget crossed (429)", {
      status: 429,
      body: litellm("No deployments available - crossed budget: Exceeded budget for deployment model_name: m", "internal_server_error", "429"),
    }, "budget_exceeded", "budget_exceeded"],
    ["budget_exceeded inside the stream", { inStream: true, body: litellm("Budget has been exceeded!", "budget_exceeded", "429") }, "budget_exceeded", "budget_exceeded"],
    ["429 throttling", { status: 429, body: litellm("litellm.RateLimitError: Rate limit reached", "throttling_error", "429") }, "rate_limited", "rate_limited"],
    ["429 with no body", { status: 429, body: "" }, "rate_limited", "rate_limited"],
    ["401 auth_error", { status: 401, body: litellm("Authentication Error, No api key passed in.", "auth_error", "401") }, "auth", "upstream_misconfigured"],
    ["403", { status: 403, body: {} }, "auth", "upstream_misconfigured"],
    ["400 no_db_connection (a wrong key without a database)", { status: 400, body: litellm("No connected db.", "no_db_connection", "400") }, "auth", "upstream_misconfigured"],
    ["400 invalid model", { status: 400, body: litellm("Invalid model name passed in model=nope", "invalid_request_error", "400") }, "bad_request", "upstream_bad_request"],
    ["404 FastAPI detail", { status: 404, body: { detail: "The model `nope` does not exist" } }, "bad_request", "upstream_bad_request"],
    ["422", { status: 422, body: litellm("bad param", "invalid_request_error", "422") }, "bad_request", "upstream_bad_request"],
    ["408", { status: 408, body: litellm("litellm.Timeout", "invalid_request_error", "408") }, "timeout", "upstream_timeout"],
    ["504", { status: 504, body: "<html>Gateway Timeout</html>" }, "timeout", "upstream_timeout"],
    ["502 from a proxy in front", { status: 502, body: "<html>Bad Gateway</html>" }, "unreachable", "upstream_unavailable"],
    ["503", { status: 503, body: litellm("ServiceUnavailableError", "None", "503") }, "unreachable", "upstream_unavailable"],
    ["500", { status: 500, body: litellm("litellm.InternalServerError: boom", "internal_server_error", "500") }, "upstream", "upstream_error"],
    ["an error frame with code 500", { inStream: true, body: litellm("APIConnectionError: Connection error.", null, "500") }, "upstream", "upstream_error"],
    ["an error frame with code 408", { inStream: true, body: litellm("litellm.Timeout", null, "408") }, "timeout", "upstream_timeout"],
    ["an error frame without a code", { inStream: true, body: { error: { message: "provider overloaded" } } }, "upstream", "upstream_error"],
    ["an error frame that is a string", { inStream: true, body: { error: "provider overloaded" } }, "upstream", "upstream_error"],
  ];
  for (const [name, answer, kind, code] of cases) {
    test(`${name} -> ${code}`, () => {
      const error = errorFromAnswer(answer, mask, NOW);
      assert.equal(error.kind, kind);
      assert.equal(error.code, code);
      assert.equal(error.status, answer.status);
    });
  }

  test("every code is reachable from the table above and the codes are distinct", () => {
    const reached = new Set(cases.map(([, , , code]) => code));
    for (const code of LITELLM_ERROR_CODES.filter((c) => c !== "upstream_protocol" && c !== "aborted")) assert.ok(reached.has(code), code);
    assert.equal(new Set(LITELLM_ERROR_CODES).size, LITELLM_ERROR_CODES.length);
    assert.equal(new LiteLLMError("protocol", "x").code, "upstream_protocol");
    assert.equal(new LiteLLMError("aborted", "x").code, "aborted");
  });

  test("LiteLLM's text is kept masked for the log; its type too", () => {
    const error = errorFromAnswer({ status: 500, body: litellm(`upstream refused Authorization: Bearer ${KEY}`, "internal_server_error", "500") }, mask, NOW);
    assert.equal(error.upstreamMessage, "upstream refused Authorization: Bearer [redacted]");
    assert.equal(error.upstreamType, "internal_server_error");
  });

  test("the request id comes from x-litellm-call-id, else x-request-id, and only when it looks like an id", () => {
    const withCallId = errorFromAnswer({ status: 500, body: {}, headers: headers({ "x-litellm-call-id": "83f6e91f-b46b-41c8-affd-e06ca9d83ca0", "x-request-id": "other" }) }, mask, NOW);
    assert.equal(withCallId.requestId, "83f6e91f-b46b-41c8-affd-e06ca9d83ca0");
    assert.equal(requestIdOf(headers({ "x-request-id": "req_123" })), "req_123");
    assert.equal(requestIdOf(headers({ "x-litellm-call-id": "<script>alert(1)</script>" })), undefined);
    assert.equal(requestIdOf(headers({ "x-litellm-call-id": "a".repeat(129) })), undefined);
    assert.equal(requestIdOf(headers()), undefined);
  });

  test("a 429 carries the retry time LiteLLM gave", () => {
    const error = errorFromAnswer({ status: 429, body: {}, headers: headers({ "retry-after": "7" }) }, mask, NOW);
    assert.equal(error.retryAfterMs, 7000);
    assert.equal(errorFromAnswer({ status: 429, body: {} , headers: headers() }, mask, NOW).retryAfterMs, undefined);
    // Only rate limits carry it.
    assert.equal(errorFromAnswer({ status: 503, body: {}, headers: headers({ "retry-after": "7" }) }, mask, NOW).retryAfterMs, undefined);
  });
});

describe("retryAfterMsOf", () => {
  const cases: Array<[Record<string, string>, number | undefined]> = [
    [{ "retry-after": "12" }, 12_000],
    [{ "retry-after": "1.5" }, 1500],
    [{ "retry-after": new Date(NOW + 30_000).toUTCString() }, 30_000],
    [{ "retry-after": new Date(NOW - 30_000).toUTCString() }, 0],
    [{ "retry-after-ms": "250", "retry-after": "12" }, 250],
    // LiteLLM passes the provider's header on with a prefix (measured on 1.108.7).
    [{ "llm_provider-retry-after": "3" }, 3000],
    [{ "retry-after": "2", "llm_provider-retry-after": "3" }, 2000],
    [{ "x-ratelimit-reset-requests": "1m30s" }, 90_000],
    [{ "x-ratelimit-reset-tokens": "20ms" }, 20],
    [{ "x-ratelimit-reset-requests": "6m0s", "x-ratelimit-reset-tokens": "1h2m3.5s" }, 3_723_500],
    [{ "x-ratelimit-reset-requests": "5" }, 5000],
    [{ "retry-after": "999999999" }, 86_400_000],
    [{ "retry-after": "soon" }, undefined],
    [{ "retry-after": "-3" }, undefined],
    [{ "x-ratelimit-reset-requests": "abc" }, undefined],
    [{ "x-ratelimit-reset-requests": "" }, undefined],
    [{}, undefined],
  ];
  for (const [values, expected] of cases) {
    test(`${JSON.stringify(values)} -> ${expected}`, () => assert.equal(retryAfterMsOf(headers(values), NOW), expected));
  }
});

describe("maskSecret", () => {
  test("masks the key whole, in 8-character pieces, and generic key and token shapes; at most 500 characters", () => {
    assert.equal(maskSecret(`key=${KEY}`, KEY), "key=[redacted]");
    assert.doesNotMatch(maskSecret(`Received API Key = ${KEY.slice(0, 12)}...`, KEY), new RegExp(KEY.slice(0, 8)));
    assert.equal(maskSecret("other sk-abcdef123456 here", KEY), "other sk-[redacted] here");
    assert.equal(maskSecret("x".repeat(600), KEY).length, 500);
    const plain = "plain-master-key-9f8e7d6c5b4a3921";
    assert.ok(!maskSecret(`echo ${plain.slice(3, 25)}`, plain).includes(plain.slice(3, 11)));
  });
});

describe("what a user is shown", () => {
  const secretText = "internal-host.corp:8443 said: sk-provider-secret and Bearer abc";
  const errors: LiteLLMError[] = [
    errorFromAnswer({ status: 500, body: litellm(secretText, "internal_server_error", "500"), headers: headers({ "x-litellm-call-id": "call-1" }) }, mask, NOW),
    errorFromAnswer({ status: 400, body: litellm(secretText, "invalid_request_error", "400") }, mask, NOW),
    errorFromAnswer({ status: 401, body: litellm(secretText, "auth_error", "401") }, mask, NOW),
    errorFromAnswer({ status: 429, body: litellm(secretText, "throttling_error", "429"), headers: headers({ "retry-after": "2.2" }) }, mask, NOW),
    errorFromAnswer({ status: 429, body: litellm(secretText, "budget_exceeded", "429") }, mask, NOW),
    errorFromAnswer({ inStream: true, body: litellm(secretText, null, "500") }, mask, NOW),
    errorFromAnswer({ status: 503, body: secretText }, mask, NOW),
  ];

  test("the category in our words and the request id, never LiteLLM's text", () => {
    for (const error of errors) {
      const shown = describeLiteLLMFailure(error);
      assert.ok(error.upstreamMessage?.includes("internal-host"), "the detail is kept for the log");
      for (const piece of ["internal-host", "sk-provider", "Bearer"]) assert.ok(!shown.includes(piece), `${error.code}: ${shown}`);
      assert.ok(!error.message.includes("internal-host"), "nor in the error's own message");
    }
    assert.deepEqual(errors.map(describeLiteLLMFailure), [
      "LiteLLM failed (HTTP 500) [LiteLLM request call-1]",
      "LiteLLM refused the request (HTTP 400)",
      "LiteLLM refused the service's credentials (a server misconfiguration)",
      "LiteLLM is rate limiting requests (HTTP 429); try again in 3 s",
      "LiteLLM refused the request: the spending budget is used up",
      "LiteLLM reported an error during the answer",
      "LiteLLM is unreachable",
    ]);
  });

  test("withDetails adds a request id and keeps the rest", () => {
    const original = errors[3]!;
    const more = original.withDetails({ requestId: "call-9" });
    assert.equal(more.requestId, "call-9");
    assert.equal(more.retryAfterMs, original.retryAfterMs);
    assert.equal(more.upstreamMessage, original.upstreamMessage);
    assert.equal(more.code, "rate_limited");
    assert.equal(errors[0]!.withDetails({ requestId: "other" }).requestId, "call-1", "a known id is kept");
  });
});
