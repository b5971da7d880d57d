import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { connect } from "nats";
import { parse } from "yaml";
import { ApiClient } from "../support/https-client.ts";
import { startDaemon, eventually, removeDirs } from "../support/daemon.ts";
import { runCli } from "../support/run-cli.ts";
import { connectTestDocker, randomNamespace, cleanupNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { startTestNats } from "../support/nats.ts";
import { ensureDatabaseImage } from "../support/database-images.ts";
import { S3_TEST_KEY, startTestS3 } from "../support/s3-server.ts";
import { containerNameOf } from "../../controllers/database/index.ts";

const exec = promisify(execFile);

/** hostCommandLines lists the command line of every process on the host (the database's container's included). */
async function hostCommandLines(): Promise<string> {
  return (await exec("ps", ["-eo", "args"], { maxBuffer: 16 << 20 })).stdout;
}

test("berthd: kill -9 during a backup lists no half-written snapshot, the next run succeeds, the restore subresource restores onto the running database, and the password is on no command line, log, event or NATS message", { timeout: 480_000 }, async (t) => {
  const docker = await connectTestDocker();
  if (!docker) {
    if (process.env.CI === "true") throw new Error(SKIP_NO_DOCKER);
    t.skip(SKIP_NO_DOCKER);
    return;
  }
  const image = await ensureDatabaseImage(docker, "postgres");
  const namespace = randomNamespace("e2e-bk");
  const nats = await startTestNats(t);
  const s3 = await startTestS3();
  const seen: string[] = [];
  const nc = await connect({ servers: nats.url });
  nc.subscribe(">", { callback: (_err, msg) => seen.push(`${msg.subject} ${new TextDecoder().decode(msg.data)}`) });
  let daemon = await startDaemon({ args: ["--nats-url", nats.url] });
  const work = await mkdtemp(join(tmpdir(), "berth-e2e-bk-"));
  const backups = join(work, "backups");
  let logs = "";
  t.after(async () => {
    await daemon.stop();
    await nc.close();
    await s3.close();
    await cleanupNamespace(docker, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir, work);
  });
  const berth = (...args: string[]) => runCli([...args, "-n", namespace], { env: { ...daemon.env, HOME: work }, timeoutMs: 300_000 });
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  await writeFile(join(work, "objects.yaml"), [
    "apiVersion: berth.dev/v1", "kind: Database", "metadata: {name: main}", `spec: {engine: postgres, image: "${image}", deletionPolicy: Delete}`, "---",
    "apiVersion: berth.dev/v1", "kind: Secret", "metadata: {name: s3-key}", `data: {accessKeyId: ${b64(S3_TEST_KEY.accessKeyId)}, secretAccessKey: ${b64(S3_TEST_KEY.secretAccessKey)}}`, "---",
    "apiVersion: berth.dev/v1", "kind: Backup", "metadata: {name: nightly}", "spec:", "  databaseRef: {name: main}", "  schedule: \"0 3 * * *\"",
    `  target: {local: {path: "${backups}"}, s3: {endpoint: "${s3.endpoint}", bucket: ${s3.bucket}, secretRef: {name: s3-key}}}`, "",
  ].join("\n"));
  const applied = await berth("apply", "-f", join(work, "objects.yaml"));
  assert.equal(applied.code, 0, applied.stderr);
  await eventually(async () => /^main\s+True\s/m.test((await berth("get", "databases")).stdout), { timeoutMs: 180_000, what: "Database main Ready" });
  const secret = JSON.parse((await berth("get", "secret", "main-credentials", "-o", "json")).stdout) as { data: Record<string, string> };
  const password = Buffer.from(secret.data.password!, "base64").toString("utf8");
  // About 90 MB of table: the dump takes long enough to be killed in the middle of.
  const container = containerNameOf({ kind: "Database", namespace, name: "main" });
  await exec("docker", ["exec", "-e", `PGPASSWORD=${password}`, container, "psql", "-h", "127.0.0.1", "-U", "main", "-d", "main", "-c",
    "create table big (id int, v text); insert into big select g, repeat(md5(random()::text), 8) from generate_series(1, 300000) g;"], { env: { ...process.env } });

  const lines: string[] = [];
  const asked = await berth("backup", "run", "backup/nightly", "--no-wait");
  assert.equal(asked.code, 0, asked.stderr);
  await eventually(async () => {
    lines.push(await hostCommandLines());
    const b = JSON.parse((await berth("get", "backup", "nightly", "-o", "json")).stdout) as { status?: { lastRun?: { result: string; step?: string } } };
    return b.status?.lastRun?.result === "Running" && ["dump", "write", "upload"].includes(b.status.lastRun.step ?? "");
  }, { timeoutMs: 60_000, intervalMs: 100, what: "the run to be dumping" });
  await new Promise((r) => setTimeout(r, 500));
  lines.push(await hostCommandLines());
  logs += daemon.logs();
  await daemon.kill9();
  const left = await readdir(join(backups, namespace, "nightly")).catch(() => [] as string[]);
  assert.ok(!left.some((f) => f.endsWith(".json")), `no manifest of an unfinished snapshot: ${left.join(",")}`);
  assert.ok(left.every((f) => f.endsWith(".partial")), `only a .partial file may be left: ${left.join(",")}`);

  daemon = await startDaemon({ dataDir: daemon.dataDir, clientDir: daemon.clientDir, port: daemon.port, args: ["--nats-url", nats.url] });
  const interrupted = await eventually(async () => {
    const b = JSON.parse((await berth("get", "backup", "nightly", "-o", "json")).stdout) as { status?: { lastRun?: { result: string; step?: string } } };
    assert.equal(b.status?.lastRun?.result, "Failed");
    return b.status!.lastRun!;
  }, { timeoutMs: 30_000, what: "the interrupted run to be marked Failed" });
  assert.equal(interrupted.step, "interrupted");
  const listedBefore = await berth("backup", "list", "backup/nightly");
  assert.match(listedBefore.stdout, /No snapshots/);

  const run = await berth("backup", "run", "backup/nightly", "--timeout", "5m");
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const id = /snapshot (\d{8}-\d{6}-\d{3}) Succeeded/.exec(run.stdout)?.[1];
  assert.ok(id, run.stdout);
  const listed = await berth("backup", "list", "backup/nightly");
  assert.match(listed.stdout, /^ID\s+AGE\s+BYTES\s+SHA256\s+VERIFIED\s+ENCRYPTED\s+LOCATION$/m);
  assert.match(listed.stdout, new RegExp(`^${id}\\s+\\S+\\s+\\d+\\s+[0-9a-f]{64}\\s+yes\\s+no\\s+local,s3$`, "m"));
  assert.deepEqual((await readdir(join(backups, namespace, "nightly"))).sort(), [`${id}.json`, `${id}.pgdump`], "the partial file was swept");
  const objects = (await readdir(s3.directory, { recursive: true })).filter((f) => f.includes(".pgdump") && !f.endsWith("._S3rver_metadata.json") && !f.endsWith("._S3rver_object.md5"));
  assert.ok(objects.length >= 1 && objects.every((o) => o.includes(id)), `S3 holds only the finished snapshot: ${objects.join(",")}`);

  // The restore subresource: a bad body is refused naming the field; a good one restores onto the running Database.
  const config = parse(await readFile(join(daemon.clientDir, "config.yaml"), "utf8")) as { token: string; ca: string };
  const api = new ApiClient(daemon.url, config.ca, config.token);
  const restorePath = `/apis/berth.dev/v1/namespaces/${namespace}/backups/nightly/restore`;
  const bad = await api.post(restorePath, JSON.stringify({ snapshot: id }), { headers: { "Content-Type": "application/json" } });
  assert.equal(bad.status, 400, bad.text);
  assert.match(bad.text, /database/);
  await exec("docker", ["exec", "-e", `PGPASSWORD=${password}`, container, "psql", "-h", "127.0.0.1", "-U", "main", "-d", "main", "-c", "delete from big where id > 10"]);
  const asked2 = await api.post(restorePath, JSON.stringify({ database: "main", snapshot: id }), { headers: { "Content-Type": "application/json" } });
  assert.equal(asked2.status, 202, asked2.text);
  const restoreId = asked2.json<{ id: string }>().id;
  await eventually(async () => {
    const b = JSON.parse((await berth("get", "backup", "nightly", "-o", "json")).stdout) as { status?: { lastRestore?: { id: string; result: string; message?: string } } };
    const r = b.status?.lastRestore;
    if (r?.id === restoreId && r.result === "Failed") throw new Error(`restore failed: ${r.message}`);
    return r?.id === restoreId && r.result === "Succeeded";
  }, { timeoutMs: 240_000, what: "the restore through the subresource" });
  const count = await exec("docker", ["exec", "-e", `PGPASSWORD=${password}`, container, "psql", "-h", "127.0.0.1", "-U", "main", "-d", "main", "-tAc", "select count(*) from big"]);
  assert.equal(count.stdout.trim(), "300000");

  logs += daemon.logs();
  const events = (await berth("events")).stdout;
  assert.match(events, /BackupSucceeded/);
  await nc.flush();
  assert.ok(!lines.join("\n").includes(password), "no command line on the host shows the password");
  assert.ok(!logs.includes(password), "berthd's log never shows the password");
  assert.ok(!events.includes(password), "no event shows the password");
  assert.deepEqual(seen.filter((m) => m.includes(password)).map((m) => m.split(" ")[0]), [], "no NATS message carries the password");
});
