import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { BusEventRecorder, connectBus, JetStreamEventLog, EVENTS_STREAM, type KubeEvent } from "../../../controllers/events/index.ts";
import { startTestNats } from "../../support/nats.ts";
import { eventually } from "../../support/daemon.ts";
import { createApp, createDatabase, waitForStream, teardown, type Teardown } from "./fixtures.ts";

test("EventLog lists recent events oldest first, folded by name, filtered by namespace and field selectors", async (context) => {
  const t = teardown(context);
  const nats = await startTestNats(t);
  const bus = await connectBus({ url: nats.url, logger: silentLogger() });
  t.after(() => bus.close());
  const store = await MemoryStore.open();
  const recorder = new BusEventRecorder({ sink: bus, component: "controllers", logger: silentLogger() });
  const log = new JetStreamEventLog({ connection: bus.connection, logger: silentLogger() });
  const web = await createApp(store, "web");
  const api = await createApp(store, "api");
  const db = await createDatabase(store, "db", "prod");

  recorder.record(web, "Normal", "Scheduled", "Started replica web-0");
  recorder.record(api, "Warning", "Failed", "Image pull failed");
  recorder.record(db, "Normal", "Created", "Created volume");
  recorder.record(web, "Normal", "Scheduled", "Started replica web-0");
  await waitForStream(bus.connection, EVENTS_STREAM, 4);

  const names = (events: KubeEvent[]) => events.map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}/${e.reason}/${e.count}`);
  // web's event moved to the end: its latest state is the newest message.
  assert.deepEqual(names(await log.list({ namespace: "default" })), ["App/api/Failed/1", "App/web/Scheduled/2"]);
  assert.deepEqual(names(await log.list({})), ["App/api/Failed/1", "Database/db/Created/1", "App/web/Scheduled/2"]);
  assert.deepEqual(names(await log.list({ namespace: "prod" })), ["Database/db/Created/1"]);
  assert.deepEqual(names(await log.list({ fieldSelector: "involvedObject.name=web" })), ["App/web/Scheduled/2"]);
  assert.deepEqual(names(await log.list({ fieldSelector: "involvedObject.kind=Database" })), ["Database/db/Created/1"]);
  assert.deepEqual(names(await log.list({ fieldSelector: "involvedObject.namespace=prod" })), ["Database/db/Created/1"]);
  assert.deepEqual(names(await log.list({ fieldSelector: `involvedObject.uid=${api.metadata.uid}` })), ["App/api/Failed/1"]);
  assert.deepEqual(names(await log.list({ fieldSelector: "type=Warning" })), ["App/api/Failed/1"]);
  assert.deepEqual(names(await log.list({ fieldSelector: "type!=Warning,reason=Scheduled" })), ["App/web/Scheduled/2"]);
  assert.deepEqual(names(await log.list({ namespace: "default", fieldSelector: "involvedObject.kind=App,involvedObject.name==api,reason=Failed" })), ["App/api/Failed/1"]);
  assert.deepEqual(await log.list({ namespace: "staging" }), []);

  const [first, second] = await log.list({ namespace: "default" });
  assert.equal(first!.metadata.resourceVersion, "2", "resourceVersion is the stream sequence of the latest state");
  assert.equal(second!.metadata.resourceVersion, "4");

  await assert.rejects(log.list({ fieldSelector: "spec.image=busybox" }), { name: "BadRequestError" });
  await assert.rejects(log.list({ fieldSelector: "type" }), { name: "BadRequestError" });
  assert.throws(() => log.watch({ fieldSelector: "metadata.labels=x" }, () => undefined), { name: "BadRequestError" });
});

test("EventLog keeps only the most recent events up to its limit", async (context) => {
  const t = teardown(context);
  const nats = await startTestNats(t);
  const bus = await connectBus({ url: nats.url, logger: silentLogger() });
  t.after(() => bus.close());
  const store = await MemoryStore.open();
  const recorder = new BusEventRecorder({ sink: bus, component: "controllers", logger: silentLogger() });
  const web = await createApp(store, "web");
  for (let i = 0; i < 10; i++) recorder.record(web, "Normal", "Step", `step ${i}`);
  await waitForStream(bus.connection, EVENTS_STREAM, 10);

  const log = new JetStreamEventLog({ connection: bus.connection, logger: silentLogger(), limit: 3 });
  assert.deepEqual((await log.list({})).map((e) => e.message), ["step 7", "step 8", "step 9"]);
  const narrow = new JetStreamEventLog({ connection: bus.connection, logger: silentLogger(), scanLimit: 4 });
  assert.deepEqual((await narrow.list({})).map((e) => e.message), ["step 6", "step 7", "step 8", "step 9"]);
});

test("EventLog.watch delivers events recorded after it started, filtered, until closed", async (context) => {
  const t = teardown(context);
  const nats = await startTestNats(t);
  const bus = await connectBus({ url: nats.url, logger: silentLogger() });
  t.after(() => bus.close());
  const store = await MemoryStore.open();
  const recorder = new BusEventRecorder({ sink: bus, component: "controllers", logger: silentLogger() });
  const log = new JetStreamEventLog({ connection: bus.connection, logger: silentLogger() });
  const web = await createApp(store, "web");
  const api = await createApp(store, "api");
  const db = await createDatabase(store, "db", "prod");

  recorder.record(web, "Normal", "Before", "recorded before the watch");
  await waitForStream(bus.connection, EVENTS_STREAM, 1);
  await new Promise((r) => setTimeout(r, 20));

  const seen: KubeEvent[] = [];
  const all: KubeEvent[] = [];
  const watch = log.watch({ namespace: "default", fieldSelector: "involvedObject.name=web" }, (e) => seen.push(e));
  const everything = log.watch({}, (e) => all.push(e));
  t.after(() => everything.close());
  recorder.record(web, "Normal", "Scaled", "Scaled to 2 replicas");
  recorder.record(api, "Normal", "Scaled", "Scaled to 1 replica");
  recorder.record(db, "Normal", "Created", "Created volume");
  recorder.record(web, "Normal", "Scaled", "Scaled to 2 replicas");

  await eventually(() => seen.length === 2 && all.length === 4, { what: "watch deliveries" });
  assert.deepEqual(seen.map((e) => [e.reason, e.count]), [["Scaled", 1], ["Scaled", 2]]);
  assert.equal(seen[0]!.metadata.name, seen[1]!.metadata.name);
  assert.ok(Number(seen[1]!.metadata.resourceVersion) > Number(seen[0]!.metadata.resourceVersion));
  assert.deepEqual(all.map((e) => e.involvedObject.name), ["web", "api", "db", "web"]);

  watch.close();
  recorder.record(web, "Warning", "Late", "after close");
  await eventually(() => all.length === 5, { what: "the open watch to see the late event" });
  assert.equal(seen.length, 2, "a closed watch delivers nothing more");
});
