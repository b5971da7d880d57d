import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { startDaemon, freePort, reapNats, removeDirs } from "../support/daemon.ts";
import { ApiClient } from "../support/https-client.ts";
import { connectTestDocker, cleanupNamespace, randomNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { get } from "../integration/proxy/support.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";
import { createGitRepo, startGitDaemon } from "../support/git-server.ts";
import { imageRepository, REQUESTED_COMMIT_ANNOTATION, REQUESTED_REF_ANNOTATION } from "../../controllers/build/names.ts";
import type { Report } from "./report.ts";

const exec = promisify(execFile);
/** RUNS of each side of push → serving (after one warm-up of each), interleaved. */
const RUNS = 3;
/** LOG_BYTES is how much output the log-streaming build prints. */
const LOG_BYTES = 100 * 1024 * 1024;

/** HOST is the Domain the bench App is served on through berthd's proxy, as its users reach it. */
const HOST = "web.bench.test";

const dockerfile = (body: string, ...steps: string[]) => [`FROM ${TEST_IMAGES.webV1}`, ...steps, `RUN echo ${body} > /www/index.html`].join("\n") + "\n";

/**
 * bench measures builds from git through a real berthd: (a) a push (a commit, then the build request a webhook
 * delivery writes) → the new version answering through berthd's proxy on the App's Domain (what its users see),
 * against `docker build && docker run` of
 * the same context by hand → its first 200 with the new body (classic builder on both sides); (b) berthd's
 * resident memory while one build prints 100 MB of output (streamed to the log file, capped at 50 MB there).
 */
export async function bench(report: Report): Promise<void> {
  const docker = await connectTestDocker();
  if (!docker) throw new Error(SKIP_NO_DOCKER);
  await ensureTestImages(docker, [TEST_IMAGES.webV1]);
  const namespace = randomNamespace("bench-build");
  const repo = await createGitRepo();
  const git = await startGitDaemon(repo.root);
  const httpPort = await freePort();
  const daemon = await startDaemon({ args: ["--log-level", "warn", "--http-port", String(httpPort)] });
  const { token, ca } = parse(await readFile(join(daemon.clientDir, "config.yaml"), "utf8")) as { token: string; ca: string };
  const api = new ApiClient(daemon.url, ca, token, { keepAlive: true });
  const byHand = await mkdtemp(join(tmpdir(), "berth-bench-build-"));
  const apps = `/apis/berth.dev/v1/namespaces/${namespace}/apps`;
  try {
    let commit = await repo.commit({ Dockerfile: dockerfile("warm") });
    const created = await api.post(apps, { apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web", namespace }, spec: { build: { git: { url: git.url(repo.name), ref: "main" } }, port: WEB_PORT, healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 }, strategy: { drainSeconds: 0 } } });
    if (created.status !== 201) throw new Error(`POST web: ${created.status} ${created.text}`);
    const domain = await api.post(`/apis/berth.dev/v1/namespaces/${namespace}/domains`, { apiVersion: "berth.dev/v1", kind: "Domain", metadata: { name: "web", namespace }, spec: { host: HOST, appRef: { name: "web" }, tls: { mode: "none" } } });
    if (domain.status !== 201) throw new Error(`POST domain web: ${domain.status} ${domain.text}`);
    const serving = (body: string, timeoutMs: number) => servingThroughProxy(httpPort, body, timeoutMs);
    await serving("warm", 120_000);
    const berth: number[] = [];
    const hand: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      if (report.signal.aborted) throw report.signal.reason;
      const body = `v${i}-${Date.now()}`;
      let started = performance.now();
      commit = await repo.commit({ Dockerfile: dockerfile(body) });
      const patched = await api.patch(`${apps}/web`, { metadata: { annotations: { [REQUESTED_COMMIT_ANNOTATION]: commit, [REQUESTED_REF_ANNOTATION]: "main" } } }, "application/merge-patch+json");
      if (patched.status !== 200) throw new Error(`PATCH web: ${patched.status} ${patched.text}`);
      await serving(body, 120_000);
      const b = performance.now() - started;
      started = performance.now();
      await byHandBuildAndRun(byHand, `hand-${body}`, namespace);
      const h = performance.now() - started;
      if (i > 0) berth.push(b), hand.push(h);
    }
    const baseline = median(hand);
    report.figure("docker build && docker run → first 200 (by hand)", baseline, "ms", { higherIsBetter: false, note: `median of ${RUNS}; classic builder, FROM ${TEST_IMAGES.webV1} + one RUN` });
    report.figure("push → new version serving", median(berth), "ms", { higherIsBetter: false, baseline: { name: "by hand", value: baseline }, note: `median of ${RUNS}; commit + build request → git fetch, docker build, rolling update, health check, first 200 through the proxy` });
    report.figure("push → serving overhead over by hand", median(berth) - baseline, "ms", { higherIsBetter: false, baseline: { name: "goal", value: 1_500, goalRatio: 1 }, note: "goal: under 1.5 s" });
    await logMemory(report, api, apps, repo, daemon.process.pid!, serving);
  } finally {
    api.close();
    await daemon.stop();
    await reapNats(daemon.dataDir);
    await cleanupNamespace(docker, namespace);
    for (const image of await docker.listImages({ filters: { reference: [imageRepository({ kind: "App", namespace, name: "web" }), `berth-bench/${namespace}`] } })) await docker.getImage(image.Id).remove({ force: true }).catch(() => {});
    await git.stop();
    await repo.remove();
    await rm(byHand, { recursive: true, force: true });
    await removeDirs(daemon.dataDir, daemon.clientDir);
  }

  /** byHandBuildAndRun is what someone does without Berth: build the context, run it, wait for the new page. */
  async function byHandBuildAndRun(dir: string, body: string, ns: string): Promise<void> {
    await writeFile(join(dir, "Dockerfile"), dockerfile(body));
    const tag = `berth-bench/${ns}:${body.toLowerCase().replace(/[^a-z0-9.-]/g, "-").slice(0, 100)}`;
    await exec("docker", ["build", "-q", "-t", tag, dir], { env: { ...process.env, DOCKER_BUILDKIT: "0" }, timeout: 120_000 });
    const { stdout } = await exec("docker", ["run", "-d", "--label", `berth.dev/namespace=${ns}`, tag], { timeout: 30_000 });
    const id = stdout.trim();
    try {
      const info = await docker!.getContainer(id).inspect();
      await firstBody(info.NetworkSettings.Networks.bridge!.IPAddress, WEB_PORT, body, 30_000);
    } finally {
      await docker!.getContainer(id).remove({ force: true });
    }
  }
}

/** logMemory samples berthd's RSS while a build prints LOG_BYTES of output. */
async function logMemory(report: Report, api: ApiClient, apps: string, repo: Awaited<ReturnType<typeof createGitRepo>>, pid: number, serving: (body: string, timeoutMs: number) => Promise<void>): Promise<void> {
  // 100 MB of 100-character lines from busybox, then a failing step so no image is kept.
  const lines = Math.round(LOG_BYTES / 101);
  const commit = await repo.commit({ Dockerfile: dockerfile("loud", `RUN yes 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789 | head -n ${lines}`) });
  await new Promise((r) => setTimeout(r, 2_000));
  const before = rssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  const started = performance.now();
  try {
    const patched = await api.patch(`${apps}/web`, { metadata: { annotations: { [REQUESTED_COMMIT_ANNOTATION]: commit, [REQUESTED_REF_ANNOTATION]: "main" } } }, "application/merge-patch+json");
    if (patched.status !== 200) throw new Error(`PATCH web: ${patched.status} ${patched.text}`);
    await serving("loud", 300_000);
  } finally {
    clearInterval(sampler);
  }
  report.figure("berthd RSS growth while a build streams 100 MB of log", peak - before, "MiB", { higherIsBetter: false, baseline: { name: "goal", value: 20, goalRatio: 1 }, note: `RSS ${before.toFixed(1)} → peak ${peak.toFixed(1)} MiB; build took ${((performance.now() - started) / 1000).toFixed(1)} s; goal: under 20 MiB` });
}

/** servingThroughProxy waits until berthd's proxy answers `/` on HOST with `body`, polling like firstBody. */
async function servingThroughProxy(port: number, body: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const res = await get(port, HOST, "/", { timeoutMs: 1_000 }).catch(() => undefined);
    if (res?.status === 200 && res.body.trim() === body) return;
    if (performance.now() > deadline) throw new Error(`${HOST} did not serve ${body} through the proxy within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** firstBody retries GET / until it answers 200 with `body`. */
async function firstBody(host: string, port: number, body: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
    if (res?.status === 200 && (await res.text()).trim() === body) return;
    if (performance.now() > deadline) throw new Error(`no ${body} from ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}
