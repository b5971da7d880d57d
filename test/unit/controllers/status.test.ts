import { test } from "node:test";
import assert from "node:assert/strict";
import { ConflictError, NotFoundError } from "../../../resources/index.ts";
import { MemoryStore, type StoreEvent } from "../../../store/index.ts";
import { ensureFinalizer, getCondition, removeCondition, removeFinalizer, setCondition, writeStatus } from "../../../controllers/runtime/index.ts";
import { secret, settle, LIMIT } from "./support.ts";

const t0 = new Date("2026-03-01T10:00:00Z");
const t1 = new Date("2026-03-01T10:05:00Z");
const t2 = new Date("2026-03-01T10:09:00Z");

test("setCondition moves lastTransitionTime only when the status flips", LIMIT, () => {
  const first = setCondition(undefined, { type: "Ready", status: "False", reason: "Pulling", message: "pulling nginx" }, 1, t0);
  assert.deepEqual(first.conditions, [{ type: "Ready", status: "False", reason: "Pulling", message: "pulling nginx", lastTransitionTime: "2026-03-01T10:00:00Z", observedGeneration: 1 }]);
  const same = setCondition(first, { type: "Ready", status: "False", reason: "Starting" }, 2, t1);
  assert.equal(getCondition(same, "Ready")?.lastTransitionTime, "2026-03-01T10:00:00Z");
  assert.equal(getCondition(same, "Ready")?.reason, "Starting");
  assert.equal(getCondition(same, "Ready")?.message, "");
  assert.equal(getCondition(same, "Ready")?.observedGeneration, 2);
  const flipped = setCondition(same, { type: "Ready", status: "True", reason: "Running" }, 2, t2);
  assert.equal(getCondition(flipped, "Ready")?.lastTransitionTime, "2026-03-01T10:09:00Z");
  const two = setCondition(flipped, { type: "Degraded", status: "False", reason: "AsExpected" }, 2, t2);
  assert.deepEqual(two.conditions?.map((c) => c.type), ["Ready", "Degraded"], "conditions keep their order, one per type");
  assert.equal(first.conditions?.length, 1, "the input is not mutated");
  assert.deepEqual(removeCondition(two, "Ready").conditions?.map((c) => c.type), ["Degraded"]);
  assert.equal(removeCondition(removeCondition(two, "Ready"), "Degraded").conditions, undefined);
  assert.equal(removeCondition(two, "Absent"), two);
});

test("writeStatus writes a change and skips a no-op: no revision bump, no watch event", LIMIT, async () => {
  const store = await MemoryStore.open();
  const created = await store.create(secret("a"));
  const events: StoreEvent[] = [];
  store.watch({ kind: "Secret", resourceVersion: created.metadata.resourceVersion! }, (e) => events.push(e));
  const ready = (now: Date) => (status: Parameters<typeof setCondition>[0], latest: { metadata: { generation?: number } }) => ({
    ...setCondition(status, { type: "Ready", status: "True", reason: "Running" }, latest.metadata.generation, now),
    observedGeneration: latest.metadata.generation!,
  });
  const written = await writeStatus(store, created, ready(t0));
  assert.notEqual(written.metadata.resourceVersion, created.metadata.resourceVersion);
  const revision = store.revision();
  const again = await writeStatus(store, created, ready(t1));
  assert.equal(again.metadata.resourceVersion, written.metadata.resourceVersion, "RV unchanged");
  assert.equal(store.revision(), revision, "no revision spent");
  assert.equal(getCondition(again.status, "Ready")?.lastTransitionTime, "2026-03-01T10:00:00Z");
  const inPlace = await writeStatus(store, { kind: "Secret", namespace: "default", name: "a" }, (status) => {
    status.observedGeneration = 1;
  });
  assert.equal(inPlace.metadata.resourceVersion, written.metadata.resourceVersion, "an in-place mutation that changes nothing is a no-op too");
  const undefinedKey = await writeStatus(store, created, (status) => ({ ...status, url: undefined }));
  assert.equal(undefinedKey.metadata.resourceVersion, written.metadata.resourceVersion, "a key set to undefined counts as absent");
  await settle();
  assert.equal(events.length, 1, "only the real change was published");
  await assert.rejects(writeStatus(store, { kind: "Secret", namespace: "default", name: "missing" }, () => {}), NotFoundError);
});

test("writeStatus re-reads and retries when another writer got in first", LIMIT, async () => {
  const store = await MemoryStore.open();
  const created = await store.create(secret("a"));
  let calls = 0;
  let racing: Promise<unknown> | undefined;
  const written = await writeStatus(store, created, (status, latest) => {
    calls++;
    // A concurrent writer: its update commits after this read and before the status write lands.
    if (calls === 1) racing = store.update({ ...latest, metadata: { ...latest.metadata, labels: { touched: "yes" } } });
    return { ...status, observedGeneration: latest.metadata.generation! };
  });
  assert.equal(calls, 2);
  assert.equal(written.status?.observedGeneration, 1);
  await racing;
  assert.equal(written.metadata.labels?.touched, "yes", "the retry started from the newer object");
});

test("writeStatus gives up with ConflictError after its attempts", LIMIT, async () => {
  const store = await MemoryStore.open();
  const created = await store.create(secret("a"));
  let calls = 0;
  const racing: Array<Promise<unknown>> = [];
  await assert.rejects(
    writeStatus(store, created, (status, latest) => {
      calls++;
      racing.push(store.update({ ...latest, metadata: { ...latest.metadata, labels: { n: String(calls) } } }));
      return { ...status, observedGeneration: 7 };
    }, 3),
    ConflictError,
  );
  assert.equal(calls, 3);
  await Promise.all(racing);
});

test("ensureFinalizer and removeFinalizer are idempotent; removing the last finalizer of a deleting object removes it", LIMIT, async () => {
  const store = await MemoryStore.open();
  const created = await store.create(secret("a"));
  const withOne = await ensureFinalizer(store, created, "berth.dev/cleanup");
  assert.deepEqual(withOne.metadata.finalizers, ["berth.dev/cleanup"]);
  const same = await ensureFinalizer(store, withOne, "berth.dev/cleanup");
  assert.equal(same.metadata.resourceVersion, withOne.metadata.resourceVersion);
  const withTwo = await ensureFinalizer(store, created, "berth.dev/volumes");
  assert.deepEqual(withTwo.metadata.finalizers, ["berth.dev/cleanup", "berth.dev/volumes"]);
  const deleting = await store.delete({ kind: "Secret", namespace: "default", name: "a" });
  assert.ok(deleting.metadata.deletionTimestamp);
  const notAdded = await ensureFinalizer(store, deleting, "berth.dev/late");
  assert.deepEqual(notAdded.metadata.finalizers, ["berth.dev/cleanup", "berth.dev/volumes"], "no finalizer is added while deleting");
  const one = await removeFinalizer(store, deleting, "berth.dev/cleanup");
  assert.deepEqual(one?.metadata.finalizers, ["berth.dev/volumes"]);
  assert.equal(await removeFinalizer(store, deleting, "berth.dev/volumes"), undefined);
  await assert.rejects(store.get({ kind: "Secret", namespace: "default", name: "a" }), NotFoundError);
  assert.equal(await removeFinalizer(store, deleting, "berth.dev/volumes"), undefined, "gone already: nothing to do");
});
