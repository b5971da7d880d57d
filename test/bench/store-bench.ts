/**
 * store-bench measures the durable store (docs/architecture.md, "The store") against real baselines on the same disk:
 * (a) durable writes/s with 16 concurrent writers over 10,000 stored Apps of ~1.5 KB;
 * (b) etcd's durable puts/s with 16 concurrent clients of the same values (the goal: (a) >= 4x (b));
 * (c) lowdb rewriting its whole file on each write at 10,000 objects (why the journal exists);
 * (d) the time to open (load) the store with 10,000 objects.
 * (a) and (b) run in alternating one-second rounds, so load from other processes on the machine hits both
 * alike. Seconds per system: BERTH_BENCH_SECONDS (default 6).
 */
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Low } from "lowdb";
import { JSONFile } from "lowdb/node";
import { silentLogger } from "../../lib/logger.ts";
import type { Resource } from "../../resources/index.ts";
import { MemoryStore, STORE_DIR, openDurableStore, type ResourceStore } from "../../store/index.ts";
import { cloneJson } from "../../store/json-value.ts";
import { realisticApp } from "../unit/store/fixtures.ts";
import { EtcdServer, ensureEtcd } from "./etcd.ts";
import type { Report } from "./report.ts";

const OBJECTS = 10_000;
const WRITERS = 16;
const SECONDS = Number(process.env.BERTH_BENCH_SECONDS ?? 6);
const ROUND_MS = 1000;
const ETCD_GOAL = 4;

/** Run accumulates timed rounds of one system: operations, wall time, CPU time and latencies. */
class Run {
  ops = 0;
  seconds = 0;
  cpuSeconds = 0;
  /** serverCpuSeconds is the part of cpuSeconds spent by a server process (etcd), when there is one. */
  serverCpuSeconds = 0;
  readonly latencies: number[] = [];

  perSecond(): number {
    return this.ops / this.seconds;
  }

  cpuMicrosPerOp(): number {
    return (this.cpuSeconds * 1e6) / this.ops;
  }

  quantile(q: number): number {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
  }

  summary(): string {
    const server = this.serverCpuSeconds > 0 ? ` (server ${Math.round((this.serverCpuSeconds * 1e6) / this.ops)} µs)` : "";
    return `p50 ${this.quantile(0.5).toFixed(1)} ms, p99 ${this.quantile(0.99).toFixed(1)} ms, ${Math.round(this.cpuMicrosPerOp())} µs CPU/write${server}`;
  }
}

/** drive runs `writers` loops of `op` for `ms` milliseconds (or until `signal` aborts), adding to `run`. */
async function drive(run: Run, ms: number, signal: AbortSignal, op: (writer: number, n: number) => Promise<void>, serverCpu?: () => number): Promise<void> {
  const cpuStart = ownCpu();
  const serverStart = serverCpu?.() ?? 0;
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let n = run.ops + w; performance.now() < end && !signal.aborted; n += WRITERS) {
        const t0 = performance.now();
        await op(w, n);
        run.latencies.push(performance.now() - t0);
      }
    }),
  );
  signal.throwIfAborted();
  run.seconds += (performance.now() - started) / 1000;
  const server = (serverCpu?.() ?? 0) - serverStart;
  run.serverCpuSeconds += server;
  run.cpuSeconds += ownCpu() - cpuStart + server;
  run.ops = run.latencies.length;
}

const ownCpu = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

const nameOf = (i: number) => `app-${String(i).padStart(5, "0")}`;
/** objectFor: writer w owns objects w, w+16, …, so writers never conflict. */
const objectFor = (w: number, n: number) => nameOf(w + WRITERS * (Math.floor(n / WRITERS) % (OBJECTS / WRITERS)));

/** touch changes an App the way a deploy does: a new image and serial in spec, a new change-cause annotation. */
function touch(obj: Resource, n: number): void {
  const spec = obj.spec as { image: string; env: Array<{ name: string; value?: string }> };
  spec.image = `registry.example.com/shop/checkout-web:2.${n % 50}.${n}`;
  spec.env[5]!.value = String(n);
  obj.metadata.annotations = { ...obj.metadata.annotations, "berth.dev/change-cause": `deploy ${n} from CI pipeline ${48213 + n}` };
}

async function preload(put: (name: string) => Promise<unknown>, signal: AbortSignal): Promise<void> {
  await Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
    for (let i = w; i < OBJECTS; i += WRITERS) {
      signal.throwIfAborted();
      await put(nameOf(i));
    }
  }));
}

/** storeOp is one client write to a store: read the object, copy it, change it, write it back. */
function storeOp(store: ResourceStore) {
  return async (w: number, n: number) => {
    const current = cloneJson(await store.get({ kind: "App", namespace: "default", name: objectFor(w, n) }));
    touch(current, n);
    await store.update(current);
  };
}

/** etcdOp is the same client write to etcd: copy the object, change it, send it as JSON. */
function etcdOp(etcd: EtcdServer, base: Map<string, Resource>) {
  return async (w: number, n: number) => {
    const name = objectFor(w, n);
    const obj = cloneJson(base.get(name)!);
    touch(obj, n);
    await etcd.put(`/berth/apps/default/${name}`, JSON.stringify(obj));
  };
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name))).size;
  return total;
}

/** benchOpen is figure (d): open the store of (a), median of three. */
async function benchOpen(report: Report, dataDir: string): Promise<void> {
  const opens: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const store = await openDurableStore({ dataDir, logger: silentLogger() });
    opens.push(performance.now() - t0);
    const count = (await store.list("App")).items.length;
    await store.close();
    if (count !== OBJECTS) throw new Error(`reopened store holds ${count} objects, expected ${OBJECTS}`);
  }
  const bytes = await dirSize(path.join(dataDir, STORE_DIR));
  report.figure("(d) open durable store, 10k objects", opens.sort((a, b) => a - b)[1]!, "ms", { higherIsBetter: false, note: `median of 3; snapshot + journal ${(bytes / 2 ** 20).toFixed(1)} MiB` });
}

/** benchLowdb is figure (c): lowdb as the whole store, rewriting all 10k objects on every write. */
async function benchLowdb(report: Report, parent: string): Promise<void> {
  const file = path.join(parent, "lowdb.json");
  const db = new Low<{ objects: Resource[] }>(new JSONFile(file), { objects: Array.from({ length: OBJECTS }, (_, i) => realisticApp(nameOf(i))) });
  let writes = 0;
  const started = performance.now();
  while (performance.now() - started < 3000 && !report.signal.aborted) {
    touch(db.data.objects[writes % OBJECTS]!, writes);
    await db.write();
    writes++;
  }
  const size = (await stat(file)).size;
  report.figure("(c) lowdb write() per change, 10k objects", writes / ((performance.now() - started) / 1000), "writes/s", { note: `one writer; rewrites ${(size / 2 ** 20).toFixed(1)} MiB per write, without fsync` });
}

/** benchCeiling measures the in-memory store: the CPU cost of the write path without any I/O. */
async function benchCeiling(report: Report): Promise<void> {
  const memory = await MemoryStore.open();
  await preload((name) => memory.create(realisticApp(name)), report.signal);
  const run = new Run();
  await drive(run, 2000, report.signal, storeOp(memory));
  report.figure("in-memory store, no persistence", run.perSecond(), "writes/s", { note: `16 writers; ${Math.round(run.cpuMicrosPerOp())} µs CPU/write, the ceiling of the write path` });
}

/** machineLoad describes how busy the machine is: other processes change every figure here. */
async function machineLoad(): Promise<string> {
  const pressure = await readFile("/proc/pressure/cpu", "utf8").then((text) => / avg60=([\d.]+)/.exec(text)?.[1], () => undefined);
  return `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs${pressure ? `, CPU pressure ${pressure}%` : ""}`;
}

/** bench is the entry point the runner calls. */
export async function bench(report: Report): Promise<void> {
  const parent = await mkdtemp(path.join(os.tmpdir(), "berth-bench-"));
  try {
    report.progress(`machine: ${await machineLoad()}`);
    report.figure("object size (App, JSON)", Buffer.byteLength(JSON.stringify(await (await MemoryStore.open()).create(realisticApp(nameOf(0))))), "bytes");
    await benchCeiling(report);
    const dataDir = path.join(parent, "durable");
    const store = await openDurableStore({ dataDir, logger: silentLogger() });
    let etcd: EtcdServer | undefined;
    const ours = new Run();
    const theirs = new Run();
    try {
      let t0 = performance.now();
      await preload((name) => store.create(realisticApp(name)), report.signal);
      report.progress(`store: preloaded ${OBJECTS} objects in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      try {
        ensureEtcd((line) => report.progress(line));
        etcd = await EtcdServer.start(parent, WRITERS);
      } catch (error) {
        report.progress(`etcd baseline unavailable: ${(error as Error).message}`);
      }
      const base = new Map<string, Resource>();
      if (etcd) {
        const server = etcd;
        for (let i = 0; i < OBJECTS; i++) base.set(nameOf(i), await store.get({ kind: "App", namespace: "default", name: nameOf(i) }));
        t0 = performance.now();
        await preload((name) => server.put(`/berth/apps/default/${name}`, JSON.stringify(base.get(name))), report.signal);
        report.progress(`etcd: preloaded ${OBJECTS} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
      const rounds = Math.max(1, Math.round((SECONDS * 1000) / ROUND_MS));
      for (let round = 0; round < rounds; round++) {
        const legs = [() => drive(ours, ROUND_MS, report.signal, storeOp(store))];
        if (etcd) {
          const server = etcd;
          legs.push(() => drive(theirs, ROUND_MS, report.signal, etcdOp(server, base), () => server.cpuSeconds()));
        }
        for (const leg of round % 2 === 0 ? legs : legs.reverse()) await leg();
      }
    } finally {
      await store.close();
      await etcd?.stop();
    }
    if (etcd) report.figure("(b) etcd durable puts, 16 clients", theirs.perSecond(), "puts/s", { note: `v3 HTTP/JSON gateway, keep-alive; ${theirs.summary()}` });
    report.figure("(a) durable store writes, 16 writers", ours.perSecond(), "writes/s", {
      note: `update of a 1.5 KB App among 10k, acked once synced; ${ours.summary()}; ${await machineLoad()}`,
      ...(etcd ? { baseline: { name: "etcd", value: theirs.perSecond(), goalRatio: ETCD_GOAL } } : {}),
    });
    await benchOpen(report, dataDir);
    await benchLowdb(report, parent);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}
