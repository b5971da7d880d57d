import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import type { Resource } from "../../../resources/index.ts";
import { startCliApi, type CliApi } from "../../support/run-cli.ts";

let api: CliApi;
before(async () => {
  api = await startCliApi();
  await api.seed({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web", labels: { tier: "front" } }, spec: { image: "nginx:1.27", replicas: 2 } });
  await api.seed({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "api", labels: { tier: "back" } }, spec: { image: "api:3" } });
  await api.seed({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "worker", namespace: "prod" }, spec: { image: "worker:1" } });
  await api.seed({ apiVersion: "berth.dev/v1", kind: "Database", metadata: { name: "main" }, spec: { engine: "postgres", version: "16" } });
});
after(() => api.close());

const lines = (text: string) => text.trimEnd().split("\n");

test("get prints kubectl's table: upper-case headers, padded columns, rows sorted by name", async () => {
  const result = await api.run(["get", "apps"]);
  assert.equal(result.code, 0, result.stderr);
  const [header, ...rows] = lines(result.stdout);
  assert.match(header!, /^NAME {3}READY {5}REPLICAS {3}IMAGE {8}URL {6}AGE$/);
  assert.match(rows[0]!, /^api {4}Unknown {3}0\/1 {8}api:3 {8}<none> {3}\d+s$/);
  assert.match(rows[1]!, /^web {4}Unknown {3}0\/2 {8}nginx:1\.27 {3}<none> {3}\d+s$/);
  assert.equal(rows.length, 2);
  const wide = await api.run(["get", "app", "web", "-o", "wide"]);
  assert.match(lines(wide.stdout)[0]!, /^NAME +READY +REPLICAS +IMAGE +URL +AGE +REVISION +PROGRESSING +REASON$/);
});

test("-o name, -o json and -o yaml print whole objects; -l filters by label", async () => {
  assert.equal((await api.run(["get", "apps", "-o", "name"])).stdout, "app.berth.dev/api\napp.berth.dev/web\n");
  assert.equal((await api.run(["get", "apps", "-l", "tier=front", "-o", "name"])).stdout, "app.berth.dev/web\n");
  assert.equal((await api.run(["get", "apps", "-l", "tier!=front", "-o", "name"])).stdout, "app.berth.dev/api\n");
  const json = JSON.parse((await api.run(["get", "app/web", "-o", "json"])).stdout) as Resource;
  assert.equal(json.kind, "App");
  assert.equal(json.metadata.name, "web");
  assert.equal((json.spec as { replicas: number }).replicas, 2);
  const list = parse((await api.run(["get", "db", "-o", "yaml"])).stdout) as { kind: string; items: Resource[] };
  assert.equal(list.kind, "List");
  assert.deepEqual(list.items.map((i) => i.metadata.name), ["main"]);
});

test("-n and -A choose namespaces; an empty namespace says so on stderr", async () => {
  assert.equal((await api.run(["get", "apps", "-n", "prod", "-o", "name"])).stdout, "app.berth.dev/worker\n");
  const all = await api.run(["get", "apps", "-A"]);
  assert.match(lines(all.stdout)[0]!, /^NAMESPACE {3}NAME {5}READY/);
  assert.deepEqual(lines(all.stdout).slice(1).map((l) => l.split(/ +/).slice(0, 2).join("/")), ["default/api", "default/web", "prod/worker"]);
  const empty = await api.run(["get", "domains", "-n", "nowhere"]);
  assert.deepEqual([empty.code, empty.stdout, empty.stderr], [0, "", "No resources found in nowhere namespace.\n"]);
});

test("get all lists every kind that has objects, names prefixed with their type", async () => {
  const result = await api.run(["get", "all"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^NAME +READY +REPLICAS +IMAGE +URL +AGE\napp\.berth\.dev\/api +/);
  assert.match(result.stdout, /\n\nNAME +READY +ENGINE +AGE\ndatabase\.berth\.dev\/main +Unknown +postgres:16 +\d+s\n$/);
});

test("get apps,databases lists each kind in a table of its own; names are looked up in each kind", async () => {
  const result = await api.run(["get", "apps,db"]);
  assert.equal(result.code, 0, result.stderr);
  const [apps, databases] = result.stdout.split("\n\n");
  assert.deepEqual(lines(apps!).map((l) => l.split(/ +/)[0]), ["NAME", "app.berth.dev/api", "app.berth.dev/web"]);
  assert.match(databases!, /^NAME +READY +ENGINE +AGE\ndatabase\.berth\.dev\/main +Unknown +postgres:16 +\d+s\n$/);
  assert.equal((await api.run(["get", "apps,apps", "-o", "name"])).stdout, "app.berth.dev/api\napp.berth.dev/web\n");
  const named = await api.run(["get", "apps,databases", "main", "-o", "name"]);
  assert.deepEqual([named.code, named.stdout, named.stderr], [1, "database.berth.dev/main\n", 'Error from server (NotFound): apps.berth.dev "main" not found\n']);
  const unknown = await api.run(["get", "apps,pods"]);
  assert.deepEqual([unknown.code, unknown.stderr], [1, 'error: the server doesn\'t have a resource type "pods"\n']);
});

test("a missing object or kind is one error line and exit 1", async () => {
  const missing = await api.run(["get", "app", "nope"]);
  assert.deepEqual([missing.code, missing.stderr], [1, 'Error from server (NotFound): apps.berth.dev "nope" not found\n']);
  const kind = await api.run(["get", "pods"]);
  assert.deepEqual([kind.code, kind.stderr], [1, 'error: the server doesn\'t have a resource type "pods"\n']);
  const denied = await api.run(["get", "apps"], { env: { BERTH_TOKEN: "berth_wrong" } });
  assert.deepEqual([denied.code, denied.stderr], [1, "error: You must be logged in to the server (Unauthorized)\n"]);
});

test("get -w prints the listing, then a row per change", async () => {
  const watch = api.spawn(["get", "apps", "-w"]);
  await watch.waitFor(/^NAME.*\napi .*\nweb .*\n$/);
  const live = structuredClone(await api.store.get({ kind: "App", namespace: "default", name: "web" }));
  live.status = { readyReplicas: 2, conditions: [{ type: "Ready", status: "True", reason: "ReplicasReady", message: "", lastTransitionTime: new Date().toISOString() }] };
  await api.store.updateStatus(live);
  const output = await watch.waitFor(/\nweb +True +2\/2 +nginx:1\.27 +<none> +\d+s\n$/);
  const header = lines(output)[0]!;
  assert.equal(lines(output).at(-1)!.indexOf("True"), header.indexOf("READY"), "watch rows line up under the header");

  const named = api.spawn(["get", "app", "api", "-w", "-o", "name"]);
  await named.waitFor(/^app\.berth\.dev\/api\n$/);
  await api.store.delete({ kind: "App", namespace: "default", name: "api" });
  await named.waitFor(/^app\.berth\.dev\/api\napp\.berth\.dev\/api\n$/);
  watch.stop();
  named.stop();
});
