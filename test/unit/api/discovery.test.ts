import { test } from "node:test";
import assert from "node:assert/strict";
import { withApi } from "./fixtures.ts";

test("discovery documents have the shapes kubectl 1.20 reads", async (t) => {
  const { client } = await withApi(t);
  const groups = (await client.get("/apis")).json();
  assert.equal(groups.kind, "APIGroupList");
  assert.deepEqual(groups.groups[0].preferredVersion, { groupVersion: "berth.dev/v1", version: "v1" });
  const group = (await client.get("/apis/berth.dev")).json();
  assert.equal(group.kind, "APIGroup");
  assert.equal(group.name, "berth.dev");
  const list = (await client.get("/apis/berth.dev/v1")).json();
  assert.equal(list.kind, "APIResourceList");
  assert.equal(list.groupVersion, "berth.dev/v1");
  const apps = list.resources.find((r: any) => r.name === "apps");
  assert.deepEqual(
    { singularName: apps.singularName, namespaced: apps.namespaced, kind: apps.kind, categories: apps.categories },
    { singularName: "app", namespaced: true, kind: "App", categories: ["all", "berth"] },
  );
  assert.ok(apps.verbs.includes("watch") && apps.verbs.includes("deletecollection"));
  const db = list.resources.find((r: any) => r.name === "databases");
  assert.deepEqual(db.shortNames, ["db"]);
  for (const plural of ["apps", "databases", "domains", "backups", "secrets"]) {
    const status = list.resources.find((r: any) => r.name === `${plural}/status`);
    assert.deepEqual(status.verbs, ["get", "patch", "update"], plural);
  }
  const core = (await client.get("/api")).json();
  assert.deepEqual(core.versions, ["v1"]);
  const coreV1 = (await client.get("/api/v1")).json();
  assert.deepEqual(coreV1.resources.map((r: any) => r.name), ["events"]);
});

test("/version, the OpenAPI stubs and the JSON schemas", async (t) => {
  const { client } = await withApi(t);
  const version = (await client.get("/version")).json();
  assert.equal(version.major, "1");
  assert.match(version.gitVersion, /^v1\.20\.0-berth\./);
  const v2 = await client.get("/openapi/v2", { headers: { Accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" } });
  assert.equal(v2.status, 200);
  assert.equal(v2.headers["content-type"], "application/octet-stream");
  assert.equal(v2.text, "");
  const v3 = await client.get("/openapi/v3");
  assert.equal(v3.status, 404);
  assert.equal(v3.json().kind, "Status");
  const schemas = (await client.get("/openapi/berth.json")).json();
  assert.deepEqual(Object.keys(schemas).sort(), ["App", "Backup", "Build", "Database", "Domain", "Secret"]);
  assert.ok(schemas.App.properties.spec);
});

test("/readyz is 503 naming what is still starting, then 200; /healthz and /livez are 200 all along", async (t) => {
  let starting: string | undefined = "proxy";
  const { client } = await withApi(t, { readiness: () => starting });
  const early = await client.get("/readyz", { token: null });
  assert.equal(early.status, 503);
  assert.equal(early.text, "starting: proxy");
  assert.equal((await client.get("/healthz", { token: null })).status, 200);
  assert.equal((await client.get("/livez", { token: null })).status, 200);
  starting = undefined;
  const ready = await client.get("/readyz", { token: null });
  assert.equal(ready.status, 200);
  assert.equal(ready.text, "ok");
});

test("health needs no token; unknown paths are a 404 Status in JSON", async (t) => {
  const { client } = await withApi(t);
  for (const path of ["/healthz", "/livez", "/readyz"]) {
    const res = await client.get(path, { token: null });
    assert.equal(res.status, 200, path);
    assert.equal(res.text, "ok");
  }
  const missing = await client.get("/nothing/here");
  assert.equal(missing.status, 404);
  assert.match(missing.headers["content-type"] ?? "", /^application\/json/);
  assert.deepEqual(
    { kind: missing.json().kind, reason: missing.json().reason, code: missing.json().code },
    { kind: "Status", reason: "NotFound", code: 404 },
  );
  const unknownKind = await client.get("/apis/berth.dev/v1/namespaces/default/widgets");
  assert.equal(unknownKind.status, 404);
  assert.equal(unknownKind.json().message, "the server could not find the requested resource");
});
