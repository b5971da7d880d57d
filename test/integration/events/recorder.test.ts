import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { BusEventRecorder, connectBus, JetStreamEventLog, EVENTS_STREAM, type EventBus, type KubeEvent } from "../../../controllers/events/index.ts";
import { startTestNats } from "../../support/nats.ts";
import { createApp, readStream, waitForStream, teardown, type Teardown } from "./fixtures.ts";

async function setup(t: Teardown): Promise<{ bus: EventBus; store: MemoryStore; log: JetStreamEventLog }> {
  const nats = await startTestNats(t);
  const bus = await connectBus({ url: nats.url, logger: silentLogger() });
  t.after(() => bus.close());
  return { bus, store: await MemoryStore.open(), log: new JetStreamEventLog({ connection: bus.connection, logger: silentLogger() }) };
}

test("repeats of an event within ten minutes bump count and lastTimestamp of one event name", async (context) => {
  const t = teardown(context);
  const { bus, store, log } = await setup(t);
  let now = new Date("2026-01-01T10:00:00Z");
  const recorder = new BusEventRecorder({ sink: bus, component: "app-controller", logger: silentLogger(), now: () => now });
  const web = await createApp(store, "web");

  for (let i = 0; i < 5; i++) {
    recorder.record(web, "Warning", "BackOff", "Back-off restarting failed container");
    now = new Date(now.getTime() + 60_000);
  }
  recorder.record(web, "Normal", "Pulled", "Image busybox:latest is present");

  const stored = await waitForStream(bus.connection, EVENTS_STREAM, 6);
  assert.ok(stored.every((m) => m.subject === "berth.events.default.App.web"));
  const events = await log.list({ namespace: "default" });
  assert.equal(events.length, 2);
  const [backOff, pulled] = events as [KubeEvent, KubeEvent];
  assert.match(backOff.metadata.name, /^web\.[0-9a-f]+$/);
  assert.equal(backOff.count, 5);
  assert.equal(backOff.firstTimestamp, "2026-01-01T10:00:00Z");
  assert.equal(backOff.lastTimestamp, "2026-01-01T10:04:00Z");
  assert.deepEqual(backOff.involvedObject, { apiVersion: "berth.dev/v1", kind: "App", name: "web", namespace: "default", uid: web.metadata.uid, resourceVersion: web.metadata.resourceVersion });
  assert.deepEqual(backOff.source, { component: "app-controller" });
  assert.equal(new Set(stored.slice(0, 5).map((m) => (JSON.parse(m.text) as KubeEvent).metadata.name)).size, 1);
  assert.equal(pulled.count, 1);
  assert.notEqual(pulled.metadata.name, backOff.metadata.name);

  // Past the window, the same event starts over under a new name.
  now = new Date(now.getTime() + 11 * 60_000);
  recorder.record(web, "Warning", "BackOff", "Back-off restarting failed container");
  await waitForStream(bus.connection, EVENTS_STREAM, 7);
  const after = await log.list({ namespace: "default", fieldSelector: "reason=BackOff" });
  assert.deepEqual(after.map((e) => e.count), [5, 1]);
  assert.notEqual(after[1]!.metadata.name, backOff.metadata.name);
});

test("a hot loop is rate limited per object, and the held-back count goes out when the limit allows", async (context) => {
  const t = teardown(context);
  const { bus, store, log } = await setup(t);
  const recorder = new BusEventRecorder({ sink: bus, component: "app-controller", logger: silentLogger(), burst: 25, refillMs: 300 });
  t.after(() => recorder.close());
  const web = await createApp(store, "web");
  const api = await createApp(store, "api");

  for (let i = 0; i < 1000; i++) recorder.record(web, "Warning", "Unhealthy", "Readiness probe failed");
  assert.deepEqual(recorder.stats(), { published: 25, deferred: 975, dropped: 0 });
  recorder.record(api, "Normal", "Started", "Started replica 0");
  assert.equal(recorder.stats().published, 26, "another object has its own limit");

  // One token later, the event goes out once more with every repeat counted.
  const stored = await waitForStream(bus.connection, EVENTS_STREAM, 27);
  const last = JSON.parse(stored.at(-1)!.text) as KubeEvent;
  assert.equal(last.count, 1000);
  const [unhealthy] = await log.list({ namespace: "default", fieldSelector: "involvedObject.name=web" });
  assert.equal(unhealthy!.count, 1000);
  assert.equal(recorder.stats().published, 27);
});

test("distinct events beyond the limit wait their turn, and past a bound are dropped and counted", async (context) => {
  const t = teardown(context);
  const { bus, store } = await setup(t);
  const recorder = new BusEventRecorder({ sink: bus, component: "app-controller", logger: silentLogger(), burst: 25, refillMs: 100 });
  t.after(() => recorder.close());
  const web = await createApp(store, "web");

  const start = Date.now();
  for (let i = 0; i < 100; i++) recorder.record(web, "Normal", "Step", `step ${i}`);
  assert.deepEqual(recorder.stats(), { published: 25, deferred: 50, dropped: 25 });
  await waitForStream(bus.connection, EVENTS_STREAM, 25);
  await new Promise((r) => setTimeout(r, 350));
  const [published, elapsed] = [recorder.stats().published, Date.now() - start];
  const expected = Math.floor(elapsed / 100);
  assert.ok(published - 25 >= expected - 2 && published - 25 <= expected + 1, `one more per 100 ms: ${published - 25} in ${elapsed} ms`);
  const messages = (await readStream(bus.connection, EVENTS_STREAM)).map((m) => (JSON.parse(m.text) as KubeEvent).message);
  assert.ok(messages.length >= 25);
  assert.deepEqual(messages, Array.from({ length: messages.length }, (_, i) => `step ${i}`), "in the order recorded");
});

test("record never throws, even for an object it cannot describe", async (context) => {
  const t = teardown(context);
  const { bus } = await setup(t);
  const recorder = new BusEventRecorder({ sink: bus, component: "x", logger: silentLogger() });
  assert.doesNotThrow(() => recorder.record({} as never, "Normal", "Odd", "no metadata"));
  assert.equal(recorder.stats().published, 0);
});
