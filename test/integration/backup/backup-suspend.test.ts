import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, startBackupHarness } from "./harness.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("suspend: a suspended Backup makes no scheduled run yet runs on demand; unsuspended, its schedule resumes", { timeout: 300_000 }, async (t) => {
  const h = await startBackupHarness(t);
  if (!h) return;
  const db = await h.database("postgres", "main");
  await db.sql("create table t (id int); insert into t values (1);");
  const dir = await mkdtemp(join(tmpdir(), "berth-suspend-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Every two seconds (node-cron's optional seconds field): unsuspended, a run would be due at once.
  const spec = { databaseRef: { name: "main" }, target: { local: { path: dir } }, schedule: "*/2 * * * * *" };
  await h.apply("Backup", "nightly", { spec: { ...spec, suspend: true } });

  await eventually(async () => assert.ok((await h.get("Backup", "nightly"))?.status?.conditions?.some((c) => c.type === "Ready")), 20_000, 200);
  await sleep(8_000);
  let backup = await h.get("Backup", "nightly");
  assert.equal(backup?.status?.lastRun, undefined, `no scheduled run while suspended: ${JSON.stringify(backup?.status)}`);
  assert.equal(backup?.status?.nextRunAt, undefined, "a suspended Backup shows no next run");

  // On demand still works.
  const manual = await h.runNow("nightly");
  assert.equal(manual.result, "Succeeded", JSON.stringify(manual));
  assert.equal(manual.trigger, "Manual");
  await sleep(6_000);
  backup = await h.get("Backup", "nightly");
  const history = (backup?.status?.history ?? []) as Array<{ trigger?: string }>;
  assert.deepEqual(history.map((r) => r.trigger), ["Manual"], "still no scheduled run after the manual one");

  // Unsuspended, scheduled runs resume.
  await h.apply("Backup", "nightly", { spec: { ...spec, suspend: false } });
  const scheduled = await eventually(async () => {
    const runs = ((await h.get("Backup", "nightly"))?.status?.history ?? []) as Array<{ trigger?: string; result?: string }>;
    const done = runs.find((r) => r.trigger === "Scheduled" && r.result === "Succeeded");
    if (!done) throw new Error(`no scheduled run yet: ${JSON.stringify(runs)}`);
    return done;
  }, 60_000, 250);
  assert.equal(scheduled.result, "Succeeded");

  // Suspended again, the runs stop: at most the one under way finishes.
  await h.apply("Backup", "nightly", { spec: { ...spec, suspend: true } });
  await eventually(async () => assert.notEqual(((await h.get("Backup", "nightly"))?.status?.lastRun as { result?: string })?.result, "Running"), 60_000, 250);
  const count = ((await h.get("Backup", "nightly"))?.status?.history as unknown[]).length;
  await sleep(6_000);
  assert.equal(((await h.get("Backup", "nightly"))?.status?.history as unknown[]).length, count, "no run after suspending again");
});
