import assert from "node:assert/strict";
import { test } from "node:test";
import { connect } from "nats";
import { admit } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { connectBus, publishStoreChanges, CHANGES_STREAM, type ChangeMessage } from "../../../controllers/events/index.ts";
import { startTestNats } from "../../support/nats.ts";
import { eventually } from "../../support/daemon.ts";
import { createApp, readStream, waitForStream, teardown, type Teardown } from "./fixtures.ts";

test("a store change is published on berth.changes.<ns>.<kind>.<name> with type, revision and object", async (context) => {
  const t = teardown(context);
  const nats = await startTestNats(t);
  const store = await MemoryStore.open();
  const bus = await connectBus({ url: nats.url, logger: silentLogger() });
  t.after(() => bus.close());
  const watch = publishStoreChanges(store, bus);
  t.after(() => watch.close());

  const created = await createApp(store, "web");
  const updated = await store.update({ ...structuredClone(created), spec: { ...(created.spec as object), replicas: 3 } });
  await store.delete({ kind: "App", namespace: "default", name: "web" });

  const stored = await waitForStream(bus.connection, CHANGES_STREAM, 3);
  assert.deepEqual(stored.map((m) => m.subject), ["berth.changes.default.App.web", "berth.changes.default.App.web", "berth.changes.default.App.web"]);
  const payloads = stored.map((m) => JSON.parse(m.text) as ChangeMessage);
  assert.deepEqual(payloads.map((p) => [p.type, p.revision]), [["ADDED", 1], ["MODIFIED", 2], ["DELETED", 3]]);
  assert.deepEqual(payloads[0]!.object, JSON.parse(JSON.stringify(created)));
  assert.deepEqual(payloads[1]!.object, JSON.parse(JSON.stringify(updated)));
  assert.equal(payloads[2]!.object.metadata.resourceVersion, "3");
  assert.deepEqual(bus.stats(), { queued: 0, published: 3, dropped: 0, retries: 0, connected: true });
});

test("a Secret's values never appear on the bus, not even in kubectl's last-applied annotation", async (context) => {
  const t = teardown(context);
  const nats = await startTestNats(t);
  const store = await MemoryStore.open();
  const bus = await connectBus({ url: nats.url, logger: silentLogger() });
  t.after(() => bus.close());
  t.after(publishStoreChanges(store, bus).close);
  const observer = await connect({ servers: nats.url });
  t.after(() => observer.close());
  const seen: string[] = [];
  const sub = observer.subscribe("berth.>", { callback: (_err, m) => seen.push(m.subject + " " + m.string()) });
  await observer.flush();

  const value = "hunter2-correct-horse-battery";
  const manifest = { apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: "db-creds", namespace: "default" }, stringData: { password: value } };
  const secret = await store.create(admit({
    ...manifest,
    metadata: { ...manifest.metadata, annotations: { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(manifest), team: "core" } },
  }));
  await store.update({ ...structuredClone(secret), data: { password: Buffer.from(`${value}-2`).toString("base64") } });
  await store.delete({ kind: "Secret", namespace: "default", name: "db-creds" });

  const stored = await waitForStream(bus.connection, CHANGES_STREAM, 3);
  await eventually(() => seen.length === 3, { what: "three messages seen by a subscriber" });
  sub.unsubscribe();

  const forbidden = [value, Buffer.from(value).toString("base64"), Buffer.from(`${value}-2`).toString("base64"), "hunter2"];
  for (const text of [...stored.map((m) => m.text), ...seen])
    for (const needle of forbidden) assert.ok(!text.includes(needle), `the bus carried a Secret value: ${text}`);
  const first = JSON.parse(stored[0]!.text) as ChangeMessage;
  assert.equal(first.object.kind, "Secret");
  assert.equal(first.object.data, undefined);
  assert.deepEqual(first.object.metadata.annotations, { team: "core" });
  assert.equal(first.object.metadata.name, "db-creds");
});

test("changes made while NATS is down are all stored, in order and once, when it comes back", async (context) => {
  const t = teardown(context);
  const nats = await startTestNats(t);
  const store = await MemoryStore.open();
  const bus = await connectBus({ url: nats.url, logger: silentLogger(), ackTimeoutMs: 1000 });
  t.after(() => bus.close());
  t.after(publishStoreChanges(store, bus).close);

  await nats.stop();
  await eventually(() => !bus.stats().connected, { what: "the bus to notice the outage" });
  for (let i = 0; i < 50; i++) await createApp(store, `app-${i}`);
  assert.equal(bus.stats().queued, 50);

  await nats.start();
  await eventually(() => bus.stats().queued === 0, { timeoutMs: 20_000, what: "the queue to drain after the restart" });
  const stored = await readStream(bus.connection, CHANGES_STREAM);
  assert.deepEqual(stored.map((m) => (JSON.parse(m.text) as ChangeMessage).revision), Array.from({ length: 50 }, (_, i) => i + 1));
  assert.deepEqual(stored.map((m) => m.subject), Array.from({ length: 50 }, (_, i) => `berth.changes.default.App.app-${i}`));
  assert.equal(bus.stats().published, 50);
  assert.equal(bus.stats().dropped, 0);
});

test("the queue is bounded while NATS is down: what does not fit is dropped and counted", async (context) => {
  const t = teardown(context);
  const nats = await startTestNats(t);
  const store = await MemoryStore.open();
  const bus = await connectBus({ url: nats.url, logger: silentLogger(), maxQueue: 10, ackTimeoutMs: 1000 });
  t.after(() => bus.close());
  t.after(publishStoreChanges(store, bus).close);

  await nats.stop();
  await eventually(() => !bus.stats().connected, { what: "the bus to notice the outage" });
  for (let i = 0; i < 25; i++) await createApp(store, `app-${i}`);
  assert.deepEqual({ queued: bus.stats().queued, dropped: bus.stats().dropped }, { queued: 10, dropped: 15 });

  await nats.start();
  await eventually(() => bus.stats().queued === 0, { timeoutMs: 20_000, what: "the queue to drain" });
  const stored = await readStream(bus.connection, CHANGES_STREAM);
  assert.deepEqual(stored.map((m) => (JSON.parse(m.text) as ChangeMessage).revision), Array.from({ length: 10 }, (_, i) => i + 1));
});

test("close() waits until queued messages are stored", async (context) => {
  const t = teardown(context);
  const nats = await startTestNats(t);
  const store = await MemoryStore.open();
  const bus = await connectBus({ url: nats.url, logger: silentLogger() });
  const watch = publishStoreChanges(store, bus);
  for (let i = 0; i < 200; i++) await createApp(store, `app-${i}`);
  watch.close();
  await bus.close();

  const reader = await connect({ servers: nats.url });
  t.after(() => reader.close());
  assert.equal((await readStream(reader, CHANGES_STREAM)).length, 200);
});

test("connectBus fails with EventBusUnavailableError, within its timeout, when NATS cannot be reached", async (context) => {
  const t = teardown(context);
  const nats = await startTestNats(t);
  await nats.stop();
  const started = Date.now();
  await assert.rejects(connectBus({ url: nats.url, logger: silentLogger(), connectTimeoutMs: 1500 }), { name: "EventBusUnavailableError" });
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});
