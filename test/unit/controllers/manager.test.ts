import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStore, type ResourceStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { CacheSyncTimeoutError, Informer, InvalidStateError, Manager, watchSource, type Controller, type ReconcileContext, type Result, type Source } from "../../../controllers/runtime/index.ts";
import { app, eventually, secret, LIMIT } from "./support.ts";

function controller(name: string, kind: string, sources: () => Source[], reconcile: (key: string, ctx: ReconcileContext) => Promise<Result>): Controller {
  return { name, kind, sources, reconcile };
}

test("manager: startup enqueues every existing object of the controller's kind", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  for (const name of ["web", "api", "worker"]) await store.create(app(name));
  await store.create(secret("creds"));
  const seen: string[] = [];
  const manager = new Manager({ store, logger: silentLogger() });
  // No sources at all: only the startup relist can enqueue these keys.
  manager.add(controller("apps", "App", () => [], async (key) => (seen.push(key), {})));
  await manager.start();
  t.after(() => manager.stop());
  await eventually(() => assert.deepEqual([...seen].sort(), ["App/default/api", "App/default/web", "App/default/worker"]));
});

test("manager: informers are synced before the first reconcile, and live changes are reconciled", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  for (let i = 0; i < 20; i++) await store.create(app(`app${i}`));
  const informer = new Informer(store, "App");
  const missing: string[] = [];
  const seen = new Map<string, number>();
  const manager = new Manager({ store, logger: silentLogger() });
  manager.add(
    controller("apps", "App", () => [watchSource(informer)], async (key) => {
      if (!informer.get(key)) missing.push(key);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      return {};
    }),
  );
  await manager.start();
  t.after(() => manager.stop());
  assert.equal(informer.hasSynced(), true);
  await eventually(() => assert.equal(seen.size, 20));
  assert.deepEqual(missing, [], "every reconcile found its object in the synced cache");
  const runner = manager.runner("apps")!;
  await runner.queue.idle();
  const before = seen.get("App/default/app3")!;
  const app3 = await store.get({ kind: "App", namespace: "default", name: "app3" });
  await store.update({ ...app3, spec: { image: "nginx:1.28" } });
  await eventually(() => assert.equal(seen.get("App/default/app3"), before + 1));
});

test("manager: stop stops sources and informers, aborts running reconciles, and resolves", LIMIT, async () => {
  const store = await MemoryStore.open();
  await store.create(app("web"));
  const informer = new Informer(store, "App");
  const aborted: unknown[] = [];
  let started = 0;
  const manager = new Manager({ store, logger: silentLogger() });
  manager.add(
    controller("apps", "App", () => [watchSource(informer)], (_key, ctx) => {
      started++;
      return new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject((aborted.push(ctx.signal.reason), ctx.signal.reason))));
    }),
  );
  await manager.start();
  await eventually(() => assert.equal(started, 1));
  const watchers = store.watcherCount;
  const t0 = Date.now();
  await manager.stop();
  assert.ok(Date.now() - t0 < 1_000);
  assert.equal(aborted.length, 1);
  assert.equal(store.watcherCount, watchers - 1, "the informer's watch is closed");
  await store.create(app("late"));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(started, 1, "nothing runs after stop");
  await manager.stop();
});

test("manager: stop is bounded when a reconcile ignores its signal", LIMIT, async () => {
  const store = await MemoryStore.open();
  await store.create(app("web"));
  let started = 0;
  const manager = new Manager({ store, logger: silentLogger(), stopTimeoutMs: 100 });
  manager.add(controller("stuck", "App", () => [], () => (started++, new Promise<Result>(() => {}))), { abortGraceMs: 60_000 });
  await manager.start();
  await eventually(() => assert.equal(started, 1));
  const t0 = Date.now();
  await manager.stop();
  const took = Date.now() - t0;
  assert.ok(took >= 90 && took < 1_000, `stop took ${took}ms`);
});

test("manager: start fails with CacheSyncTimeoutError when an informer cannot list in time", LIMIT, async () => {
  const store = await MemoryStore.open();
  // A store whose list never answers (a backend that is down): the manager must not wait forever.
  const stalled: ResourceStore = Object.assign(Object.create(store) as ResourceStore, { list: () => new Promise(() => {}) });
  const manager = new Manager({ store: stalled, logger: silentLogger(), syncTimeoutMs: 50 });
  manager.add(controller("apps", "App", () => [watchSource(new Informer(stalled, "App"))], async () => ({})));
  await assert.rejects(manager.start(), (err: unknown) => err instanceof CacheSyncTimeoutError && err.pending.join() === "App");
});

test("manager: controllers are added before start, under unique names", LIMIT, async () => {
  const store = await MemoryStore.open();
  const manager = new Manager({ store, logger: silentLogger() });
  manager.add(controller("a", "App", () => [], async () => ({})));
  assert.throws(() => manager.add(controller("a", "Secret", () => [], async () => ({}))), InvalidStateError);
  await manager.start();
  assert.throws(() => manager.add(controller("b", "Secret", () => [], async () => ({}))), InvalidStateError);
  await assert.rejects(manager.start(), InvalidStateError);
  await manager.stop();
});
