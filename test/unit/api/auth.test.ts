import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "../../../lib/logger.ts";
import { app, nsPath, withApi } from "./fixtures.ts";

const secret = (name: string) => ({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name }, stringData: { password: "hunter2-very-secret" } });

test("requests without a valid bearer token are 401 Unauthorized Statuses", async (t) => {
  const { client } = await withApi(t);
  for (const token of [null, "berth_not-a-real-token", "garbage"]) {
    const res = await client.get(nsPath("apps"), { token });
    assert.equal(res.status, 401, String(token));
    assert.deepEqual([res.json().kind, res.json().reason, res.json().code], ["Status", "Unauthorized", 401]);
  }
  assert.equal((await client.get("/apis", { headers: { Authorization: "Basic YWRtaW46YWRtaW4=" }, token: null })).status, 401);
  assert.equal((await client.get("/version", { token: null })).status, 401, "discovery needs a token too");
});

test("viewers read, deployers write, and neither may act outside their namespaces (403 Forbidden)", async (t) => {
  const { client, api } = await withApi(t);
  const viewer = client.withToken((await api.tokens.create("ci-view", [{ namespace: "prod", role: "viewer" }])).token);
  const deployer = client.withToken((await api.tokens.create("ci-deploy", [{ namespace: "prod", role: "deployer" }, { namespace: "dev", role: "viewer" }])).token);
  t.after(() => { viewer.close(); deployer.close(); });
  await client.post(nsPath("apps", "prod"), app("web"));
  assert.equal((await viewer.get(nsPath("apps", "prod", "web"))).status, 200);
  assert.equal((await viewer.get(nsPath("apps", "prod"))).status, 200);
  const denied = await viewer.post(nsPath("apps", "prod"), app("api"));
  assert.equal(denied.status, 403);
  assert.equal(denied.json().reason, "Forbidden");
  assert.match(denied.json().message, /User "ci-view" cannot create resource "apps" in API group "berth.dev" in the namespace "prod"/);
  assert.equal((await viewer.patch(nsPath("apps", "prod", "web"), { spec: { replicas: 2 } }, "application/merge-patch+json")).status, 403);
  assert.equal((await viewer.delete(nsPath("apps", "prod", "web"))).status, 403);
  assert.equal((await viewer.get(nsPath("apps", "dev"))).status, 403, "no binding in dev");
  assert.equal((await deployer.post(nsPath("apps", "prod"), app("api"))).status, 201);
  assert.equal((await deployer.patch(nsPath("apps", "prod", "api"), { spec: { replicas: 2 } }, "application/merge-patch+json")).status, 200);
  assert.equal((await deployer.delete(nsPath("apps", "prod", "api"))).status, 200);
  assert.equal((await deployer.post(nsPath("apps", "dev"), app("api"))).status, 403, "viewer only in dev");
  assert.equal((await deployer.delete(nsPath("apps", "prod"))).status, 200, "deletecollection in its namespace");
});

test("Secrets: deployers write them but read keys with empty values; admins read values", async (t) => {
  const { client, api } = await withApi(t);
  const deployer = client.withToken((await api.tokens.create("deploy", [{ namespace: "*", role: "deployer" }])).token);
  t.after(() => deployer.close());
  const lastApplied = JSON.stringify(secret("db")) + "\n";
  const created = await deployer.post(nsPath("secrets"), { ...secret("db"), metadata: { name: "db", annotations: { "kubectl.kubernetes.io/last-applied-configuration": lastApplied } } });
  assert.equal(created.status, 201);
  assert.deepEqual(created.json().data, { password: "" }, "even the create response hides the value");
  for (const body of [
    (await deployer.get(nsPath("secrets", "default", "db"))).text,
    (await deployer.get(nsPath("secrets"))).text,
    (await deployer.get("/apis/berth.dev/v1/secrets")).text,
    (await deployer.get(`${nsPath("secrets")}?includeObject=Object`, { headers: { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io" } })).text,
  ]) assert.ok(!body.includes("hunter2") && !body.includes(Buffer.from("hunter2-very-secret").toString("base64")), body);
  const viewed = (await deployer.get(nsPath("secrets", "default", "db"))).json();
  assert.deepEqual(viewed.data, { password: "" });
  assert.deepEqual(JSON.parse(viewed.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).stringData, { password: "" });
  const watch = await deployer.watch(`${nsPath("secrets")}?watch=true`);
  t.after(() => watch.close());
  assert.deepEqual((await watch.next()).object.data, { password: "" });
  const asAdmin = (await client.get(nsPath("secrets", "default", "db"))).json();
  assert.equal(Buffer.from(asAdmin.data.password, "base64").toString(), "hunter2-very-secret");
  assert.ok(asAdmin.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"].includes("hunter2"));
});

test("cluster-wide lists and watches only show namespaces the token can read", async (t) => {
  const { client, api } = await withApi(t);
  const viewer = client.withToken((await api.tokens.create("dev-view", [{ namespace: "dev", role: "viewer" }])).token);
  t.after(() => viewer.close());
  await client.post(nsPath("apps", "dev"), app("web"));
  await client.post(nsPath("apps", "prod"), app("web"));
  const list = (await viewer.get("/apis/berth.dev/v1/apps")).json();
  assert.deepEqual(list.items.map((o: any) => o.metadata.namespace), ["dev"]);
  const watch = await viewer.watch("/apis/berth.dev/v1/apps?watch=true");
  t.after(() => watch.close());
  assert.equal((await watch.next()).object.metadata.namespace, "dev");
  await client.post(nsPath("apps", "prod"), app("api"));
  await client.post(nsPath("apps", "dev"), app("api"));
  const next = await watch.next();
  assert.deepEqual([next.object.metadata.namespace, next.object.metadata.name], ["dev", "api"], "the prod event was not shown");
  assert.equal((await viewer.delete("/apis/berth.dev/v1/apps")).status, 405);
});

test("token management: admins list, create (plaintext once) and revoke; others are 403", async (t) => {
  const { client, api } = await withApi(t);
  const created = await client.post("/apis/berth.dev/v1/tokens", { name: "ci", bindings: [{ namespace: "prod", role: "deployer" }] });
  assert.equal(created.status, 201);
  assert.match(created.json().token, /^berth_/);
  assert.deepEqual(created.json().bindings, [{ namespace: "prod", role: "deployer" }]);
  const ci = client.withToken(created.json().token);
  t.after(() => ci.close());
  assert.equal((await ci.post(nsPath("apps", "prod"), app("web"))).status, 201);
  assert.equal((await ci.get("/apis/berth.dev/v1/tokens")).status, 403);
  const listed = (await client.get("/apis/berth.dev/v1/tokens")).json();
  assert.deepEqual(listed.items.map((i: any) => i.name), ["admin", "ci"]);
  assert.ok(!JSON.stringify(listed).includes(created.json().token), "values are never listed");
  assert.equal((await client.post("/apis/berth.dev/v1/tokens", { name: "ci", bindings: [{ namespace: "*", role: "viewer" }] })).status, 409);
  const invalid = await client.post("/apis/berth.dev/v1/tokens", { name: "x", bindings: [{ namespace: "prod", role: "root" }] });
  assert.equal(invalid.status, 422);
  assert.equal(invalid.json().details.causes[0].field, "bindings[0].role");
  const nsAdmin = client.withToken((await api.tokens.create("ns-admin", [{ namespace: "prod", role: "admin" }])).token);
  t.after(() => nsAdmin.close());
  assert.equal((await nsAdmin.get("/apis/berth.dev/v1/tokens")).status, 403, "token management needs admin in every namespace");
  const revoked = await client.delete("/apis/berth.dev/v1/tokens/ci");
  assert.equal(revoked.status, 200);
  assert.equal(revoked.json().status, "Success");
  assert.equal((await ci.get(nsPath("apps", "prod"))).status, 401);
  assert.equal((await client.delete("/apis/berth.dev/v1/tokens/ci")).status, 404);
});

test("debug request logs carry method, path, code and duration, never tokens or Secret values", async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split("\n").filter(Boolean)); done(); } });
  const { client } = await withApi(t, { logger: createLogger({ level: "debug", destination: sink }) });
  await client.post(nsPath("secrets"), secret("db"));
  await client.get(nsPath("secrets", "default", "db"));
  await client.get(nsPath("apps"), { token: "berth_wrong-token-value" });
  const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
  assert.ok(requests.length >= 3, lines.join("\n"));
  assert.deepEqual(Object.keys(requests[0]).filter((k) => !["level", "time", "msg"].includes(k)).sort(), ["code", "durationMs", "method", "path"]);
  assert.ok(requests.some((r) => r.code === 401));
  const all = lines.join("\n");
  assert.ok(!all.includes(client.token!) && !all.includes("berth_wrong-token-value"), "no token in logs");
  assert.ok(!all.includes("hunter2") && !all.includes(Buffer.from("hunter2-very-secret").toString("base64")), "no secret value in logs");
});
