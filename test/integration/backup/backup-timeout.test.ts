import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startExec } from "../../../controllers/backup/exec.ts";
import { eventually, startBackupHarness } from "./harness.ts";

/** files lists every file under a directory, recursively (what a target holds). */
async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}

/** processes lists the command lines of every process in a container. */
async function processes(h: { docker: import("../../../controllers/docker/index.ts").DockerClient }, container: string): Promise<string[]> {
  const top = (await h.docker.getContainer(container).top({ ps_args: "-eo pid,args" } as never)) as unknown as { Processes: string[][] };
  return top.Processes.map((p) => p.join(" "));
}

test("timeoutSeconds: a dump that outlasts it is aborted (the dump tool is gone, nothing is left in the target), the run fails saying it timed out, and the next run succeeds", { timeout: 300_000 }, async (t) => {
  const h = await startBackupHarness(t);
  if (!h) return;
  const db = await h.database("postgres", "main");
  await db.sql("create table big (id int, v text); insert into big select g, md5(g::text) from generate_series(1, 1000) g;");
  const dir = await mkdtemp(join(tmpdir(), "berth-timeout-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await h.apply("Backup", "slow", { spec: { databaseRef: { name: "main" }, target: { local: { path: dir } }, timeoutSeconds: 10 } });

  // Another session holds an exclusive lock on the table: pg_dump waits on its own lock, writing nothing.
  const holder = await startExec(h.docker, {
    container: db.container,
    cmd: ["psql", "-h", "127.0.0.1", "-U", "app", "-d", "appdb", "-v", "ON_ERROR_STOP=1", "-c", "begin; lock table big in access exclusive mode; select pg_sleep(600);"],
    env: { PGPASSWORD: db.password },
  });
  holder.stdout.resume();
  const release = () => db.sql("select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_sleep(600)%' and pid <> pg_backend_pid()");
  t.after(() => release().catch(() => {}));
  await eventually(async () => assert.equal((await db.sql("select count(*) from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'big' and l.mode = 'AccessExclusiveLock' and l.granted")).trim(), "1"), 20_000, 200);

  const started = Date.now();
  const last = await h.runNow("slow", 60_000);
  const elapsed = Date.now() - started;
  assert.equal(last.result, "Failed", JSON.stringify(last));
  assert.equal(last.step, "dump", JSON.stringify(last));
  assert.match(String(last.message), /^dump: timed out after 10s/);
  assert.ok(elapsed < 30_000, `the run ended ${elapsed} ms after it was asked for, its timeout being 10 s`);
  const warning = (await h.events.list({})).find((e) => e.reason === "BackupFailed" && e.involvedObject.name === "slow");
  assert.match(String(warning?.message), /timed out/);

  // The dump tool does not linger in the database's container, still waiting on its lock.
  await eventually(async () => {
    const left = (await processes(h, db.container)).filter((p) => p.includes("pg_dump"));
    assert.deepEqual(left, [], "no pg_dump process is left");
  }, 10_000, 250);
  assert.deepEqual(await files(dir), [], "nothing partial is left in the target");

  // Once the lock is gone, the next run succeeds.
  await release();
  const next = await h.runNow("slow", 120_000);
  assert.equal(next.result, "Succeeded", JSON.stringify(next));
  assert.ok((await files(dir)).some((f) => f.endsWith(".pgdump")));
});
