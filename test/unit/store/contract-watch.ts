import assert from "node:assert/strict";
import { test } from "node:test";
import { ExpiredError } from "../../../resources/index.ts";
import { keyOf } from "../../../store/index.ts";
import { mutable, record, withStore, type OpenStore } from "./contract-helpers.ts";
import { app } from "./fixtures.ts";

/** watchContract is the watch half of the store contract: synthetic ADDED, exact replay, selectors, expiry. */
export function watchContract(open: OpenStore): void {
  test("watch from 0 sends a synthetic ADDED per object, then live changes", () =>
    withStore(open, async (store) => {
      const a = await store.create(app("a"));
      await store.create(app("b"));
      await store.create(app("other", { namespace: "staging" }));
      const watch = record(store, { kind: "App", namespace: "default", resourceVersion: "0" });
      assert.deepEqual(watch.events.map((e) => [e.type, e.object.metadata.name]).sort(), [["ADDED", "a"], ["ADDED", "b"]]);
      const changed = mutable(a);
      changed.metadata.labels = { x: "y" };
      await store.update(changed);
      await store.delete(keyOf(a));
      await store.create(app("late", { namespace: "staging" }));
      assert.deepEqual(watch.events.slice(2).map((e) => [e.type, e.object.metadata.name]), [["MODIFIED", "a"], ["DELETED", "a"]]);
      const deleted = watch.events[3]!;
      assert.equal(deleted.object.metadata.resourceVersion, String(deleted.revision), "DELETED carries the deleting revision");
      watch.close();
    }));

  test("watch from N replays exactly the changes after N, in order, with no duplicates", () =>
    withStore(open, async (store) => {
      const a = await store.create(app("a"));
      const from = store.revision();
      const b = await store.create(app("b"));
      const changed = mutable(b);
      changed.metadata.labels = { v: "2" };
      await store.update(changed);
      await store.delete(keyOf(a));
      const watch = record(store, { kind: "App", resourceVersion: String(from) });
      const replayed = watch.events.map((e) => [e.type, e.object.metadata.name, e.revision]);
      assert.deepEqual(replayed, [["ADDED", "b", from + 1], ["MODIFIED", "b", from + 2], ["DELETED", "a", from + 3]]);
      await store.create(app("c"));
      assert.deepEqual(watch.events.map((e) => e.revision), [from + 1, from + 2, from + 3, from + 4]);
      watch.close();
      const current = record(store, { kind: "App", resourceVersion: String(store.revision()) });
      assert.deepEqual(current.events, [], "nothing to replay from the current revision");
      current.close();
    }));

  test("a selector watch turns MODIFIED into ADDED or DELETED as an object starts or stops matching", () =>
    withStore(open, async (store) => {
      const web = await store.create(app("web", { labels: { tier: "db" } }));
      const watch = record(store, { kind: "App", labelSelector: "tier=web", resourceVersion: String(store.revision()) });
      const start = mutable(web);
      start.metadata.labels = { tier: "web" };
      const matching = await store.update(start);
      const touch = mutable(matching);
      touch.metadata.annotations = { touched: "yes" };
      const touched = await store.update(touch);
      const stop = mutable(touched);
      stop.metadata.labels = { tier: "db" };
      const stopped = await store.update(stop);
      const unrelated = mutable(stopped);
      unrelated.metadata.annotations = { touched: "again" };
      await store.update(unrelated);
      assert.deepEqual(watch.events.map((e) => e.type), ["ADDED", "MODIFIED", "DELETED"]);
      assert.equal(watch.events[2]!.object.metadata.labels?.tier, "db");
      watch.close();
    }));

  test("a watch from a revision older than the history kept is Expired (410)", () =>
    withStore(
      open,
      async (store) => {
        const first = await store.create(app("web"));
        for (let i = 0; i < 12; i++) {
          const next = mutable(await store.get(keyOf(first)));
          next.metadata.labels = { i: String(i) };
          await store.update(next);
        }
        assert.throws(() => store.watch({ resourceVersion: first.metadata.resourceVersion! }, () => undefined), ExpiredError);
        const recent = record(store, { resourceVersion: String(store.revision() - 2) });
        assert.equal(recent.events.length, 2);
        recent.close();
        assert.throws(() => store.watch({ resourceVersion: "not-a-number" }, () => undefined), ExpiredError);
      },
      { historyLimit: 5 },
    ));

  test("close stops delivery", () =>
    withStore(open, async (store) => {
      const watch = record(store, { resourceVersion: "0" });
      watch.close();
      await store.create(app("web"));
      assert.deepEqual(watch.events, []);
    }));
}
