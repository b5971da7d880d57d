import { test } from "node:test";
import assert from "node:assert/strict";
import type { Resource } from "../../../resources/index.ts";
import {
  MemoryStore, type DeleteOptions, type ListOptions, type ObjectKey, type ResourceStore, type StoreEvent, type WatchOptions,
} from "../../../store/index.ts";
import { app, nsPath, withApi } from "./fixtures.ts";

const MERGE = "application/merge-patch+json";
const WEB = nsPath("apps", "default", "web");

test("merge patch (RFC 7386): null deletes a key, arrays are replaced whole, annotations are kept exactly", async (t) => {
  const { client } = await withApi(t);
  const lastApplied = '{"apiVersion":"berth.dev/v1","kind":"App"}\n';
  await client.post(nsPath("apps"), app("web", { command: ["a", "b"], port: 80 }, { labels: { tier: "web", old: "x" }, annotations: { "kubectl.kubernetes.io/last-applied-configuration": lastApplied } }));
  const res = await client.patch(`${WEB}?fieldManager=kubectl-client-side-apply`, { metadata: { labels: { old: null } }, spec: { command: ["c"], port: null, replicas: 3 } }, MERGE);
  assert.equal(res.status, 200);
  const patched = res.json();
  assert.deepEqual(patched.metadata.labels, { tier: "web" });
  assert.deepEqual(patched.spec.command, ["c"]);
  assert.equal(patched.spec.port, undefined);
  assert.equal(patched.spec.replicas, 3);
  assert.equal(patched.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"], lastApplied);
  assert.equal(patched.metadata.generation, 2);
});

test("JSON patch (RFC 6902) applies operations; a failing test op is 422; a malformed list is 400", async (t) => {
  const { client } = await withApi(t);
  await client.post(nsPath("apps"), app("web"));
  const res = await client.patch(WEB, [{ op: "replace", path: "/spec/replicas", value: 2 }, { op: "add", path: "/metadata/labels", value: { a: "b" } }], "application/json-patch+json");
  assert.equal(res.status, 200);
  assert.equal(res.json().spec.replicas, 2);
  assert.deepEqual(res.json().metadata.labels, { a: "b" });
  const failing = await client.patch(WEB, [{ op: "test", path: "/spec/replicas", value: 7 }], "application/json-patch+json");
  assert.equal(failing.status, 422);
  const malformed = await client.patch(WEB, { op: "replace" }, "application/json-patch+json");
  assert.equal(malformed.status, 400);
  const badOp = await client.patch(WEB, [{ op: "frobnicate", path: "/spec" }], "application/json-patch+json");
  assert.equal(badOp.status, 400);
});

test("a patch producing an invalid object is 422 with the field; strategic merge is 415", async (t) => {
  const { client } = await withApi(t);
  await client.post(nsPath("apps"), app("web"));
  const invalid = await client.patch(WEB, { spec: { replicas: -2 } }, MERGE);
  assert.equal(invalid.status, 422);
  assert.equal(invalid.json().details.causes[0].field, "spec.replicas");
  const strategic = await client.patch(WEB, { spec: { replicas: 2 } }, "application/strategic-merge-patch+json");
  assert.equal(strategic.status, 415);
  assert.equal(strategic.json().reason, "UnsupportedMediaType");
  const missing = await client.patch(nsPath("apps", "default", "ghost"), { spec: { replicas: 2 } }, MERGE);
  assert.equal(missing.status, 404);
});

test("a patch carrying a stale resourceVersion is 409; one without is unconditional", async (t) => {
  const { client } = await withApi(t);
  const created = (await client.post(nsPath("apps"), app("web"))).json();
  await client.patch(WEB, { spec: { replicas: 2 } }, MERGE);
  const stale = await client.patch(WEB, { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { replicas: 3 } }, MERGE);
  assert.equal(stale.status, 409);
  const patches = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => client.patch(WEB, { metadata: { labels: { [`k${n}`]: "v" } } }, MERGE)));
  assert.deepEqual(patches.map((p) => p.status), [200, 200, 200, 200, 200, 200]);
  const final = (await client.get(WEB)).json();
  assert.equal(Object.keys(final.metadata.labels).length, 6, "concurrent unconditional patches all land");
});

test("server-side apply creates a missing object (201), then merges the applied fields (200)", async (t) => {
  const { client } = await withApi(t);
  const manifest = "apiVersion: berth.dev/v1\nkind: App\nmetadata:\n  name: web\nspec:\n  image: nginx:1.27\n  replicas: 2\n";
  const created = await client.patch(`${WEB}?fieldManager=berth&force=true`, manifest, "application/apply-patch+yaml");
  assert.equal(created.status, 201);
  assert.equal(created.json().spec.replicas, 2);
  assert.equal(created.json().metadata.namespace, "default");
  const json = JSON.stringify({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web", labels: { a: "b" } }, spec: { image: "nginx:1.28" } });
  const applied = await client.patch(`${WEB}?fieldManager=kubectl`, json, "application/apply-patch+yaml");
  assert.equal(applied.status, 200);
  assert.equal(applied.json().spec.image, "nginx:1.28");
  assert.equal(applied.json().spec.replicas, 2, "fields the manifest leaves out are kept (documented simplification)");
  assert.deepEqual(applied.json().metadata.labels, { a: "b" });
  const broken = await client.patch(WEB, "spec: [unclosed", "application/apply-patch+yaml");
  assert.equal(broken.status, 400);
  const dry = await client.patch(`${nsPath("apps", "default", "dry")}?dryRun=All`, manifest.replace("name: web", "name: dry"), "application/apply-patch+yaml");
  assert.equal(dry.status, 201);
  assert.equal((await client.get(nsPath("apps", "default", "dry"))).status, 404);
});

test("the status subresource: GET returns the object, PUT/PATCH change only status, and status is validated", async (t) => {
  const { client } = await withApi(t);
  const created = (await client.post(nsPath("apps"), app("web"))).json();
  const condition = { type: "Ready", status: "True", reason: "ContainersRunning", message: "1/1", lastTransitionTime: "2026-01-01T00:00:00Z" };
  const put = await client.put(`${WEB}/status`, { ...created, spec: { image: "evil:1" }, metadata: { ...created.metadata, labels: { x: "y" } }, status: { readyReplicas: 1, conditions: [condition] } });
  assert.equal(put.status, 200);
  assert.equal(put.json().status.readyReplicas, 1);
  assert.equal(put.json().spec.image, "nginx:1.27", "a status write ignores spec");
  assert.equal(put.json().metadata.labels, undefined, "and metadata");
  assert.equal(put.json().metadata.generation, 1);
  const patched = await client.patch(`${WEB}/status`, { status: { observedGeneration: 1 } }, MERGE);
  assert.equal(patched.status, 200);
  assert.deepEqual([patched.json().status.observedGeneration, patched.json().status.readyReplicas], [1, 1]);
  const got = await client.get(`${WEB}/status`);
  assert.equal(got.json().status.observedGeneration, 1);
  const invalid = await client.patch(`${WEB}/status`, { status: { conditions: [{ ...condition, status: "Maybe" }] } }, MERGE);
  assert.equal(invalid.status, 422);
  assert.equal(invalid.json().details.causes[0].field, "status.conditions[0].status");
  const stale = await client.put(`${WEB}/status`, { ...created, status: { readyReplicas: 2 } });
  assert.equal(stale.status, 409, "the body's resourceVersion is a precondition");
  const mainWrite = await client.patch(WEB, { spec: { replicas: 2 }, status: { readyReplicas: 99 } }, MERGE);
  assert.equal(mainWrite.json().status.readyReplicas, 1, "a main write ignores status");
  assert.equal((await client.post(`${WEB}/status`, {})).status, 405);
});

/**
 * RacingStore is a real store that lets another writer in between a read and the next write, once: what a
 * durable backend with I/O between the two would see under concurrent clients.
 */
class RacingStore implements ResourceStore {
  private readonly inner: MemoryStore;
  private raced = false;
  constructor(inner: MemoryStore) {
    this.inner = inner;
  }
  async get(key: ObjectKey): Promise<Resource> {
    const found = await this.inner.get(key);
    if (!this.raced && found.metadata.labels?.race === "armed") {
      this.raced = true;
      await this.inner.update({ ...structuredClone(found), metadata: { ...structuredClone(found.metadata), labels: { race: "armed", other: "writer" } } });
    }
    return found;
  }
  list(kind: string, options?: ListOptions) { return this.inner.list(kind, options); }
  create(obj: Resource) { return this.inner.create(obj); }
  update(obj: Resource) { return this.inner.update(obj); }
  updateStatus(obj: Resource) { return this.inner.updateStatus(obj); }
  delete(key: ObjectKey, options?: DeleteOptions) { return this.inner.delete(key, options); }
  watch(options: WatchOptions, onEvent: (event: StoreEvent) => void) { return this.inner.watch(options, onEvent); }
  revision() { return this.inner.revision(); }
  close() { return this.inner.close(); }
}

test("a patch without resourceVersion that loses a race is retried on the fresh object; one with a resourceVersion is 409", async (t) => {
  const store = new RacingStore(await MemoryStore.open());
  t.after(() => store.close());
  const { client } = await withApi(t, { store });
  await client.post(nsPath("apps"), app("web", {}, { labels: { race: "armed" } }));
  const res = await client.patch(WEB, { spec: { replicas: 2 } }, MERGE);
  assert.equal(res.status, 200);
  assert.equal(res.json().spec.replicas, 2);
  assert.deepEqual(res.json().metadata.labels, { race: "armed", other: "writer" }, "the other writer's change is kept");

  const again = new RacingStore(await MemoryStore.open());
  t.after(() => again.close());
  const second = await withApi(t, { store: again });
  const created = (await second.client.post(nsPath("apps"), app("web", {}, { labels: { race: "armed" } }))).json();
  const conditional = await second.client.patch(WEB, { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { replicas: 2 } }, MERGE);
  assert.equal(conditional.status, 409);
});
