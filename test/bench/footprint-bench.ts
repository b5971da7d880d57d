/**
 * footprint-bench measures Berth's whole memory footprint as a user runs it: `bin/berthd` with its own data
 * directory and random ports, and every process it starts (its process tree: the proxy's threads are inside
 * berthd; nats-server, found through its pid file too). It reports the resident memory (RSS) of each process
 * and their total once idle with an empty store (goal: under 150 MB), then the same with 100 one-replica Apps
 * running in real containers (goal: under 200 MB). RSS counts pages shared between processes once per process;
 * the notes give the proportional set size (PSS) total too, which splits shared pages among their sharers.
 * Figures are in MB (10^6 bytes), as the goals are. Containers, network, daemon and directories are removed.
 */
import { readdir, readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { startDaemon, reapNats, removeDirs, type Daemon } from "../support/daemon.ts";
import { ApiClient } from "../support/https-client.ts";
import { cleanupNamespace, connectTestDocker, randomNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";
import { LABELS, type DockerClient } from "../../controllers/docker/index.ts";
import type { Report } from "./report.ts";

/** IDLE_MS is how long berthd sits idle before its memory is read. */
const IDLE_MS = 5_000;
const FLEET = 100;
const MB = 1e6;

/** Sample is one process's memory. */
interface Sample {
  pid: number;
  name: string;
  rss: number;
  pss: number;
}

export async function bench(report: Report): Promise<void> {
  const docker = await connectTestDocker();
  // A first start makes certificates and tokens; the figures are for a daemon started again, as after a reboot.
  const first = await startDaemon({ args: ["--log-level", "warn"] });
  await first.stop();
  await reapNats(first.dataDir);
  const daemon = await startDaemon({ dataDir: first.dataDir, clientDir: first.clientDir, args: ["--log-level", "warn"] });
  const namespace = randomNamespace("footprint");
  const onAbort = () => void daemon.kill9();
  report.signal.addEventListener("abort", onAbort, { once: true });
  try {
    await sleep(IDLE_MS);
    record(report, "idle, empty store", await footprint(daemon), 150);
    if (!docker) throw new Error(SKIP_NO_DOCKER);
    await runFleet(report, daemon, docker, namespace);
    record(report, `${FLEET} Apps running`, await footprint(daemon), 200);
  } finally {
    report.signal.removeEventListener("abort", onAbort);
    await daemon.stop();
    await reapNats(daemon.dataDir);
    if (docker) await removeAll(docker, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir);
  }
}

/** record reports each process's RSS and the total against the goal, with the PSS total in the note. */
function record(report: Report, label: string, samples: Sample[], goalMb: number): void {
  const total = samples.reduce((sum, s) => sum + s.rss, 0);
  const pss = samples.reduce((sum, s) => sum + s.pss, 0);
  for (const s of samples) report.figure(`RSS ${s.name} (pid ${s.pid}), ${label}`, s.rss / MB, "MB", { higherIsBetter: false, note: `PSS ${(s.pss / MB).toFixed(1)} MB` });
  report.figure(`RSS total, ${label}`, total / MB, "MB", {
    higherIsBetter: false,
    baseline: { name: "goal", value: goalMb, goalRatio: 1 },
    note: `${samples.length} processes (${samples.map((s) => s.name).join(", ")}); PSS total ${(pss / MB).toFixed(1)} MB; after ${IDLE_MS / 1000} s idle`,
  });
}

/** footprint samples every process of berthd's tree, and nats-server by its pid file should it not be in it. */
async function footprint(daemon: Daemon): Promise<Sample[]> {
  const pids = await tree(daemon.process.pid!);
  const natsPid = Number(await readFile(join(daemon.dataDir, "nats", "nats-server.pid"), "utf8").catch(() => "0"));
  if (natsPid > 0 && !pids.includes(natsPid)) pids.push(natsPid);
  return Promise.all(pids.map((pid) => sample(pid, daemon.process.pid!)));
}

/** tree lists a process and its descendants, from the children every one of its threads started (/proc). */
async function tree(root: number): Promise<number[]> {
  const pids = [root];
  for (let i = 0; i < pids.length; i++) {
    const tasks = await readdir(`/proc/${pids[i]}/task`).catch(() => [] as string[]);
    for (const task of tasks) {
      const children = await readFile(`/proc/${pids[i]}/task/${task}/children`, "utf8").catch(() => "");
      for (const child of children.split(" ").filter(Boolean).map(Number)) if (!pids.includes(child)) pids.push(child);
    }
  }
  return pids;
}

async function sample(pid: number, root: number): Promise<Sample> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
  const kb = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) * 1024;
  const comm = (await readFile(`/proc/${pid}/comm`, "utf8")).trim();
  return { pid, name: pid === root ? "berthd" : comm, rss: kb(status, "VmRSS"), pss: kb(rollup, "Pss") };
}

/** runFleet starts FLEET one-replica Apps through the API and waits until every one is Ready, then idles. */
async function runFleet(report: Report, daemon: Daemon, docker: DockerClient, namespace: string): Promise<void> {
  await ensureTestImages(docker, [TEST_IMAGES.webV1]);
  const { token, ca } = parse(readFileSync(join(daemon.clientDir, "config.yaml"), "utf8")) as { token: string; ca: string };
  const api = new ApiClient(daemon.url, ca, token, { keepAlive: true });
  const path = `/apis/berth.dev/v1/namespaces/${namespace}/apps`;
  try {
    const started = performance.now();
    for (let i = 0; i < FLEET; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, FLEET - i) }, async (_, j) => {
        const manifest = { apiVersion: "berth.dev/v1", kind: "App", metadata: { name: `fleet-${i + j}`, namespace }, spec: { image: TEST_IMAGES.webV1, replicas: 1, port: WEB_PORT } };
        const res = await api.post(path, manifest);
        if (res.status !== 201) throw new Error(`POST fleet-${i + j}: ${res.status} ${res.text}`);
      }));
    }
    for (;;) {
      if (report.signal.aborted) throw report.signal.reason;
      const res = await api.get(path);
      const items = (JSON.parse(res.text) as { items: Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }> }).items;
      const ready = items.filter((a) => a.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
      if (ready === FLEET) break;
      if (performance.now() - started > 300_000) throw new Error(`only ${ready} of ${FLEET} Apps Ready after 300 s`);
      await sleep(1_000);
    }
    report.progress(`${FLEET} Apps Ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    await sleep(IDLE_MS);
  } finally {
    api.close();
  }
}

/** removeAll removes the namespace's containers several at a time, then its network. */
async function removeAll(docker: DockerClient, namespace: string): Promise<void> {
  const ids = (await docker.listContainers({ all: true, filters: { label: [`${LABELS.namespace}=${namespace}`] } })).map((c) => c.Id);
  for (let i = 0; i < ids.length; i += 8) await Promise.all(ids.slice(i, i + 8).map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
  await cleanupNamespace(docker, namespace);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
