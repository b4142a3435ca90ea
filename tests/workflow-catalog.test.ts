/**
 * The operator catalog: the bundled default, both file shapes (ours and
 * Texera's operator metadata), the dashboard fetch, and every way a bad
 * catalog is refused with a clear message.
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_OPERATOR_TYPES } from "../src/agents/settings.ts";
import {
  CatalogError,
  fetchCatalog,
  loadCatalogFile,
  loadDefaultCatalog,
  loadOperatorCatalog,
  OperatorCatalog,
  operatorMetadataUrl,
} from "../src/agents/workflow/catalog.ts";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/catalog/${name}`, import.meta.url));
const TEXERA_FIXTURE = fixture("texera-operator-metadata.json");

/** A minimal valid entry in our shape, with overrides. */
const entry = (fields: Record<string, unknown> = {}) => ({
  type: "Thing",
  description: "Does a thing.",
  inputPorts: [{}],
  outputPorts: [{}],
  propertiesSchema: { type: "object", properties: {}, additionalProperties: false },
  ...fields,
});

describe("the default catalog", () => {
  test("covers every default allowed type with a description, ports and a compiling schema", async () => {
    const catalog = await loadDefaultCatalog();
    assert.deepEqual(catalog.missing(DEFAULT_OPERATOR_TYPES), []);
    assert.deepEqual(catalog.types(), [...DEFAULT_OPERATOR_TYPES]);
    for (const operator of catalog.all()) {
      assert.ok(operator.description.length > 20, `${operator.type} has a description`);
      assert.equal(operator.propertiesSchema.type, "object", operator.type);
      assert.equal(operator.outputPorts.length, 1, `${operator.type} has one output port`);
    }
    assert.equal(catalog.get("CSVFileScan")!.inputPorts.length, 0, "a source has no input port");
    assert.deepEqual(catalog.get("HashJoin")!.inputPorts.map((p) => p.displayName), ["left", "right"]);
    assert.equal(catalog.get("Union")!.inputPorts[0]!.allowMultiLinks, true);
    assert.equal(catalog.get("Filter")!.inputPorts[0]!.allowMultiLinks, undefined);
    assert.ok(Object.isFrozen(catalog.get("Filter")!.propertiesSchema.properties), "shared by every agent, so frozen");
  });

  test("the schemas use the names a data scientist (and Texera) uses", async () => {
    const catalog = await loadDefaultCatalog();
    const valid: [string, Record<string, unknown>][] = [
      ["CSVFileScan", { fileName: "/alice/sales.csv", hasHeader: true }],
      ["Filter", { predicates: [{ attribute: "amount", condition: ">", value: "100" }, { attribute: "note", condition: "is null" }] }],
      ["Projection", { attributes: [{ originalAttribute: "amount", alias: "total" }] }],
      ["TypeCasting", { typeCastingUnits: [{ attribute: "amount", resultType: "double" }] }],
      ["Sort", { attributes: [{ attributeName: "amount", sortPreference: "DESC" }] }],
      ["Limit", { limit: 10 }],
      ["Distinct", {}],
      ["Union", {}],
      ["KeywordSearch", { attribute: "review", keyword: "late delivery" }],
      ["HashJoin", { buildAttributeName: "customer_id", probeAttributeName: "id", joinType: "left outer" }],
      ["Aggregate", { groupByKeys: ["region"], aggregations: [{ aggFunction: "sum", attribute: "amount", "result attribute": "total" }] }],
      ["LineChart", { lines: [{ xValue: "day", yValue: "total" }] }],
      ["BarChart", { fields: "region", value: "total" }],
      ["PieChart", { name: "region", value: "total" }],
      ["Histogram", { value: "amount" }],
      ["Scatterplot", { xColumn: "price", yColumn: "rating" }],
      ["WordCloud", { textColumn: "review", topN: 50 }],
      ["PythonUDFV2", { code: "from pytexera import *", outputColumns: [{ attributeName: "score", attributeType: "double" }] }],
    ];
    assert.deepEqual(valid.map(([type]) => type), [...DEFAULT_OPERATOR_TYPES], "one valid example per default type");
    for (const [type, properties] of valid) assert.deepEqual(catalog.validateProperties(type, properties), [], type);
  });

  test("validateProperties reports each problem with its path, in plain words", async () => {
    const catalog = await loadDefaultCatalog();
    assert.deepEqual(catalog.validateProperties("Filter", { predicate: "amount > 100" }), [
      { path: "", message: 'missing required property "predicates"' },
      { path: "", message: 'unknown property "predicate"' },
    ]);
    assert.deepEqual(catalog.validateProperties("Filter", { predicates: [{ attribute: "a", condition: "~" }] }), [
      { path: "/predicates/0/condition", message: 'must be one of "=", "!=", ">", ">=", "<", "<=", "is null", "is not null"' },
    ]);
    assert.deepEqual(catalog.validateProperties("Limit", { limit: 0 }), [{ path: "/limit", message: "must be >= 1" }]);
    assert.deepEqual(catalog.validateProperties("Limit", "ten"), [{ path: "", message: "must be object" }]);
    assert.throws(() => catalog.validateProperties("Nope", {}), RangeError);
  });

  test("allowed() keeps the order asked for and drops unknown and repeated types", async () => {
    const catalog = await loadDefaultCatalog();
    assert.deepEqual(catalog.allowed(["Sort", "Nope", "CSVFileScan", "Sort"]).map((o) => o.type), ["Sort", "CSVFileScan"]);
    assert.deepEqual(catalog.missing(["Sort", "Nope"]), ["Nope"]);
  });
});

describe("catalog files", () => {
  test("our own shape: defaults for displayName and group, multi-link ports", async () => {
    const catalog = await loadCatalogFile(fixture("small-catalog.json"));
    assert.equal(catalog.source, fixture("small-catalog.json"));
    assert.deepEqual(catalog.types(), ["Numbers", "Merge"]);
    const merge = catalog.get("Merge")!;
    assert.equal(merge.displayName, "Merge");
    assert.equal(merge.group, "");
    assert.deepEqual(merge.inputPorts, [{ displayName: "all", allowMultiLinks: true }]);
    assert.equal(catalog.get("Numbers")!.displayName, "Number Source");
    assert.deepEqual(catalog.validateProperties("Numbers", { count: 3 }), []);
  });

  test("Texera's operator metadata: names, ports, versions; $schema and id are dropped; $ref and UI keywords work", async () => {
    const catalog = await loadCatalogFile(TEXERA_FIXTURE);
    assert.deepEqual(catalog.types(), ["CSVFileScan", "Filter", "Union", "HashJoin"]);
    const scan = catalog.get("CSVFileScan")!;
    assert.equal(scan.displayName, "CSV File Scan");
    assert.equal(scan.group, "Data Input");
    assert.equal(scan.description, "Scan data from a CSV file");
    assert.equal(scan.version, "7c1b9f0e");
    assert.deepEqual(scan.inputPorts, []);
    assert.equal(scan.propertiesSchema.$schema, undefined);
    assert.equal(scan.propertiesSchema.id, undefined);
    assert.deepEqual(catalog.get("Union")!.inputPorts, [{ allowMultiLinks: true }]);
    assert.deepEqual(catalog.get("Filter")!.inputPorts, [{}], "disallowMultiLinks: true is a single-link port");
    assert.deepEqual(catalog.get("HashJoin")!.inputPorts, [{ displayName: "left" }, { displayName: "right" }]);
    assert.deepEqual(catalog.validateProperties("Filter", { predicates: [{ attribute: "a", condition: ">", value: "1" }] }), []);
    assert.deepEqual(catalog.validateProperties("Filter", { predicates: [{ attribute: "a", condition: "≈" }] }).map((p) => p.path), [
      "/predicates/0/condition",
    ]);
  });

  test("an old Texera entry with numInputPorts/numOutputPorts is understood", () => {
    const catalog = OperatorCatalog.fromJson(
      {
        operators: [{
          operatorType: "Old",
          jsonSchema: { type: "object", properties: {} },
          additionalMetadata: { userFriendlyName: "Old one", numInputPorts: 2, numOutputPorts: 1 },
        }],
      },
      "test",
    );
    assert.equal(catalog.get("Old")!.inputPorts.length, 2);
    assert.equal(catalog.get("Old")!.outputPorts.length, 1);
  });

  test("a bad catalog is refused with a one-line message naming the source, the entry and the problem", () => {
    const cases: [unknown, RegExp][] = [
      [[], /^operator catalog src: expected an object with an "operators" array$/],
      [{ operators: {} }, /expected an object with an "operators" array/],
      [{ operators: [] }, /"operators" is empty/],
      [{ operators: [42] }, /operators\[0\]: expected an object/],
      [{ operators: [entry({ type: "" })] }, /operators\[0\]: the type name must be/],
      [{ operators: [entry({ type: "has space" })] }, /operators\[0\] \(has space\): the type name must be/],
      [{ operators: [entry(), entry()] }, /operators\[1\] \(Thing\): the type "Thing" appears twice/],
      [{ operators: [entry({ description: undefined })] }, /operators\[0\] \(Thing\): "description" is required/],
      [{ operators: [entry({ description: " " })] }, /"description" must not be empty/],
      [{ operators: [entry({ inputPorts: "one" })] }, /"inputPorts" must be an array/],
      [{ operators: [entry({ outputPorts: [1] })] }, /"outputPorts\[0\]" must be an object/],
      [{ operators: [entry({ inputPorts: Array.from({ length: 17 }, () => ({})) })] }, /more than 16 ports/],
      [{ operators: [entry({ propertiesSchema: "any" })] }, /"propertiesSchema" must be a JSON Schema object/],
      [{ operators: [entry({ propertiesSchema: { type: "string" } })] }, /must describe an object/],
      [{ operators: [entry({ propertiesSchema: { type: "object", properties: { a: { type: "strnig" } } } })] }, /its properties schema is not a valid JSON Schema: /],
      [{ operators: [entry({ propertiesSchema: { type: "object", properties: { a: { $ref: "#/definitions/Missing" } } } })] }, /not a valid JSON Schema: .*Missing/],
      [{ operators: [{ operatorType: "T", jsonSchema: { type: "object" } }] }, /operators\[0\] \(T\): "additionalMetadata" must be an object/],
      [{ operators: [{ operatorType: "T", jsonSchema: { type: "object" }, additionalMetadata: {} }] }, /"additionalMetadata.inputPorts" must be an array/],
      [{ operators: [{ operatorType: "T", additionalMetadata: { inputPorts: [], outputPorts: [] } }] }, /"jsonSchema" must be a JSON Schema object/],
    ];
    for (const [json, message] of cases) {
      assert.throws(() => OperatorCatalog.fromJson(json, "src"), (error: unknown) => {
        assert.ok(error instanceof CatalogError, JSON.stringify(json));
        assert.match(error.message, message, JSON.stringify(json));
        assert.doesNotMatch(error.message, /\n/, "one line");
        return true;
      });
    }
  });

  test("files that are missing, not JSON or a directory are refused clearly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "catalog-"));
    try {
      await assert.rejects(loadCatalogFile(join(dir, "none.json")), new CatalogError(`operator catalog ${join(dir, "none.json")}: cannot read it: no such file`));
      await writeFile(join(dir, "broken.json"), "{ operators: [");
      await assert.rejects(loadCatalogFile(join(dir, "broken.json")), /^CatalogError: operator catalog .*broken\.json: not valid JSON: /);
      await assert.rejects(loadCatalogFile(dir), /cannot read it: it is a directory/);
      await writeFile(join(dir, "empty.json"), '{"operators": []}');
      await assert.rejects(loadCatalogFile(join(dir, "empty.json")), /empty\.json: "operators" is empty/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the dashboard's operator metadata", () => {
  test("the endpoint URL: added to a base URL, kept when given; bad URLs refused", () => {
    assert.equal(operatorMetadataUrl("http://dashboard:8080"), "http://dashboard:8080/api/resources/operator-metadata");
    assert.equal(operatorMetadataUrl("http://gw/texera/"), "http://gw/texera/api/resources/operator-metadata");
    assert.equal(operatorMetadataUrl("https://d/api/resources/operator-metadata"), "https://d/api/resources/operator-metadata");
    assert.throws(() => operatorMetadataUrl("dashboard:8080"), /must be an http\(s\) URL/);
    assert.throws(() => operatorMetadataUrl("not a url"), /is not a URL/);
    assert.throws(() => operatorMetadataUrl("http://u:p@dashboard"), /must not contain credentials/);
  });

  test("fetchCatalog GETs the endpoint without credentials and builds the catalog", async () => {
    const { readFile } = await import("node:fs/promises");
    const body = await readFile(TEXERA_FIXTURE, "utf8");
    const requests: { url: string; init: RequestInit | undefined }[] = [];
    const fakeFetch = (async (url: string | URL | Request, init?: RequestInit) => {
      requests.push({ url: String(url), init });
      return new Response(body, { headers: { "content-type": "application/json" } });
    }) as typeof fetch;
    const catalog = await fetchCatalog("http://dashboard:8080", fakeFetch);
    assert.equal(requests.length, 1);
    assert.equal(requests[0]!.url, "http://dashboard:8080/api/resources/operator-metadata");
    assert.equal(new Headers(requests[0]!.init?.headers).get("authorization"), null);
    assert.ok(requests[0]!.init?.signal instanceof AbortSignal, "the request is bounded");
    assert.equal(catalog.source, "http://dashboard:8080/api/resources/operator-metadata");
    assert.deepEqual(catalog.types(), ["CSVFileScan", "Filter", "Union", "HashJoin"]);
  });

  test("fetch failures become CatalogErrors naming the URL", async () => {
    const answer = (response: () => Response) => (async () => response()) as unknown as typeof fetch;
    const url = "http://d/api/resources/operator-metadata";
    await assert.rejects(
      fetchCatalog("http://d", answer(() => new Response("down", { status: 503 }))),
      new CatalogError(`operator catalog ${url}: the dashboard answered HTTP 503`),
    );
    await assert.rejects(fetchCatalog("http://d", answer(() => new Response("<html>"))), /^CatalogError: operator catalog .*: the answer is not valid JSON/);
    await assert.rejects(fetchCatalog("http://d", answer(() => new Response('{"operators":[]}'))), /operator-metadata: "operators" is empty/);
    const refused = (async () => {
      throw new TypeError("fetch failed: ECONNREFUSED");
    }) as unknown as typeof fetch;
    await assert.rejects(fetchCatalog("http://d", refused), new CatalogError(`operator catalog ${url}: request failed: fetch failed: ECONNREFUSED`));
    // A request that never answers. AbortSignal.timeout's timer does not keep Node's event loop alive (a real
    // socket would), so the fake holds a timer of its own until the abort.
    const slow = ((_url: string, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        const alive = setTimeout(() => {}, 5000);
        init?.signal?.addEventListener("abort", () => {
          clearTimeout(alive);
          reject(init.signal!.reason);
        });
      })) as unknown as typeof fetch;
    await assert.rejects(fetchCatalog("http://d", slow, { timeoutMs: 20 }), new CatalogError(`operator catalog ${url}: no answer within 20 ms`));
  });

  test("loadOperatorCatalog picks the source: file, dashboard, default; both is an error", async () => {
    assert.equal((await loadOperatorCatalog({})).size, DEFAULT_OPERATOR_TYPES.length);
    assert.deepEqual((await loadOperatorCatalog({ path: fixture("small-catalog.json") })).types(), ["Numbers", "Merge"]);
    const fromDashboard = await loadOperatorCatalog({
      dashboardUrl: "http://d",
      fetch: (async () => new Response(JSON.stringify({ operators: [entry({ type: "Remote" })] }))) as unknown as typeof fetch,
    });
    assert.deepEqual(fromDashboard.types(), ["Remote"]);
    await assert.rejects(loadOperatorCatalog({ path: "x", dashboardUrl: "http://d" }), /give a catalog file or a dashboard URL, not both/);
  });
});
