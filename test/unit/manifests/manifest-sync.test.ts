import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, unlink, writeFile, rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../../lib/logger.ts";
import { MANIFEST_SOURCE, startManifestSync, type ManifestSync } from "../../../controllers/manifests/index.ts";
import { NotFoundError, type Resource } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { MemoryEventLog } from "../../support/memory-event-log.ts";
import { eventually } from "./eventually.ts";

const app = (name: string, spec = "image: nginx:1.27", extra = "") => `apiVersion: berth.dev/v1
kind: App
metadata:
  name: ${name}
${extra}spec:
  ${spec}
`;

interface Fixture {
  dir: string;
  store: MemoryStore;
  events: MemoryEventLog;
  start(): Promise<ManifestSync>;
}

async function fixture(t: TestContext): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "berth-sync-"));
  const store = await MemoryStore.open();
  const events = new MemoryEventLog();
  const syncs: ManifestSync[] = [];
  t.after(async () => {
    for (const s of syncs) await s.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir, store, events,
    async start() {
      const sync = await startManifestSync({ dir, store, recorder: events, logger: silentLogger(), debounceMs: 50 });
      syncs.push(sync);
      return sync;
    },
  };
}

const key = (name: string, kind = "App", namespace = "default") => ({ kind, namespace, name });

async function gone(store: MemoryStore, name: string, kind = "App"): Promise<void> {
  await assert.rejects(store.get(key(name, kind)), NotFoundError);
}

test("start-up applies every file, tags objects with their file, and prunes objects whose file is gone", async (t) => {
  const f = await fixture(t);
  await mkdir(join(f.dir, "team"));
  await writeFile(join(f.dir, "web.yaml"), `${app("web")}---\n${app("api")}`);
  await writeFile(join(f.dir, "team", "db.yml"), `apiVersion: berth.dev/v1\nkind: Database\nmetadata:\n  name: main\nspec:\n  engine: postgres\n`);
  await writeFile(join(f.dir, "README.md"), "not a manifest");
  await f.store.create({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "stale", namespace: "default", annotations: { [MANIFEST_SOURCE]: "old.yaml" } }, spec: { image: "x" } });
  await f.store.create({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "by-hand", namespace: "default" }, spec: { image: "x" } });
  await f.start();
  assert.equal((await f.store.get(key("web"))).metadata.annotations?.[MANIFEST_SOURCE], "web.yaml");
  assert.equal((await f.store.get(key("api"))).metadata.annotations?.[MANIFEST_SOURCE], "web.yaml");
  assert.equal((await f.store.get(key("main", "Database"))).metadata.annotations?.[MANIFEST_SOURCE], "team/db.yml");
  await gone(f.store, "stale");
  assert.ok(await f.store.get(key("by-hand")), "objects created by other means are never pruned");
});

test("a changed file updates spec, labels and user annotations, and keeps status, others' finalizers and system annotations", async (t) => {
  const f = await fixture(t);
  await writeFile(join(f.dir, "web.yaml"), app("web", "image: nginx:1.27\n  replicas: 2", "  labels: {tier: front}\n  annotations: {note: one}\n"));
  await f.start();
  const created = await f.store.get(key("web"));
  const withStatus = await f.store.updateStatus({ ...structuredClone(created), status: { observedGeneration: 1, conditions: [{ type: "Ready", status: "True", reason: "Up", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" }] } } as Resource);
  const marked = structuredClone(withStatus) as Resource;
  marked.metadata.finalizers = ["berth.dev/app-cleanup"];
  marked.metadata.annotations = { ...marked.metadata.annotations, "berth.dev/restarted-at": "now" };
  const before = await f.store.update(marked);

  await writeFile(join(f.dir, "web.yaml"), app("web", "image: nginx:1.28", "  annotations: {other: two}\n"));
  const updated = await eventually(async () => {
    const obj = await f.store.get(key("web"));
    assert.equal((obj.spec as { image: string }).image, "nginx:1.28");
    return obj;
  });
  assert.equal((updated.spec as { replicas: number }).replicas, 1, "spec is replaced whole: the dropped field is back to its default");
  assert.equal(updated.metadata.labels, undefined, "labels replaced");
  assert.deepEqual(updated.metadata.annotations, { "berth.dev/restarted-at": "now", other: "two", [MANIFEST_SOURCE]: "web.yaml" });
  assert.deepEqual(updated.metadata.finalizers, ["berth.dev/app-cleanup"]);
  assert.equal(updated.status?.conditions?.[0]?.reason, "Up", "status kept");
  assert.equal(updated.metadata.uid, before.metadata.uid);
  assert.equal(updated.metadata.generation, 2);

  // Rewriting the same content writes nothing.
  const revision = f.store.revision();
  await writeFile(join(f.dir, "web.yaml"), app("web", "image: nginx:1.28", "  annotations: {other: two}\n") + "# touched\n");
  // A later file is a barrier: batches are applied in order, so once it exists the rewrite has been handled.
  await writeFile(join(f.dir, "zz-barrier.yaml"), app("barrier"));
  await eventually(() => f.store.get(key("barrier")));
  assert.equal(f.store.revision(), revision + 1, "only the barrier was written");
});

test("removing an object from a file, or the file, deletes exactly the objects that came from it", async (t) => {
  const f = await fixture(t);
  await writeFile(join(f.dir, "a.yaml"), `${app("one")}---\n${app("two")}`);
  await writeFile(join(f.dir, "b.yaml"), app("three"));
  await f.start();
  await f.store.create({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "manual", namespace: "default" }, spec: { image: "x" } });

  await writeFile(join(f.dir, "a.yaml"), app("one"));
  await eventually(() => gone(f.store, "two"));
  assert.ok(await f.store.get(key("one")));

  await unlink(join(f.dir, "a.yaml"));
  await eventually(() => gone(f.store, "one"));
  assert.ok(await f.store.get(key("three")));
  assert.ok(await f.store.get(key("manual")));

  await mkdir(join(f.dir, "sub"));
  await writeFile(join(f.dir, "sub", "c.yaml"), app("four"));
  await eventually(() => f.store.get(key("four")));
  await rm(join(f.dir, "sub"), { recursive: true });
  await eventually(() => gone(f.store, "four"));
  assert.ok(await f.store.get(key("three")));
});

test("a bad file is reported as a Warning event and keeps its objects; other files still apply", async (t) => {
  const f = await fixture(t);
  await writeFile(join(f.dir, "good.yaml"), app("good"));
  await writeFile(join(f.dir, "bad.yaml"), app("kept"));
  await f.start();
  await writeFile(join(f.dir, "bad.yaml"), app("kept", 'image: nginx\n  replicas: "many"'));
  await writeFile(join(f.dir, "good.yaml"), app("good", "image: nginx:2"));
  await eventually(async () => assert.equal(((await f.store.get(key("good"))).spec as { image: string }).image, "nginx:2"));
  const warnings = await eventually(async () => {
    const list = (await f.events.list({})).filter((e) => e.type === "Warning");
    assert.equal(list.length, 1);
    return list;
  });
  assert.equal(warnings[0]!.reason, "InvalidManifest");
  assert.equal(warnings[0]!.involvedObject.kind, "App");
  assert.equal(warnings[0]!.involvedObject.name, "kept");
  assert.match(warnings[0]!.message, /^bad\.yaml: document 1 \(App\/kept\): spec\.replicas: .* \(line 7\)$/);
  assert.equal(((await f.store.get(key("kept"))).spec as { image: string }).image, "nginx:1.27", "the bad file's objects are left as they were");

  await writeFile(join(f.dir, "syntax.yaml"), "a: [1,\n");
  await eventually(async () => {
    const stand = (await f.events.list({})).find((e) => e.involvedObject.kind === "ManifestFile");
    assert.equal(stand?.involvedObject.name, "syntax.yaml");
    assert.match(stand!.message, /syntax\.yaml: document 1: YAML syntax error/);
  });
});

test("an object created by other means is not taken over; an object moved between files keeps its uid", async (t) => {
  const f = await fixture(t);
  await f.store.create({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "taken", namespace: "default" }, spec: { image: "mine" } });
  await writeFile(join(f.dir, "a.yaml"), `${app("taken")}---\n${app("mover")}`);
  await f.start();
  assert.equal(((await f.store.get(key("taken"))).spec as { image: string }).image, "mine");
  const warning = (await f.events.list({})).find((e) => e.reason === "ManifestApplyFailed");
  assert.match(warning?.message ?? "", /App\/default\/taken already exists and was not created from the manifests directory/);

  const uid = (await f.store.get(key("mover"))).metadata.uid;
  await writeFile(join(f.dir, "b.yaml"), app("mover"));
  await writeFile(join(f.dir, "a.yaml"), app("taken"));
  const moved = await eventually(async () => {
    const obj = await f.store.get(key("mover"));
    assert.equal(obj.metadata.annotations?.[MANIFEST_SOURCE], "b.yaml");
    return obj;
  });
  assert.equal(moved.metadata.uid, uid);
  await rename(join(f.dir, "b.yaml"), join(f.dir, "c.yaml"));
  await eventually(async () => assert.equal((await f.store.get(key("mover"))).metadata.annotations?.[MANIFEST_SOURCE], "c.yaml"));
});
