import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, startBackupHarness } from "./harness.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("missed run: a scheduled time that passes while the controller is down is run as soon as it starts again (trigger Missed)", { timeout: 300_000 }, async (t) => {
  const h = await startBackupHarness(t);
  if (!h) return;
  const db = await h.database("postgres", "main");
  await db.sql("create table t (id int); insert into t values (1);");
  const dir = await mkdtemp(join(tmpdir(), "berth-missed-"));
  t.after(() => rm(dir, { recursive: true, force: true }));

  // Once a day, at a time a few seconds from now (local time, as node-cron reads it): node-cron alone would
  // not fire again for a day, so a run after the restart can only come from the start-up logic.
  const at = new Date(Date.now() + 8_000);
  const schedule = `${at.getSeconds()} ${at.getMinutes()} ${at.getHours()} * * *`;
  await h.apply("Backup", "daily", { spec: { databaseRef: { name: "main" }, target: { local: { path: dir } }, schedule } });
  await eventually(async () => assert.ok((await h.get("Backup", "daily"))?.status?.nextRunAt), 20_000, 200);
  await h.stopControllers();

  // Down for more than a minute past the scheduled time: the run is reported as Missed.
  await sleep(Math.max(0, at.getTime() + 62_000 - Date.now()));
  assert.equal((await h.get("Backup", "daily"))?.status?.lastRun, undefined, "no run while the controller was down");
  const restarted = Date.now();
  await h.startControllers();
  const run = await eventually(async () => {
    const last = (await h.get("Backup", "daily"))?.status?.lastRun as Record<string, unknown> | undefined;
    if (!last || last.result === "Running") throw new Error(`no finished run: ${JSON.stringify(last)}`);
    return last;
  }, 120_000, 200);
  assert.equal(run.result, "Succeeded", JSON.stringify(run));
  assert.equal(run.trigger, "Missed");
  const startedAfter = new Date(String(run.startedAt)).getTime() - restarted;
  assert.ok(startedAfter < 10_000, `the missed run started ${startedAfter} ms after the restart`);

  // Only the one owed run: the next is tomorrow.
  await sleep(3_000);
  assert.equal(((await h.get("Backup", "daily"))?.status?.history as unknown[]).length, 1);
});
