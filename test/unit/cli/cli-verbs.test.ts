import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { NotFoundError, type Resource } from "../../../resources/index.ts";
import { startCliApi, type CliApi } from "../../support/run-cli.ts";

let api: CliApi;
before(async () => {
  api = await startCliApi();
});
after(() => api.close());

const key = (name: string, kind = "App") => ({ kind, namespace: "default", name });
const ready = (status: "True" | "False", generation: number) => ({
  observedGeneration: generation,
  conditions: [{ type: "Ready", status, reason: status === "True" ? "ReplicasReady" : "Starting", message: "1/1 replicas ready", lastTransitionTime: new Date().toISOString(), observedGeneration: generation }],
});

async function setStatus(name: string, status: Resource["status"]): Promise<void> {
  const live = structuredClone(await api.store.get(key(name)));
  live.status = status;
  await api.store.updateStatus(live);
}

test("describe shows metadata, spec, status with conditions as a table, and the object's events", async () => {
  const web = await api.seed({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "described", labels: { app: "web" } }, spec: { image: "nginx", port: 8080 } });
  await setStatus("described", ready("True", 1));
  api.eventLog.record(web, "Normal", "RolloutComplete", "revision 1 is serving");
  api.eventLog.record({ ...web, metadata: { ...web.metadata, name: "other" } }, "Warning", "Unrelated", "not about described");
  const result = await api.run(["describe", "app", "described"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Name: {9}described\nNamespace: {4}default\nLabels: {7}app=web\nAnnotations: {2}<none>\nAPI Version: {2}berth\.dev\/v1\nKind: {9}App\n/);
  assert.match(result.stdout, /\nSpec:\n(  .*\n)*  Image: +nginx\n/);
  assert.match(result.stdout, /\n  Conditions:\n    Type +Status +Reason +Age +Message\n    -+ +-+ +-+ +-+ +-+\n    Ready +True +ReplicasReady +\d+s +1\/1 replicas ready\n/);
  assert.match(result.stdout, /\nEvents:\n  Type +Reason +Age +From +Message\n  -+ .*\n  Normal +RolloutComplete +\d+s +berth-test +revision 1 is serving\n$/);
  assert.ok(!result.stdout.includes("Unrelated"));
});

test("wait returns once Ready is True for the current generation, and times out with exit 1", async () => {
  await api.seed({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "waited" }, spec: { image: "nginx" } });
  const timeout = await api.run(["wait", "--for=condition=Ready", "app/waited", "--timeout=300ms"]);
  assert.deepEqual([timeout.code, timeout.stderr], [1, "error: timed out waiting for the condition on apps/waited\n"]);
  const waiting = api.run(["wait", "--for=condition=Ready", "app/waited", "--timeout=15s"]);
  await new Promise((r) => setTimeout(r, 400));
  await setStatus("waited", ready("False", 1));
  await setStatus("waited", ready("True", 1));
  const result = await waiting;
  assert.deepEqual([result.code, result.stdout], [0, "app.berth.dev/waited condition met\n"], result.stderr);
  const missing = await api.run(["wait", "--for=condition=Ready", "app", "ghost", "--timeout=2s"]);
  assert.deepEqual([missing.code, missing.stderr], [1, 'Error from server (NotFound): apps.berth.dev "ghost" not found\n']);
});

test("delete waits until finalizers are done; --timeout bounds it; a missing object is an error", async () => {
  const obj = await api.seed({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "doomed", finalizers: ["berth.dev/cleanup"] }, spec: { image: "nginx" } });
  assert.ok(obj);
  const stuck = await api.run(["delete", "app", "doomed", "--timeout=300ms"]);
  assert.equal(stuck.stdout, 'app.berth.dev "doomed" deleted\n');
  assert.deepEqual([stuck.code, stuck.stderr], [1, "error: timed out waiting for the condition on apps/doomed\n"]);

  const deleting = api.spawn(["delete", "app/doomed"]);
  const waitForDelete = api.run(["wait", "--for=delete", "app/doomed", "--timeout=15s"]);
  await deleting.waitFor(/^app\.berth\.dev "doomed" deleted\n$/);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(deleting.child.exitCode, null, "still waiting for the finalizer");
  const live = structuredClone(await api.store.get(key("doomed")));
  live.metadata.finalizers = [];
  await api.store.update(live);
  assert.equal(await deleting.exited(), 0, deleting.stderr);
  assert.equal((await waitForDelete).stdout, "app.berth.dev/doomed deleted\n");
  await assert.rejects(api.store.get(key("doomed")), NotFoundError);

  const missing = await api.run(["delete", "app", "doomed"]);
  assert.deepEqual([missing.code, missing.stderr], [1, 'Error from server (NotFound): apps.berth.dev "doomed" not found\n']);
  assert.equal((await api.run(["delete", "app", "doomed", "--ignore-not-found"])).code, 0);
});

test("events lists a namespace's events and -w prints new ones", async () => {
  const obj = await api.seed({ apiVersion: "berth.dev/v1", kind: "Database", metadata: { name: "evented" }, spec: { engine: "redis" } });
  api.eventLog.record(obj, "Warning", "PullFailed", "image redis:7 not found");
  const listed = await api.run(["events"]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE\n/);
  assert.match(listed.stdout, /\n\d+s +Warning +PullFailed +database\/evented +image redis:7 not found\n/);
  const watch = api.spawn(["events", "-w", "--for", "db/evented"]);
  await watch.waitFor(/PullFailed/);
  api.eventLog.record(obj, "Normal", "Started", "redis is up");
  await watch.waitFor(/\n\d+s +Normal +Started +database\/evented +redis is up\n$/);
  watch.stop();
  const all = await api.run(["events", "-A"]);
  assert.match(all.stdout, /^NAMESPACE +LAST SEEN/);
});

test("version prints client and server; tokens can be created, used, listed and revoked", async () => {
  const version = await api.run(["version"]);
  assert.match(version.stdout, /^Client Version: v\d+\.\d+\.\d+\nServer Version: v\S+\n$/);
  assert.match((await api.run(["version", "--client"], { env: { BERTH_SERVER: "" } })).stdout, /^Client Version: v\d+\.\d+\.\d+\n$/);

  const created = await api.run(["token", "create", "ci", "--role", "viewer", "-n", "default"]);
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  assert.match(token, /^\S{20,}$/);
  assert.match(created.stderr, /token "ci" created \(viewer in namespace default\)/);
  assert.equal((await api.run(["get", "apps"], { env: { BERTH_TOKEN: token } })).code, 0);
  const forbidden = await api.run(["apply", "-f", "-"], { env: { BERTH_TOKEN: token }, stdin: "apiVersion: berth.dev/v1\nkind: App\nmetadata: {name: x}\nspec: {image: y}\n" });
  assert.equal(forbidden.code, 1);
  assert.match(forbidden.stderr, /^Error from server \(Forbidden\): /);
  assert.match((await api.run(["token", "list"])).stdout, /^NAME +ROLES +AGE\n(.*\n)*ci +viewer@default +\d+s\n/);
  assert.equal((await api.run(["token", "revoke", "ci"])).stdout, 'token "ci" revoked\n');
  assert.equal((await api.run(["get", "apps"], { env: { BERTH_TOKEN: token } })).code, 1);
});
