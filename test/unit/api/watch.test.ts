import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStore } from "../../../store/index.ts";
import { TABLE_ACCEPT, app, nsPath, withApi } from "./fixtures.ts";

const MERGE = "application/merge-patch+json";

test("a watch without resourceVersion sends a synthetic ADDED per object, then live events, flushed one per line", async (t) => {
  const { client } = await withApi(t);
  await client.post(nsPath("apps"), app("a"));
  await client.post(nsPath("apps"), app("b"));
  const watch = await client.watch(`${nsPath("apps")}?watch=true`);
  t.after(() => watch.close());
  assert.equal(watch.status, 200);
  assert.equal(watch.headers["content-type"], "application/json");
  assert.equal(watch.headers["transfer-encoding"], "chunked");
  assert.equal(watch.headers["content-encoding"], undefined);
  const first = [await watch.next(), await watch.next()];
  assert.deepEqual(first.map((e) => [e.type, e.object.metadata.name]).sort(), [["ADDED", "a"], ["ADDED", "b"]]);
  const started = Date.now();
  const patched = (await client.patch(nsPath("apps", "default", "a"), { spec: { replicas: 2 } }, MERGE)).json();
  const modified = await watch.next(2_000);
  assert.equal(modified.type, "MODIFIED");
  assert.equal(modified.object.metadata.resourceVersion, patched.metadata.resourceVersion);
  assert.ok(Date.now() - started < 1_000, "events are flushed at once");
  await client.delete(nsPath("apps", "default", "b"));
  const deleted = await watch.next();
  assert.deepEqual([deleted.type, deleted.object.metadata.name], ["DELETED", "b"]);
});

test("resourceVersion=N sends only later events; kubectl's `get NAME -w` (RV 0 + name selector) gets its ADDED", async (t) => {
  const { client } = await withApi(t);
  const a = (await client.post(nsPath("apps"), app("a"))).json();
  await client.post(nsPath("apps"), app("b"));
  const list = (await client.get(nsPath("apps"))).json();
  const fromList = await client.watch(`${nsPath("apps")}?watch=1&resourceVersion=${list.metadata.resourceVersion}`);
  t.after(() => fromList.close());
  const fromA = await client.watch(`${nsPath("apps")}?watch=1&resourceVersion=${a.metadata.resourceVersion}`);
  t.after(() => fromA.close());
  const named = await client.watch(`${nsPath("apps")}?fieldSelector=metadata.name%3Da&resourceVersion=0&watch=true`);
  t.after(() => named.close());
  await client.post(nsPath("apps"), app("c"));
  const next = await fromList.next();
  assert.deepEqual([next.type, next.object.metadata.name], ["ADDED", "c"], "no replay of the current state");
  assert.deepEqual([(await fromA.next()).object.metadata.name, (await fromA.next()).object.metadata.name], ["b", "c"]);
  const synthetic = await named.next();
  assert.deepEqual([synthetic.type, synthetic.object.metadata.name], ["ADDED", "a"]);
  await client.patch(nsPath("apps", "default", "a"), { spec: { replicas: 4 } }, MERGE);
  const update = await named.next();
  assert.deepEqual([update.type, update.object.spec.replicas], ["MODIFIED", 4], "other objects' events were filtered out");
});

test("a resourceVersion older than the history gets one ERROR event with a 410 Expired Status, then the stream ends", async (t) => {
  const store = await MemoryStore.open(undefined, { historyLimit: 2 });
  t.after(() => store.close());
  const { client } = await withApi(t, { store });
  for (const name of ["a", "b", "c", "d", "e"]) await client.post(nsPath("apps"), app(name));
  const watch = await client.watch(`${nsPath("apps")}?watch=true&resourceVersion=1`);
  assert.equal(watch.status, 200);
  const error = await watch.next();
  assert.equal(error.type, "ERROR");
  assert.deepEqual([error.object.kind, error.object.code, error.object.reason], ["Status", 410, "Expired"]);
  assert.equal(await watch.next(), undefined, "the server closes the stream");
});

test("timeoutSeconds ends a watch; a client that goes away is unsubscribed", async (t) => {
  const { client, api } = await withApi(t);
  const started = Date.now();
  const watch = await client.watch(`${nsPath("apps")}?watch=true&timeoutSeconds=1`);
  assert.equal(await watch.next(3_000), undefined);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 900 && elapsed < 2_500, `ended after ${elapsed} ms`);
  const gone = await client.watch(`${nsPath("apps")}?watch=true`);
  gone.close();
  const deadline = Date.now() + 2_000;
  while ((api.store as MemoryStore).watcherCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal((api.store as MemoryStore).watcherCount, 0);
});

test("selectors apply per event: an object that starts matching is ADDED, one that stops matching is DELETED", async (t) => {
  const { client } = await withApi(t);
  const watch = await client.watch(`${nsPath("apps")}?watch=true&labelSelector=tier%3Dweb`);
  t.after(() => watch.close());
  await client.post(nsPath("apps"), app("x", {}, { labels: { tier: "db" } }));
  await client.patch(nsPath("apps", "default", "x"), { metadata: { labels: { tier: "web" } } }, MERGE);
  assert.deepEqual([(await watch.next()).type], ["ADDED"]);
  await client.patch(nsPath("apps", "default", "x"), { metadata: { labels: { tier: "db" } } }, MERGE);
  assert.deepEqual([(await watch.next()).type], ["DELETED"]);
});

test("watches with a Table Accept carry one-row Tables; cross-namespace and single-object watches work", async (t) => {
  const { client } = await withApi(t);
  await client.post(nsPath("apps", "dev"), app("web"));
  const table = await client.watch(`${nsPath("apps", "dev")}?watch=true`, { headers: { Accept: TABLE_ACCEPT } });
  t.after(() => table.close());
  const event = await table.next();
  assert.equal(event.type, "ADDED");
  assert.equal(event.object.kind, "Table");
  assert.equal(event.object.rows.length, 1);
  assert.equal(event.object.rows[0].cells[0], "web");
  assert.equal(event.object.rows[0].cells.length, event.object.columnDefinitions.length);
  const all = await client.watch("/apis/berth.dev/v1/apps?watch=true&resourceVersion=0");
  t.after(() => all.close());
  assert.equal((await all.next()).object.metadata.namespace, "dev");
  const one = await client.watch(`${nsPath("apps", "prod", "web")}?watch=true`);
  t.after(() => one.close());
  await client.post(nsPath("apps", "prod"), app("other"));
  await client.post(nsPath("apps", "prod"), app("web"));
  const crossNs = await all.next();
  assert.equal(crossNs.object.metadata.name, "other");
  const single = await one.next();
  assert.deepEqual([single.type, single.object.metadata.namespace, single.object.metadata.name], ["ADDED", "prod", "web"]);
});

test("allowWatchBookmarks sends BOOKMARK events carrying a resourceVersion", async (t) => {
  const { client } = await withApi(t, { bookmarkIntervalMs: 100 });
  const created = (await client.post(nsPath("apps"), app("a"))).json();
  const watch = await client.watch(`${nsPath("apps")}?watch=true&allowWatchBookmarks=true&resourceVersion=${created.metadata.resourceVersion}`);
  t.after(() => watch.close());
  const bookmark = await watch.next(2_000);
  assert.equal(bookmark.type, "BOOKMARK");
  assert.deepEqual(bookmark.object, { kind: "App", apiVersion: "berth.dev/v1", metadata: { resourceVersion: created.metadata.resourceVersion } });
  const plain = await client.watch(`${nsPath("apps")}?watch=true&resourceVersion=${created.metadata.resourceVersion}`);
  t.after(() => plain.close());
  await assert.rejects(plain.next(400), /no watch event/, "no bookmarks unless asked for");
});

test("closing the server ends open watches promptly", async (t) => {
  const { client, api } = await withApi(t);
  const watch = await client.watch(`${nsPath("apps")}?watch=true`);
  const started = Date.now();
  await api.close();
  assert.equal(await watch.next(2_000), undefined);
  assert.ok(Date.now() - started < 1_500);
});

test("a bad selector on a watch is a 400 before the stream starts", async (t) => {
  const { client } = await withApi(t);
  const res = await client.get(`${nsPath("apps")}?watch=true&labelSelector=${encodeURIComponent("a in (b")}`);
  assert.equal(res.status, 400);
  assert.equal(res.json().kind, "Status");
});
