import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startDaemon, eventually, removeDirs } from "../support/daemon.ts";
import { runCli } from "../support/run-cli.ts";
import { connectTestDocker, cleanupNamespace, randomNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { ensureDatabaseImage } from "../support/database-images.ts";
import { containerNameOf } from "../../controllers/database/index.ts";
import type { Report } from "./report.ts";

const exec = promisify(execFile);

/** SIZE_MB is the table size to back up (BERTH_BENCH_BACKUP_MB; 1024 by default). */
const SIZE_MB = Number(process.env.BERTH_BENCH_BACKUP_MB ?? 1024);
/** ROW_BYTES is about what one row of the bench table takes on disk. */
const ROW_BYTES = 200;

/** rssOf reads a process's resident set size in bytes. */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** timed runs `work` and returns its wall time in ms. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/**
 * bench measures a Backup of a large Postgres database through a real berthd (`berth backup run`: pg_dump -Fc
 * streamed to a local target, hashed, read back and listed with pg_restore --list) against `pg_dump -Fc > file`
 * run by hand in the same container; berthd's RSS growth during the run; and `berth restore` against
 * `pg_restore --clean --if-exists < file` by hand.
 */
export async function bench(report: Report): Promise<void> {
  const docker = await connectTestDocker();
  if (!docker) throw new Error(SKIP_NO_DOCKER);
  const image = await ensureDatabaseImage(docker, "postgres");
  const namespace = randomNamespace("bench-bk");
  const work = await mkdtemp(join(tmpdir(), "berth-bench-bk-"));
  const daemon = await startDaemon({ timeoutMs: 60_000 });
  try {
    const berth = (...args: string[]) => runCli([...args, "-n", namespace], { env: { ...daemon.env, HOME: work }, timeoutMs: 3_600_000 });
    await writeFile(join(work, "objects.yaml"), [
      "apiVersion: berth.dev/v1", "kind: Database", "metadata: {name: big}", `spec: {engine: postgres, image: "${image}", deletionPolicy: Delete}`, "---",
      "apiVersion: berth.dev/v1", "kind: Backup", "metadata: {name: big}", "spec:", "  databaseRef: {name: big}", "  timeoutSeconds: 7200",
      `  target: {local: {path: "${join(work, "backups")}"}}`, "",
    ].join("\n"));
    const applied = await berth("apply", "-f", join(work, "objects.yaml"));
    if (applied.code !== 0) throw new Error(applied.stderr);
    await eventually(async () => /^big\s+True\s/m.test((await berth("get", "databases")).stdout), { timeoutMs: 180_000, what: "Database big Ready" });
    const container = containerNameOf({ kind: "Database", namespace, name: "big" });
    const secret = JSON.parse((await berth("get", "secret", "big-credentials", "-o", "json")).stdout) as { data: Record<string, string> };
    const password = Buffer.from(secret.data.password!, "base64").toString("utf8");
    const sh = (script: string) => exec("docker", ["exec", "-e", `PGPASSWORD=${password}`, container, "sh", "-c", script], { maxBuffer: 16 << 20 });
    const rows = Math.round((SIZE_MB * 1024 * 1024) / ROW_BYTES);
    report.progress(`filling ${SIZE_MB} MB (${rows} rows)…`);
    await sh(`psql -q -U big -d big -c "create table big (id bigint, a text, b text); insert into big select g, md5(g::text) || repeat(md5(random()::text), 4), md5(random()::text) from generate_series(1, ${rows}) g;"`);
    const size = Number((await sh(`psql -tA -U big -d big -c "select pg_total_relation_size('big')"`)).stdout.trim());
    report.progress(`table is ${(size / 2 ** 20).toFixed(0)} MB; pg_dump by hand…`);

    const byHand = await timed(() => sh('pg_dump -Fc -U big -d big > /tmp/bench.pgdump'));
    const rssBefore = await rssOf(daemon.process.pid!);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => void rssOf(daemon.process.pid!).then((r) => (rssPeak = Math.max(rssPeak, r)), () => {}), 100);
    let out = "";
    const viaBerth = await timed(async () => {
      const run = await berth("backup", "run", "backup/big", "--timeout", "2h");
      out = run.stdout;
      if (run.code !== 0) throw new Error(run.stderr + run.stdout);
    });
    clearInterval(sampler);
    const bytes = Number(/Succeeded: (\d+) bytes/.exec(out)?.[1] ?? 0);
    const note = `table ${(size / 2 ** 20).toFixed(0)} MB, dump ${(bytes / 2 ** 20).toFixed(0)} MB; berth includes read-back sha256 and pg_restore --list`;
    report.figure("backup: pg_dump -Fc > file by hand", byHand / 1000, "s", { higherIsBetter: false, note });
    report.figure("backup: berth backup run (local target, verified)", viaBerth / 1000, "s", { higherIsBetter: false, baseline: { name: "pg_dump -Fc by hand", value: byHand / 1000, goalRatio: 1.2 }, note });
    report.figure("backup: berthd RSS growth during the run", (rssPeak - rssBefore) / 2 ** 20, "MB", { higherIsBetter: false, baseline: { name: "goal", value: 20, goalRatio: 1 }, note: `peak ${(rssPeak / 2 ** 20).toFixed(0)} MB, before ${(rssBefore / 2 ** 20).toFixed(0)} MB; goal < 20 MB` });

    report.progress("pg_restore by hand…");
    const restoreByHand = await timed(() => sh("pg_restore --clean --if-exists --no-owner -U big -d big < /tmp/bench.pgdump"));
    const id = /snapshot (\S+) Succeeded/.exec(out)?.[1] ?? "";
    const viaRestore = await timed(async () => {
      const run = await berth("restore", "backup/big", "--snapshot", id, "--to", "database/big", "--timeout", "2h");
      if (run.code !== 0) throw new Error(run.stderr + run.stdout);
    });
    report.figure("restore: pg_restore --clean --if-exists < file by hand", restoreByHand / 1000, "s", { higherIsBetter: false, note });
    report.figure("restore: berth restore (sha256 check, then pg_restore)", viaRestore / 1000, "s", { higherIsBetter: false, baseline: { name: "pg_restore by hand", value: restoreByHand / 1000, goalRatio: 1.2 }, note });
  } finally {
    await daemon.stop();
    await cleanupNamespace(docker, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir, work);
  }
}
