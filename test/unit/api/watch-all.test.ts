import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStore } from "../../../store/index.ts";
import { ApiClient } from "../../support/https-client.ts";
import { app, nsPath, withApi } from "./fixtures.ts";

const WATCH = "/apis/berth.dev/v1/watch";
const secret = (name: string, value: string) => ({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name }, stringData: { password: value } });

test("the all-kinds watch: every kind's objects, an initial-events-end BOOKMARK, then live events of any kind", async (t) => {
  const { client } = await withApi(t);
  await client.post(nsPath("apps"), app("web"));
  await client.post(nsPath("secrets"), secret("creds", "hunter2"));
  const watch = await client.watch(`${WATCH}?resourceVersion=0`);
  t.after(() => watch.close());
  const initial = [await watch.next(), await watch.next()];
  assert.deepEqual(initial.map((e) => `${e.type} ${e.object.kind}/${e.object.metadata.name}`).sort(), ["ADDED App/web", "ADDED Secret/creds"]);
  const end = await watch.next();
  assert.equal(end.type, "BOOKMARK");
  assert.equal(end.object.metadata.annotations["k8s.io/initial-events-end"], "true");
  await client.post(nsPath("domains"), { apiVersion: "berth.dev/v1", kind: "Domain", metadata: { name: "web" }, spec: { host: "web.test", appRef: { name: "web" } } });
  const live = await watch.next(2_000);
  assert.deepEqual([live.type, live.object.kind], ["ADDED", "Domain"]);

  // Resuming from the bookmark's revision replays exactly what came after it.
  const resumed = await client.watch(`${WATCH}?resourceVersion=${end.object.metadata.resourceVersion}`);
  t.after(() => resumed.close());
  const replayed = await resumed.next();
  assert.deepEqual([replayed.type, replayed.object.kind, replayed.object.metadata.resourceVersion], ["ADDED", "Domain", live.object.metadata.resourceVersion]);
});

test("the all-kinds watch shows a viewer only its namespaces, with Secret values blanked; no token is a 401", async (t) => {
  const { api, client } = await withApi(t);
  await client.post(nsPath("secrets", "team"), secret("creds", "hunter2"));
  await client.post(nsPath("apps", "other"), app("hidden"));
  const { token } = await api.tokens.create("viewer", [{ namespace: "team", role: "viewer" }]);
  const viewer = new ApiClient(api.url, api.ca, token);
  t.after(() => viewer.close());
  const watch = await viewer.watch(`${WATCH}?resourceVersion=0`);
  t.after(() => watch.close());
  const first = await watch.next();
  assert.deepEqual([first.object.kind, first.object.metadata.namespace, first.object.data], ["Secret", "team", { password: "" }]);
  assert.equal((await watch.next()).type, "BOOKMARK", "the other namespace's App was sent");
  await client.post(nsPath("apps", "other"), app("also-hidden"));
  await client.patch(nsPath("secrets", "team", "creds"), { stringData: { password: "changed" } }, "application/merge-patch+json");
  const next = await watch.next(2_000);
  assert.deepEqual([next.type, next.object.metadata.name, next.object.data], ["MODIFIED", "creds", { password: "" }]);
  assert.ok(!JSON.stringify(next).includes("changed"));
  assert.equal((await client.get(WATCH, { token: null })).status, 401);
});

test("the all-kinds watch answers a revision older than the history with one 410 Expired ERROR", async (t) => {
  const store = await MemoryStore.open(undefined, { historyLimit: 2 });
  t.after(() => store.close());
  const { client } = await withApi(t, { store });
  for (const name of ["a", "b", "c", "d", "e"]) await client.post(nsPath("apps"), app(name));
  const watch = await client.watch(`${WATCH}?resourceVersion=1`);
  const error = await watch.next();
  assert.deepEqual([error.type, error.object.code, error.object.reason], ["ERROR", 410, "Expired"]);
  assert.equal(await watch.next(), undefined);
});
