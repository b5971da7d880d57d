import { Counter, Gauge, Histogram, Registry } from "prom-client";
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

/**
 * ApiMetrics holds the Prometheus metrics of one API server in its own registry (no process-global state):
 * requests by verb, resource and code with a latency histogram (watches are counted but kept out of the
 * histogram: their duration is the client's choice), the store's revision and objects per kind, live watches,
 * and process memory.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"verb" | "resource" | "code">;
  private readonly latency: Histogram<"verb" | "resource">;

  constructor(store: ResourceStore, watches: WatchRegistry) {
    const registers = [this.registry];
    this.requests = new Counter({ name: "berth_api_requests_total", help: "API requests by verb, resource and HTTP code.", labelNames: ["verb", "resource", "code"], registers });
    this.latency = new Histogram({
      name: "berth_api_request_duration_seconds", help: "API request latency (watches excluded).", labelNames: ["verb", "resource"], registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    new Gauge({ name: "berth_store_revision", help: "Current global revision of the resource store.", registers, collect() { this.set(store.revision()); } });
    new Gauge({
      name: "berth_store_objects", help: "Objects in the store, by kind.", labelNames: ["kind"], registers,
      async collect() {
        for (const k of kinds) this.set({ kind: k.kind }, (await store.list(k.kind)).items.length);
      },
    });
    new Gauge({ name: "berth_api_watches", help: "Live HTTP watches.", registers, collect() { this.set(watches.size); } });
    new Gauge({ name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", registers, collect() { this.set(process.memoryUsage.rss()); } });
    new Gauge({ name: "nodejs_heap_used_bytes", help: "V8 heap used, in bytes.", registers, collect() { this.set(process.memoryUsage().heapUsed); } });
  }

  /** observe records one finished request. */
  observe(sample: RequestSample): void {
    this.requests.inc({ verb: sample.verb, resource: sample.resource, code: String(sample.code) });
    if (sample.verb !== "watch") this.latency.observe({ verb: sample.verb, resource: sample.resource }, sample.seconds);
  }
}
