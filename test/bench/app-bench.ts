import { execFile, execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { startDaemon, reapNats, removeDirs, type Daemon } from "../support/daemon.ts";
import { ApiClient, type WatchLines } from "../support/https-client.ts";
import { connectTestDocker, cleanupNamespace, randomNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";
import { LABELS, namespaceNetworkName, type DockerClient } from "../../controllers/docker/index.ts";
import type { Report } from "./report.ts";

const exec = promisify(execFile);
/** RUNS of each side of the apply → HTTP 200 comparison (after one warm-up of each), interleaved. */
const RUNS = 7;
const ROLLOUTS = 3;
const FLEET = 100;
/** IDLE_MS the fleet runs before berthd's memory is read. */
const IDLE_MS = 5_000;
const REPLICAS = 3;
const MAX_UNAVAILABLE = 0;

type Condition = { type: string; status: string };
type AppObject = {
  metadata: { name: string; generation?: number; resourceVersion?: string };
  status?: { observedGeneration?: number; revision?: number; readyReplicas?: number; replicas?: number; updatedReplicas?: number; conditions?: Condition[]; endpoints?: Array<{ host: string; port: number }> };
};
type WatchEvent = { type: string; object: AppObject };

/**
 * bench measures the App controller through a real berthd and Docker: (a) `docker run -d` → first HTTP 200
 * (the baseline) against an API POST of a 1-replica App → Ready (seen on a watch) → first HTTP 200; (b) a
 * 3-replica rolling update v1 → v2: total time, and time spent with fewer than `replicas - maxUnavailable`
 * ready; (c) berthd's resident memory with 100 one-replica Apps running.
 */
export async function bench(report: Report): Promise<void> {
  const docker = await connectTestDocker();
  if (!docker) throw new Error(SKIP_NO_DOCKER);
  await ensureTestImages(docker, [TEST_IMAGES.webV1, TEST_IMAGES.webV2]);
  const namespace = randomNamespace("bench");
  const daemon = await startDaemon({ args: ["--log-level", "warn"] });
  // The runner exits as soon as its budget is spent: leave nothing behind even then.
  const onAbort = () => emergencyCleanup(daemon, namespace);
  report.signal.addEventListener("abort", onAbort, { once: true });
  const { token, ca } = parse(await readFile(join(daemon.clientDir, "config.yaml"), "utf8")) as { token: string; ca: string };
  const api = new ApiClient(daemon.url, ca, token, { keepAlive: true });
  const ctx: Ctx = { report, docker, api, namespace, daemon };
  try {
    await applyToFirstResponse(ctx);
    await rollingUpdate(ctx);
    await fleetMemory(ctx);
  } finally {
    report.signal.removeEventListener("abort", onAbort);
    api.close();
    await daemon.stop();
    await reapNats(daemon.dataDir);
    await removeAll(docker, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir);
  }
}

interface Ctx {
  report: Report;
  docker: DockerClient;
  api: ApiClient;
  namespace: string;
  daemon: Daemon;
}

/** (a) median of RUNS: raw `docker run -d` → 200, against POST → Ready → 200 and `berth apply` → Ready → 200. */
async function applyToFirstResponse(ctx: Ctx): Promise<void> {
  const raw: number[] = [];
  const rawOnNetwork: number[] = [];
  const berth: number[] = [];
  const network = namespaceNetworkName(ctx.namespace);
  // berthd removes a namespace's network once no App is left in it: an App with no replicas keeps it for the
  // raw runs on that network between the timed Apps' deletions.
  const keeper = await ctx.api.post(`/apis/berth.dev/v1/namespaces/${ctx.namespace}/apps`, appManifest(ctx.namespace, "keep-network", TEST_IMAGES.webV1, 0));
  if (keeper.status !== 201) throw new Error(`POST keep-network: ${keeper.status} ${keeper.text}`);
  for (let i = 0; i <= RUNS; i++) {
    checkBudget(ctx);
    const r = await dockerRunToResponse(ctx, "bridge");
    const b = await postToResponse(ctx, `first-${i}`);
    const n = await dockerRunToResponse(ctx, network);
    // The first of each warms caches (the namespace network, made by the first App, and the image's layers).
    if (i > 0) raw.push(r), berth.push(b), rawOnNetwork.push(n);
  }
  const baseline = median(raw);
  ctx.report.figure("docker run -d → first HTTP 200", baseline, "ms", { higherIsBetter: false, note: `median of ${RUNS}, ${TEST_IMAGES.webV1}, docker CLI, default bridge, IP from the Engine` });
  ctx.report.figure("docker run -d on the namespace network → first HTTP 200", median(rawOnNetwork), "ms", { higherIsBetter: false, note: `median of ${RUNS}; the same run on the user-defined network an App's replicas join` });
  ctx.report.figure("App POST → Ready (watch) → first HTTP 200", median(berth), "ms", {
    higherIsBetter: false,
    baseline: { name: "docker run", value: baseline, goalRatio: 1.5 },
    note: `median of ${RUNS}, 1 replica, http health check; min ${Math.round(Math.min(...berth))} ms, max ${Math.round(Math.max(...berth))} ms`,
  });
}

async function dockerRunToResponse(ctx: Ctx, network: string): Promise<number> {
  const started = performance.now();
  const { stdout } = await exec("docker", ["run", "-d", "--network", network, "--label", `${LABELS.namespace}=${ctx.namespace}`, TEST_IMAGES.webV1], { timeout: 30_000 });
  const id = stdout.trim();
  try {
    const info = await ctx.docker.getContainer(id).inspect();
    await firstResponse(info.NetworkSettings.Networks[network]!.IPAddress, WEB_PORT, 10_000);
    return performance.now() - started;
  } finally {
    await ctx.docker.getContainer(id).remove({ force: true });
  }
}

async function postToResponse(ctx: Ctx, name: string): Promise<number> {
  const path = `/apis/berth.dev/v1/namespaces/${ctx.namespace}/apps`;
  const watch = await ctx.api.watch(`${path}?watch=1&fieldSelector=metadata.name%3D${name}`);
  try {
    const started = performance.now();
    const created = await ctx.api.post(path, appManifest(ctx.namespace, name, TEST_IMAGES.webV1, 1));
    if (created.status !== 201) throw new Error(`POST ${name}: ${created.status} ${created.text}`);
    const event = (await watch.nextMatching((e: WatchEvent) => isReady(e.object), 30_000)) as WatchEvent;
    const endpoint = event.object.status!.endpoints![0]!;
    await firstResponse(endpoint.host, endpoint.port, 10_000);
    const elapsed = performance.now() - started;
    await ctx.api.delete(`${path}/${name}`);
    await watch.nextMatching((e: WatchEvent) => e.type === "DELETED", 30_000);
    return elapsed;
  } finally {
    watch.close();
  }
}

/** (b) ROLLOUTS rolling updates of a 3-replica App, alternating v1 and v2, each followed on a watch of its status. */
async function rollingUpdate(ctx: Ctx): Promise<void> {
  const path = `/apis/berth.dev/v1/namespaces/${ctx.namespace}/apps/roll`;
  const created = await ctx.api.post(`/apis/berth.dev/v1/namespaces/${ctx.namespace}/apps`, appManifest(ctx.namespace, "roll", TEST_IMAGES.webV1, REPLICAS));
  if (created.status !== 201) throw new Error(`POST roll: ${created.status} ${created.text}`);
  const watch = await ctx.api.watch(`/apis/berth.dev/v1/namespaces/${ctx.namespace}/apps?watch=1&fieldSelector=metadata.name%3Droll`);
  try {
    await watch.nextMatching((e: WatchEvent) => isReady(e.object), 60_000);
    const totals: number[] = [];
    let below = 0;
    let minReady = REPLICAS;
    let samples = 0;
    for (let i = 0; i < ROLLOUTS; i++) {
      checkBudget(ctx);
      const image = i % 2 === 0 ? TEST_IMAGES.webV2 : TEST_IMAGES.webV1;
      const started = performance.now();
      const patched = await ctx.api.patch(path, { spec: { image } }, "application/merge-patch+json");
      if (patched.status !== 200) throw new Error(`PATCH roll: ${patched.status} ${patched.text}`);
      const generation = (patched.json() as AppObject).metadata.generation;
      // Every status write is an event: the ready count is known at each moment of the rollout.
      let belowSince: number | undefined;
      for (;;) {
        const event = (await watch.next(60_000)) as WatchEvent | undefined;
        if (!event) throw new Error("the watch ended during the rollout");
        const now = performance.now();
        const status = event.object.status ?? {};
        samples++;
        const ready = status.readyReplicas ?? 0;
        minReady = Math.min(minReady, ready);
        if (ready < REPLICAS - MAX_UNAVAILABLE) belowSince ??= now;
        else if (belowSince !== undefined) (below += now - belowSince), (belowSince = undefined);
        if (isReady(event.object) && status.observedGeneration === generation && status.updatedReplicas === REPLICAS && status.replicas === REPLICAS) {
          totals.push(now - started);
          break;
        }
      }
    }
    ctx.report.figure("3-replica rolling update, total", median(totals), "ms", { higherIsBetter: false, note: `median of ${totals.length} (v1 ↔ v2), maxSurge 1, maxUnavailable ${MAX_UNAVAILABLE}, drainSeconds 0, PATCH → Ready` });
    ctx.report.figure(`time with < ${REPLICAS - MAX_UNAVAILABLE} replicas ready`, below, "ms", {
      higherIsBetter: false,
      note: `summed over ${totals.length} rollouts, ${samples} status samples, min ready ${minReady}; goal 0`,
    });
  } finally {
    watch.close();
  }
}

/** (c) FLEET one-replica Apps applied at once, then berthd's RSS once they all run. */
async function fleetMemory(ctx: Ctx): Promise<void> {
  checkBudget(ctx);
  const path = `/apis/berth.dev/v1/namespaces/${ctx.namespace}/apps`;
  const names = Array.from({ length: FLEET }, (_, i) => `fleet-${i}`);
  const watch = await ctx.api.watch(`${path}?watch=1&labelSelector=bench%3Dfleet`);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(ctx.daemon.process.pid!))), 250);
  try {
    const started = performance.now();
    for (let i = 0; i < names.length; i += 10) {
      await Promise.all(names.slice(i, i + 10).map(async (name) => {
        const res = await ctx.api.post(path, appManifest(ctx.namespace, name, TEST_IMAGES.webV1, 1, { bench: "fleet" }));
        if (res.status !== 201) throw new Error(`POST ${name}: ${res.status} ${res.text}`);
      }));
    }
    const ready = new Set<string>();
    while (ready.size < FLEET) {
      checkBudget(ctx);
      const event = (await watch.next(60_000)) as WatchEvent | undefined;
      if (!event) throw new Error("the watch ended before the fleet was Ready");
      if (isReady(event.object)) ready.add(event.object.metadata.name);
    }
    const allReady = performance.now() - started;
    ctx.report.figure(`${FLEET} Apps POSTed → all Ready`, allReady / 1000, "s", { higherIsBetter: false, note: `1 replica each; ${(allReady / FLEET).toFixed(0)} ms per App` });
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const running = await ctx.docker.listContainers({ filters: { label: [`${LABELS.namespace}=${ctx.namespace}`], status: ["running"] } });
    if (running.length < FLEET) throw new Error(`only ${running.length} of ${FLEET} containers run`);
    const rss = rssMiB(ctx.daemon.process.pid!);
    const natsPid = Number(await readFile(join(ctx.daemon.dataDir, "nats", "nats-server.pid"), "utf8").catch(() => "0"));
    const nats = natsPid > 0 ? rssMiB(natsPid) : 0;
    ctx.report.figure(`berthd RSS, ${FLEET} Apps running`, rss, "MiB", {
      higherIsBetter: false,
      baseline: { name: "goal", value: 120, goalRatio: 1 },
      note: `after ${IDLE_MS / 1000} s; peak while starting them ${peak.toFixed(1)} MiB; berthd includes its proxy threads; nats-server apart (whole footprint: footprint bench): ${nats.toFixed(1)} MiB`,
    });
  } finally {
    clearInterval(sampler);
    watch.close();
  }
}

function appManifest(namespace: string, name: string, image: string, replicas: number, labels?: Record<string, string>) {
  return {
    apiVersion: "berth.dev/v1",
    kind: "App",
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { image, replicas, port: WEB_PORT, healthCheck: { http: { path: "/healthz" } }, strategy: { type: "Rolling", maxSurge: 1, maxUnavailable: MAX_UNAVAILABLE, drainSeconds: 0 } },
  };
}

function isReady(app: AppObject): boolean {
  return app.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
}

/** firstResponse retries GET / until it answers 200 (a refused connection fails at once, so retries are tight). */
async function firstResponse(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
    if (res) await res.arrayBuffer();
    if (res?.status === 200) return;
    if (performance.now() > deadline) throw new Error(`no HTTP 200 from ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function checkBudget(ctx: Ctx): void {
  if (ctx.report.signal.aborted) throw ctx.report.signal.reason;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** removeAll removes the namespace's containers several at a time (a hundred one by one is slow), then the rest. */
async function removeAll(docker: DockerClient, namespace: string): Promise<void> {
  const ids = (await docker.listContainers({ all: true, filters: { label: [`${LABELS.namespace}=${namespace}`] } })).map((c) => c.Id);
  for (let i = 0; i < ids.length; i += 8) await Promise.all(ids.slice(i, i + 8).map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
  await cleanupNamespace(docker, namespace);
}

/**
 * emergencyCleanup runs when the bench budget aborts the run, which then exits without waiting: it kills
 * berthd and its nats-server and removes the namespace's containers and network synchronously.
 */
function emergencyCleanup(daemon: Daemon, namespace: string): void {
  daemon.process.kill("SIGKILL");
  const natsPid = Number((() => {
    try {
      return readFileSync(join(daemon.dataDir, "nats", "nats-server.pid"), "utf8");
    } catch {
      return "0";
    }
  })());
  if (natsPid > 0) {
    try {
      process.kill(natsPid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const script = `ids=$(docker ps -aq --filter label=${LABELS.namespace}=${namespace}); [ -z "$ids" ] || docker rm -f $ids >/dev/null; docker network rm ${namespaceNetworkName(namespace)} >/dev/null 2>&1; true`;
  try {
    execFileSync("sh", ["-c", script], { timeout: 60_000, stdio: "ignore" });
  } catch {
    // best effort: the run is ending
  }
  rmSync(daemon.dataDir, { recursive: true, force: true });
  rmSync(daemon.clientDir, { recursive: true, force: true });
}
