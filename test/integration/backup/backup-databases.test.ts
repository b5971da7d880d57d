import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Resource } from "../../../resources/index.ts";
import { resolveDatabase } from "../../../controllers/backup/index.ts";
import { execToString } from "../../../controllers/backup/exec.ts";
import { eventually, LIMIT, startBackupHarness, type BackupHarness } from "./harness.ts";
import { ensureDatabaseImage } from "../../support/database-images.ts";

const ready = (o: Resource | undefined) => o?.status?.conditions?.find((c) => c.type === "Ready");

/** waitReady waits for the Database controller to report the Database Ready. */
async function waitReady(h: BackupHarness, name: string): Promise<Resource> {
  return eventually(async () => {
    const db = await h.get("Database", name);
    assert.equal(ready(db)?.status, "True", JSON.stringify(ready(db)));
    return db!;
  }, 240_000, 250);
}

/** psql runs SQL in a Database's container as its user (credentials from its Secret, in the exec's environment). */
async function psql(h: BackupHarness, name: string, query: string): Promise<string> {
  const db = await resolveDatabase(h.store, h.docker, h.namespace, name, AbortSignal.timeout(10_000));
  return execToString(h.docker, { container: db.container, cmd: ["psql", "-U", db.credentials.user, "-d", db.credentials.database, "-tA", "-v", "ON_ERROR_STOP=1", "-c", query], env: { PGPASSWORD: db.credentials.password } });
}

async function redisCli(h: BackupHarness, name: string, ...args: string[]): Promise<string> {
  const db = await resolveDatabase(h.store, h.docker, h.namespace, name, AbortSignal.timeout(10_000));
  return execToString(h.docker, { container: db.container, cmd: ["redis-cli", ...args], env: { REDISCLI_AUTH: db.credentials.password } });
}

test("with the Database controller: a new Database with spec.restoreFrom is filled from the snapshot before it is Ready", LIMIT, async (t) => {
  const h = await startBackupHarness(t, { databases: true });
  if (!h) return;
  const dir = await mkdtemp(join(tmpdir(), "berth-backups-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const image = await ensureDatabaseImage(h.docker, "postgres");
  await h.apply("Database", "src", { spec: { engine: "postgres", image, deletionPolicy: "Delete" } });
  await waitReady(h, "src");
  await psql(h, "src", "create table notes (id int primary key, body text); insert into notes select g, 'note ' || g from generate_series(1, 250) g;");
  await h.apply("Backup", "src-backup", { spec: { databaseRef: { name: "src" }, target: { local: { path: dir } } } });
  const run = await h.runNow("src-backup");
  assert.equal(run.result, "Succeeded", JSON.stringify(run));

  await h.apply("Database", "copy", { spec: { engine: "postgres", image, deletionPolicy: "Delete", restoreFrom: { backup: "src-backup" } } });
  const copy = await waitReady(h, "copy");
  assert.equal((copy.status?.restoredFrom as { snapshot?: string } | undefined)?.snapshot, run.id);
  assert.equal((await psql(h, "copy", "select count(*), max(body) from notes")).trim(), "250|note 99");
  const reasons = (await h.events.list({})).filter((e) => e.involvedObject.name === "copy").map((e) => e.reason);
  assert.ok(!reasons.includes("RestoreFailed"), reasons.join(","));
});

test("with the Database controller: Redis (appendonly yes) restored onto the running Database comes back Ready with the keys", LIMIT, async (t) => {
  const h = await startBackupHarness(t, { databases: true });
  if (!h) return;
  const dir = await mkdtemp(join(tmpdir(), "berth-backups-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const image = await ensureDatabaseImage(h.docker, "redis");
  await h.apply("Database", "cache", { spec: { engine: "redis", image, deletionPolicy: "Delete" } });
  await waitReady(h, "cache");
  for (let i = 0; i < 20; i++) await redisCli(h, "cache", "SET", `k${i}`, `v${i}`);
  await h.apply("Backup", "cache", { spec: { databaseRef: { name: "cache" }, target: { local: { path: dir } } } });
  const run = await h.runNow("cache");
  assert.equal(run.result, "Succeeded", JSON.stringify(run));
  await redisCli(h, "cache", "FLUSHALL");
  await redisCli(h, "cache", "SET", "after", "backup");
  const restored = await h.restoreNow("cache", "cache", String(run.id));
  assert.equal(restored.result, "Succeeded", JSON.stringify(restored));
  await waitReady(h, "cache");
  assert.equal((await redisCli(h, "cache", "DBSIZE")).trim(), "20");
  assert.equal((await redisCli(h, "cache", "GET", "k7")).trim(), "v7");
  const db = await h.get("Database", "cache");
  assert.equal(db?.metadata.annotations?.["berth.dev/restoring"], undefined, "the restoring mark is removed");
});
