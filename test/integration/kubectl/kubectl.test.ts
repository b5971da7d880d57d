import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startTestApi, type TestApi } from "../../support/api-harness.ts";
import { dependencyMissing } from "../../support/ci.ts";
import { Kubectl, kubectlMissing } from "./kubectl.ts";

/** setup starts an API and a kubectl with a fresh HOME, or skips loudly (fails under CI) when kubectl 1.20 is missing. */
async function setup(t: TestContext, token?: (api: TestApi) => string): Promise<{ api: TestApi; kubectl: Kubectl } | undefined> {
  const missing = kubectlMissing();
  if (missing) return dependencyMissing(t, missing);
  const api = await startTestApi();
  const kubectl = await Kubectl.create(api.url, api.ca, token ? token(api) : api.adminToken);
  t.after(async () => {
    await kubectl.dispose();
    await api.close();
  });
  return { api, kubectl };
}

const APP = (replicas: number, image = "nginx:1.27") => `apiVersion: berth.dev/v1
kind: App
metadata:
  name: web
  labels:
    tier: web
spec:
  image: ${image}
  replicas: ${replicas}
`;

async function createApp(api: TestApi, name: string, namespace = "default", finalizers?: string[]) {
  return api.store.create({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name, namespace, ...(finalizers ? { finalizers } : {}) }, spec: { image: "nginx:1.27", replicas: 1, env: [], volumes: [], strategy: { type: "Rolling", maxSurge: 1, maxUnavailable: 0, drainSeconds: 5, progressDeadlineSeconds: 120 }, revisionHistoryLimit: 10, paused: false, deletionPolicy: "Retain" } });
}

test("kubectl api-resources lists every kind, namespaced, with short names", async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const res = await ctx.kubectl.run(["api-resources", "--api-group=berth.dev"]);
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout.trim().split("\n");
  assert.match(lines[0]!, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND/);
  const rows = lines.slice(1).map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows.map((r) => r[0]).sort(), ["apps", "backups", "builds", "databases", "domains", "secrets"]);
  assert.deepEqual(rows.find((r) => r[0] === "databases"), ["databases", "db", "berth.dev/v1", "true", "Database"]);
});

test("kubectl get: table, -o wide, -o yaml, -A and get NAME", async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  await createApp(ctx.api, "web");
  await createApp(ctx.api, "api", "prod");
  const table = await ctx.kubectl.run(["get", "apps"]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^NAME\s+READY\s+REPLICAS\s+IMAGE\s+URL\s+AGE\n/);
  assert.match(table.stdout, /\nweb\s+Unknown\s+0\/1\s+nginx:1\.27\s+<none>\s+\d+s\n/);
  assert.doesNotMatch(table.stdout, /api/);
  const wide = await ctx.kubectl.run(["get", "app", "-o", "wide"]);
  assert.match(wide.stdout, /^NAME\s+READY\s+REPLICAS\s+IMAGE\s+URL\s+AGE\s+REVISION\s+PROGRESSING\s+REASON\n/);
  const yaml = await ctx.kubectl.run(["get", "app", "web", "-o", "yaml"]);
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.match(yaml.stdout, /^apiVersion: berth\.dev\/v1\nkind: App\n/);
  assert.match(yaml.stdout, /image: nginx:1\.27/);
  const all = await ctx.kubectl.run(["get", "apps", "-A"]);
  assert.match(all.stdout, /^NAMESPACE\s+NAME\s+READY/);
  assert.match(all.stdout, /\ndefault\s+web\s/);
  assert.match(all.stdout, /\nprod\s+api\s/);
  const one = await ctx.kubectl.run(["get", "app", "web", "-n", "default"]);
  assert.match(one.stdout, /\nweb\s+Unknown/);
  const missing = await ctx.kubectl.run(["get", "app", "nope"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Error from server \(NotFound\): apps\.berth\.dev "nope" not found/);
  const none = await ctx.kubectl.run(["get", "databases", "-n", "empty"]);
  assert.match(none.stderr, /No resources found in empty namespace\./);
  const everything = await ctx.kubectl.run(["get", "all"]);
  assert.match(everything.stdout, /app\.berth\.dev\/web/);
});

test("kubectl get -w prints a line for a change, and get NAME -w shows the object first", async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const created = await createApp(ctx.api, "web");
  const watchAll = ctx.kubectl.start(["get", "apps", "-w"]);
  const watchOne = ctx.kubectl.start(["get", "app", "web", "-w", "-o", "name"]);
  t.after(async () => {
    await watchAll.stop();
    await watchOne.stop();
  });
  await watchAll.waitFor((out) => /\nweb\s+Unknown\s+0\/1/.test(out));
  await watchOne.waitFor((out) => out.includes("app.berth.dev/web"));
  await ctx.api.store.update({ ...structuredClone(created), spec: { ...(created.spec as object), replicas: 3 } });
  await watchAll.waitFor((out) => /\nweb\s+Unknown\s+0\/3/.test(out));
  await watchOne.waitFor((out) => out.split("app.berth.dev/web").length - 1 >= 2);
});

test("kubectl apply -f: created, then configured after an edit, then unchanged", async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const file = join(ctx.kubectl.home, "web.yaml");
  await writeFile(file, APP(1));
  const created = await ctx.kubectl.run(["apply", "-f", file]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout.trim(), "app.berth.dev/web created");
  await writeFile(file, APP(3, "nginx:1.28"));
  const configured = await ctx.kubectl.run(["apply", "-f", file]);
  assert.equal(configured.code, 0, configured.stderr);
  assert.equal(configured.stdout.trim(), "app.berth.dev/web configured");
  const stored = await ctx.api.store.get({ kind: "App", namespace: "default", name: "web" });
  assert.deepEqual([(stored.spec as any).replicas, (stored.spec as any).image, stored.metadata.generation], [3, "nginx:1.28", 2]);
  const unchanged = await ctx.kubectl.run(["apply", "-f", file]);
  assert.equal(unchanged.stdout.trim(), "app.berth.dev/web unchanged");
  assert.equal((await ctx.api.store.get({ kind: "App", namespace: "default", name: "web" })).metadata.resourceVersion, stored.metadata.resourceVersion);
  const serverSide = await ctx.kubectl.run(["apply", "--server-side", "-f", "-"], { input: APP(4).replace("name: web", "name: ssa") });
  assert.equal(serverSide.code, 0, serverSide.stderr);
  assert.match(serverSide.stdout, /app\.berth\.dev\/ssa serverside-applied/);
});

test("kubectl describe shows the object and its Events", async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  const web = await createApp(ctx.api, "web");
  ctx.api.eventLog.record(web, "Normal", "RolloutStarted", "rolling out revision 1");
  ctx.api.eventLog.record(web, "Warning", "HealthCheckFailed", "GET /healthz returned 503");
  const res = await ctx.kubectl.run(["describe", "app", "web"]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /Name:\s+web/);
  assert.match(res.stdout, /Namespace:\s+default/);
  assert.match(res.stdout, /Image:\s+nginx:1\.27/);
  assert.match(res.stdout, /Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message/);
  assert.match(res.stdout, /Normal\s+RolloutStarted\s+.*rolling out revision 1/);
  assert.match(res.stdout, /Warning\s+HealthCheckFailed\s+.*GET \/healthz returned 503/);
});

test("kubectl delete waits until a finalizer is released", async (t) => {
  const ctx = await setup(t);
  if (!ctx) return;
  await createApp(ctx.api, "plain");
  const plain = await ctx.kubectl.run(["delete", "app", "plain"]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout.trim(), 'app.berth.dev "plain" deleted');
  await createApp(ctx.api, "held", "default", ["berth.dev/cleanup"]);
  const started = Date.now();
  const deleting = ctx.kubectl.run(["delete", "app", "held", "--timeout=20s"]);
  const deadline = Date.now() + 10_000;
  while (!(await ctx.api.store.get({ kind: "App", namespace: "default", name: "held" })).metadata.deletionTimestamp) {
    assert.ok(Date.now() < deadline, "kubectl never sent the DELETE");
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 500));
  const marked = await ctx.api.store.get({ kind: "App", namespace: "default", name: "held" });
  await ctx.api.store.update({ ...structuredClone(marked), metadata: { ...structuredClone(marked.metadata), finalizers: [] } });
  const res = await deleting;
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout.trim(), 'app.berth.dev "held" deleted');
  assert.ok(Date.now() - started >= 500, "kubectl waited for the finalizer");
});

test("kubectl reports a bad token as Unauthorized and a bad manifest as Invalid with the field", async (t) => {
  const ctx = await setup(t, () => "berth_this-token-does-not-exist");
  if (!ctx) return;
  const denied = await ctx.kubectl.run(["get", "apps"]);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /error: You must be logged in to the server \(Unauthorized\)/);
  const admin = await Kubectl.create(ctx.api.url, ctx.api.ca, ctx.api.adminToken);
  t.after(() => admin.dispose());
  const invalid = await admin.run(["apply", "-f", "-"], { input: APP(1).replace("replicas: 1", "replicas: -1") });
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /The App "web" is invalid: spec\.replicas: /);
  assert.equal((await admin.run(["apply", "-f", "-"], { input: APP(1) })).code, 0);
  const strategic = await admin.run(["patch", "app", "web", "-p", '{"spec":{"replicas":2}}']);
  assert.equal(strategic.code, 1);
  assert.match(strategic.stderr, /UnsupportedMediaType/);
  const merge = await admin.run(["patch", "app", "web", "--type=merge", "-p", '{"spec":{"replicas":2}}']);
  assert.equal(merge.code, 0, merge.stderr);
  assert.equal(merge.stdout.trim(), "app.berth.dev/web patched");
});
