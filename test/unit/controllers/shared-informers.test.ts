import { test } from "node:test";
import assert from "node:assert/strict";
import { admit } from "../../../resources/index.ts";
import { MemoryStore, type ResourceStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { InvalidStateError, Manager, SharedInformers } from "../../../controllers/runtime/index.ts";
import { createGarbageCollector } from "../../../controllers/gc/index.ts";
import { createGeneratedDomainController } from "../../../controllers/generated-domain/index.ts";
import { eventually } from "./support.ts";

/** countingLists wraps a store and counts its list calls per kind. */
function countingLists(store: ResourceStore): { store: ResourceStore; lists: Map<string, number> } {
  const lists = new Map<string, number>();
  const wrapped = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property === "list") {
        return (kind: string, ...rest: unknown[]) => {
          lists.set(kind, (lists.get(kind) ?? 0) + 1);
          return (value as (...args: unknown[]) => unknown).call(target, kind, ...rest);
        };
      }
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, lists };
}

test("controllers given SharedInformers list and cache each kind once, and each sees every change", async (t) => {
  const memory = await MemoryStore.open();
  const { store, lists } = countingLists(memory);
  await store.create(admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web" }, spec: { image: "x:1", port: 80 } }));
  const informers = new SharedInformers(store);
  assert.equal(informers.get("App"), informers.get("App"), "one informer per kind");
  const manager = new Manager({ store, logger: silentLogger() });
  manager.add(createGarbageCollector(store, silentLogger(), { informers }));
  manager.add(createGeneratedDomainController({ store, logger: silentLogger(), informers, generate: { baseDomain: "apps.test", tls: "none" } }));
  await manager.start();
  t.after(() => manager.stop());
  assert.deepEqual([...lists.values()], [1, 1, 1, 1, 1, 1], `one list per kind: ${JSON.stringify([...lists])}`);

  // Both controllers act on the shared caches: the generated Domain appears, and the collector deletes it with its App.
  const generated = { kind: "Domain", namespace: "default", name: "web-generated" };
  await eventually(() => store.get(generated));
  await store.delete({ kind: "App", namespace: "default", name: "web" });
  await eventually(() => assert.rejects(store.get(generated)));
});

test("a second index of one name on an informer is refused, so controllers sharing it cannot replace each other's", async () => {
  const informers = new SharedInformers(await MemoryStore.open());
  informers.get("Domain").addIndex("by-app", () => []);
  assert.throws(() => informers.get("Domain").addIndex("by-app", () => []), InvalidStateError);
});
