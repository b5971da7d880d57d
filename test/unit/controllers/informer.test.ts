import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStore } from "../../../store/index.ts";
import { Informer, type InformerEvent } from "../../../controllers/runtime/index.ts";
import { captureLogger, secret, settle, LIMIT } from "./support.ts";

function record(informer: Informer): Array<{ type: string; name: string; synthetic: boolean; previousRv?: string }> {
  const events: Array<{ type: string; name: string; synthetic: boolean; previousRv?: string }> = [];
  informer.addHandler((e: InformerEvent) =>
    events.push({ type: e.type, name: e.object.metadata.name, synthetic: e.synthetic === true, ...(e.previous ? { previousRv: e.previous.metadata.resourceVersion! } : {}) }),
  );
  return events;
}

test("informer: lists, then watches from the list's revision into its cache", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  await store.create(secret("a"));
  const b = await store.create(secret("b"));
  await store.create({ ...secret("other"), kind: "App", spec: {} });
  const informer = new Informer(store, "Secret");
  t.after(() => informer.stop());
  const events = record(informer);
  assert.equal(informer.hasSynced(), false);
  informer.start();
  await informer.whenSynced();
  assert.equal(informer.hasSynced(), true);
  assert.deepEqual(events.map((e) => `${e.type} ${e.name}`), ["ADDED a", "ADDED b"]);
  assert.equal(informer.revision, store.revision());

  await store.create(secret("c"));
  const b2 = await store.update({ ...b, metadata: { ...b.metadata, labels: { tier: "x" } } });
  await store.delete({ kind: "Secret", namespace: "default", name: "a" });
  await settle();
  assert.deepEqual(events.slice(2).map((e) => `${e.type} ${e.name}`), ["ADDED c", "MODIFIED b", "DELETED a"]);
  assert.equal(events[3]!.previousRv, b.metadata.resourceVersion);
  assert.equal(informer.get("Secret/default/b")?.metadata.resourceVersion, b2.metadata.resourceVersion);
  assert.equal(informer.get("Secret/default/a"), undefined);
  assert.deepEqual(informer.list().map((o) => o.metadata.name).sort(), ["b", "c"]);
  assert.equal(informer.revision, store.revision());
});

test("informer: writes racing the first list are neither lost nor duplicated", LIMIT, async (t) => {
  const store = await MemoryStore.open(undefined, { historyLimit: 5 });
  const informer = new Informer(store, "Secret");
  t.after(() => informer.stop());
  const events = record(informer);
  informer.start();
  const writes = Array.from({ length: 50 }, (_, i) => store.create(secret(`s${i}`)));
  await Promise.all(writes);
  await informer.whenSynced();
  await settle();
  assert.equal(informer.list().length, 50);
  assert.equal(events.filter((e) => e.type === "ADDED").length, 50);
  assert.equal(new Set(events.map((e) => e.name)).size, 50);
});

test("informer: restarted within the history, it resumes the watch and replays what it missed", LIMIT, async (t) => {
  const store = await MemoryStore.open(undefined, { historyLimit: 100 });
  await store.create(secret("a"));
  const informer = new Informer(store, "Secret");
  t.after(() => informer.stop());
  const events = record(informer);
  informer.start();
  await informer.whenSynced();
  informer.stop();
  await store.create(secret("b"));
  await store.delete({ kind: "Secret", namespace: "default", name: "a" });
  await settle();
  assert.equal(events.length, 1, "nothing is delivered while stopped");
  informer.start();
  await settle();
  assert.deepEqual(events.slice(1).map((e) => `${e.type} ${e.name} ${e.synthetic}`), ["ADDED b false", "DELETED a false"]);
});

test("informer: on ExpiredError it relists, replaces the cache and synthesises deletes", LIMIT, async (t) => {
  const store = await MemoryStore.open(undefined, { historyLimit: 3 });
  await store.create(secret("gone"));
  const kept = await store.create(secret("kept"));
  await store.create(secret("same"));
  const { logger, lines } = captureLogger();
  const informer = new Informer(store, "Secret", { logger });
  t.after(() => informer.stop());
  const events = record(informer);
  informer.start();
  await informer.whenSynced();
  informer.stop();
  await store.delete({ kind: "Secret", namespace: "default", name: "gone" });
  await store.update({ ...kept, metadata: { ...kept.metadata, labels: { v: "2" } } });
  await store.create(secret("new"));
  for (let i = 0; i < 5; i++) await store.create({ ...secret(`app${i}`), kind: "App", spec: {} });
  const before = events.length;
  informer.start(); // resuming from its last revision fails: the history holds only the last 3 events
  await settle();
  const after = events.slice(before).map((e) => `${e.type} ${e.name}${e.synthetic ? " (synthetic)" : ""}`).sort();
  assert.ok(lines.some((l) => /expired; relisting/.test(String(l.msg))), "the resume hit ExpiredError");
  assert.deepEqual(after, ["ADDED new", "DELETED gone (synthetic)", "MODIFIED kept"]);
  assert.deepEqual(informer.list().map((o) => o.metadata.name).sort(), ["kept", "new", "same"]);
  assert.equal(informer.revision, store.revision());
  await store.create(secret("live"));
  await settle();
  assert.equal(events.at(-1)?.name, "live", "the watch is live again after the relist");
});

test("informer: indexes follow adds, changes and deletes", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const informer = new Informer(store, "Secret");
  t.after(() => informer.stop());
  informer.addIndex("team", (o) => (o.metadata.labels?.team ? [o.metadata.labels.team] : []));
  const a = await store.create(secret("a", { labels: { team: "red" } }));
  informer.start();
  await informer.whenSynced();
  await store.create(secret("b", { labels: { team: "red" } }));
  await settle();
  assert.deepEqual(informer.byIndex("team", "red").map((o) => o.metadata.name).sort(), ["a", "b"]);
  await store.update({ ...a, metadata: { ...a.metadata, labels: { team: "blue" } } });
  await store.delete({ kind: "Secret", namespace: "default", name: "b" });
  await settle();
  assert.deepEqual(informer.byIndex("team", "red"), []);
  assert.deepEqual(informer.byIndex("team", "blue").map((o) => o.metadata.name), ["a"]);
});

test("informer: a label selector turns objects that stop matching into deletes", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const a = await store.create(secret("a", { labels: { app: "web" } }));
  await store.create(secret("b"));
  const informer = new Informer(store, "Secret", { labelSelector: "app=web" });
  t.after(() => informer.stop());
  const events = record(informer);
  informer.start();
  await informer.whenSynced();
  await store.update({ ...a, metadata: { ...a.metadata, labels: {} } });
  await settle();
  assert.deepEqual(events.map((e) => `${e.type} ${e.name}`), ["ADDED a", "DELETED a"]);
  assert.equal(informer.list().length, 0);
});

test("informer: a throwing handler does not stop the others", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const informer = new Informer(store, "Secret");
  t.after(() => informer.stop());
  informer.addHandler(() => {
    throw new Error("boom");
  });
  const events = record(informer);
  informer.start();
  await informer.whenSynced();
  await store.create(secret("a"));
  await settle();
  assert.deepEqual(events.map((e) => e.name), ["a"]);
});
