/**
 * api-bench measures the HTTPS API on top of the durable store:
 * (e) App creates/s from 16 concurrent keep-alive HTTPS clients (through auth, admission and an fsynced write),
 *     against etcd's durable puts/s of the same objects from 16 clients (goal: at least etcd's rate);
 * (f) watch delivery latency to 100 concurrent HTTP watchers, from the store acknowledging a write to each
 *     watcher parsing the event (goal: p99 < 10 ms).
 * Clients run in a worker thread, as they would in other processes, so the server's event loop is its own.
 * Time per phase: BERTH_BENCH_SECONDS (default 5).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { silentLogger } from "../../controllers/runtime/logger.ts";
import { openDurableStore, type ResourceStore } from "../../store/index.ts";
import { startTestApi, type TestApi } from "../support/api-harness.ts";
import { ApiClient } from "../support/https-client.ts";
import { realisticApp } from "../unit/store/fixtures.ts";
import { EtcdServer, ensureEtcd } from "./etcd.ts";
import type { Report } from "./report.ts";

const CLIENTS = 16;
const WATCHERS = 100;
const WATCH_WRITES = 300;
/** WATCH_WARMUP_WRITES are delivered first and not counted, so the figures are not the JIT's warm-up. */
const WATCH_WARMUP_WRITES = 50;
const WATCH_GOAL_P99_MS = 10;
const SECONDS = Number(process.env.BERTH_BENCH_SECONDS ?? 5);
const WORKER_TIMEOUT_MS = 60_000;
const WARMUP_MS = 1_000;

/** CreateJob and WatchJob are what the client worker is asked to do. */
interface Target { url: string; ca: string; token: string }
interface CreateJob extends Target { role: "create"; ms: number }
interface WatchJob extends Target { role: "watch"; path: string; expected: number }
type Job = CreateJob | WatchJob;

/** now is wall-clock milliseconds with sub-millisecond precision, comparable across threads. */
const now = () => performance.timeOrigin + performance.now();

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
}

// ---- worker side ---------------------------------------------------------------------------------------------

async function createLoad(job: CreateJob): Promise<{ ops: number; seconds: number; p50: number; p99: number; failures: number }> {
  const client = new ApiClient(job.url, job.ca, job.token, { keepAlive: true, maxSockets: CLIENTS });
  const bodies = Array.from({ length: CLIENTS }, (_, c) => JSON.stringify(realisticApp(`c${c}-x`)).replace(`"c${c}-x"`, "\"NAME\""));
  let latencies: number[] = [];
  let failures = 0;
  // The first WARMUP_MS let the JIT compile the server's and the clients' paths; they are not counted.
  const warmupEnds = now() + WARMUP_MS;
  let started = Infinity;
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    for (let n = 0; now() < warmupEnds || now() - started < job.ms; n++) {
      if (started === Infinity && now() >= warmupEnds) {
        started = now();
        latencies = [];
        failures = 0;
      }
      const t0 = now();
      const res = await client.post("/apis/berth.dev/v1/namespaces/default/apps", bodies[c]!.replaceAll("\"NAME\"", `"c${c}-${n}"`));
      if (res.status !== 201) failures++;
      latencies.push(now() - t0);
    }
  }));
  const seconds = (now() - started) / 1000;
  client.close();
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length - failures, seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), failures };
}

async function watchLoad(job: WatchJob): Promise<void> {
  const client = new ApiClient(job.url, job.ca, job.token);
  const streams = await Promise.all(Array.from({ length: WATCHERS }, () => client.watch(job.path)));
  const receipts: Array<[string, number]> = [];
  let open = streams.length;
  const done = new Promise<void>((resolve) => {
    for (const stream of streams)
      void (async () => {
        for (let seen = 0; seen < job.expected; seen++) {
          const event = await stream.next(WORKER_TIMEOUT_MS).catch(() => undefined);
          if (!event) break;
          receipts.push([event.object.metadata.name as string, now()]);
        }
        stream.close();
        if (--open === 0) resolve();
      })();
  });
  parentPort!.postMessage({ ready: true });
  await done;
  client.close();
  parentPort!.postMessage({ receipts });
}

if (!isMainThread && (workerData as { apiBench?: Job } | null)?.apiBench) {
  const job = (workerData as { apiBench: Job }).apiBench;
  (job.role === "create" ? createLoad(job).then((result) => parentPort!.postMessage({ result })) : watchLoad(job)).catch((error: unknown) => {
    parentPort!.postMessage({ error: String((error as Error).stack ?? error) });
  });
}

// ---- main side -----------------------------------------------------------------------------------------------

/** ClientWorker runs a Job in a worker thread and relays its messages; every wait is bounded. */
class ClientWorker {
  private readonly worker: Worker;
  private readonly messages: any[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(job: Job) {
    this.worker = new Worker(new URL(import.meta.url), { workerData: { apiBench: job } });
    this.worker.on("message", (m) => {
      if (m.error) this.failure = new Error(`bench worker failed: ${m.error}`);
      else this.messages.push(m);
      this.wake?.();
    });
    this.worker.on("error", (e) => {
      this.failure = e;
      this.wake?.();
    });
  }

  async next(timeoutMs = WORKER_TIMEOUT_MS): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length === 0) {
      if (this.failure) throw this.failure;
      if (Date.now() > deadline) throw new Error(`bench worker sent nothing within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.messages.shift();
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

async function withApi<T>(parent: string, name: string, fn: (api: TestApi, store: ResourceStore) => Promise<T>): Promise<T> {
  const store = await openDurableStore({ dataDir: path.join(parent, name), logger: silentLogger() });
  const api = await startTestApi({ store });
  try {
    return await fn(api, store);
  } finally {
    await api.close();
    await store.close();
  }
}

async function apiCreates(report: Report, parent: string) {
  return withApi(parent, "creates", async (api) => {
    const worker = new ClientWorker({ role: "create", url: api.url, ca: api.ca, token: api.adminToken, ms: SECONDS * 1000 });
    try {
      const { result } = await worker.next(SECONDS * 1000 + WARMUP_MS + WORKER_TIMEOUT_MS);
      if (result.failures > 0) throw new Error(`${result.failures} creates failed`);
      report.progress(`API: ${result.ops} creates in ${result.seconds.toFixed(1)} s`);
      return { perSecond: result.ops / result.seconds, p50: result.p50 as number, p99: result.p99 as number };
    } finally {
      await worker.stop();
    }
  });
}

async function etcdPuts(report: Report, parent: string): Promise<number> {
  ensureEtcd((line) => report.progress(line));
  const etcd = await EtcdServer.start(parent, CLIENTS);
  try {
    let ops = 0;
    const started = now();
    await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
      for (let n = 0; now() - started < SECONDS * 1000; n++) {
        report.signal.throwIfAborted();
        await etcd.put(`/berth/apps/default/c${c}-${n}`, JSON.stringify(realisticApp(`c${c}-${n}`)));
        ops++;
      }
    }));
    return ops / ((now() - started) / 1000);
  } finally {
    await etcd.stop();
  }
}

async function watchLatency(report: Report, parent: string) {
  return withApi(parent, "watch", async (api, store) => {
    const path = `/apis/berth.dev/v1/namespaces/watched/apps?watch=true&resourceVersion=${store.revision()}`;
    const worker = new ClientWorker({ role: "watch", url: api.url, ca: api.ca, token: api.adminToken, path, expected: WATCH_WARMUP_WRITES + WATCH_WRITES });
    try {
      await worker.next();
      const acked = new Map<string, { start: number; ack: number }>();
      for (let i = -WATCH_WARMUP_WRITES; i < WATCH_WRITES; i++) {
        report.signal.throwIfAborted();
        const obj = realisticApp(i < 0 ? `warm${-i}` : `w-${i}`);
        obj.metadata.namespace = "watched";
        const start = now();
        await store.create(obj);
        acked.set(obj.metadata.name, { start, ack: now() });
        await new Promise((r) => setTimeout(r, 3));
      }
      const receipts = ((await worker.next()) as { receipts: Array<[string, number]> }).receipts.filter(([name]) => name.startsWith("w-"));
      if (receipts.length !== WATCHERS * WATCH_WRITES) throw new Error(`watchers received ${receipts.length} events, expected ${WATCHERS * WATCH_WRITES}`);
      const fromAck = receipts.map(([name, t]) => t - acked.get(name)!.ack).sort((a, b) => a - b);
      const fromStart = receipts.map(([name, t]) => t - acked.get(name)!.start).sort((a, b) => a - b);
      return { p50: quantile(fromAck, 0.5), p99: quantile(fromAck, 0.99), startP99: quantile(fromStart, 0.99), deliveries: receipts.length };
    } finally {
      await worker.stop();
    }
  });
}

/** bench is the entry point the runner calls. */
export async function bench(report: Report): Promise<void> {
  const parent = await mkdtemp(path.join(os.tmpdir(), "berth-api-bench-"));
  try {
    let etcd: number | undefined;
    try {
      etcd = await etcdPuts(report, parent);
      report.figure("etcd durable puts of new keys, 16 clients", etcd, "puts/s", { note: "same 1.5 KB Apps; v3 HTTP/JSON gateway, keep-alive" });
    } catch (error) {
      report.progress(`etcd baseline unavailable: ${(error as Error).message}`);
    }
    const creates = await apiCreates(report, parent);
    report.figure("(e) API creates, 16 HTTPS keep-alive clients", creates.perSecond, "creates/s", {
      note: `durable store (fsync); p50 ${creates.p50.toFixed(1)} ms, p99 ${creates.p99.toFixed(1)} ms per request`,
      ...(etcd ? { baseline: { name: "etcd puts", value: etcd, goalRatio: 1 } } : {}),
    });
    const watch = await watchLatency(report, parent);
    const note = `${WATCHERS} watchers x ${WATCH_WRITES} writes = ${watch.deliveries} deliveries; write start to receipt p99 ${watch.startP99.toFixed(2)} ms`;
    report.figure("(f) watch delivery p50, ack to receipt", watch.p50, "ms", { higherIsBetter: false, note });
    report.figure("(f) watch delivery p99, ack to receipt", watch.p99, "ms", {
      higherIsBetter: false,
      baseline: { name: "goal", value: WATCH_GOAL_P99_MS, goalRatio: 1 },
    });
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}
