import { test } from "node:test";
import assert from "node:assert/strict";
import { app, nsPath, withApi } from "./fixtures.ts";
import { ApiMetrics, EARLY_SAMPLES_LIMIT } from "../../../api/metrics.ts";
import { WatchRegistry } from "../../../api/watch-registry.ts";
import { MemoryStore } from "../../../store/index.ts";

test("/metrics exposes requests by verb, resource and code, latency, store revision, objects per kind, watches and memory", async (t) => {
  const { client, api } = await withApi(t);
  await client.post(nsPath("apps"), app("web"));
  await client.get(nsPath("apps", "default", "web"));
  await client.get(nsPath("apps", "default", "nope"));
  const watch = await client.watch(`${nsPath("apps")}?watch=true`);
  t.after(() => watch.close());
  await watch.next();
  const res = await client.get("/metrics");
  assert.equal(res.status, 200);
  assert.match(res.headers["content-type"] ?? "", /^text\/plain/);
  const text = res.text;
  assert.match(text, /berth_api_requests_total\{verb="create",resource="apps",code="201"\} 1/);
  assert.match(text, /berth_api_requests_total\{verb="get",resource="apps",code="200"\} 1/);
  assert.match(text, /berth_api_requests_total\{verb="get",resource="apps",code="404"\} 1/);
  assert.match(text, /berth_api_request_duration_seconds_bucket\{le="0\.1",verb="create",resource="apps"\} 1/);
  assert.match(text, new RegExp(`berth_store_revision ${api.store.revision()}`));
  assert.match(text, /berth_store_objects\{kind="App"\} 1/);
  assert.match(text, /berth_store_objects\{kind="Secret"\} 0/);
  assert.match(text, /berth_api_watches 1/);
  assert.match(text, /process_resident_memory_bytes \d+/);
});

test("/metrics needs a token with a role in every namespace", async (t) => {
  const { client, api } = await withApi(t);
  assert.equal((await client.get("/metrics", { token: null })).status, 401);
  const scoped = client.withToken((await api.tokens.create("scoped", [{ namespace: "prod", role: "admin" }])).token);
  const scraper = client.withToken((await api.tokens.create("prometheus", [{ namespace: "*", role: "viewer" }])).token);
  t.after(() => { scoped.close(); scraper.close(); });
  assert.equal((await scoped.get("/metrics")).status, 403);
  assert.equal((await scraper.get("/metrics")).status, 200);
});

test("requests answered before the metrics library loads are counted once it does, up to a bound", async () => {
  const metrics = new ApiMetrics(await MemoryStore.open(), new WatchRegistry());
  metrics.observe({ verb: "get", resource: "apps", code: 200, seconds: 0.002 });
  metrics.observe({ verb: "watch", resource: "apps", code: 200, seconds: 30 });
  await metrics.load();
  metrics.observe({ verb: "get", resource: "apps", code: 200, seconds: 0.002 });
  const { contentType, text } = await metrics.render();
  assert.match(contentType, /^text\/plain/);
  assert.match(text, /berth_api_requests_total\{verb="get",resource="apps",code="200"\} 2/);
  assert.match(text, /berth_api_requests_total\{verb="watch",resource="apps",code="200"\} 1/);
  assert.match(text, /berth_api_request_duration_seconds_count\{verb="get",resource="apps"\} 2/);
  assert.doesNotMatch(text, /berth_api_request_duration_seconds_count\{verb="watch"/);

  const flooded = new ApiMetrics(await MemoryStore.open(), new WatchRegistry());
  for (let i = 0; i < EARLY_SAMPLES_LIMIT + 5; i++) flooded.observe({ verb: "list", resource: "apps", code: 200, seconds: 0.001 });
  assert.match((await flooded.render()).text, new RegExp(`berth_api_requests_total\\{verb="list",resource="apps",code="200"\\} ${EARLY_SAMPLES_LIMIT}\\b`));
});
