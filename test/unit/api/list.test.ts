import { test } from "node:test";
import assert from "node:assert/strict";
import { TABLE_ACCEPT, app, nsPath, withApi } from "./fixtures.ts";

test("lists filter by labelSelector and fieldSelector, and carry the list resourceVersion", async (t) => {
  const { client, api } = await withApi(t);
  await client.post(nsPath("apps"), app("a", {}, { labels: { tier: "web", env: "prod" } }));
  await client.post(nsPath("apps"), app("b", {}, { labels: { tier: "web" } }));
  await client.post(nsPath("apps"), app("c", {}, { labels: { tier: "db" } }));
  const names = async (query: string) => (await client.get(`${nsPath("apps")}?${query}`)).json().items.map((o: any) => o.metadata.name);
  assert.deepEqual(await names("labelSelector=tier%3Dweb"), ["a", "b"]);
  assert.deepEqual(await names("labelSelector=tier%20in%20(db)"), ["c"]);
  assert.deepEqual(await names("labelSelector=tier%3Dweb%2C!env"), ["b"]);
  assert.deepEqual(await names("fieldSelector=metadata.name%3Db"), ["b"]);
  assert.deepEqual(await names("fieldSelector=metadata.namespace%3Ddefault%2Cmetadata.name!%3Da"), ["b", "c"]);
  const list = (await client.get(`${nsPath("apps")}?limit=500`)).json();
  assert.equal(list.kind, "AppList");
  assert.equal(list.apiVersion, "berth.dev/v1");
  assert.equal(list.metadata.resourceVersion, String(api.store.revision()));
  const bad = await client.get(`${nsPath("apps")}?labelSelector=${encodeURIComponent("a in (b")}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json().reason, "BadRequest");
  assert.equal((await client.get(`${nsPath("apps")}?limit=-3`)).status, 400);
});

test("limit and continue page through a list; a bad continue token is 410 Expired", async (t) => {
  const { client } = await withApi(t);
  for (const name of ["a", "b", "c", "d", "e"]) await client.post(nsPath("apps"), app(name));
  const seen: string[] = [];
  let token = "";
  for (let page = 0; page < 5; page++) {
    const res = (await client.get(`${nsPath("apps")}?limit=2${token ? `&continue=${encodeURIComponent(token)}` : ""}`)).json();
    seen.push(...res.items.map((o: any) => o.metadata.name));
    token = res.metadata.continue ?? "";
    if (page === 0) assert.equal(res.metadata.remainingItemCount, 3);
    if (!token) break;
  }
  assert.deepEqual(seen, ["a", "b", "c", "d", "e"]);
  const expired = await client.get(`${nsPath("apps")}?limit=2&continue=garbage`);
  assert.equal(expired.status, 410);
  assert.equal(expired.json().reason, "Expired");
});

test("/apis/berth.dev/v1/<plural> lists across namespaces", async (t) => {
  const { client } = await withApi(t);
  await client.post(nsPath("apps", "dev"), app("web"));
  await client.post(nsPath("apps", "prod"), app("web"));
  await client.post(nsPath("databases", "prod"), { apiVersion: "berth.dev/v1", kind: "Database", metadata: { name: "pg" }, spec: { engine: "postgres" } });
  const all = (await client.get("/apis/berth.dev/v1/apps")).json();
  assert.deepEqual(all.items.map((o: any) => `${o.metadata.namespace}/${o.metadata.name}`).sort(), ["dev/web", "prod/web"]);
  assert.equal((await client.get("/apis/berth.dev/v1/databases")).json().items.length, 1);
});

test("Table output: NAME, the kind's columns, AGE formatted on the server, wide columns by priority", async (t) => {
  const { client } = await withApi(t);
  await client.post(nsPath("apps"), app("web", { replicas: 2 }, { labels: { tier: "web" } }));
  const res = await client.get(`${nsPath("apps")}?limit=500`, { headers: { Accept: TABLE_ACCEPT } });
  assert.equal(res.status, 200);
  const table = res.json();
  assert.equal(table.kind, "Table");
  assert.equal(table.apiVersion, "meta.k8s.io/v1");
  const names = table.columnDefinitions.map((c: any) => c.name);
  assert.deepEqual(names.slice(0, 6), ["Name", "Ready", "Replicas", "Image", "URL", "Age"]);
  assert.equal(table.columnDefinitions[0].format, "name");
  assert.ok(table.columnDefinitions.slice(6).every((c: any) => c.priority === 1), "wide columns come after AGE");
  assert.equal(table.rows.length, 1);
  const row = table.rows[0];
  assert.equal(row.cells.length, table.columnDefinitions.length, "one cell per column");
  assert.deepEqual(row.cells.slice(0, 4), ["web", "Unknown", "0/2", "nginx:1.27"]);
  assert.equal(row.cells[4], "<none>");
  assert.match(row.cells[5], /^\d+s$/);
  assert.equal(row.object.kind, "PartialObjectMetadata");
  assert.deepEqual(row.object.metadata.labels, { tier: "web" });
  assert.equal(row.object.metadata.namespace, "default");
  assert.equal(row.object.spec, undefined);
  assert.ok(table.metadata.resourceVersion);
});

test("Table rows carry the full object with includeObject=Object; an empty list has empty rows; GET NAME is a one-row Table", async (t) => {
  const { client } = await withApi(t);
  const empty = (await client.get(nsPath("apps"), { headers: { Accept: TABLE_ACCEPT } })).json();
  assert.equal(empty.kind, "Table");
  assert.deepEqual(empty.rows, []);
  await client.post(nsPath("apps"), app("web"));
  const full = (await client.get(`${nsPath("apps")}?includeObject=Object`, { headers: { Accept: TABLE_ACCEPT } })).json();
  assert.equal(full.rows[0].object.kind, "App");
  assert.equal(full.rows[0].object.spec.image, "nginx:1.27");
  const none = (await client.get(`${nsPath("apps")}?includeObject=None`, { headers: { Accept: TABLE_ACCEPT } })).json();
  assert.equal(none.rows[0].object, undefined);
  const one = (await client.get(nsPath("apps", "default", "web"), { headers: { Accept: TABLE_ACCEPT } })).json();
  assert.equal(one.kind, "Table");
  assert.equal(one.rows[0].cells[0], "web");
  const plain = (await client.get(nsPath("apps", "default", "web"), { headers: { Accept: "application/json" } })).json();
  assert.equal(plain.kind, "App", "without a Table Accept the object comes as is (kubectl -o yaml)");
});

test("every kind prints a Table with its own columns", async (t) => {
  const { client } = await withApi(t);
  await client.post(nsPath("secrets"), { apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: "s" }, stringData: { a: "1", b: "2" } });
  const secrets = (await client.get(nsPath("secrets"), { headers: { Accept: TABLE_ACCEPT } })).json();
  assert.deepEqual(secrets.columnDefinitions.map((c: any) => c.name), ["Name", "Type", "Data", "Age"]);
  assert.deepEqual(secrets.rows[0].cells.slice(0, 3), ["s", "Opaque", 2]);
  for (const plural of ["databases", "domains", "backups"]) {
    const table = (await client.get(nsPath(plural), { headers: { Accept: TABLE_ACCEPT } })).json();
    assert.equal(table.columnDefinitions[0].name, "Name", plural);
    assert.ok(table.columnDefinitions.some((c: any) => c.name === "Age"), plural);
  }
});
