import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../../lib/logger.ts";
import { AuditLog, type AuditEntry } from "../../../api/audit/audit-log.ts";
import { resourceOf } from "../../../api/audit/audit-request.ts";
import { ApiClient } from "../../support/https-client.ts";
import { startCliApi } from "../../support/run-cli.ts";
import { app, nsPath } from "./fixtures.ts";

/** auditLines reads the audit log file as written, after the server flushed it. */
async function auditLines(log: AuditLog, dir: string): Promise<AuditEntry[]> {
  await log.flush();
  return (await readFile(join(dir, "audit", "audit.log"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as AuditEntry);
}

test("the audit log records creates (the fast route too), refused writes and deletes, with the token's name and never the token", async (t) => {
  const api = await startCliApi({ audit: true });
  t.after(() => api.close());
  const admin = new ApiClient(api.url, api.ca, api.adminToken);
  t.after(() => admin.close());
  const { token: viewerToken } = await api.tokens.create("viewer", [{ namespace: "default", role: "viewer" }]);
  const viewer = admin.withToken(viewerToken);
  t.after(() => viewer.close());

  // A create the fast route serves (JSON with a length), one express serves (YAML), a refused one, a delete.
  assert.equal((await admin.post(nsPath("apps"), app("web"))).status, 201);
  assert.equal((await admin.request(nsPath("apps"), { method: "POST", body: "apiVersion: berth.dev/v1\nkind: App\nmetadata: {name: yaml}\nspec: {image: nginx}\n", headers: { "Content-Type": "application/yaml" } })).status, 201);
  assert.equal((await viewer.post(nsPath("apps"), app("sneaky"))).status, 403);
  assert.equal((await admin.get(nsPath("apps"), { token: null })).status, 401);
  assert.equal((await admin.patch(`${nsPath("apps", "default", "web")}/status`, { status: { replicas: 1 } }, "application/merge-patch+json")).status, 200);
  assert.equal((await admin.delete(nsPath("apps", "default", "web"))).status, 200);
  const created = await admin.post("/apis/berth.dev/v1/tokens", { name: "ci", bindings: [{ namespace: "default", role: "deployer" }] });
  assert.equal(created.status, 201);
  // Reads that are allowed are not audited.
  assert.equal((await viewer.get(nsPath("apps"))).status, 200);

  const lines = await auditLines(api.audit!, api.dir);
  const shape = (e: AuditEntry) => [e.user ?? "-", e.verb, e.resource ?? e.path, e.namespace ?? "-", e.name ?? "-", e.code].join(" ");
  assert.deepEqual(lines.map(shape), [
    "admin create apps default web 201",
    "admin create apps default yaml 201",
    "viewer create apps default sneaky 403",
    "- get apps default - 401",
    "admin patch apps default web 200",
    "admin delete apps default web 200",
    "admin create tokens - ci 201",
  ]);
  assert.equal(lines[0]!.group, "berth.dev");
  assert.equal(lines[0]!.kind, "App");
  assert.equal(lines[4]!.subresource, "status");
  for (const e of lines) assert.ok(!Number.isNaN(Date.parse(e.time)));
  const text = await readFile(join(api.dir, "audit", "audit.log"), "utf8");
  for (const secret of [api.adminToken, viewerToken, created.json().token as string]) assert.ok(!text.includes(secret), "no token value in the audit log");
  assert.equal((await stat(join(api.dir, "audit", "audit.log"))).mode & 0o777, 0o600);

  // The endpoint: admins only (a viewer's attempt is itself audited), with since and limit.
  const read = await admin.get("/apis/berth.dev/v1/audit?limit=2");
  assert.equal(read.status, 200);
  assert.equal(read.json().kind, "AuditEntryList");
  assert.deepEqual(read.json().items.map((e: AuditEntry) => e.verb), ["delete", "create"]);
  assert.equal((await admin.get("/apis/berth.dev/v1/audit?since=2999-01-01T00:00:00Z")).json().items.length, 0);
  assert.equal((await admin.get("/apis/berth.dev/v1/audit?since=yesterday")).status, 400);
  assert.equal((await viewer.get("/apis/berth.dev/v1/audit")).status, 403);
  assert.equal((await auditLines(api.audit!, api.dir)).at(-1)!.code, 403);

  // The CLI verb.
  const table = await api.run(["audit", "--since", "1h"]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^TIME\s+USER\s+VERB\s+CODE\s+NAMESPACE\s+RESOURCE$/m);
  assert.match(table.stdout, /\sviewer\s+create\s+403\s+default\s+apps\.berth\.dev\/sneaky$/m);
  assert.match(table.stdout, /\sadmin\s+delete\s+200\s+default\s+apps\.berth\.dev\/web$/m);
  const json = await api.run(["audit", "-o", "json", "--limit", "1"]);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).items.length, 1);
  const denied = await api.run(["audit"], { env: { BERTH_TOKEN: viewerToken } });
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /forbidden/i);
  assert.equal((await api.run(["audit", "--since", "soon"])).code, 1);
});

test("the audit log rotates by size and keeps a few files; reads span them", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-audit-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = await AuditLog.open({ dir, logger: silentLogger(), maxBytes: 2000, keep: 2 });
  for (let i = 0; i < 100; i++) log.record({ time: new Date().toISOString(), user: "admin", verb: "create", resource: "apps", name: `app-${i}`, code: 201 });
  await log.flush();
  for (let i = 100; i < 110; i++) log.record({ time: new Date().toISOString(), user: "admin", verb: "delete", resource: "apps", name: `app-${i}`, code: 200 });
  await log.close();
  assert.deepEqual((await readdir(dir)).sort(), ["audit.log", "audit.log.1", "audit.log.2"]);
  for (const file of ["audit.log", "audit.log.1"]) assert.ok((await stat(join(dir, file))).size <= 2000 + 200, file);
  const reopened = await AuditLog.open({ dir, logger: silentLogger(), maxBytes: 2000, keep: 2 });
  t.after(() => reopened.close());
  const entries = await reopened.read({ limit: 1000 });
  assert.equal(entries.at(-1)!.name, "app-109", "the newest entry is last");
  assert.ok(entries.length < 110 && entries.length > 20, `older files were dropped (${entries.length} left)`);
  const names = entries.map((e) => Number(e.name!.slice(4)));
  assert.deepEqual(names, [...names].sort((a, b) => a - b), "oldest first, across files");
});

test("resourceOf reads group, namespace, resource, name and subresource from API paths", () => {
  assert.deepEqual(resourceOf("/apis/berth.dev/v1/namespaces/shop/apps/web/status"), { group: "berth.dev", namespace: "shop", resource: "apps", name: "web", subresource: "status" });
  assert.deepEqual(resourceOf("/api/v1/namespaces/shop/events"), { group: "", namespace: "shop", resource: "events" });
  assert.deepEqual(resourceOf("/apis/berth.dev/v1/tokens/ci"), { group: "berth.dev", resource: "tokens", name: "ci" });
  assert.deepEqual(resourceOf("/hooks/github/web"), { path: "/hooks/github/web" });
});
