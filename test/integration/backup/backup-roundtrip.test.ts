import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LIMIT, startBackupHarness, type BackupHarness } from "./harness.ts";
import { S3_TEST_KEY, startTestS3, type TestS3 } from "../../support/s3-server.ts";

async function s3For(t: { after(fn: () => Promise<void>): void }, h: BackupHarness): Promise<TestS3> {
  const s3 = await startTestS3();
  t.after(() => s3.close());
  await h.apply("Secret", "s3-key", { data: { accessKeyId: Buffer.from(S3_TEST_KEY.accessKeyId).toString("base64"), secretAccessKey: Buffer.from(S3_TEST_KEY.secretAccessKey).toString("base64") } });
  return s3;
}

async function localDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-backups-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("postgres: rows → backup to local and S3 (encrypted, verified by a scratch restore) → table dropped → restore → the same rows", LIMIT, async (t) => {
  const h = await startBackupHarness(t);
  if (!h) return;
  const [db, s3, dir] = await Promise.all([h.database("postgres", "main"), s3For(t, h), localDir(t)]);
  await h.apply("Secret", "backup-key", { data: { key: Buffer.from("correct horse battery staple").toString("base64") } });
  await db.sql("create table orders (id int primary key, item text); insert into orders select g, 'item-' || g from generate_series(1, 500) g;");
  await h.apply("Backup", "nightly", {
    spec: {
      databaseRef: { name: "main" }, target: { local: { path: dir }, s3: { endpoint: s3.endpoint, bucket: s3.bucket, prefix: "berth/", secretRef: { name: "s3-key" } } },
      encryption: { secretRef: { name: "backup-key" } }, verify: "restore",
    },
  });
  const run = await h.runNow("nightly");
  assert.equal(run.result, "Succeeded", JSON.stringify(run));
  assert.equal(run.verified, true);
  assert.match(String(run.message), /restored into a scratch container: 1 tables/);
  assert.match(String(run.sha256), /^[0-9a-f]{64}$/);
  assert.equal((run.locations as string[]).length, 2);
  const files = await readdir(join(dir, h.namespace, "nightly"));
  assert.deepEqual(files.sort(), [`${run.id}.json`, `${run.id}.pgdump.enc`].sort());

  await db.sql("drop table orders;");
  const restored = await h.restoreNow("nightly", "main", String(run.id));
  assert.equal(restored.result, "Succeeded", JSON.stringify(restored));
  assert.equal((await db.sql("select count(*), sum(id) from orders")).trim(), "500|125250");
  const backup = await h.get("Backup", "nightly");
  const snapshots = backup?.status?.snapshots as Array<{ id: string; locations: string[] }>;
  assert.deepEqual(snapshots.map((s) => [s.id, [...s.locations].sort()]), [[run.id, ["local", "s3"]]]);
  const reasons = (await h.events.list({})).map((e) => e.reason);
  for (const reason of ["BackupStarted", "BackupSucceeded", "RestoreStarted", "RestoreSucceeded"]) assert.ok(reasons.includes(reason), reasons.join(","));
  const text = JSON.stringify({ backup, events: await h.events.list({}) });
  assert.ok(!text.includes(db.password), "the password appears in status or events");
});

test("mariadb: rows → backup to local → rows deleted, one changed → restore onto the running database → the same rows; retention keeps exactly 2", LIMIT, async (t) => {
  const h = await startBackupHarness(t);
  if (!h) return;
  const [db, dir] = await Promise.all([h.database("mariadb", "shop"), localDir(t)]);
  await db.sql("create table items (id int primary key, name varchar(40)); insert into items values (1,'one'),(2,'two'),(3,'three');");
  await h.apply("Backup", "shop-daily", { spec: { databaseRef: { name: "shop" }, target: { local: { path: dir } }, retention: { keepLast: 2 } } });
  const runs: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 3; i++) {
    const run: Record<string, unknown> = await h.runNow("shop-daily");
    assert.equal(run.result, "Succeeded", JSON.stringify(run));
    runs.push(run);
  }
  const files = (await readdir(join(dir, h.namespace, "shop-daily"))).sort();
  assert.deepEqual(files, runs.slice(1).flatMap((r) => [`${r.id}.json`, `${r.id}.sql`]).sort(), "retention keeps exactly the newest 2");
  const backup = await h.get("Backup", "shop-daily");
  assert.deepEqual((backup?.status?.snapshots as Array<{ id: string }>).map((s) => s.id), [runs[2]!.id, runs[1]!.id]);
  assert.equal((backup?.status?.history as unknown[]).length, 3);

  await db.sql("delete from items where id > 1; update items set name = 'changed' where id = 1;");
  const restored = await h.restoreNow("shop-daily", "shop");
  assert.equal(restored.result, "Succeeded", JSON.stringify(restored));
  assert.equal(restored.snapshot, runs[2]!.id, "no snapshot named: the newest");
  assert.equal((await db.sql("select id, name from items order by id")).trim(), "1\tone\n2\ttwo\n3\tthree");
});

test("redis: keys → backup to S3 (BGSAVE, RDB read out of the container) → FLUSHALL → restore → the same keys", LIMIT, async (t) => {
  const h = await startBackupHarness(t);
  if (!h) return;
  const [db, s3] = await Promise.all([h.database("redis", "cache"), s3For(t, h)]);
  for (let i = 0; i < 50; i++) await db.redis("SET", `key:${i}`, `value-${i}`);
  await db.redis("RPUSH", "queue", "a", "b", "c");
  await h.apply("Backup", "cache", { spec: { databaseRef: { name: "cache" }, target: { s3: { endpoint: s3.endpoint, bucket: s3.bucket, secretRef: { name: "s3-key" } } } } });
  const run = await h.runNow("cache");
  assert.equal(run.result, "Succeeded", JSON.stringify(run));
  assert.match(String(run.location), new RegExp(`^s3://${s3.bucket}/${h.namespace}/cache/${run.id}\\.rdb$`));
  await db.redis("FLUSHALL");
  assert.equal((await db.redis("DBSIZE")).trim(), "0");
  const restored = await h.restoreNow("cache", "cache", String(run.id));
  assert.equal(restored.result, "Succeeded", JSON.stringify(restored));
  assert.equal((await db.redis("DBSIZE")).trim(), "51");
  assert.equal((await db.redis("GET", "key:42")).trim(), "value-42");
  assert.equal((await db.redis("LRANGE", "queue", "0", "-1")).trim(), "a\nb\nc");
});
