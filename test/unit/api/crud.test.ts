import { test } from "node:test";
import assert from "node:assert/strict";
import { app, nsPath, withApi } from "./fixtures.ts";

test("POST creates (201) with server-set metadata, drops status, and a second POST is 409 AlreadyExists", async (t) => {
  const { client } = await withApi(t);
  const res = await client.post(nsPath("apps"), { ...app("web"), status: { readyReplicas: 9 } });
  assert.equal(res.status, 201);
  const created = res.json();
  assert.equal(created.metadata.namespace, "default");
  assert.equal(created.metadata.generation, 1);
  assert.match(created.metadata.uid, /^[0-9a-f-]{36}$/);
  assert.match(created.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(typeof created.metadata.resourceVersion, "string");
  assert.equal(created.spec.replicas, 1, "defaults are filled in");
  assert.equal(created.status, undefined);
  const again = await client.post(nsPath("apps"), app("web"));
  assert.equal(again.status, 409);
  assert.deepEqual(
    { reason: again.json().reason, details: again.json().details },
    { reason: "AlreadyExists", details: { name: "web", group: "berth.dev", kind: "apps" } },
  );
});

test("POST checks the body against the URL: namespace, kind and apiVersion mismatches are 400", async (t) => {
  const { client } = await withApi(t);
  const wrongNs = await client.post(nsPath("apps", "prod"), app("web", {}, { namespace: "dev" }));
  assert.equal(wrongNs.status, 400);
  assert.match(wrongNs.json().message, /namespace of the provided object does not match/);
  const wrongKind = await client.post(nsPath("apps"), { ...app("web"), kind: "Database" });
  assert.equal(wrongKind.status, 400);
  const wrongVersion = await client.post(nsPath("apps"), { ...app("web"), apiVersion: "berth.dev/v2" });
  assert.equal(wrongVersion.status, 400);
  const inProd = await client.post(nsPath("apps", "prod"), app("web"));
  assert.equal(inProd.status, 201);
  assert.equal(inProd.json().metadata.namespace, "prod");
});

test("invalid objects are 422 Invalid with field paths in details.causes", async (t) => {
  const { client } = await withApi(t);
  const res = await client.post(nsPath("apps"), app("web", { replicas: "three", env: [{ name: "1BAD" }] }));
  assert.equal(res.status, 422);
  const status = res.json();
  assert.equal(status.reason, "Invalid");
  assert.equal(status.details.kind, "App");
  assert.equal(status.details.name, "web");
  const fields = status.details.causes.map((c: any) => c.field);
  assert.ok(fields.includes("spec.replicas"), fields.join());
  assert.ok(fields.includes("spec.env[0].name"), fields.join());
  assert.match(status.message, /^App\.berth\.dev "web" is invalid: /);
  const badName = await client.post(nsPath("apps"), app("Not_A_Label"));
  assert.equal(badName.status, 422);
  assert.equal(badName.json().details.causes[0].field, "metadata.name");
});

test("bad JSON is 400 BadRequest; a body that is not an object is 400", async (t) => {
  const { client } = await withApi(t);
  const res = await client.post(nsPath("apps"), "{not json");
  assert.equal(res.status, 400);
  assert.equal(res.json().reason, "BadRequest");
  const list = await client.post(nsPath("apps"), "[1,2]");
  assert.equal(list.status, 400);
});

test("POST accepts YAML bodies and generateName", async (t) => {
  const { client } = await withApi(t);
  const yaml = "apiVersion: berth.dev/v1\nkind: App\nmetadata:\n  generateName: web-\nspec:\n  image: nginx:1.27\n";
  const res = await client.post(nsPath("apps"), yaml, { headers: { "Content-Type": "application/yaml" } });
  assert.equal(res.status, 201);
  assert.match(res.json().metadata.name, /^web-[a-z0-9]{5}$/);
});

test("GET returns the object; a missing one is a 404 Status naming it", async (t) => {
  const { client } = await withApi(t);
  await client.post(nsPath("apps"), app("web"));
  const res = await client.get(`${nsPath("apps", "default", "web")}?timeout=32s&resourceVersion=0&whatever=1`);
  assert.equal(res.status, 200, "unknown query parameters are ignored");
  assert.equal(res.json().kind, "App");
  assert.equal(res.json().apiVersion, "berth.dev/v1");
  const missing = await client.get(nsPath("apps", "default", "nope"));
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json(), {
    kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", reason: "NotFound", code: 404,
    message: 'apps.berth.dev "nope" not found', details: { name: "nope", group: "berth.dev", kind: "apps" },
  });
  const otherNs = await client.get(nsPath("apps", "prod", "web"));
  assert.equal(otherNs.status, 404);
});

test("PUT replaces the object, ignores status, bumps generation on spec change and 409s on a stale resourceVersion", async (t) => {
  const { client, api } = await withApi(t);
  const created = (await client.post(nsPath("apps"), app("web"))).json();
  await api.store.updateStatus({ ...created, status: { readyReplicas: 1 } });
  const current = (await client.get(nsPath("apps", "default", "web"))).json();
  const res = await client.put(nsPath("apps", "default", "web"), { ...current, spec: { ...current.spec, replicas: 3 }, status: { readyReplicas: 42 } });
  assert.equal(res.status, 200);
  const updated = res.json();
  assert.equal(updated.spec.replicas, 3);
  assert.equal(updated.status.readyReplicas, 1, "status written through the main resource is ignored");
  assert.equal(updated.metadata.generation, 2);
  assert.equal(updated.metadata.uid, created.metadata.uid);
  const stale = await client.put(nsPath("apps", "default", "web"), { ...current, spec: { ...current.spec, replicas: 5 } });
  assert.equal(stale.status, 409);
  assert.equal(stale.json().reason, "Conflict");
  assert.match(stale.json().message, /the object has been modified/);
  const unconditional = await client.put(nsPath("apps", "default", "web"), app("web", { replicas: 5 }));
  assert.equal(unconditional.status, 200, "a PUT without resourceVersion is unconditional");
  const noop = await client.put(nsPath("apps", "default", "web"), unconditional.json());
  assert.equal(noop.json().metadata.resourceVersion, unconditional.json().metadata.resourceVersion, "a write that changes nothing does not bump the RV");
});

test("PUT with another name than the URL is 400; PUT of a missing object is 404", async (t) => {
  const { client } = await withApi(t);
  await client.post(nsPath("apps"), app("web"));
  const renamed = await client.put(nsPath("apps", "default", "web"), app("api"));
  assert.equal(renamed.status, 400);
  const missing = await client.put(nsPath("apps", "default", "ghost"), app("ghost"));
  assert.equal(missing.status, 404);
});

test("DELETE returns the object; finalizers keep it, marked deleting; preconditions are checked", async (t) => {
  const { client } = await withApi(t);
  const plain = (await client.post(nsPath("apps"), app("plain"))).json();
  const res = await client.delete(nsPath("apps", "default", "plain"), { body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" } });
  assert.equal(res.status, 200);
  assert.equal(res.json().metadata.uid, plain.metadata.uid);
  assert.equal((await client.get(nsPath("apps", "default", "plain"))).status, 404);

  await client.post(nsPath("apps"), app("held", {}, { finalizers: ["berth.dev/cleanup"] }));
  const held = await client.delete(nsPath("apps", "default", "held"));
  assert.equal(held.status, 200);
  assert.ok(held.json().metadata.deletionTimestamp);
  const still = await client.get(nsPath("apps", "default", "held"));
  assert.equal(still.status, 200);
  assert.ok(still.json().metadata.deletionTimestamp);

  const guarded = (await client.post(nsPath("apps"), app("guarded"))).json();
  const wrongUid = await client.delete(nsPath("apps", "default", "guarded"), { body: { preconditions: { uid: "not-the-uid" } } });
  assert.equal(wrongUid.status, 409);
  const wrongRv = await client.delete(nsPath("apps", "default", "guarded"), { body: { preconditions: { resourceVersion: "1" } } });
  assert.equal(wrongRv.status, 409);
  const right = await client.delete(nsPath("apps", "default", "guarded"), { body: { preconditions: { uid: guarded.metadata.uid } } });
  assert.equal(right.status, 200);
  const orphan = await client.post(nsPath("apps"), app("orphaned"));
  assert.equal(orphan.status, 201);
  const viaQuery = await client.delete(`${nsPath("apps", "default", "orphaned")}?propagationPolicy=Orphan`);
  assert.deepEqual(viaQuery.json().metadata.finalizers, ["orphan"]);
  const badPolicy = await client.delete(`${nsPath("apps", "default", "orphaned")}?propagationPolicy=Sideways`);
  assert.equal(badPolicy.status, 400);
  assert.equal((await client.delete(nsPath("apps", "default", "ghost"))).status, 404);
});

test("DELETE on a collection deletes what the selectors match and returns it", async (t) => {
  const { client } = await withApi(t);
  for (const [name, tier] of [["a", "web"], ["b", "web"], ["c", "db"]] as const) await client.post(nsPath("apps"), app(name, {}, { labels: { tier } }));
  await client.post(nsPath("apps", "prod"), app("d", {}, { labels: { tier: "web" } }));
  const res = await client.delete(`${nsPath("apps")}?labelSelector=tier%3Dweb`);
  assert.equal(res.status, 200);
  assert.equal(res.json().kind, "AppList");
  assert.deepEqual(res.json().items.map((o: any) => o.metadata.name).sort(), ["a", "b"]);
  const left = (await client.get(nsPath("apps"))).json().items.map((o: any) => o.metadata.name);
  assert.deepEqual(left, ["c"]);
  assert.equal((await client.get(nsPath("apps", "prod", "d"))).status, 200, "other namespaces are untouched");
});

test("dryRun=All validates and answers without storing anything", async (t) => {
  const { client, api } = await withApi(t);
  const before = api.store.revision();
  const dry = await client.post(`${nsPath("apps")}?dryRun=All`, app("web"));
  assert.equal(dry.status, 201);
  assert.equal(dry.json().metadata.generation, 1);
  assert.equal(dry.json().spec.replicas, 1);
  assert.equal(api.store.revision(), before);
  assert.equal((await client.get(nsPath("apps", "default", "web"))).status, 404);
  const invalid = await client.post(`${nsPath("apps")}?dryRun=All`, app("web", { replicas: -1 }));
  assert.equal(invalid.status, 422);

  const created = (await client.post(nsPath("apps"), app("web"))).json();
  const dupe = await client.post(`${nsPath("apps")}?dryRun=All`, app("web"));
  assert.equal(dupe.status, 409);
  const dryPut = await client.put(`${nsPath("apps", "default", "web")}?dryRun=All`, { ...created, spec: { ...created.spec, replicas: 4 } });
  assert.equal(dryPut.status, 200);
  assert.equal(dryPut.json().spec.replicas, 4);
  assert.equal(dryPut.json().metadata.generation, 2);
  assert.equal(dryPut.json().metadata.resourceVersion, created.metadata.resourceVersion);
  const dryDelete = await client.delete(`${nsPath("apps", "default", "web")}?dryRun=All`);
  assert.equal(dryDelete.status, 200);
  const stored = (await client.get(nsPath("apps", "default", "web"))).json();
  assert.equal(stored.spec.replicas, 1);
  assert.equal(stored.metadata.resourceVersion, created.metadata.resourceVersion);
  assert.equal((await client.post(`${nsPath("apps")}?dryRun=Some`, app("x"))).status, 400);
});

test("unsupported methods are 405 MethodNotAllowed", async (t) => {
  const { client } = await withApi(t);
  const res = await client.request(nsPath("apps"), { method: "PUT", body: app("web") });
  assert.equal(res.status, 405);
  assert.equal(res.json().reason, "MethodNotAllowed");
  assert.equal((await client.post("/apis/berth.dev/v1/apps", app("web"))).status, 405);
});

test("bodies above 3 MB are 413; unknown body types are 415", async (t) => {
  const { client } = await withApi(t);
  const huge = JSON.stringify(app("web", {}, { annotations: { big: "x".repeat(4 * 1024 * 1024) } }));
  const tooLarge = await client.post(nsPath("apps"), huge);
  assert.equal(tooLarge.status, 413);
  assert.equal(tooLarge.json().kind, "Status");
  const text = await client.post(nsPath("apps"), "name: web", { headers: { "Content-Type": "text/plain" } });
  assert.equal(text.status, 415);
  assert.equal(text.json().reason, "UnsupportedMediaType");
});
