import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStore } from "../../../store/index.ts";
import { FakeClock } from "../../../lib/clock.ts";
import { EventSource, Informer, intervalSource, mappingSource, objectKey, resyncSource, watchSource } from "../../../controllers/runtime/index.ts";
import { app, secret, settle, LIMIT } from "./support.ts";

test("watchSource enqueues the key of every change, filtered by an optional predicate", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const informer = new Informer(store, "Secret");
  t.after(() => informer.stop());
  const all: string[] = [];
  const added: string[] = [];
  watchSource(informer).start((k) => all.push(k));
  watchSource(informer, (e) => e.type === "ADDED").start((k) => added.push(k));
  informer.start();
  await informer.whenSynced();
  const a = await store.create(secret("a"));
  await store.update({ ...a, metadata: { ...a.metadata, labels: { x: "y" } } });
  await settle();
  assert.deepEqual(all, ["Secret/default/a", "Secret/default/a"]);
  assert.deepEqual(added, ["Secret/default/a"]);
});

test("mappingSource maps a Secret change to the Apps that reference it, before and after", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const apps = new Informer(store, "App");
  const secrets = new Informer(store, "Secret");
  t.after(() => (apps.stop(), secrets.stop()));
  apps.addIndex("secret", (o) => ((o.spec as { secretName?: string }).secretName ? [(o.spec as { secretName: string }).secretName] : []));
  await store.create({ ...app("web"), spec: { image: "nginx", secretName: "creds" } });
  await store.create({ ...app("api"), spec: { image: "nginx", secretName: "creds" } });
  await store.create({ ...app("db"), spec: { image: "nginx", secretName: "other" } });
  const keys: string[] = [];
  const source = mappingSource(secrets, (obj) => apps.byIndex("secret", obj.metadata.name).map(objectKey));
  source.start((k) => keys.push(k));
  apps.start();
  secrets.start();
  await Promise.all([apps.whenSynced(), secrets.whenSynced()]);
  await store.create(secret("creds"));
  await settle();
  assert.deepEqual(keys.sort(), ["App/default/api", "App/default/web"]);
  source.stop();
  await store.create(secret("other"));
  await settle();
  assert.equal(keys.length, 2, "a stopped source enqueues nothing");
  assert.equal(source.informer, secrets);
});

test("resyncSource re-enqueues every cached object each jittered period", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const clock = new FakeClock();
  const informer = new Informer(store, "Secret");
  t.after(() => informer.stop());
  await store.create(secret("a"));
  await store.create(secret("b"));
  informer.start();
  await informer.whenSynced();
  const keys: string[] = [];
  const source = resyncSource(informer, 60_000, { clock, jitter: 0.5, random: () => 0.5 });
  source.start((k) => keys.push(k));
  clock.advance(74_999);
  assert.deepEqual(keys, [], "period 60 s stretched by 0.5 · 0.5 = 75 s");
  clock.advance(1);
  assert.deepEqual(keys.sort(), ["Secret/default/a", "Secret/default/b"]);
  clock.advance(75_000);
  assert.equal(keys.length, 4);
  source.stop();
  clock.advance(1_000_000);
  assert.equal(keys.length, 4);
  assert.equal(clock.pendingTimers, 0);
});

test("intervalSource jitter stays within the bounds", LIMIT, () => {
  const clock = new FakeClock(0);
  const ticks: number[] = [];
  const source = intervalSource(() => ["Backup/default/nightly"], 1_000, { clock, jitter: 0.2 });
  source.start(() => ticks.push(clock.now()));
  clock.advance(100_000);
  source.stop();
  const gaps = ticks.map((t, i) => t - (ticks[i - 1] ?? 0));
  assert.ok(ticks.length >= 83 && ticks.length <= 100, `${ticks.length} ticks`);
  for (const gap of gaps) assert.ok(gap >= 1_000 && gap <= 1_200, `gap ${gap}`);
  assert.throws(() => intervalSource(() => [], 0), RangeError);
});

test("EventSource maps outside events to keys and drops them while stopped", LIMIT, () => {
  const source = new EventSource<{ container: string; owner: string }>("docker", (e) => [e.owner]);
  source.emit({ container: "c1", owner: "App/default/web" });
  assert.equal(source.dropped, 1);
  const keys: string[] = [];
  source.start((k) => keys.push(k));
  source.emit({ container: "c2", owner: "App/default/web" });
  source.emit({ container: "c3", owner: "App/default/api" });
  source.stop();
  source.emit({ container: "c4", owner: "App/default/web" });
  assert.deepEqual(keys, ["App/default/web", "App/default/api"]);
  assert.equal(source.dropped, 2);
});
