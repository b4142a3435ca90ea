/**
 * loadConfig / describeConfig / parseHocon: defaults, every variable's
 * validation, the JWT secret's resolution order (env > AUTH_CONF_PATH >
 * ./auth.conf > ../common/… > built-in default) and its security rules, and
 * the HOCON subset auth.conf uses. File access goes through in-memory fakes,
 * except where the fixture file is read through the real default io.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import process from "node:process";
import { type Config, type ConfigIo, ConfigError, describeConfig, loadConfig, parseHocon } from "../src/config.ts";

const FIXTURE_PATH = fileURLToPath(new URL("./fixtures/auth/auth.conf", import.meta.url));
const FIXTURE = readFileSync(FIXTURE_PATH, "utf8");

const PUBLIC_DEFAULT = "8a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d";
const ENCRYPTION_SECRET = "ffffffffffffffffffffffffffffffff";
const SECRET = "s3cr3t-0123456789-abcdefghijklmnopqrstuvwxyz"; // 44 bytes, lower-case
const OTHER_SECRET = "0ther-secret-for-rotation-0123456789abcdef";
const MASTER_KEY = "sk-litellm-master-9f8e7d6c5b4a";

const CWD = "/srv/agent-service";
const LOCAL_CONF = "/srv/agent-service/auth.conf";
const COMMON_CONF = "/srv/common/config/src/main/resources/auth.conf";

/** An io whose files live in a map; records every path read. */
function fakeIo(files: Record<string, string> = {}, cwd = CWD): ConfigIo & { reads: string[] } {
  const reads: string[] = [];
  return {
    cwd,
    reads,
    readFile(path: string): string | undefined {
      reads.push(path);
      return Object.hasOwn(files, path) ? files[path] : undefined;
    },
  };
}

/** auth.conf text with the reference's layout and the given JWT secret. */
function authConf(jwtSecret: string, encryptionSecret = ENCRYPTION_SECRET): string {
  return `# generated for a test
auth {
    jwt {
        expiration-in-minutes = 10080
        expiration-in-minutes = \${?AUTH_JWT_EXPIRATION_IN_MINUTES}

        256-bit-secret = "${jwtSecret}"
        256-bit-secret = \${?AUTH_JWT_SECRET}
    }
    encryption {
        256-bit-secret = "${encryptionSecret}"
        256-bit-secret = \${?AUTH_ENCRYPTION_SECRET}
    }
}
`;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.ok(!error.message.includes("\n"), `message must be one line: ${error.message}`);
    return error;
  }
  assert.fail("expected a ConfigError");
}

function assertNoSecret(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `output contains a secret: ${text}`);
  }
}

describe("defaults", () => {
  test("an empty environment gives every documented default", () => {
    const config = loadConfig({}, fakeIo());
    assert.equal(config.env, "development");
    assert.deepEqual(config.server, { host: "0.0.0.0", port: 3001, apiPrefix: "/api", maxBodyBytes: 1_048_576, shutdownGraceMs: 10_000 });
    assert.equal(config.agents.stateDir, `${CWD}/data`);
    assert.equal(config.litellm.baseUrl, "http://localhost:4000");
    assert.equal(config.litellm.masterKey, undefined);
    assert.equal(config.litellm.requestTimeoutMs, 600_000);
    assert.equal(config.litellm.firstTokenTimeoutMs, 60_000);
    assert.equal(config.litellm.modelCacheTtlMs, 60_000);
    assert.equal(config.litellm.maxRetries, 0);
    assert.equal(config.log.level, "info");
    assert.deepEqual(config.auth.secrets, [PUBLIC_DEFAULT]);
    assert.equal(config.auth.secretSource, "built-in default");
    assert.equal(config.auth.publicDefaultSecret, "current");
    assert.equal(config.auth.clockSkewSeconds, 30);
    assert.equal(config.auth.tokenCacheSize, 10_000);
    assert.deepEqual(config.usage, {}, "no daily limits");
  });

  test("empty variables count as unset", () => {
    const config = loadConfig(
      { PORT: "", HOST: "", API_PREFIX: "", LOG_LEVEL: "", AGENT_ENV: "", LITELLM_MASTER_KEY: "", AUTH_JWT_SECRET: "" },
      fakeIo(),
    );
    assert.equal(config.server.port, 3001);
    assert.equal(config.litellm.masterKey, undefined);
    assert.equal(config.auth.secretSource, "built-in default");
  });

  test("every variable set to a valid value is taken", () => {
    const config = loadConfig(
      {
        PORT: "8080",
        HOST: "127.0.0.1",
        API_PREFIX: "/agent/v1",
        LITELLM_BASE_URL: "https://litellm.internal:4443/proxy/",
        LITELLM_MASTER_KEY: MASTER_KEY,
        LOG_LEVEL: "DEBUG",
        AGENT_ENV: "production",
        MAX_BODY_BYTES: "2048",
        TOKEN_CACHE_SIZE: "0",
        AUTH_JWT_SECRET: SECRET,
        SHUTDOWN_GRACE_SECONDS: "3",
        AGENT_STATE_DIR: "/var/lib/agents",
        LITELLM_TIMEOUT_SECONDS: "120",
        LITELLM_FIRST_TOKEN_TIMEOUT_SECONDS: "20",
        LITELLM_MODELS_CACHE_SECONDS: "0",
        LITELLM_MAX_RETRIES: "1",
      },
      fakeIo(),
    );
    assert.equal(config.env, "production");
    assert.deepEqual(config.server, { host: "127.0.0.1", port: 8080, apiPrefix: "/agent/v1", maxBodyBytes: 2048, shutdownGraceMs: 3000 });
    assert.equal(config.agents.stateDir, "/var/lib/agents");
    assert.deepEqual(
      [config.litellm.requestTimeoutMs, config.litellm.firstTokenTimeoutMs, config.litellm.modelCacheTtlMs, config.litellm.maxRetries],
      [120_000, 20_000, 0, 1],
    );
    assert.equal(config.litellm.baseUrl, "https://litellm.internal:4443/proxy");
    assert.equal(config.litellm.masterKey, MASTER_KEY);
    assert.equal(config.log.level, "debug");
    assert.equal(config.auth.tokenCacheSize, 0);
    assert.deepEqual(config.warnings, []);
  });

  test("the LiteLLM timings refuse out-of-range values, naming the variable", () => {
    for (const [name, value] of [["LITELLM_TIMEOUT_SECONDS", "0"], ["LITELLM_FIRST_TOKEN_TIMEOUT_SECONDS", "abc"], ["LITELLM_MAX_RETRIES", "2"], ["SHUTDOWN_GRACE_SECONDS", "-1"]]) {
      assert.throws(() => loadConfig({ [name!]: value }, fakeIo()), (error: unknown) => error instanceof ConfigError && error.message.startsWith(`${name} must be`), name);
    }
  });

  test("the socket bounds: defaults, both ends of their ranges, and out-of-range values refused naming the variable", () => {
    assert.deepEqual({ ...loadConfig({}, fakeIo()).sockets }, { idleSeconds: 60, maxBufferBytes: 4_194_304, windowBytes: 262_144 });
    for (const [idle, buffer, window] of [["5", "65536", "16384"], ["960", "1073741824", "268435456"], [" 30 ", "1048576", "1048576"]]) {
      const config = loadConfig({ SOCKET_IDLE_SECONDS: idle, SOCKET_MAX_BUFFER_BYTES: buffer, SOCKET_WINDOW_BYTES: window }, fakeIo());
      assert.deepEqual({ ...config.sockets }, { idleSeconds: Number(idle), maxBufferBytes: Number(buffer), windowBytes: Number(window) });
    }
    for (const [name, value] of [
      ["SOCKET_IDLE_SECONDS", "4"],
      ["SOCKET_IDLE_SECONDS", "961"],
      ["SOCKET_IDLE_SECONDS", "1.5"],
      ["SOCKET_MAX_BUFFER_BYTES", "65535"],
      ["SOCKET_MAX_BUFFER_BYTES", "4MiB"],
      ["SOCKET_MAX_BUFFER_BYTES", "1073741825"],
      ["SOCKET_WINDOW_BYTES", "16383"],
      ["SOCKET_WINDOW_BYTES", "268435457"],
    ]) {
      const error = configError(() => loadConfig({ [name!]: value }, fakeIo()));
      assert.ok(error.message.startsWith(`${name} must be`), error.message);
      assert.ok(error.message.includes(JSON.stringify(value)), error.message);
    }
  });

  test("the operator catalog comes from a file or a dashboard URL, never both", () => {
    assert.deepEqual(loadConfig({}, fakeIo()).copilot, {});
    assert.deepEqual(loadConfig({ OPERATOR_CATALOG_PATH: "ops.json" }, fakeIo()).copilot, { catalogPath: `${CWD}/ops.json` });
    assert.deepEqual(loadConfig({ OPERATOR_CATALOG_URL: "http://dashboard:8080" }, fakeIo()).copilot, { catalogUrl: "http://dashboard:8080" });
    assert.throws(() => loadConfig({ OPERATOR_CATALOG_PATH: "a", OPERATOR_CATALOG_URL: "http://b" }, fakeIo()), /both set/);
    assert.throws(() => loadConfig({ OPERATOR_CATALOG_URL: "ftp://x" }, fakeIo()), /^ConfigError: OPERATOR_CATALOG_URL must be/);
    assert.throws(() => loadConfig({ OPERATOR_CATALOG_URL: "http://u:p@x" }, fakeIo()), /without credentials/);
  });

  test("PORT accepts both ends of its range", () => {
    assert.equal(loadConfig({ PORT: "0" }, fakeIo()).server.port, 0);
    assert.equal(loadConfig({ PORT: "65535" }, fakeIo()).server.port, 65535);
  });

  test("LOG_LEVEL wins over TEXERA_SERVICE_LOG_LEVEL, which is used alone", () => {
    assert.equal(loadConfig({ TEXERA_SERVICE_LOG_LEVEL: "Warn" }, fakeIo()).log.level, "warn");
    assert.equal(loadConfig({ TEXERA_SERVICE_LOG_LEVEL: "warn", LOG_LEVEL: "error" }, fakeIo()).log.level, "error");
    // A valid LOG_LEVEL makes an invalid TEXERA_SERVICE_LOG_LEVEL irrelevant.
    assert.equal(loadConfig({ TEXERA_SERVICE_LOG_LEVEL: "loud", LOG_LEVEL: "debug" }, fakeIo()).log.level, "debug");
  });

  test("the master key not set is a warning, not an error", () => {
    const config = loadConfig({ AUTH_JWT_SECRET: SECRET }, fakeIo());
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0]!, /LITELLM_MASTER_KEY is not set/);
  });

  test("loadConfig without io reads the real file system (the fixture, via AUTH_CONF_PATH)", () => {
    const config = loadConfig({ AUTH_CONF_PATH: FIXTURE_PATH });
    assert.deepEqual(config.auth.secretSource, { authConf: FIXTURE_PATH });
    assert.deepEqual(config.auth.secrets, [PUBLIC_DEFAULT]);
  });
});

describe("invalid variables are refused with a message naming the variable", () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ["PORT not a number", { PORT: "abc" }, /^PORT must be an integer between 0 and 65535 \(got "abc"\)$/],
    ["PORT too large", { PORT: "65536" }, /^PORT must be an integer between 0 and 65535 \(got "65536"\)$/],
    ["PORT negative", { PORT: "-1" }, /^PORT must be an integer/],
    ["PORT fractional", { PORT: "80.5" }, /^PORT must be an integer/],
    ["PORT hex", { PORT: "0x50" }, /^PORT must be an integer/],
    ["HOST with a space", { HOST: "local host" }, /^HOST must be/],
    ["API_PREFIX without leading /", { API_PREFIX: "api" }, /^API_PREFIX must start with "\/" and not end with "\/" \(got "api"\)$/],
    ["API_PREFIX with trailing /", { API_PREFIX: "/api/" }, /^API_PREFIX must start with "\/" and not end with "\/"/],
    ["API_PREFIX just /", { API_PREFIX: "/" }, /^API_PREFIX must start with "\/" and not end with "\/"/],
    ["API_PREFIX with a query", { API_PREFIX: "/api?x=1" }, /^API_PREFIX must be a plain URL path/],
    ["LITELLM_BASE_URL not a URL", { LITELLM_BASE_URL: "localhost:4000" }, /^LITELLM_BASE_URL must be an http\(s\) URL/],
    ["LITELLM_BASE_URL garbage", { LITELLM_BASE_URL: "not a url" }, /^LITELLM_BASE_URL must be an http\(s\) URL \(got "not a url"\)$/],
    ["LITELLM_BASE_URL ftp", { LITELLM_BASE_URL: "ftp://litellm:4000" }, /^LITELLM_BASE_URL must be an http\(s\) URL/],
    ["LITELLM_BASE_URL with a query", { LITELLM_BASE_URL: "http://litellm:4000/?key=1" }, /^LITELLM_BASE_URL must not have a query/],
    ["LOG_LEVEL unknown", { LOG_LEVEL: "verbose" }, /^LOG_LEVEL must be one of debug\|info\|warn\|error \(got "verbose"\)$/],
    ["TEXERA_SERVICE_LOG_LEVEL unknown", { TEXERA_SERVICE_LOG_LEVEL: "trace" }, /^TEXERA_SERVICE_LOG_LEVEL must be one of/],
    ["AGENT_ENV unknown", { AGENT_ENV: "staging" }, /^AGENT_ENV must be one of development\|production \(got "staging"\)$/],
    ["MAX_BODY_BYTES zero", { MAX_BODY_BYTES: "0" }, /^MAX_BODY_BYTES must be a positive integer \(got "0"\)$/],
    ["MAX_BODY_BYTES not a number", { MAX_BODY_BYTES: "1MB" }, /^MAX_BODY_BYTES must be a positive integer/],
    ["MAX_BODY_BYTES beyond safe integers", { MAX_BODY_BYTES: "99999999999999999999" }, /^MAX_BODY_BYTES must be/],
    ["TOKEN_CACHE_SIZE negative", { TOKEN_CACHE_SIZE: "-5" }, /^TOKEN_CACHE_SIZE must be a non-negative integer/],
    ["TOKEN_CACHE_SIZE not a number", { TOKEN_CACHE_SIZE: "lots" }, /^TOKEN_CACHE_SIZE must be a non-negative integer/],
    ["USER_DAILY_TOKEN_LIMIT zero", { USER_DAILY_TOKEN_LIMIT: "0" }, /^USER_DAILY_TOKEN_LIMIT must be a whole number of tokens from 1 to 1000000000000000 \(unset it for no limit\) \(got "0"\)$/],
    ["USER_DAILY_TOKEN_LIMIT fractional", { USER_DAILY_TOKEN_LIMIT: "100.5" }, /^USER_DAILY_TOKEN_LIMIT must be a whole number/],
    ["USER_DAILY_TOKEN_LIMIT with a unit", { USER_DAILY_TOKEN_LIMIT: "100k" }, /^USER_DAILY_TOKEN_LIMIT must be a whole number/],
    ["USER_DAILY_TOKEN_LIMIT too large", { USER_DAILY_TOKEN_LIMIT: "9999999999999999" }, /^USER_DAILY_TOKEN_LIMIT must be a whole number/],
    ["USER_DAILY_COST_LIMIT_USD zero", { USER_DAILY_COST_LIMIT_USD: "0.00" }, /^USER_DAILY_COST_LIMIT_USD must be an amount of US dollars above 0/],
    ["USER_DAILY_COST_LIMIT_USD with a sign", { USER_DAILY_COST_LIMIT_USD: "$5" }, /^USER_DAILY_COST_LIMIT_USD must be an amount .* \(got "\$5"\)$/],
    ["USER_DAILY_COST_LIMIT_USD negative", { USER_DAILY_COST_LIMIT_USD: "-1" }, /^USER_DAILY_COST_LIMIT_USD must be an amount/],
    ["USER_DAILY_COST_LIMIT_USD exponent", { USER_DAILY_COST_LIMIT_USD: "1e3" }, /^USER_DAILY_COST_LIMIT_USD must be an amount/],
  ];
  for (const [name, env, expected] of cases) {
    test(name, () => {
      const error = configError(() => loadConfig({ AUTH_JWT_SECRET: SECRET, ...env }, fakeIo()));
      assert.match(error.message, expected);
    });
  }

  test("LITELLM_BASE_URL with credentials is refused without echoing them", () => {
    const error = configError(() =>
      loadConfig({ AUTH_JWT_SECRET: SECRET, LITELLM_BASE_URL: `http://admin:${MASTER_KEY}@litellm:4000` }, fakeIo()),
    );
    assert.match(error.message, /^LITELLM_BASE_URL must not contain credentials/);
    assertNoSecret(error.message, [MASTER_KEY]);
  });

  test("ConfigError is an Error named ConfigError", () => {
    const error = configError(() => loadConfig({ PORT: "x" }, fakeIo()));
    assert.ok(error instanceof Error);
    assert.equal(error.name, "ConfigError");
  });
});

describe("JWT secret resolution", () => {
  test("precedence: AUTH_JWT_SECRET beats every auth.conf, which are then not read", () => {
    const io = fakeIo({ "/etc/agent/auth.conf": authConf(OTHER_SECRET), [LOCAL_CONF]: authConf(OTHER_SECRET) });
    const config = loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_CONF_PATH: "/etc/agent/auth.conf" }, io);
    assert.deepEqual(config.auth.secrets, [SECRET]);
    assert.equal(config.auth.secretSource, "AUTH_JWT_SECRET");
    assert.deepEqual(io.reads, []);
  });

  test("precedence: AUTH_CONF_PATH beats ./auth.conf and ../common/…", () => {
    const io = fakeIo({
      "/etc/agent/auth.conf": authConf(SECRET),
      [LOCAL_CONF]: authConf(OTHER_SECRET),
      [COMMON_CONF]: authConf(OTHER_SECRET),
    });
    const config = loadConfig({ AUTH_CONF_PATH: "/etc/agent/auth.conf" }, io);
    assert.deepEqual(config.auth.secrets, [SECRET]);
    assert.deepEqual(config.auth.secretSource, { authConf: "/etc/agent/auth.conf" });
  });

  test("a relative AUTH_CONF_PATH is resolved against io.cwd", () => {
    const io = fakeIo({ "/srv/agent-service/conf/auth.conf": authConf(SECRET) });
    const config = loadConfig({ AUTH_CONF_PATH: "conf/auth.conf" }, io);
    assert.deepEqual(config.auth.secretSource, { authConf: "/srv/agent-service/conf/auth.conf" });
    assert.deepEqual(config.auth.secrets, [SECRET]);
  });

  test("precedence: ./auth.conf beats ../common/config/src/main/resources/auth.conf", () => {
    const io = fakeIo({ [LOCAL_CONF]: authConf(SECRET), [COMMON_CONF]: authConf(OTHER_SECRET) });
    const config = loadConfig({}, io);
    assert.deepEqual(config.auth.secrets, [SECRET]);
    assert.deepEqual(config.auth.secretSource, { authConf: LOCAL_CONF });
    assert.deepEqual(io.reads, [LOCAL_CONF]);
  });

  test("precedence: ../common/config/src/main/resources/auth.conf beats the built-in default", () => {
    const io = fakeIo({ [COMMON_CONF]: authConf(SECRET) });
    const config = loadConfig({}, io);
    assert.deepEqual(config.auth.secrets, [SECRET]);
    assert.deepEqual(config.auth.secretSource, { authConf: COMMON_CONF });
    assert.deepEqual(io.reads, [LOCAL_CONF, COMMON_CONF]);
    assert.equal(config.auth.publicDefaultSecret, "none");
  });

  test("no file and no variable: the built-in public default, with a loud warning", () => {
    const io = fakeIo();
    const config = loadConfig({ LITELLM_MASTER_KEY: MASTER_KEY }, io);
    assert.deepEqual(io.reads, [LOCAL_CONF, COMMON_CONF]);
    assert.equal(config.auth.secretSource, "built-in default");
    assert.deepEqual(config.auth.secrets, [PUBLIC_DEFAULT]);
    assert.equal(config.auth.publicDefaultSecret, "current");
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0]!, /anyone can mint tokens; set AUTH_JWT_SECRET/);
    assertNoSecret(config.warnings[0]!, [PUBLIC_DEFAULT]);
  });

  test("the fixture's ${?AUTH_JWT_SECRET} line overrides the file's literal with the env argument", () => {
    const document = parseHocon(FIXTURE, (name) => ({ AUTH_JWT_SECRET: SECRET })[name]);
    assert.deepEqual(JSON.parse(JSON.stringify(document)), {
      auth: {
        jwt: { "exp-in-days": "30", "expiration-in-minutes": "10080", "256-bit-secret": SECRET },
        encryption: { "256-bit-secret": ENCRYPTION_SECRET },
      },
    });
    const without = parseHocon(FIXTURE, () => undefined) as { auth: { jwt: Record<string, string> } };
    assert.equal(without.auth.jwt["256-bit-secret"], PUBLIC_DEFAULT);
  });

  test("an override variable in auth.conf is resolved from the env argument, never from process.env", () => {
    const conf = authConf(PUBLIC_DEFAULT).replace("${?AUTH_JWT_SECRET}", "${?DEPLOY_JWT_SECRET}");
    const io = fakeIo({ [LOCAL_CONF]: conf });
    const viaEnv = loadConfig({ DEPLOY_JWT_SECRET: SECRET }, io);
    assert.deepEqual(viaEnv.auth.secrets, [SECRET]);
    assert.deepEqual(viaEnv.auth.secretSource, { authConf: LOCAL_CONF });

    process.env.DEPLOY_JWT_SECRET = OTHER_SECRET;
    try {
      const config = loadConfig({}, io);
      assert.deepEqual(config.auth.secrets, [PUBLIC_DEFAULT]);
    } finally {
      delete process.env.DEPLOY_JWT_SECRET;
    }
  });

  test("the encryption block's 256-bit-secret is not picked, in either block order", () => {
    const jwtFirst = loadConfig({}, fakeIo({ [LOCAL_CONF]: authConf(SECRET, OTHER_SECRET) }));
    assert.deepEqual(jwtFirst.auth.secrets, [SECRET]);

    const encryptionFirst = `auth {
  encryption { 256-bit-secret = "${OTHER_SECRET}" }
  jwt { 256-bit-secret = "${SECRET}" }
}`;
    assert.deepEqual(loadConfig({}, fakeIo({ [LOCAL_CONF]: encryptionFirst })).auth.secrets, [SECRET]);

    // AUTH_ENCRYPTION_SECRET overrides only the encryption block.
    const fixture = loadConfig({ AUTH_CONF_PATH: FIXTURE_PATH, AUTH_ENCRYPTION_SECRET: SECRET }, fakeIo({ [FIXTURE_PATH]: FIXTURE }));
    assert.deepEqual(fixture.auth.secrets, [PUBLIC_DEFAULT]);
    assert.ok(!fixture.auth.secrets.includes(ENCRYPTION_SECRET));
  });

  test("the secret is lower-cased, from the variable and from auth.conf", () => {
    const upper = "ABCDEF-0123456789-GHIJKLMNOPQRSTUVWXYZ";
    assert.deepEqual(loadConfig({ AUTH_JWT_SECRET: upper }, fakeIo()).auth.secrets, [upper.toLowerCase()]);
    const fromFile = loadConfig({}, fakeIo({ [LOCAL_CONF]: authConf(upper) }));
    assert.deepEqual(fromFile.auth.secrets, [upper.toLowerCase()]);
  });

  test("the public default in upper case is still the public default", () => {
    const config = loadConfig({ AUTH_JWT_SECRET: PUBLIC_DEFAULT.toUpperCase() }, fakeIo());
    assert.equal(config.auth.publicDefaultSecret, "current");
    assert.equal(config.auth.secretSource, "AUTH_JWT_SECRET");
  });

  test("a secret shorter than 32 bytes is refused, naming its source but not its value", () => {
    const short = "too-short-secret-31-bytes-xxxxx";
    assert.equal(short.length, 31);
    const fromEnv = configError(() => loadConfig({ AUTH_JWT_SECRET: short }, fakeIo()));
    assert.match(fromEnv.message, /^AUTH_JWT_SECRET is 31 bytes; .*at least 32 bytes \(RFC 7518 §3\.2\)/);
    assertNoSecret(fromEnv.message, [short]);

    const fromFile = configError(() => loadConfig({}, fakeIo({ [LOCAL_CONF]: authConf(short) })));
    assert.match(fromFile.message, /auth\.jwt\.256-bit-secret in \/srv\/agent-service\/auth\.conf is 31 bytes/);
    assertNoSecret(fromFile.message, [short]);
  });

  test("the length is counted in UTF-8 bytes, not characters", () => {
    const sixteenChars = "ééééééééééééééé!"; // 16 characters, 31 bytes
    assert.match(configError(() => loadConfig({ AUTH_JWT_SECRET: sixteenChars }, fakeIo())).message, /is 31 bytes/);
    const config = loadConfig({ AUTH_JWT_SECRET: "éééééééééééééééé" }, fakeIo()); // 16 characters, 32 bytes
    assert.equal(config.auth.secrets.length, 1);
  });

  test('"random" (the reference\'s per-process key) is refused with an explanation', () => {
    const error = configError(() => loadConfig({}, fakeIo({ [LOCAL_CONF]: authConf("RANDOM") })));
    assert.match(error.message, /is "random"/);
  });

  test("the public default warns in development, from any source", () => {
    for (const [env, io] of [
      [{}, fakeIo()],
      [{}, fakeIo({ [LOCAL_CONF]: FIXTURE })],
      [{ AUTH_JWT_SECRET: PUBLIC_DEFAULT }, fakeIo()],
    ] as const) {
      const config = loadConfig({ ...env, LITELLM_MASTER_KEY: MASTER_KEY }, io);
      assert.equal(config.auth.publicDefaultSecret, "current");
      assert.equal(config.warnings.length, 1);
      assert.match(config.warnings[0]!, /anyone can mint tokens; set AUTH_JWT_SECRET/);
    }
  });

  test("the public default is refused when AGENT_ENV=production, from any source", () => {
    for (const [env, io] of [
      [{}, fakeIo()],
      [{}, fakeIo({ [LOCAL_CONF]: FIXTURE })],
      [{ AUTH_JWT_SECRET: PUBLIC_DEFAULT }, fakeIo()],
      [{ AUTH_JWT_SECRET: SECRET, AUTH_JWT_PREVIOUS_SECRETS: PUBLIC_DEFAULT }, fakeIo()],
    ] as const) {
      const error = configError(() => loadConfig({ ...env, AGENT_ENV: "production" }, io));
      assert.match(error.message, /^(AUTH_JWT_SECRET: the JWT secret \(from .*\) is|AUTH_JWT_PREVIOUS_SECRETS contains) the reference service's public default, so anyone can mint tokens; refusing to start with AGENT_ENV=production/);
    }
  });

  test("rotating away from the public default: it is a previous secret, not the current one", () => {
    const config = loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_PREVIOUS_SECRETS: PUBLIC_DEFAULT, LITELLM_MASTER_KEY: MASTER_KEY }, fakeIo());
    assert.deepEqual(config.auth.secrets, [SECRET, PUBLIC_DEFAULT], "tokens are signed with the private secret");
    assert.equal(config.auth.publicDefaultSecret, "previous");
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0]!, /AUTH_JWT_PREVIOUS_SECRETS contains the reference service's public default secret: anyone can mint tokens/);
    assert.match(describeConfig(config), /JWT secret: env AUTH_JWT_SECRET \(a previous key is the PUBLIC DEFAULT, insecure\), 2 keys/);

    const back = loadConfig({ AUTH_JWT_SECRET: PUBLIC_DEFAULT, AUTH_JWT_PREVIOUS_SECRETS: SECRET }, fakeIo());
    assert.equal(back.auth.publicDefaultSecret, "current");
    assert.match(describeConfig(back), /JWT secret: env AUTH_JWT_SECRET \(PUBLIC DEFAULT, insecure\), 2 keys/);
  });

  test("a private secret in production has no security warning and no flag", () => {
    const config = loadConfig({ AGENT_ENV: "production", AUTH_JWT_SECRET: SECRET, LITELLM_MASTER_KEY: MASTER_KEY }, fakeIo());
    assert.equal(config.auth.publicDefaultSecret, "none");
    assert.deepEqual(config.warnings, []);
  });

  test("a missing AUTH_CONF_PATH file is refused, even when ./auth.conf exists", () => {
    const io = fakeIo({ [LOCAL_CONF]: authConf(SECRET) });
    const error = configError(() => loadConfig({ AUTH_CONF_PATH: "/etc/agent/missing.conf" }, io));
    assert.match(error.message, /^AUTH_CONF_PATH points to \/etc\/agent\/missing\.conf, which does not exist$/);
  });

  test("an unreadable auth.conf is refused, naming the file", () => {
    const io: ConfigIo = {
      cwd: CWD,
      readFile(path) {
        throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: "EACCES" });
      },
    };
    const error = configError(() => loadConfig({ AUTH_CONF_PATH: "/etc/agent/auth.conf" }, io));
    assert.match(error.message, /^AUTH_CONF_PATH: cannot read auth\.conf at \/etc\/agent\/auth\.conf: EACCES$/);
  });

  test("a malformed auth.conf is refused, naming the file and the line", () => {
    const malformed = [
      'auth {\n  jwt {\n    256-bit-secret = "abc\n  }\n}\n', // unterminated string
      `auth {\n  jwt {\n    256-bit-secret = "${SECRET}"\n  }\n`, // missing "}"
      `auth {\n  jwt {\n    256-bit-secret "${SECRET}"\n  }\n}\n`, // no separator
      `auth.jwt.256-bit-secret = \${AUTH_JWT_SECRET_MISSING}\n`, // required substitution undefined
      `auth.jwt.256-bit-secret = [1, 2]\n`, // arrays are not supported
      `include "other.conf"\nauth.jwt.256-bit-secret = "${SECRET}"\n`,
    ];
    for (const text of malformed) {
      const error = configError(() => loadConfig({}, fakeIo({ [LOCAL_CONF]: text })));
      assert.match(error.message, /^auth\.conf at \/srv\/agent-service\/auth\.conf is malformed: line \d+, column \d+: /);
      assertNoSecret(error.message, [SECRET]);
    }
  });

  test("an auth.conf without auth.jwt.256-bit-secret is refused, naming the file", () => {
    const error = configError(() => loadConfig({}, fakeIo({ [LOCAL_CONF]: "auth { encryption { 256-bit-secret = x } }" })));
    assert.match(error.message, /^auth\.conf at \/srv\/agent-service\/auth\.conf has no string auth\.jwt\.256-bit-secret/);
  });

  test("previous secrets: lower-cased, trimmed, current first, duplicates dropped", () => {
    const config = loadConfig(
      {
        AUTH_JWT_SECRET: SECRET,
        AUTH_JWT_PREVIOUS_SECRETS: ` ${OTHER_SECRET.toUpperCase()} , ,${SECRET}`,
      },
      fakeIo(),
    );
    assert.deepEqual(config.auth.secrets, [SECRET, OTHER_SECRET]);
  });

  test("a short previous secret is refused, naming its position and not its value", () => {
    const error = configError(() =>
      loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_PREVIOUS_SECRETS: `${OTHER_SECRET},short-one` }, fakeIo()),
    );
    assert.match(error.message, /^AUTH_JWT_PREVIOUS_SECRETS entry #2 is 9 bytes/);
    assertNoSecret(error.message, ["short-one"]);
  });

  test("previous secrets work with a secret from auth.conf too", () => {
    const config = loadConfig({ AUTH_JWT_PREVIOUS_SECRETS: OTHER_SECRET }, fakeIo({ [COMMON_CONF]: authConf(SECRET) }));
    assert.deepEqual(config.auth.secrets, [SECRET, OTHER_SECRET]);
  });
});

describe("describeConfig", () => {
  test("one line with every field, and never a secret or the master key", () => {
    const config = loadConfig(
      {
        PORT: "8080",
        HOST: "127.0.0.1",
        LITELLM_BASE_URL: "http://litellm:4000",
        LITELLM_MASTER_KEY: MASTER_KEY,
        AUTH_JWT_SECRET: SECRET,
        AUTH_JWT_PREVIOUS_SECRETS: OTHER_SECRET,
        LOG_LEVEL: "warn",
        AGENT_ENV: "production",
      },
      fakeIo(),
    );
    const line = describeConfig(config);
    assert.ok(!line.includes("\n"));
    assert.equal(
      line,
      "listening on 127.0.0.1:8080, api prefix /api, LiteLLM http://litellm:4000, master key: set, " +
        `JWT secret: env AUTH_JWT_SECRET, 2 keys, agent state ${CWD}/data, operator catalog built-in, log level warn, AGENT_ENV production`,
    );
    assertNoSecret(line, [SECRET, OTHER_SECRET, MASTER_KEY]);
  });

  test("names the auth.conf path or the built-in default, and a missing master key", () => {
    const fromFile = describeConfig(loadConfig({}, fakeIo({ [LOCAL_CONF]: authConf(SECRET) })));
    assert.match(fromFile, /master key: not set/);
    assert.match(fromFile, /JWT secret: auth\.conf \/srv\/agent-service\/auth\.conf, 1 key,/);
    assertNoSecret(fromFile, [SECRET]);

    const fallback = describeConfig(loadConfig({}, fakeIo()));
    assert.match(fallback, /JWT secret: built-in default \(PUBLIC DEFAULT, insecure\), 1 key/);
    assertNoSecret(fallback, [PUBLIC_DEFAULT]);
  });

  test("PORT=0: the port the server got, not 0", () => {
    const config = loadConfig({ PORT: "0", AUTH_JWT_SECRET: SECRET }, fakeIo());
    assert.match(describeConfig(config), /^listening on 0\.0\.0\.0:0,/, "without the bound port, the configured one");
    assert.match(describeConfig(config, 41234), /^listening on 0\.0\.0\.0:41234,/);
  });

  test("names the daily limits when set", () => {
    const config = loadConfig({ AUTH_JWT_SECRET: SECRET, USER_DAILY_TOKEN_LIMIT: " 200000 ", USER_DAILY_COST_LIMIT_USD: "2.50" }, fakeIo());
    assert.deepEqual(config.usage, { dailyTokenLimit: 200_000, dailyCostLimitUsd: 2.5 });
    assert.match(describeConfig(config), /, daily limits per user 200000 tokens and \$2\.5, log level/);
    const tokensOnly = loadConfig({ AUTH_JWT_SECRET: SECRET, USER_DAILY_TOKEN_LIMIT: "1" }, fakeIo());
    assert.deepEqual(tokensOnly.usage, { dailyTokenLimit: 1 });
    assert.doesNotMatch(describeConfig(loadConfig({ AUTH_JWT_SECRET: SECRET }, fakeIo())), /daily limits/);
  });

  test("brackets an IPv6 listen address", () => {
    assert.match(describeConfig(loadConfig({ HOST: "::", AUTH_JWT_SECRET: SECRET }, fakeIo())), /listening on \[::\]:3001/);
  });
});

describe("the result", () => {
  function fullConfig(): Config {
    return loadConfig(
      { AUTH_JWT_SECRET: SECRET, AUTH_JWT_PREVIOUS_SECRETS: OTHER_SECRET, LITELLM_MASTER_KEY: MASTER_KEY },
      fakeIo(),
    );
  }

  test("is deeply frozen", () => {
    const config = loadConfig({ AUTH_CONF_PATH: "/a.conf" }, fakeIo({ "/a.conf": authConf(SECRET) }));
    for (const part of [config, config.server, config.litellm, config.auth, config.auth.secrets, config.auth.secretSource, config.log, config.warnings]) {
      assert.ok(Object.isFrozen(part));
    }
    assert.throws(() => {
      (config.server as { port: number }).port = 1;
    }, TypeError);
    assert.throws(() => {
      (config.auth.secrets as string[]).push("x");
    }, TypeError);
  });

  test("JSON.stringify and util.inspect redact the secrets", () => {
    const config = fullConfig();
    const json = JSON.stringify(config);
    assertNoSecret(json, [SECRET, OTHER_SECRET, MASTER_KEY]);
    assert.match(json, /"secrets":"\[redacted\]"/);
    assert.match(json, /"masterKey":"\[redacted\]"/);
    assertNoSecret(inspect(config, { depth: 10 }), [SECRET, OTHER_SECRET, MASTER_KEY]);
    // …while the values stay readable to the code that needs them.
    assert.deepEqual(config.auth.secrets, [SECRET, OTHER_SECRET]);
    assert.equal(config.litellm.masterKey, MASTER_KEY);
    assert.deepEqual(Object.keys(config.auth), ["secrets", "secretSource", "publicDefaultSecret", "clockSkewSeconds", "tokenCacheSize"]);
  });
});

describe("parseHocon (the auth.conf subset)", () => {
  const noEnv = () => undefined;
  const plain = (text: string, env: Record<string, string> = {}) =>
    JSON.parse(JSON.stringify(parseHocon(text, (name) => env[name])));

  test("braces, dotted and quoted keys, = and :, commas, comments, unquoted and quoted strings", () => {
    const text = `
      // a comment
      a.b.c = 1   # trailing comment
      a { b { d: "two words" }, e = plain text here }
      "x.y" = quoted-key
      s = "esc\\"aped \\u0041\\n"
      url = "http://example.com//path"
      n: 10080, m: -1.5
    `;
    assert.deepEqual(plain(text), {
      a: { b: { c: "1", d: "two words" }, e: "plain text here" },
      "x.y": "quoted-key",
      s: 'esc"aped A\n',
      url: "http://example.com//path",
      n: "10080",
      m: "-1.5",
    });
  });

  test("a root wrapped in braces", () => {
    assert.deepEqual(plain("{ a = 1\n b = 2 }"), { a: "1", b: "2" });
  });

  test("later wins; an undefined ${?VAR} keeps the earlier value; objects merge", () => {
    const text = `
      k = first
      k = second
      k = \${?UNSET}
      o { x = 1, y = 1 }
      o { y = 2 }
      o.z = 3
      p { q = 1 }
      p = scalar
    `;
    assert.deepEqual(plain(text), { k: "second", o: { x: "1", y: "2", z: "3" }, p: "scalar" });
  });

  test("substitutions look in the document first, then the environment; concatenation", () => {
    const text = `
      base = "/opt"
      AUTH_JWT_SECRET = from-document
      path = \${base}/bin
      secret = \${?AUTH_JWT_SECRET}
      home = \${HOME_DIR}
      greeting = hello \${?NOBODY}world
      nested { a = 1 }
      copy = \${nested}
      inner = \${nested.a}
      obj { sibling = \${obj.value}, value = v }
    `;
    assert.deepEqual(plain(text, { HOME_DIR: "/home/u", AUTH_JWT_SECRET: "from-env" }), {
      base: "/opt",
      AUTH_JWT_SECRET: "from-document",
      path: "/opt/bin",
      secret: "from-document",
      home: "/home/u",
      greeting: "hello world",
      nested: { a: "1" },
      copy: { a: "1" },
      inner: "1",
      obj: { sibling: "v", value: "v" },
    });
  });

  test("refuses what it does not support, with line and column", () => {
    const cases: Array<[string, RegExp]> = [
      ["a = [1]", /^line 1, column 5: arrays are not supported$/],
      ["a += 1", /"\+=" is not supported/],
      ['include "x.conf"', /"include" is not supported/],
      ['a = """x"""', /triple-quoted strings are not supported/],
      ["a = ${a}", /substitution cycle/],
      ["a = ${b}\nb = ${a}", /substitution cycle/],
      ["a = ${MISSING}", /^line 1, column 5: \$\{MISSING\} is not defined/],
      ["a = ", /missing value for "a"/],
      ["a = 1 }", /unexpected "}"/],
      ["{ a = 1", /missing "}"/],
      ["a..b = 1", /empty key segment/],
      ["a. = 1", /may not end with "."/],
      ["= 1", /expected a key/],
      ["a = 1 b { }", /^line 1, column 9: objects and arrays inside a value concatenation are not supported$/],
      ["a { } b = 1", /^line 1, column 7: expected a newline, "," or "}" after the value of "a"/],
      ['a = "\\q"', /invalid escape/],
      ["a = ${ b }", /expected a key/],
      ["a, b", /expected "=", ":" or "\{" after key "a"/],
      ["a = $x", /unexpected "\$"/],
    ];
    for (const [text, expected] of cases) {
      assert.throws(() => parseHocon(text, noEnv), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, expected, `for ${JSON.stringify(text)}`);
        return true;
      });
    }
  });

  test("keys that look like Object.prototype members are plain keys", () => {
    const parsed = parseHocon('__proto__ { polluted = yes }\nconstructor = "c"', noEnv);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((parsed["__proto__"] as Record<string, string>).polluted, "yes");
    assert.equal(parsed.constructor, "c");
  });
});

describe("a hostile auth.conf is refused like any other bad file", () => {
  // Each case fails fast with a ConfigError now. Before the bounds, each one
  // crashed start-up with a RangeError (stack or string length) or ran for
  // seconds to minutes; the timeouts bound a regression without timing anything.
  const chain = (count: number, first: string, next: (previous: string) => string) =>
    Array.from({ length: count + 1 }, (_, i) => (i === 0 ? `v0 = ${first}` : `v${i} = ${next(`\${v${i - 1}}`)}`)).join("\n");
  const withSecret = (text: string, secret: string) => `${text}\nauth.jwt.256-bit-secret = ${secret}\n`;
  const cases: Array<[string, string, RegExp]> = [
    ["objects nested 10,000 deep", `a ${"{ a ".repeat(10_000)}= 1 ${"}".repeat(10_000)}`, /objects nested deeper than 64 levels/],
    ["a dotted key of 10,000 segments", `${"a.".repeat(10_000)}a = 1`, /line 1, column 129: a path longer than 64 keys/],
    ["65 levels from braces and a dotted key", `${"b { ".repeat(60)}c.c.c.c.c = 1${" }".repeat(60)}`, /objects nested deeper than 64 levels/],
    ["a substitution path of 10,000 segments", `a = \${${"a.".repeat(10_000)}a}`, /a path longer than 64 keys/],
    ["a chain of 10,000 substitutions", withSecret(chain(10_000, `"${SECRET}"`, (v) => v), "${v10000}"), /substitutions nested deeper than 64 levels/],
    ["a value doubled 30 times (44 GiB)", withSecret(chain(30, `"${SECRET}"`, (v) => `${v}${v}`), "${v30}"), /a value longer than 65536 characters after substitution/],
    ["an empty value doubled 24 times (16 million substitutions)", withSecret(chain(24, '""', (v) => `${v}${v}`), `"${SECRET}"\${v24}`), /more than 10000 substitutions/],
    ["60,000 lookups of an unset variable", `${Array.from({ length: 60_000 }, (_, i) => `k${i} = \${?X}`).join("\n")}\nauth.jwt.256-bit-secret = "${SECRET}"`, /more than 10000 substitutions/],
    ["a file over 1 MiB", `# ${"x".repeat(1_048_576)}\nauth.jwt.256-bit-secret = "${SECRET}"`, /larger than 1048576 characters/],
  ];
  for (const [name, text, expected] of cases) {
    test(name, { timeout: 10_000 }, () => {
      const error = configError(() => loadConfig({}, fakeIo({ [LOCAL_CONF]: text })));
      assert.match(error.message, /^auth\.conf at \/srv\/agent-service\/auth\.conf is malformed: /);
      assert.match(error.message, expected);
      assertNoSecret(error.message, [SECRET]);
    });
  }

  test("the bounds leave room: 60 levels, 60 chained substitutions and a 65,536-character value load", () => {
    const deep = `${"d.".repeat(60)}d = 1\n${withSecret(chain(60, `"${SECRET}"`, (v) => v), "${v60}")}`;
    assert.deepEqual(loadConfig({}, fakeIo({ [LOCAL_CONF]: deep })).auth.secrets, [SECRET]);
    const long = `"${"k".repeat(65_536 - SECRET.length)}"`;
    const big = withSecret(`v = ${long}`, `"${SECRET}"\${v}`);
    assert.equal(loadConfig({}, fakeIo({ [LOCAL_CONF]: big })).auth.secrets[0]!.length, 65_536);
  });
});
