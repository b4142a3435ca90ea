/**
 * Static checks of what would break a deploy: the Kubernetes manifests
 * (deploy/k8s) agree with each other and with the service, and the
 * Containerfile is pinned, non-root and runs a file that exists. No
 * cluster runs on our machines, so the manifests' checks are what we can
 * prove here; the image itself is built and run by `npm run test:container`
 * (tests/container/).
 */
import { describe, test } from "./helpers/node-test.ts";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../src/config.ts";
import { TokenVerifier } from "../src/auth.ts";
import { basicToolkit } from "../src/agents/basic-toolkit.ts";
import { createService } from "../src/service.ts";
import { MemoryAgentStore } from "../src/store/memory-store.ts";
import { silentLogger } from "../src/log.ts";
import { TEST_SECRET } from "./helpers/tokens.ts";

// deno-lint-ignore no-explicit-any
type Doc = any;

const K8S = "deploy/k8s";
function load(path: string): Doc[] {
  return parseAllDocuments(readFileSync(path, "utf8")).map((doc) => {
    assert.deepEqual(doc.errors, [], `${path} parses`);
    return doc.toJS();
  });
}

/** What `kubectl apply -k dir` applies: the kustomization's files, and those of the kustomizations it includes. */
function kustomize(dir: string): Doc[] {
  const kustomization = load(`${dir}/kustomization.yaml`)[0];
  return (kustomization.resources as string[]).flatMap((entry) => {
    const path = `${dir}/${entry}`;
    assert.ok(existsSync(path), `${dir}: ${entry} exists`);
    return existsSync(`${path}/kustomization.yaml`) ? kustomize(path) : load(path);
  });
}

/** The app with its readiness probe, over a store that answers (what a ready pod serves). */
function probedApp() {
  return createService({
    apiPrefix: "/api",
    maxBodyBytes: 1024,
    verifier: new TokenVerifier({ keys: TEST_SECRET }),
    logger: silentLogger,
    llm: {} as never,
    store: new MemoryAgentStore(),
    toolkits: () => basicToolkit(),
  });
}

for (const variant of ["single", "replicas"] as const) {
  describe(`Kubernetes manifests (deploy/k8s/${variant})`, () => {
    const applied = kustomize(`${K8S}/${variant}`);
    const byKind = (kind: string) => applied.filter((doc) => doc.kind === kind);
    const one = (kind: string) => {
      const docs = byKind(kind);
      assert.equal(docs.length, 1, `exactly one ${kind}`);
      return docs[0];
    };
    const deployment = one("Deployment");
    const service = one("Service");
    const route = one("HTTPRoute");
    const policy = one("SecurityPolicy");
    const container = deployment.spec.template.spec.containers[0];
    const env = new Map<string, Doc>((container.env as Doc[]).map((e) => [e.name, e]));

    test("every manifest in the folders parses, and the example Secret is never applied", () => {
      for (const dir of [K8S, `${K8S}/base`, `${K8S}/single`, `${K8S}/replicas`]) {
        for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) load(`${dir}/${file}`);
      }
      assert.equal(byKind("Secret").length, 0);
    });

    test("the SecurityPolicy targets the route that exists, sends the check Sec-WebSocket-Protocol and takes back the four x-user-* headers", () => {
      assert.equal(policy.apiVersion, "gateway.envoyproxy.io/v1alpha1");
      assert.deepEqual(policy.spec.targetRefs, [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: route.metadata.name }]);
      const http = policy.spec.extAuth.http;
      assert.equal(http.path, "/api/auth");
      assert.deepEqual(http.headersToBackend, ["x-user-id", "x-user-name", "x-user-email", "x-user-role"]);
      assert.equal(policy.spec.extAuth.failOpen, false, "fails closed");
      assert.deepEqual(policy.spec.extAuth.headersToExtAuth, ["sec-websocket-protocol"], "the socket's token entry reaches the check");
      assert.deepEqual(http.backendRefs, [{ name: service.metadata.name, port: service.spec.ports[0].port }]);
    });

    test("the route sends /api/agents to the Service, on the Service's port", () => {
      const rule = route.spec.rules[0];
      assert.deepEqual(rule.matches, [{ path: { type: "PathPrefix", value: "/api/agents" } }]);
      assert.deepEqual(rule.backendRefs, [{ name: service.metadata.name, port: service.spec.ports[0].port }]);
    });

    test("the Service selects the Deployment's pods and targets the container's port, which the service listens on", () => {
      const labels = deployment.spec.template.metadata.labels;
      for (const [key, value] of Object.entries(service.spec.selector)) assert.equal(labels[key], value, key);
      assert.deepEqual(deployment.spec.selector.matchLabels, service.spec.selector);
      const port = container.ports.find((p: Doc) => p.name === service.spec.ports[0].targetPort);
      assert.ok(port, "targetPort names a container port");
      assert.equal(String(port.containerPort), env.get("PORT").value);
      assert.equal(service.spec.ports[0].port, port.containerPort);
    });

    test("readiness asks /api/readyz, liveness /api/healthcheck; both are open (no token) and answer 200 when the store does", async () => {
      assert.deepEqual([container.readinessProbe.httpGet.path, container.livenessProbe.httpGet.path], ["/api/readyz", "/api/healthcheck"]);
      const { app, close } = probedApp();
      try {
        for (const probe of [container.readinessProbe, container.livenessProbe]) {
          assert.equal(probe.httpGet.port, "http");
          const response = await app.fetch(new Request(`http://pod${probe.httpGet.path}`));
          assert.equal(response.status, 200, probe.httpGet.path);
          await response.body?.cancel();
        }
      } finally {
        await close();
      }
    });

    test("secrets are referenced from a Secret, never inlined", () => {
      assert.deepEqual(env.get("LITELLM_MASTER_KEY").valueFrom, { secretKeyRef: { name: "agent-service-secrets", key: "litellm-master-key" } });
      assert.deepEqual(env.get("AUTH_JWT_SECRET").valueFrom, { secretKeyRef: { name: "agent-service-secrets", key: "auth-jwt-secret" } });
      for (const [name, entry] of env) {
        if (/KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL/.test(name)) assert.equal(entry.value, undefined, `${name} must not be inline`);
      }
      const secret = load(`${K8S}/secret.example.yaml`)[0];
      for (const key of ["litellm-master-key", "auth-jwt-secret", "database-url"]) assert.ok(key in secret.stringData, key);
    });

    test("the pod runs as non-root with resources, and its grace period covers the drain; the environment is a valid configuration", () => {
      const spec = deployment.spec.template.spec;
      assert.equal(spec.securityContext.runAsNonRoot, true);
      assert.ok(spec.securityContext.runAsUser > 0);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      assert.ok(container.resources.requests.cpu && container.resources.limits.memory);
      assert.ok(spec.terminationGracePeriodSeconds > Number(env.get("SHUTDOWN_GRACE_SECONDS").value), "SIGKILL comes after the drain");
      assert.equal(env.get("AGENT_ENV").value, "production");
      const filled = (name: string) => (name === "DATABASE_URL" ? "postgres://agent_service:pw@postgres:5432/texera_db" : "x".repeat(40));
      const values = Object.fromEntries([...env].map(([name, entry]) => [name, entry.value ?? filled(name)]));
      const config = loadConfig(values, { readFile: () => undefined, cwd: "/app" });
      assert.equal(config.agents.store, variant === "single" ? "file" : "postgres");
    });

    if (variant === "single") {
      test("single: one replica, replaced (not rolled: the file store has one writer), its state on a volume mounted at AGENT_STATE_DIR", () => {
        assert.equal(deployment.spec.replicas, 1);
        assert.equal(deployment.spec.strategy.type, "Recreate");
        const mount = container.volumeMounts.find((m: Doc) => m.mountPath === env.get("AGENT_STATE_DIR").value);
        const volume = deployment.spec.template.spec.volumes.find((v: Doc) => v.name === mount?.name);
        assert.equal(volume?.persistentVolumeClaim?.claimName, one("PersistentVolumeClaim").metadata.name);
      });
    } else {
      test("replicas: three, no volume but /tmp, DATABASE_URL from the Secret, and a disruption budget over the pods", () => {
        assert.ok(deployment.spec.replicas >= 3);
        assert.deepEqual(deployment.spec.template.spec.volumes.map((v: Doc) => Object.keys(v).filter((k) => k !== "name")), [["emptyDir"]]);
        assert.equal(env.get("AGENT_STATE_DIR"), undefined);
        assert.deepEqual(env.get("DATABASE_URL").valueFrom, { secretKeyRef: { name: "agent-service-secrets", key: "database-url" } });
        assert.ok(Number(env.get("RUN_LEASE_SECONDS").value) >= 2);
        const budget = one("PodDisruptionBudget");
        assert.deepEqual(budget.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
        assert.ok(budget.spec.maxUnavailable < deployment.spec.replicas);
        assert.equal(byKind("PersistentVolumeClaim").length, 0);
      });
    }
  });
}

describe("Containerfile", () => {
  const text = readFileSync("Containerfile", "utf8");
  // One entry per instruction: continuation lines (ending in a backslash) joined.
  const lines = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const instructions = (name: string) => lines.filter((l) => l.toUpperCase().startsWith(`${name} `));
  /** The instructions of each stage, by stage name (the last one is the image). */
  const stages = lines.reduce<{ name: string; lines: string[] }[]>((all, line) => {
    if (line.toUpperCase().startsWith("FROM ")) all.push({ name: / AS (\S+)$/i.exec(line)?.[1] ?? "(image)", lines: [] });
    else all.at(-1)?.lines.push(line);
    return all;
  }, []);
  const image = stages.at(-1)!;
  const stage = (name: string) => stages.find((s) => s.name === name);

  test("is multi-stage; its bases are build arguments whose defaults are official images pinned by tag", () => {
    // ARGs before the first FROM: the build arguments a FROM may name.
    const firstFrom = lines.findIndex((l) => l.toUpperCase().startsWith("FROM "));
    const args = new Map(lines.slice(0, firstFrom).filter((l) => /^ARG /i.test(l)).map((l) => {
      const [name, value] = l.slice(4).trim().split("=", 2) as [string, string | undefined];
      return [name, value];
    }));
    const froms = instructions("FROM");
    assert.ok(froms.length >= 2, "multi-stage");
    for (const from of froms) {
      const named = /^\$\{(\w+)\}$/.exec(from.split(/\s+/)[1]!)?.[1];
      assert.ok(named && args.has(named), `${from}: the base is a build argument (a machine without a registry builds against a local stand-in)`);
      const image = args.get(named)!;
      assert.match(image, /^docker\.io\/library\/[\w.-]+:[\w.-]+$/, `${named} defaults to an official image with a tag: ${image}`);
      assert.doesNotMatch(image, /:latest$/, `${image} is not :latest`);
    }
  });

  test("runs as a non-root user, exposes the default port, and has a HEALTHCHECK on the open probe path", () => {
    const user = instructions("USER").at(-1)?.split(/\s+/)[1];
    assert.ok(user && user !== "root" && user !== "0", `USER ${user}`);
    const defaultPort = loadConfig({}, { readFile: () => undefined, cwd: "/app" }).server.port;
    assert.deepEqual(instructions("EXPOSE"), [`EXPOSE ${defaultPort}`]);
    assert.match(text, /HEALTHCHECK[\s\S]*\/api\/healthcheck/);
  });

  test("copies files that exist, and builds with the script npm ci runs", () => {
    for (const copy of instructions("COPY").filter((l) => !l.includes("--from="))) {
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) assert.ok(existsSync(source), `COPY ${source}`);
    }
    const packageJson = JSON.parse(readFileSync("package.json", "utf8"));
    const build = stage("build");
    assert.ok(build, "a build stage");
    assert.ok(build.lines.includes(`RUN ${packageJson.scripts.prepare}`), `the build stage runs what prepare runs (${packageJson.scripts.prepare})`);
  });

  test("the image runs compiled JavaScript on Node, as npm start does, with explicit source maps", () => {
    const cmd = JSON.parse(image.lines.find((l) => l.startsWith("CMD "))!.slice(4)) as string[];
    const start = JSON.parse(readFileSync("package.json", "utf8")).scripts.start as string;
    assert.equal(cmd.join(" "), start, "CMD is npm start's command (without npm in the way of signals)");
    const entry = cmd.at(-1)!;
    assert.match(entry, /^dist\/.+\.js$/);
    assert.ok(existsSync(entry.replace(/^dist\//, "src/").replace(/\.js$/, ".ts")), `${entry} is compiled from a source that exists`);
  });

  test("the image holds production dependencies, dist/ and package.json only: no sources, tests or scripts", () => {
    const copies = image.lines.filter((l) => l.startsWith("COPY "));
    assert.deepEqual(copies.map((l) => l.split(/\s+/).slice(1).join(" ")).sort(), [
      "--from=build /app/dist ./dist",
      "--from=deps /app/node_modules ./node_modules",
      "package.json ./",
    ]);
    const deps = stage("deps");
    assert.ok(deps?.lines.some((l) => /^RUN npm ci\b.*--omit=dev/.test(l)), "node_modules comes from npm ci --omit=dev");
    assert.ok(!image.lines.some((l) => l.startsWith("RUN npm")), "nothing is installed in the image itself");
  });

  test("the image leaves AGENT_STATE_DIR unset (its default is /app/data): AGENT_STORE=postgres refuses to start with it set", () => {
    const env = instructions("ENV").join(" ");
    assert.match(env, /\bAGENT_ENV=production\b/);
    assert.doesNotMatch(env, /\bAGENT_STATE_DIR\b/);
    assert.ok(image.lines.includes("WORKDIR /app"), "./data is /app/data");
  });

  test("installs from the lockfile", () => {
    assert.ok(instructions("RUN").some((l) => /npm ci\b/.test(l)), "npm ci");
  });
});
