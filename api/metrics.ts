import type { Counter, Histogram, Registry } from "prom-client";
import { kinds } from "../resources/index.ts";
import type { ResourceStore } from "../store/index.ts";
import type { WatchRegistry } from "./watch-registry.ts";

/** RequestSample is one finished request, as the metrics see it. */
export interface RequestSample {
  verb: string;
  resource: string;
  code: number;
  seconds: number;
}

/** EARLY_SAMPLES_LIMIT bounds the requests kept for the metrics while prom-client loads (a second or so). */
export const EARLY_SAMPLES_LIMIT = 10_000;

type PromClient = typeof import("prom-client");

/** Recorders are the metrics that requests feed, once prom-client is loaded. */
interface Recorders {
  registry: Registry;
  requests: Counter<"verb" | "resource" | "code">;
  latency: Histogram<"verb" | "resource">;
}

/**
 * ApiMetrics holds the Prometheus metrics of one API server in its own registry (no process-global state):
 * requests by verb, resource and code with a latency histogram (watches are counted but kept out of the
 * histogram: their duration is the client's choice), the store's revision and objects per kind, live watches,
 * and process memory. prom-client is loaded by `load()` (the server calls it once it has served for a moment)
 * or by the first scrape, not at start-up, where it would cost about 40 ms to serving; the requests answered
 * until then are kept and counted when it loads.
 */
export class ApiMetrics {
  private recorders: Recorders | undefined;
  private loading: Promise<Recorders> | undefined;
  private early: RequestSample[] = [];

  private readonly store: ResourceStore;
  private readonly watches: WatchRegistry;

  constructor(store: ResourceStore, watches: WatchRegistry) {
    this.store = store;
    this.watches = watches;
  }

  /** observe records one finished request. */
  observe(sample: RequestSample): void {
    if (this.recorders) record(this.recorders, sample);
    else if (this.early.length < EARLY_SAMPLES_LIMIT) this.early.push(sample);
  }

  /** load loads prom-client and makes the metrics, once; requests observed before are counted then. */
  load(): Promise<Recorders> {
    return (this.loading ??= import("prom-client").then((prom) => {
      const recorders = makeRecorders(prom, this.store, this.watches);
      for (const sample of this.early) record(recorders, sample);
      this.early = [];
      this.recorders = recorders;
      return recorders;
    }));
  }

  /** render is the Prometheus text exposition of every metric, with its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    const { registry } = await this.load();
    return { contentType: registry.contentType, text: await registry.metrics() };
  }
}

function record(recorders: Recorders, sample: RequestSample): void {
  recorders.requests.inc({ verb: sample.verb, resource: sample.resource, code: String(sample.code) });
  if (sample.verb !== "watch") recorders.latency.observe({ verb: sample.verb, resource: sample.resource }, sample.seconds);
}

function makeRecorders(prom: PromClient, store: ResourceStore, watches: WatchRegistry): Recorders {
  const registry = new prom.Registry();
  const registers = [registry];
  const requests = new prom.Counter({ name: "berth_api_requests_total", help: "API requests by verb, resource and HTTP code.", labelNames: ["verb", "resource", "code"] as const, registers });
  const latency = new prom.Histogram({
    name: "berth_api_request_duration_seconds", help: "API request latency (watches excluded).", labelNames: ["verb", "resource"] as const, registers,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  new prom.Gauge({ name: "berth_store_revision", help: "Current global revision of the resource store.", registers, collect() { this.set(store.revision()); } });
  new prom.Gauge({
    name: "berth_store_objects", help: "Objects in the store, by kind.", labelNames: ["kind"], registers,
    async collect() {
      for (const k of kinds) this.set({ kind: k.kind }, (await store.list(k.kind)).items.length);
    },
  });
  new prom.Gauge({ name: "berth_api_watches", help: "Live HTTP watches.", registers, collect() { this.set(watches.size); } });
  new prom.Gauge({ name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", registers, collect() { this.set(process.memoryUsage.rss()); } });
  new prom.Gauge({ name: "nodejs_heap_used_bytes", help: "V8 heap used, in bytes.", registers, collect() { this.set(process.memoryUsage().heapUsed); } });
  return { registry, requests, latency };
}
