/**
 * The logger: secrets are redacted by an exact list of field names (not by
 * substring) and by value; a line's own time, level and msg cannot be
 * overwritten by a logged field.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger, isSecretFieldName, type LogFields } from "../src/log.ts";

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlZ21lbnQ";

function collect(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: LogFields[] = [];
  const logger = createLogger({ level: "debug", now: () => 0, write: (line) => lines.push(JSON.parse(line)), ...options });
  return { logger, lines };
}

describe("logger redaction", () => {
  it("keeps fields whose names merely contain 'token' or 'key'", () => {
    const { logger, lines } = collect();
    logger.info("usage", { inputTokens: 11, outputTokens: 7, tokenCacheSize: 10_000, cachedTokens: 3, keyCount: 2, monkey: "banana" });
    assert.deepEqual(lines[0], {
      time: "1970-01-01T00:00:00.000Z",
      level: "info",
      msg: "usage",
      inputTokens: 11,
      outputTokens: 7,
      tokenCacheSize: 10_000,
      cachedTokens: 3,
      keyCount: 2,
      monkey: "banana",
    });
  });

  it("replaces fields named as secrets, whatever their spelling, at any depth", () => {
    const { logger, lines } = collect();
    logger.warn("call", {
      token: "abc",
      Authorization: "Bearer abc",
      "x-api-key": "k1",
      apiKey: "k2",
      MASTER_KEY: "k3",
      nested: { password: "p", refresh_token: "r", fine: "yes" },
      list: [{ cookie: "c" }],
      absent: undefined,
      secret: undefined,
    });
    const line = lines[0]!;
    for (const key of ["token", "Authorization", "x-api-key", "apiKey", "MASTER_KEY"]) assert.equal(line[key], "[redacted]", key);
    assert.deepEqual(line.nested, { password: "[redacted]", refresh_token: "[redacted]", fine: "yes" });
    assert.deepEqual(line.list, [{ cookie: "[redacted]" }]);
    assert.equal("secret" in line, false, "an undefined secret field is simply absent");
  });

  it("the list is exact: names that only contain a secret word are not secrets", () => {
    for (const name of ["token", "access_token", "Access-Token", "api_key", "LITELLM_MASTER_KEY", "set-cookie", "jwtSecret"]) assert.ok(isSecretFieldName(name), name);
    for (const name of ["inputTokens", "outputTokens", "tokenCacheSize", "maxTokens", "keyCount", "tokenized", "secretary"]) {
      assert.equal(isSecretFieldName(name), false, name);
    }
  });

  it("masks JWT- and sk-shaped values in any string, and the configured secrets by value", () => {
    const masterKey = "plain-master-key-without-prefix";
    const { logger, lines } = collect({ secrets: [masterKey, "short"] });
    logger.error(`failed with ${masterKey}`, { detail: `Bearer ${JWT} and sk-abcdef123456`, upstream: `key ${masterKey} refused`, note: "short stays" });
    const line = lines[0]!;
    assert.equal(line.msg, "failed with [redacted]");
    assert.equal(line.detail, "Bearer [redacted-jwt] and sk-[redacted]");
    assert.equal(line.upstream, "key [redacted] refused");
    assert.equal(line.note, "short stays", "secrets under 8 characters are not masked (they would mask ordinary words)");
    assert.doesNotMatch(JSON.stringify(lines), new RegExp(masterKey));
  });

  it("masks secrets inside logged errors", () => {
    const { logger, lines } = collect({ secrets: ["the-master-key-1234"] });
    logger.error("boom", { error: new Error("upstream said the-master-key-1234 is wrong") });
    assert.equal((lines[0]!.error as { message: string }).message, "upstream said [redacted] is wrong");
  });
});

describe("logger record fields", () => {
  it("a field named msg, level or time does not overwrite the line's own", () => {
    const { logger, lines } = collect();
    logger.child({ level: "child-level" }).info("the message", { msg: "field msg", time: "yesterday", requestId: "r-1" });
    assert.deepEqual(lines[0], {
      time: "1970-01-01T00:00:00.000Z",
      level: "info",
      msg: "the message",
      "field.level": "child-level",
      "field.msg": "field msg",
      "field.time": "yesterday",
      requestId: "r-1",
    });
  });

  it("child fields appear on every line, and a call's fields win over them", () => {
    const { logger, lines } = collect();
    const child = logger.child({ component: "access", requestId: "a" });
    child.info("one");
    child.info("two", { requestId: "b" });
    assert.equal(lines[0]!.requestId, "a");
    assert.equal(lines[1]!.requestId, "b");
    assert.equal(lines[1]!.component, "access");
  });

  it("drops lines below its level and says which levels it writes", () => {
    const { logger, lines } = collect({ level: "warn" });
    logger.info("quiet");
    logger.warn("loud");
    assert.deepEqual(lines.map((line) => line.msg), ["loud"]);
    assert.equal(logger.enabled("info"), false);
    assert.equal(logger.enabled("error"), true);
  });
});
