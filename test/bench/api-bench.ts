/**
 * api-bench measures the HTTPS API on top of the durable store:
 * (e) App creates/s from 16 concurrent keep-alive HTTPS clients (through auth, admission and an fsynced write),
 *     against etcd's durable puts/s of the same objects from 16 clients (goal: at least etcd's rate). The two run
 *     in alternating one-second rounds, as the store bench does, so a machine whose load varies weighs on both
 *     alike; the API's main-thread CPU time per create is reported too, the figure that load changes least;
 * (f) watch delivery latency to 100 concurrent HTTP watchers, from the store acknowledging a write to each
 *     watcher parsing the event (goal: p99 < 10 ms).
 * Clients run in a worker thread, as they would in other processes, so the server's event loop is its own.
 * Time per system and phase: BERTH_BENCH_SECONDS (default 5). The API keeps an audit log, as berthd's does (every
 * create is a line in it); BERTH_BENCH_NO_AUDIT=1 leaves it out, to see what it costs.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { silentLogger } from "../../lib/logger.ts";
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
const ROUND_MS = 1_000;
const WORKER_TIMEOUT_MS = 60_000;
const WARMUP_MS = 1_000;

/** CreateJob and WatchJob are what the client worker is asked to do; a create worker then runs rounds on request. */
interface Target { url: string; ca: string; token: string }
interface CreateJob extends Target { role: "create" }
interface WatchJob extends Target { role: "watch"; path: string; expected: number }
type Job = CreateJob | WatchJob;
/** CreateRound asks the create worker for one round: `warmupMs` of uncounted load, then `ms` counted. */
interface CreateRound { ms: number; warmupMs: number }
/** RoundResult is what one round of creates measured. */
interface RoundResult { ops: number; seconds: number; latencies: number[]; failures: number }

/** now is wall-clock milliseconds with sub-millisecond precision, comparable across threads. */
const now = () => performance.timeOrigin + performance.now();

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
}

// ---- worker side ---------------------------------------------------------------------------------------------

/** createRunner keeps 16 keep-alive clients and runs rounds of creates with them, each client naming its objects in turn. */
function createRunner(job: CreateJob): (round: CreateRound) => Promise<RoundResult> {
  const client = new ApiClient(job.url, job.ca, job.token, { keepAlive: true, maxSockets: CLIENTS });
  const bodies = Array.from({ length: CLIENTS }, (_, c) => JSON.stringify(realisticApp(`c${c}-x`)).replace(`"c${c}-x"`, "\"NAME\""));
  const counters = new Array<number>(CLIENTS).fill(0);
  return async ({ ms, warmupMs }) => {
    let latencies: number[] = [];
    let failures = 0;
    // Warm-up lets the JIT compile the server's and the clients' paths; it is not counted.
    const warmupEnds = now() + warmupMs;
    let started = warmupMs > 0 ? Infinity : now();
    await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
      while (now() < warmupEnds || now() - started < ms) {
        if (started === Infinity && now() >= warmupEnds) {
          started = now();
          latencies = [];
          failures = 0;
        }
        const n = counters[c]!++;
        const t0 = now();
        const res = await client.post("/apis/berth.dev/v1/namespaces/default/apps", bodies[c]!.replaceAll("\"NAME\"", `"c${c}-${n}"`));
        if (res.status !== 201) failures++;
        latencies.push(now() - t0);
      }
    }));
    return { ops: latencies.length - failures, seconds: (now() - started) / 1000, latencies, failures };
  };
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
  const fail = (error: unknown) => parentPort!.postMessage({ error: String((error as Error).stack ?? error) });
  if (job.role === "create") {
    const run = createRunner(job);
    parentPort!.on("message", (round: CreateRound) => run(round).then((result) => parentPort!.postMessage({ result }), fail));
  } else {
    watchLoad(job).catch(fail);
  }
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

  send(message: unknown): void {
    this.worker.postMessage(message);
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

async function withApi<T>(parent: string, name: string, fn: (api: TestApi, store: ResourceStore) => Promise<T>): Promise<T> {
  const store = await openDurableStore({ dataDir: path.join(parent, name), logger: silentLogger() });
  // As berthd runs it: every create is also written to the audit log.
  const api = await startTestApi({ store, audit: process.env.BERTH_BENCH_NO_AUDIT !== "1" });
  try {
    return await fn(api, store);
  } finally {
    await api.close();
    await store.close();
  }
}

/** Tally adds up the rounds of one system. */
class Tally {
  ops = 0;
  seconds = 0;
  readonly latencies: number[] = [];

  perSecond(): number {
    return this.ops / this.seconds;
  }

  quantile(q: number): number {
    return quantile([...this.latencies].sort((a, b) => a - b), q);
  }
}

/** mainThreadCpuMs is this thread's CPU time from /proc (Linux), or undefined where there is none. */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync("/proc/thread-self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** CLOCK_TICKS is the unit of CPU times in /proc (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

async function machineLoad(): Promise<string> {
  const pressure = await readFile("/proc/pressure/cpu", "utf8").then((text) => / avg60=([\d.]+)/.exec(text)?.[1], () => undefined);
  return `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs${pressure ? `, CPU pressure ${pressure}%` : ""}`;
}

/** startEtcd starts the baseline, or explains why there is none. */
async function startEtcd(report: Report, parent: string): Promise<EtcdServer | undefined> {
  try {
    ensureEtcd((line) => report.progress(line));
    return await EtcdServer.start(parent, CLIENTS);
  } catch (error) {
    report.progress(`etcd baseline unavailable: ${(error as Error).message}`);
    return undefined;
  }
}

/** etcdRound runs 16 clients putting new keys into etcd for `ms` and adds what they did to `tally`; `counters` number each client's keys. */
async function etcdRound(etcd: EtcdServer, counters: number[], tally: Tally | undefined, ms: number, signal: AbortSignal): Promise<void> {
  const started = now();
  let ops = 0;
  await Promise.all(counters.map(async (_, c) => {
    while (now() - started < ms) {
      signal.throwIfAborted();
      const name = `c${c}-${counters[c]!++}`;
      const t0 = now();
      await etcd.put(`/berth/apps/default/${name}`, JSON.stringify(realisticApp(name)));
      tally?.latencies.push(now() - t0);
      ops++;
    }
  }));
  if (!tally) return;
  tally.ops += ops;
  tally.seconds += (now() - started) / 1000;
}

/** CreateFigures are what apiCreates measured: the API's and, when etcd ran, etcd's. */
interface CreateFigures { api: Tally; etcd: Tally | undefined; apiCpuMs: number | undefined; etcdCpuSeconds: number }

/** apiCreates alternates one-second rounds of API creates and etcd puts, after a warm-up of each. */
async function apiCreates(report: Report, parent: string): Promise<CreateFigures> {
  return withApi(parent, "creates", async (api) => {
    const etcd = await startEtcd(report, parent);
    const worker = new ClientWorker({ role: "create", url: api.url, ca: api.ca, token: api.adminToken });
    const ours = new Tally();
    const theirs = etcd ? new Tally() : undefined;
    let apiCpuMs: number | undefined = 0;
    let etcdCpuSeconds = 0;
    const etcdCounters = new Array<number>(CLIENTS).fill(0);
    const apiRound = async (ms: number, warmupMs: number, counted: boolean) => {
      const cpuStart = mainThreadCpuMs();
      worker.send({ ms, warmupMs } satisfies CreateRound);
      const { result } = (await worker.next(ms + warmupMs + WORKER_TIMEOUT_MS)) as { result: RoundResult };
      const cpuEnd = mainThreadCpuMs();
      if (result.failures > 0) throw new Error(`${result.failures} creates failed`);
      if (!counted) return;
      ours.ops += result.ops;
      ours.seconds += result.seconds;
      for (const l of result.latencies) ours.latencies.push(l);
      // The warm-up's share of the CPU is left out in proportion to time (warm-up is only in the uncounted round).
      apiCpuMs = apiCpuMs !== undefined && cpuStart !== undefined && cpuEnd !== undefined ? apiCpuMs + cpuEnd - cpuStart : undefined;
    };
    const etcdLeg = async (counted: boolean) => {
      const cpuStart = etcd!.cpuSeconds();
      await etcdRound(etcd!, etcdCounters, counted ? theirs : undefined, counted ? ROUND_MS : WARMUP_MS, report.signal);
      if (counted) etcdCpuSeconds += etcd!.cpuSeconds() - cpuStart;
    };
    try {
      report.progress(`machine: ${await machineLoad()}`);
      await apiRound(0, WARMUP_MS, false);
      if (etcd) await etcdLeg(false);
      const rounds = Math.max(1, Math.round((SECONDS * 1000) / ROUND_MS));
      for (let round = 0; round < rounds; round++) {
        report.signal.throwIfAborted();
        const legs = [() => apiRound(ROUND_MS, 0, true), ...(etcd ? [() => etcdLeg(true)] : [])];
        for (const leg of round % 2 === 0 ? legs : legs.reverse()) await leg();
      }
      report.progress(`API: ${ours.ops} creates in ${ours.seconds.toFixed(1)} s${theirs ? `; etcd: ${theirs.ops} puts in ${theirs.seconds.toFixed(1)} s` : ""}; ${await machineLoad()}`);
      return { api: ours, etcd: theirs, apiCpuMs, etcdCpuSeconds };
    } finally {
      await worker.stop();
      await etcd?.stop();
    }
  });
}

async function watchLatency(report: Report, parent: string) {
  return withApi(parent, "watch", async (api, store) => {
    const path = `/apis/berth.dev/v1/namespaces/watched/apps?watch=true&resourceVersion=${store.revision()}`;
    const worker = new ClientWorker({ role: "watch", url: api.url, ca: api.ca, token: api.adminToken, path, expected: WATCH_WARMUP_WRITES + WATCH_WRITES });
    try {
      await worker.next();
      const acked = new Map<string, { start: number; ack: number }>();
      // Made beforehand, so that the CPU time measured below is the write's and its delivery's, not admission's.
      const objects = Array.from({ length: WATCH_WARMUP_WRITES + WATCH_WRITES }, (_, n) => {
        const i = n - WATCH_WARMUP_WRITES;
        const obj = realisticApp(i < 0 ? `warm${-i}` : `w-${i}`);
        obj.metadata.namespace = "watched";
        return obj;
      });
      let cpuStart: number | undefined;
      for (const [n, obj] of objects.entries()) {
        report.signal.throwIfAborted();
        if (n === WATCH_WARMUP_WRITES) cpuStart = mainThreadCpuMs();
        const start = now();
        await store.create(obj);
        acked.set(obj.metadata.name, { start, ack: now() });
        await new Promise((r) => setTimeout(r, 3));
      }
      const cpuEnd = mainThreadCpuMs();
      const cpuPerWriteUs = cpuStart !== undefined && cpuEnd !== undefined ? ((cpuEnd - cpuStart) * 1000) / WATCH_WRITES : undefined;
      const receipts = ((await worker.next()) as { receipts: Array<[string, number]> }).receipts.filter(([name]) => name.startsWith("w-"));
      if (receipts.length !== WATCHERS * WATCH_WRITES) throw new Error(`watchers received ${receipts.length} events, expected ${WATCHERS * WATCH_WRITES}`);
      const fromAck = receipts.map(([name, t]) => t - acked.get(name)!.ack).sort((a, b) => a - b);
      const fromStart = receipts.map(([name, t]) => t - acked.get(name)!.start).sort((a, b) => a - b);
      return { p50: quantile(fromAck, 0.5), p99: quantile(fromAck, 0.99), startP99: quantile(fromStart, 0.99), deliveries: receipts.length, cpuPerWriteUs, load: await machineLoad() };
    } finally {
      await worker.stop();
    }
  });
}

/** bench is the entry point the runner calls. */
export async function bench(report: Report): Promise<void> {
  const parent = await mkdtemp(path.join(os.tmpdir(), "berth-api-bench-"));
  try {
    const { api, etcd, apiCpuMs, etcdCpuSeconds } = await apiCreates(report, parent);
    if (etcd) {
      report.figure("etcd durable puts of new keys, 16 clients", etcd.perSecond(), "puts/s", {
        note: `same 1.5 KB Apps; v3 HTTP/JSON gateway, keep-alive; p50 ${etcd.quantile(0.5).toFixed(1)} ms, p99 ${etcd.quantile(0.99).toFixed(1)} ms; etcd CPU ${Math.round((etcdCpuSeconds * 1e6) / etcd.ops)} µs/put`,
      });
    }
    report.figure("(e) API creates, 16 HTTPS keep-alive clients", api.perSecond(), "creates/s", {
      note: `durable store (fsync); p50 ${api.quantile(0.5).toFixed(1)} ms, p99 ${api.quantile(0.99).toFixed(1)} ms per request`,
      ...(etcd ? { baseline: { name: "etcd puts", value: etcd.perSecond(), goalRatio: 1 } } : {}),
    });
    if (apiCpuMs !== undefined) {
      report.figure("(e) API main-thread CPU per create", (apiCpuMs * 1000) / api.ops, "µs", {
        higherIsBetter: false,
        note: "TLS, HTTP, auth, admission, store and response on the server's event loop; the clients are on another thread",
      });
    }
    const watch = await watchLatency(report, parent);
    const note = `${WATCHERS} watchers x ${WATCH_WRITES} writes = ${watch.deliveries} deliveries; write start to receipt p99 ${watch.startP99.toFixed(2)} ms`;
    report.figure("(f) watch delivery p50, ack to receipt", watch.p50, "ms", { higherIsBetter: false, note });
    report.figure("(f) watch delivery p99, ack to receipt", watch.p99, "ms", {
      higherIsBetter: false,
      baseline: { name: "goal", value: WATCH_GOAL_P99_MS, goalRatio: 1 },
      note: watch.load,
    });
    if (watch.cpuPerWriteUs !== undefined) {
      report.figure(`(f) API main-thread CPU per write watched by ${WATCHERS}`, watch.cpuPerWriteUs, "µs", {
        higherIsBetter: false,
        note: "the store's write and its delivery to every watcher's socket (TLS included): the latency figures' share that a busy machine does not change",
      });
    }
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}
