import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { startDaemon, reapNats, removeDirs } from "../support/daemon.ts";
import { ApiClient } from "../support/https-client.ts";
import { connectTestDocker, cleanupNamespace, randomNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { ensureDatabaseImage } from "../support/database-images.ts";
import { LABELS } from "../../controllers/docker/index.ts";
import type { Report } from "./report.ts";

const exec = promisify(execFile);
/** RUNS of each side (after one warm-up of each), interleaved: every run initialises a new data directory. */
const RUNS = 5;
/** POLL_MS is how often the baseline asks pg_isready, the same pace as the controller's while an engine starts. */
const POLL_MS = 200;

type DatabaseObject = { metadata: { name: string; generation?: number }; status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string }> } };
type WatchEvent = { type: string; object: DatabaseObject };

/**
 * bench measures the Database controller through a real berthd: a Database POSTed → Ready (seen on a watch)
 * against `docker run -d` of the same Postgres image polled with `pg_isready` until it accepts connections.
 * Both initialise a fresh data directory (initdb) each run, which is most of either figure.
 */
export async function bench(report: Report): Promise<void> {
  const docker = await connectTestDocker();
  if (!docker) throw new Error(SKIP_NO_DOCKER);
  const image = await ensureDatabaseImage(docker, "postgres");
  const namespace = randomNamespace("bench-db");
  const daemon = await startDaemon({ args: ["--log-level", "warn"] });
  const { token, ca } = parse(await readFile(join(daemon.clientDir, "config.yaml"), "utf8")) as { token: string; ca: string };
  const api = new ApiClient(daemon.url, ca, token, { keepAlive: true });
  try {
    const raw: number[] = [];
    const berth: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      if (report.signal.aborted) throw report.signal.reason;
      const r = await dockerRunToReady(image, namespace);
      const b = await postToReady(api, namespace, image, `pg-${i}`);
      report.progress(`run ${i}: docker run ${Math.round(r)} ms, Database ${Math.round(b)} ms`);
      if (i > 0) raw.push(r), berth.push(b);
    }
    const baseline = median(raw);
    ctx(report, baseline, berth);
    report.figure("docker run -d → pg_isready", baseline, "ms", { higherIsBetter: false, note: `median of ${RUNS}, ${image}, polled every ${POLL_MS} ms with docker exec` });
  } finally {
    api.close();
    await daemon.stop();
    await reapNats(daemon.dataDir);
    await cleanupNamespace(docker, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir);
  }
}

function ctx(report: Report, baseline: number, berth: number[]): void {
  report.figure("Database POST → Ready (watch)", median(berth), "ms", {
    higherIsBetter: false,
    baseline: { name: "docker run", value: baseline, goalRatio: 1.3 },
    note: `median of ${berth.length}, postgres, generated credentials, owned volume, readiness by pg_isready + psql; min ${Math.round(Math.min(...berth))} ms, max ${Math.round(Math.max(...berth))} ms`,
  });
}

async function dockerRunToReady(image: string, namespace: string): Promise<number> {
  const started = performance.now();
  const { stdout } = await exec("docker", ["run", "-d", "-e", "POSTGRES_HOST_AUTH_METHOD=trust", "--label", `${LABELS.namespace}=${namespace}`, image], { timeout: 30_000 });
  const id = stdout.trim();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await exec("docker", ["exec", id, "pg_isready", "-q", "-h", "127.0.0.1"], { timeout: 10_000 }).then(() => true, () => false);
      if (ok) return performance.now() - started;
      if (Date.now() > deadline) throw new Error("postgres did not become ready within 60 s");
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    await exec("docker", ["rm", "-f", "-v", id], { timeout: 30_000 });
  }
}

async function postToReady(api: ApiClient, namespace: string, image: string, name: string): Promise<number> {
  const path = `/apis/berth.dev/v1/namespaces/${namespace}/databases`;
  const watch = await api.watch(`${path}?watch=1&fieldSelector=metadata.name%3D${name}`);
  try {
    const started = performance.now();
    const manifest = { apiVersion: "berth.dev/v1", kind: "Database", metadata: { name, namespace }, spec: { engine: "postgres", image, deletionPolicy: "Delete" } };
    const created = await api.post(path, manifest);
    if (created.status !== 201) throw new Error(`POST ${name}: ${created.status} ${created.text}`);
    await watch.nextMatching((e: WatchEvent) => isReady(e.object), 60_000);
    const elapsed = performance.now() - started;
    await api.delete(`${path}/${name}`);
    await watch.nextMatching((e: WatchEvent) => e.type === "DELETED", 60_000);
    return elapsed;
  } finally {
    watch.close();
  }
}

function isReady(obj: DatabaseObject): boolean {
  return obj.status?.observedGeneration === obj.metadata.generation && obj.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
