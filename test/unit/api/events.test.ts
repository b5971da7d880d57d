import { test } from "node:test";
import assert from "node:assert/strict";
import type { Resource } from "../../../resources/index.ts";
import { TABLE_ACCEPT, app, nsPath, withApi } from "./fixtures.ts";

test("events are listed under core/v1 and berth.dev/v1, filtered by namespace and involvedObject field selectors", async (t) => {
  const { client, api } = await withApi(t);
  const web = (await client.post(nsPath("apps"), app("web"))).json() as Resource;
  const api2 = (await client.post(nsPath("apps", "prod"), app("api"))).json() as Resource;
  api.eventLog.record(web, "Normal", "RolloutStarted", "revision 1");
  api.eventLog.record(web, "Normal", "RolloutStarted", "revision 1");
  api.eventLog.record(api2, "Warning", "BackOff", "container exited");
  const all = (await client.get("/api/v1/events")).json();
  assert.equal(all.kind, "EventList");
  assert.equal(all.apiVersion, "v1");
  assert.equal(all.items.length, 2);
  assert.equal(all.items.find((e: any) => e.reason === "RolloutStarted").count, 2, "repeats are folded");
  const selector = encodeURIComponent(`involvedObject.name=web,involvedObject.namespace=default,involvedObject.kind=App,involvedObject.uid=${web.metadata.uid}`);
  const described = (await client.get(`/api/v1/namespaces/default/events?fieldSelector=${selector}`)).json();
  assert.deepEqual(described.items.map((e: any) => e.reason), ["RolloutStarted"]);
  const prod = (await client.get("/apis/berth.dev/v1/namespaces/prod/events")).json();
  assert.deepEqual(prod.items.map((e: any) => e.involvedObject.name), ["api"]);
  const table = (await client.get("/api/v1/namespaces/prod/events", { headers: { Accept: TABLE_ACCEPT } })).json();
  assert.equal(table.kind, "Table");
  assert.deepEqual(table.rows[0].cells.slice(1, 5), ["Warning", "BackOff", "app/api", "container exited"]);
});

test("an event watch replays recorded events, then streams new ones and repeats", async (t) => {
  const { client, api } = await withApi(t);
  const web = (await client.post(nsPath("apps"), app("web"))).json() as Resource;
  api.eventLog.record(web, "Normal", "Created", "first");
  const watch = await client.watch("/apis/berth.dev/v1/namespaces/default/events?watch=true");
  t.after(() => watch.close());
  const replayed = await watch.next();
  assert.deepEqual([replayed.type, replayed.object.reason], ["ADDED", "Created"]);
  api.eventLog.record(web, "Warning", "Unhealthy", "probe failed");
  const live = await watch.next();
  assert.deepEqual([live.type, live.object.reason], ["ADDED", "Unhealthy"]);
  api.eventLog.record(web, "Warning", "Unhealthy", "probe failed");
  const repeat = await watch.next();
  assert.deepEqual([repeat.type, repeat.object.count], ["MODIFIED", 2]);
  const other = (await client.post(nsPath("apps", "prod"), app("other"))).json() as Resource;
  api.eventLog.record(other, "Normal", "Created", "elsewhere");
  api.eventLog.record(web, "Normal", "Done", "last");
  assert.equal((await watch.next()).object.reason, "Done", "other namespaces are filtered out");
});

test("events need a role in the namespace", async (t) => {
  const { client, api } = await withApi(t);
  const web = (await client.post(nsPath("apps", "prod"), app("web"))).json() as Resource;
  api.eventLog.record(web, "Normal", "Created", "in prod");
  const dev = client.withToken((await api.tokens.create("dev", [{ namespace: "dev", role: "viewer" }])).token);
  t.after(() => dev.close());
  assert.equal((await dev.get("/api/v1/namespaces/prod/events")).status, 403);
  assert.deepEqual((await dev.get("/api/v1/events")).json().items, [], "cluster-wide lists hide other namespaces");
  assert.equal((await dev.get("/api/v1/namespaces/dev/events")).status, 200);
});
