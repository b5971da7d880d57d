import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import type { Resource } from "../../../resources/index.ts";
import { STORE_DIR, keyOf, openDurableStore, type StoreEvent } from "../../../store/index.ts";
import { readSnapshot } from "../../../store/snapshot.ts";
import { captureLogger } from "./capture-logger.ts";
import { mutable } from "./contract-helpers.ts";
import { app } from "./fixtures.ts";
import { tempDir } from "./temp-dir.ts";

const WRITERS = 16;
const WRITES_EACH = 150;

test("compaction under 16 concurrent writers loses nothing and drops the covered segments", async (t) => {
  const dataDir = await tempDir(t);
  const { logger, lines } = captureLogger();
  const store = await openDurableStore({ dataDir, logger, compactRecords: 200 });
  const events: StoreEvent[] = [];
  const watch = store.watch({ resourceVersion: "0" }, (event) => events.push(event));
  const acked = new Map<string, Resource>();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < WRITES_EACH; i++) {
        const name = `w${w}-${i % 5}`;
        const existing = acked.get(name);
        let written: Resource;
        if (!existing) written = await store.create(app(name, { labels: { writer: String(w) } }));
        else if (i % 7 === 6) {
          await store.delete(keyOf(existing));
          acked.delete(name);
          continue;
        } else {
          const next = mutable(existing);
          next.metadata.labels = { writer: String(w), i: String(i) };
          written = await store.update(next);
        }
        acked.set(name, written);
      }
    }),
  );
  watch.close();
  const revision = store.revision();
  await store.close();

  const compactions = lines.filter((l) => l.msg === "store compacted");
  assert.ok(compactions.length >= 5, `expected several compactions, saw ${compactions.length}`);
  assert.deepEqual(lines.filter((l) => l.level >= 50), [], "no errors logged");
  assert.deepEqual(events.map((e) => e.revision), Array.from({ length: revision }, (_, i) => i + 1), "watchers saw every revision once, in order");
  const dir = path.join(dataDir, STORE_DIR);
  const segments = (await readdir(dir)).filter((n) => n.startsWith("journal-"));
  assert.ok(segments.length <= 2, `old segments are removed (left: ${segments.join(", ")})`);
  const snapshot = await readSnapshot(path.join(dir, "snapshot.json"));
  assert.ok(snapshot.revision > revision / 2, "the snapshot is recent");

  const again = await openDurableStore({ dataDir, logger: captureLogger().logger });
  t.after(() => again.close());
  assert.equal(again.revision(), revision);
  const all = (await again.list("App")).items;
  assert.equal(all.length, acked.size);
  for (const [name, obj] of acked) assert.deepEqual(await again.get({ kind: "App", namespace: "default", name }), obj);
});
