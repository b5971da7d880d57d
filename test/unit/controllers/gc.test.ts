import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { NotFoundError, type Resource } from "../../../resources/index.ts";
import { FOREGROUND_FINALIZER, MemoryStore, type ObjectKey } from "../../../store/index.ts";
import { Manager, removeFinalizer } from "../../../controllers/runtime/index.ts";
import { createGarbageCollector } from "../../../controllers/gc/index.ts";
import { app, captureLogger, eventually, ownedBy, secret, settle, LIMIT } from "./support.ts";

const key = (kind: string, name: string): ObjectKey => ({ kind, namespace: "default", name });

async function exists(store: MemoryStore, k: ObjectKey): Promise<Resource | undefined> {
  try {
    return await store.get(k);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

async function startGc(t: TestContext, store: MemoryStore) {
  const { logger, lines } = captureLogger("info");
  const gc = createGarbageCollector(store, logger);
  const manager = new Manager({ store, logger });
  const runner = manager.add(gc);
  await manager.start();
  t.after(() => manager.stop());
  /** quiet waits until the collector has nothing queued or running. */
  const quiet = async () => {
    await settle();
    await runner.queue.idle();
    await settle();
  };
  return { gc, runner, lines, quiet };
}

test("gc background: deleting an owner cascades to dependents and their dependents", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const { gc, quiet } = await startGc(t, store);
  const web = await store.create(app("web"));
  const creds = await store.create(secret("web-creds", { ownerReferences: [ownedBy(web, { controller: true, blockOwnerDeletion: true })] }));
  await store.create(secret("web-creds-copy", { ownerReferences: [ownedBy(creds)] }));
  const api = await store.create(app("api"));
  await store.create(secret("api-creds", { ownerReferences: [ownedBy(api)] }));
  await quiet();
  assert.deepEqual(gc.dependentsOf(web.metadata.uid!).map((o) => o.metadata.name), ["web-creds"]);
  assert.ok(await exists(store, key("Secret", "web-creds")), "dependents of a live owner are left alone");

  await store.delete(key("App", "web"));
  await eventually(async () => {
    assert.equal(await exists(store, key("Secret", "web-creds")), undefined);
    assert.equal(await exists(store, key("Secret", "web-creds-copy")), undefined);
  });
  await quiet();
  assert.ok(await exists(store, key("Secret", "api-creds")), "other owners' dependents stay");
  assert.deepEqual(gc.dependentsOf(web.metadata.uid!), []);
});

test("gc background: a dependent with a live owner left only loses the dangling reference", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const { quiet } = await startGc(t, store);
  const web = await store.create(app("web"));
  const api = await store.create(app("api"));
  await store.create(secret("shared", { ownerReferences: [ownedBy(web), ownedBy(api)] }));
  await quiet();
  await store.delete(key("App", "web"));
  await eventually(async () => {
    const shared = await store.get(key("Secret", "shared"));
    assert.deepEqual(shared.metadata.ownerReferences?.map((r) => r.name), ["api"]);
  });
});

test("gc background: startup collects dependents whose owners vanished while it was down", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const web = await store.create(app("web"));
  await store.create(secret("orphan", { ownerReferences: [ownedBy(web)] }));
  await store.delete(key("App", "web"));
  const recreated = await store.create(app("web"));
  await store.create(secret("kept", { ownerReferences: [ownedBy(recreated)] }));
  await store.create(secret("foreign", { ownerReferences: [{ apiVersion: "example.com/v1", kind: "Widget", name: "w", uid: "0000" }] }));
  const { quiet } = await startGc(t, store);
  await eventually(async () => assert.equal(await exists(store, key("Secret", "orphan")), undefined, "an owner recreated under the same name is a different owner (uid)"));
  await quiet();
  assert.ok(await exists(store, key("Secret", "kept")));
  assert.ok(await exists(store, key("Secret", "foreign")), "an owner of a kind the collector does not serve is never presumed gone");
});

test("gc foreground: the owner waits for blocking dependents, then loses its finalizer", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const { quiet, lines } = await startGc(t, store);
  const web = await store.create(app("web"));
  await store.create(secret("blocking", { ownerReferences: [ownedBy(web, { controller: true, blockOwnerDeletion: true })], finalizers: ["berth.dev/cleanup"] }));
  await store.create(secret("free", { ownerReferences: [ownedBy(web)] }));
  await quiet();

  const deleting = await store.delete(key("App", "web"), { propagationPolicy: "Foreground" });
  assert.deepEqual(deleting.metadata.finalizers, [FOREGROUND_FINALIZER]);
  await eventually(async () => assert.equal(await exists(store, key("Secret", "free")), undefined));
  await eventually(async () => assert.ok((await store.get(key("Secret", "blocking"))).metadata.deletionTimestamp));
  await quiet();
  const waiting = await store.get(key("App", "web"));
  assert.deepEqual(waiting.metadata.finalizers, [FOREGROUND_FINALIZER], "the owner is held while a blocking dependent remains");

  // The dependent's own controller finishes its cleanup.
  assert.equal(await removeFinalizer(store, key("Secret", "blocking"), "berth.dev/cleanup"), undefined);
  await eventually(async () => assert.equal(await exists(store, key("App", "web")), undefined));
  assert.ok(lines.some((l) => /foreground deletion of App\/default\/web/.test(String(l.msg))));
});

test("gc foreground: a dependent that does not block is not waited for, and the owner goes at once", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const { quiet } = await startGc(t, store);
  const web = await store.create(app("web"));
  await store.create(secret("slow", { ownerReferences: [ownedBy(web)], finalizers: ["berth.dev/cleanup"] }));
  await quiet();
  await store.delete(key("App", "web"), { propagationPolicy: "Foreground" });
  await eventually(async () => assert.equal(await exists(store, key("App", "web")), undefined));
  assert.ok((await store.get(key("Secret", "slow"))).metadata.deletionTimestamp, "the dependent was still deleted");
});

test("gc orphan: the owner is stripped from its dependents, which survive, then the owner goes", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const { quiet } = await startGc(t, store);
  const web = await store.create(app("web"));
  const api = await store.create(app("api"));
  await store.create(secret("only-web", { ownerReferences: [ownedBy(web, { controller: true, blockOwnerDeletion: true })] }));
  await store.create(secret("both", { ownerReferences: [ownedBy(web), ownedBy(api)] }));
  await quiet();
  await store.delete(key("App", "web"), { propagationPolicy: "Orphan" });
  await eventually(async () => assert.equal(await exists(store, key("App", "web")), undefined));
  await quiet();
  const onlyWeb = await store.get(key("Secret", "only-web"));
  assert.equal(onlyWeb.metadata.ownerReferences, undefined);
  const both = await store.get(key("Secret", "both"));
  assert.deepEqual(both.metadata.ownerReferences?.map((r) => r.name), ["api"]);
});

test("gc foreground: the wait cascades through a dependent that has blocking dependents of its own", LIMIT, async (t) => {
  const store = await MemoryStore.open();
  const { quiet } = await startGc(t, store);
  const web = await store.create(app("web"));
  const child = await store.create(secret("child", { ownerReferences: [ownedBy(web, { blockOwnerDeletion: true })] }));
  await store.create(secret("grandchild", { ownerReferences: [ownedBy(child, { blockOwnerDeletion: true })], finalizers: ["berth.dev/cleanup"] }));
  await quiet();
  await store.delete(key("App", "web"), { propagationPolicy: "Foreground" });
  await eventually(async () => assert.ok((await store.get(key("Secret", "grandchild"))).metadata.deletionTimestamp));
  await quiet();
  assert.deepEqual((await store.get(key("Secret", "child"))).metadata.finalizers, [FOREGROUND_FINALIZER], "the child is deleted in the foreground too");
  assert.ok(await exists(store, key("App", "web")), "the owner waits for its blocking child");
  await removeFinalizer(store, key("Secret", "grandchild"), "berth.dev/cleanup");
  await eventually(async () => {
    assert.equal(await exists(store, key("Secret", "child")), undefined);
    assert.equal(await exists(store, key("App", "web")), undefined);
  });
});
