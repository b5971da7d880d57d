import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore, type Persistence } from "../../../store/index.ts";
import { admit } from "../../../resources/index.ts";

test("a failed persistence append rejects the write, is not published, and is reported once", async () => {
  let fail = false;
  const persistence: Persistence = {
    load: async () => ({ revision: 0, objects: [] }),
    append: async () => {
      if (fail) throw new Error("disk on fire");
    },
    close: async () => {},
  };
  const failures: Error[] = [];
  const store = await MemoryStore.open(persistence, { onPersistenceFailure: (e) => failures.push(e) });
  const seen: string[] = [];
  store.watch({ resourceVersion: "1" }, (e) => seen.push(`${e.type} ${e.object.metadata.name}`));
  const app = (name: string) => admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name }, spec: { image: "busybox" } });
  await store.create(app("ok"));
  fail = true;
  await assert.rejects(store.create(app("lost")), /disk on fire/);
  await assert.rejects(store.create(app("lost-too")), /disk on fire/);
  assert.deepEqual(failures.map((e) => e.message), ["disk on fire"]);
  assert.deepEqual(seen, [], "watchers from revision 1 see nothing that was not durable");
  await store.close();
});
