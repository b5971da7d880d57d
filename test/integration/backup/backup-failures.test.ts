import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { LIMIT, startBackupHarness } from "./harness.ts";
import { S3_TEST_KEY, startTestS3 } from "../../support/s3-server.ts";

const run = promisify(execFile);
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** listAll lists every file under a directory, recursively (what a target holds). */
async function listAll(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).map((e) => e.name);
}

test("failures: unreachable S3, a wrong S3 key, a full disk and a dump tool that exits non-zero each end in a Failed run naming the step; nothing partial is left; the password is never shown", { timeout: 600_000 }, async (t) => {
  const h = await startBackupHarness(t);
  if (!h) return;
  const s3 = await startTestS3();
  t.after(() => s3.close());
  const db = await h.database("postgres", "main");
  // ~2.5 MB of random hex: more than the 1 MiB tmpfs below holds, even compressed.
  await db.sql("create table big (id int, v text); insert into big select g, md5(random()::text) || md5(random()::text) from generate_series(1, 80000) g;");
  await h.apply("Secret", "good-key", { data: { accessKeyId: b64(S3_TEST_KEY.accessKeyId), secretAccessKey: b64(S3_TEST_KEY.secretAccessKey) } });
  await h.apply("Secret", "bad-key", { data: { accessKeyId: b64("NOT-A-KEY"), secretAccessKey: b64("not-the-secret") } });

  const failed = async (name: string, target: Record<string, unknown>, step: string, pattern: RegExp) => {
    await h.apply("Backup", name, { spec: { databaseRef: { name: "main" }, target } });
    const last = await h.runNow(name);
    assert.equal(last.result, "Failed", JSON.stringify(last));
    assert.equal(last.step, step, JSON.stringify(last));
    assert.match(String(last.message), pattern);
    assert.ok(String(last.message).startsWith(`${step}: `), "the message names the step");
    const backup = await h.get("Backup", name);
    const ready = backup?.status?.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.status, "False");
    assert.equal(ready?.reason, "RunFailed");
    const warning = (await h.events.list({})).find((e) => e.reason === "BackupFailed" && e.involvedObject.name === name);
    assert.ok(warning, "a Warning event BackupFailed");
    assert.equal(warning.type, "Warning");
    return last;
  };

  await t.test("unreachable S3 endpoint", async () => {
    await failed("unreachable", { s3: { endpoint: "http://127.0.0.1:9", bucket: s3.bucket, secretRef: { name: "good-key" } } }, "upload", /ECONNREFUSED/);
  });
  await t.test("wrong S3 secret key", async () => {
    await failed("wrong-key", { s3: { endpoint: s3.endpoint, bucket: s3.bucket, secretRef: { name: "bad-key" } } }, "upload", /InvalidAccessKeyId|SignatureDoesNotMatch/);
    const keys = await listAll(s3.directory);
    assert.ok(!keys.some((k) => k.includes(".pgdump")), `no object left: ${keys.join(",")}`);
  });
  await t.test("full disk (a 1 MiB tmpfs)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-full-"));
    await run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]);
    t.after(async () => {
      await run("umount", [dir]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    });
    await failed("full-disk", { local: { path: dir } }, "write", /ENOSPC/);
    assert.deepEqual(await listAll(dir), [], "the partial file is removed");
  });
  await t.test("dump tool exits non-zero", async () => {
    // The credentials name a database that does not exist: pg_dump exits 1 with its own error.
    const secret = (await h.get("Secret", "main-credentials"))!;
    const dir = await mkdtemp(join(tmpdir(), "berth-tool-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await h.apply("Backup", "tool", { spec: { databaseRef: { name: "main" }, target: { local: { path: dir } } } });
    await h.apply("Secret", "main-credentials", { data: { ...(secret as unknown as { data: Record<string, string> }).data, database: b64("no_such_db") } });
    const last = await h.runNow("tool");
    await h.apply("Secret", "main-credentials", { data: (secret as unknown as { data: Record<string, string> }).data });
    assert.equal(last.result, "Failed", JSON.stringify(last));
    assert.equal(last.step, "dump");
    assert.match(String(last.message), /pg_dump exited with code 1: .*no_such_db/);
    assert.deepEqual(await listAll(dir), [], "nothing is left behind");
  });
  await t.test("the password appears in no status, event or message", async () => {
    const everything = JSON.stringify({ backups: await h.store.list("Backup", { namespace: h.namespace }), events: await h.events.list({}) });
    assert.ok(!everything.includes(db.password));
    // Nor on the command line of any process in the database's container.
    const top = await h.docker.getContainer(db.container).top({ ps_args: "-eo pid,args" } as never) as unknown as { Processes: string[][] };
    assert.ok(top.Processes.length > 0);
    assert.ok(!JSON.stringify(top).includes(db.password));
  });
});
