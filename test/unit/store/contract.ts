import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AlreadyExistsError, ConflictError, NotFoundError, ValidationError } from "../../../resources/index.ts";
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, keyOf, type ResourceStore } from "../../../store/index.ts";
import { app, secret } from "./fixtures.ts";
import { watchContract } from "./contract-watch.ts";
import { mutable, record, withStore, type OpenStore } from "./contract-helpers.ts";

export type { ContractOpenOptions, OpenStore } from "./contract-helpers.ts";

/**
 * storeContract is the behaviour every ResourceStore backend must have (store.ts, docs/architecture.md "The store"). Each test opens
 * its own empty store through `open`.
 */
export function storeContract(name: string, open: OpenStore): void {
  describe(`${name}: store contract`, () => {
    test("create stamps metadata and every write bumps the one global revision", () =>
      withStore(open, async (store) => {
        const start = store.revision();
        const web = await store.create(app("web"));
        assert.equal(web.metadata.resourceVersion, String(start + 1));
        assert.equal(web.metadata.generation, 1);
        assert.match(web.metadata.uid ?? "", /^[0-9a-f-]{36}$/);
        assert.match(web.metadata.creationTimestamp ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        const db = await store.create(app("api"));
        assert.equal(db.metadata.resourceVersion, String(start + 2));
        const changed = mutable(web);
        (changed.spec as { replicas: number }).replicas = 3;
        const updated = await store.update(changed);
        assert.equal(updated.metadata.resourceVersion, String(start + 3));
        assert.equal(store.revision(), start + 3);
        assert.deepEqual(await store.get(keyOf(web)), updated);
      }));

    test("a write that changes nothing bumps nothing and emits nothing", () =>
      withStore(open, async (store) => {
        const web = await store.create(app("web"));
        const revision = store.revision();
        const watch = record(store, { resourceVersion: String(revision) });
        const same = await store.update(mutable(web));
        const sameStatus = await store.updateStatus(mutable(web));
        assert.equal(same.metadata.resourceVersion, web.metadata.resourceVersion);
        assert.equal(sameStatus.metadata.resourceVersion, web.metadata.resourceVersion);
        assert.equal(store.revision(), revision);
        assert.deepEqual(watch.events, []);
        watch.close();
      }));

    test("a stale resourceVersion is a conflict; none means unconditional", () =>
      withStore(open, async (store) => {
        const web = await store.create(app("web"));
        const first = mutable(web);
        first.metadata.labels = { v: "1" };
        await store.update(first);
        const stale = mutable(web);
        stale.metadata.labels = { v: "2" };
        await assert.rejects(store.update(stale), ConflictError);
        await assert.rejects(store.updateStatus({ ...mutable(web), status: { observedGeneration: 1 } }), ConflictError);
        await assert.rejects(store.delete(keyOf(web), { preconditions: { resourceVersion: web.metadata.resourceVersion! } }), ConflictError);
        await assert.rejects(store.delete(keyOf(web), { preconditions: { uid: "not-the-uid" } }), ConflictError);
        delete stale.metadata.resourceVersion;
        const forced = await store.update(stale);
        assert.deepEqual(forced.metadata.labels, { v: "2" });
      }));

    test("concurrent updates from the same resourceVersion: exactly one wins", () =>
      withStore(open, async (store) => {
        const web = await store.create(app("web"));
        const attempts = Array.from({ length: 8 }, (_, i) => {
          const next = mutable(web);
          next.metadata.labels = { writer: String(i) };
          return store.update(next);
        });
        const results = await Promise.allSettled(attempts);
        assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
        for (const r of results) if (r.status === "rejected") assert.ok(r.reason instanceof ConflictError);
      }));

    test("create of a taken name is AlreadyExists; missing objects are NotFound", () =>
      withStore(open, async (store) => {
        await store.create(app("web"));
        await assert.rejects(store.create(app("web")), AlreadyExistsError);
        await store.create(app("web", { namespace: "staging" }));
        const missing = { kind: "App", namespace: "default", name: "nope" };
        await assert.rejects(store.get(missing), NotFoundError);
        await assert.rejects(store.update(app("nope")), NotFoundError);
        await assert.rejects(store.updateStatus(app("nope")), NotFoundError);
        await assert.rejects(store.delete(missing), NotFoundError);
      }));

    test("update ignores status; updateStatus ignores everything else", () =>
      withStore(open, async (store) => {
        const web = await store.create({ ...app("web"), status: { observedGeneration: 99 } });
        assert.equal(web.status, undefined, "create drops status");
        const withStatus = await store.updateStatus({ ...mutable(web), status: { observedGeneration: 1, readyReplicas: 1 } });
        assert.deepEqual(withStatus.status, { observedGeneration: 1, readyReplicas: 1 });
        const sneaky = mutable(withStatus);
        sneaky.metadata.labels = { sneaky: "yes" };
        (sneaky.spec as { replicas: number }).replicas = 7;
        sneaky.status = { observedGeneration: 1, readyReplicas: 1, extra: true };
        const afterStatus = await store.updateStatus(sneaky);
        assert.equal(afterStatus.metadata.labels, undefined);
        assert.equal((afterStatus.spec as { replicas: number }).replicas, 1);
        assert.equal(afterStatus.status?.extra, true);
        const specWrite = mutable(afterStatus);
        specWrite.status = { observedGeneration: 42 };
        (specWrite.spec as { replicas: number }).replicas = 2;
        const afterSpec = await store.update(specWrite);
        assert.deepEqual(afterSpec.status, afterStatus.status);
        assert.equal((afterSpec.spec as { replicas: number }).replicas, 2);
      }));

    test("generation bumps on spec changes only (and on Secret data)", () =>
      withStore(open, async (store) => {
        const web = await store.create(app("web"));
        const labelled = mutable(web);
        labelled.metadata.labels = { tier: "web" };
        const afterLabels = await store.update(labelled);
        assert.equal(afterLabels.metadata.generation, 1);
        const afterStatus = await store.updateStatus({ ...mutable(afterLabels), status: { observedGeneration: 1 } });
        assert.equal(afterStatus.metadata.generation, 1);
        const respec = mutable(afterStatus);
        (respec.spec as { image: string }).image = "nginx:1.28";
        const afterSpec = await store.update(respec);
        assert.equal(afterSpec.metadata.generation, 2);
        const creds = await store.create(secret("creds", { password: "a" }));
        assert.equal(creds.metadata.generation, 1);
        const rotated = await store.update({ ...mutable(creds), data: { password: Buffer.from("b").toString("base64") } });
        assert.equal(rotated.metadata.generation, 2);
        const annotated = mutable(rotated);
        annotated.metadata.annotations = { note: "x" };
        assert.equal((await store.update(annotated)).metadata.generation, 2);
      }));

    test("finalizers hold a deleted object until the last one is removed", () =>
      withStore(open, async (store) => {
        const web = await store.create(app("web", { finalizers: ["berth.dev/cleanup"] }));
        const watch = record(store, { kind: "App", resourceVersion: web.metadata.resourceVersion! });
        const deleting = await store.delete(keyOf(web));
        assert.ok(deleting.metadata.deletionTimestamp, "deletionTimestamp is set");
        assert.deepEqual(deleting.metadata.finalizers, ["berth.dev/cleanup"]);
        assert.deepEqual(await store.get(keyOf(web)), deleting);
        const again = await store.delete(keyOf(web));
        assert.equal(again.metadata.resourceVersion, deleting.metadata.resourceVersion, "a second delete changes nothing");
        const released = mutable(deleting);
        released.metadata.finalizers = [];
        const gone = await store.update(released);
        assert.equal(Number(gone.metadata.resourceVersion), Number(deleting.metadata.resourceVersion) + 1);
        await assert.rejects(store.get(keyOf(web)), NotFoundError);
        assert.deepEqual(watch.events.map((e) => e.type), ["MODIFIED", "DELETED"]);
        watch.close();
        const plain = await store.create(app("plain"));
        await store.delete(keyOf(plain));
        await assert.rejects(store.get(keyOf(plain)), NotFoundError);
      }));

    test("no new finalizer may be added while an object is being deleted", () =>
      withStore(open, async (store) => {
        const web = await store.create(app("web", { finalizers: ["a"] }));
        const deleting = await store.delete(keyOf(web));
        const more = mutable(deleting);
        more.metadata.finalizers = ["a", "b"];
        await assert.rejects(store.update(more), ValidationError);
      }));

    test("Foreground and Orphan propagation add their finalizers", () =>
      withStore(open, async (store) => {
        const fg = await store.create(app("fg"));
        const orphan = await store.create(app("orphan"));
        const fgDeleting = await store.delete(keyOf(fg), { propagationPolicy: "Foreground" });
        assert.deepEqual(fgDeleting.metadata.finalizers, [FOREGROUND_FINALIZER]);
        assert.ok(fgDeleting.metadata.deletionTimestamp);
        const orphanDeleting = await store.delete(keyOf(orphan), { propagationPolicy: "Orphan" });
        assert.deepEqual(orphanDeleting.metadata.finalizers, [ORPHAN_FINALIZER]);
        const bg = await store.create(app("bg"));
        await store.delete(keyOf(bg), { propagationPolicy: "Background" });
        await assert.rejects(store.get(keyOf(bg)), NotFoundError);
      }));

    test("list filters by namespace, label and field selectors", () =>
      withStore(open, async (store) => {
        await store.create(app("a", { labels: { tier: "web", env: "prod" } }));
        await store.create(app("b", { labels: { tier: "db", env: "prod" } }));
        await store.create(app("c", { labels: { tier: "web" }, namespace: "staging" }));
        await store.create(secret("s", { k: "v" }));
        const names = async (options: Parameters<ResourceStore["list"]>[1]) => (await store.list("App", options)).items.map((o) => o.metadata.name);
        assert.deepEqual(await names({}), ["a", "b", "c"]);
        assert.deepEqual(await names({ namespace: "default" }), ["a", "b"]);
        assert.deepEqual(await names({ labelSelector: "tier=web" }), ["a", "c"]);
        assert.deepEqual(await names({ labelSelector: "tier in (web,db),env" }), ["a", "b"]);
        assert.deepEqual(await names({ labelSelector: "!env" }), ["c"]);
        assert.deepEqual(await names({ fieldSelector: "metadata.name=b" }), ["b"]);
        assert.deepEqual(await names({ fieldSelector: "metadata.namespace!=default" }), ["c"]);
        const listed = await store.list("App");
        assert.equal(listed.resourceVersion, String(store.revision()));
      }));

    test("list pages with limit and continue, without gaps or repeats", () =>
      withStore(open, async (store) => {
        for (let i = 0; i < 7; i++) await store.create(app(`app-${i}`, { labels: { odd: String(i % 2) } }));
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await store.list("App", { limit: 3, ...(token ? { continue: token } : {}) });
          seen.push(...page.items.map((o) => o.metadata.name));
          if (page.continue) assert.equal(page.remainingItemCount, 7 - seen.length);
          token = page.continue;
          pages++;
        } while (token && pages < 10);
        assert.equal(pages, 3);
        assert.deepEqual(seen, Array.from({ length: 7 }, (_, i) => `app-${i}`));
        const odd = await store.list("App", { limit: 2, labelSelector: "odd=1" });
        assert.deepEqual(odd.items.map((o) => o.metadata.name), ["app-1", "app-3"]);
        assert.equal(odd.remainingItemCount, 1);
        await assert.rejects(store.list("App", { continue: "%%%not-a-token" }), ValidationError);
      }));

    test("generateName gives a unique name with the prefix", () =>
      withStore(open, async (store) => {
        const template = app("x");
        delete (template.metadata as { name?: string }).name;
        template.metadata.generateName = "job-";
        const names = new Set<string>();
        for (let i = 0; i < 5; i++) {
          const made = await store.create(structuredClone(template));
          assert.match(made.metadata.name, /^job-[a-z0-9]{5}$/);
          assert.equal(made.metadata.generateName, undefined);
          names.add(made.metadata.name);
        }
        assert.equal(names.size, 5);
      }));

    test("objects returned are deeply frozen", () =>
      withStore(open, async (store) => {
        const web = await store.create(app("web", { labels: { a: "b" } }));
        const got = await store.get(keyOf(web));
        const listed = (await store.list("App")).items[0]!;
        for (const obj of [web, got, listed]) {
          assert.ok(Object.isFrozen(obj) && Object.isFrozen(obj.metadata) && Object.isFrozen(obj.metadata.labels) && Object.isFrozen(obj.spec));
          assert.throws(() => {
            (obj.metadata.labels as Record<string, string>).a = "c";
          }, TypeError);
        }
        assert.deepEqual((await store.get(keyOf(web))).metadata.labels, { a: "b" });
      }));

    watchContract(open);
  });
}
