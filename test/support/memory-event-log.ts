import { randomUUID } from "node:crypto";
import type { Resource } from "../../resources/index.ts";
import { compileSelectors } from "../../store/index.ts";
import type { EventFilter, EventLog, EventRecorder, EventType, KubeEvent } from "../../controllers/events/types.ts";

/**
 * MemoryEventLog is a real, in-memory EventLog and EventRecorder for tests: it folds repeats of the same
 * (object, type, reason, message) into one event with a growing count, keeps the most recent `limit` events,
 * filters by namespace and field selector, and streams new or updated events to watchers.
 */
export class MemoryEventLog implements EventLog, EventRecorder {
  private readonly events: KubeEvent[] = [];
  private readonly watchers = new Set<{ filter: (e: KubeEvent) => boolean; onEvent: (e: KubeEvent) => void }>();
  private revision = 0;
  private readonly limit: number;
  private readonly now: () => Date;

  constructor(options: { limit?: number; now?: () => Date } = {}) {
    this.limit = options.limit ?? 1000;
    this.now = options.now ?? (() => new Date());
  }

  record(object: Resource, type: EventType, reason: string, message: string): void {
    const at = this.now().toISOString().replace(/\.\d{3}Z$/, "Z");
    const ns = object.metadata.namespace;
    const existing = this.events.find(
      (e) => e.involvedObject.kind === object.kind && e.involvedObject.namespace === ns && e.involvedObject.name === object.metadata.name &&
        e.type === type && e.reason === reason && e.message === message,
    );
    let event: KubeEvent;
    if (existing) {
      event = { ...existing, count: existing.count + 1, lastTimestamp: at, metadata: { ...existing.metadata, resourceVersion: String(++this.revision) } };
      this.events.splice(this.events.indexOf(existing), 1);
    } else {
      event = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: `${object.metadata.name}.${randomUUID().slice(0, 8)}`, namespace: ns, uid: randomUUID(), resourceVersion: String(++this.revision), creationTimestamp: at },
        involvedObject: {
          apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, namespace: ns,
          ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
          ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
        },
        type, reason, message, count: 1, firstTimestamp: at, lastTimestamp: at,
        source: { component: "berth-test" },
      };
    }
    this.events.push(event);
    if (this.events.length > this.limit) this.events.splice(0, this.events.length - this.limit);
    for (const w of this.watchers) if (w.filter(event)) w.onEvent(event);
  }

  async list(filter: EventFilter): Promise<KubeEvent[]> {
    const matches = compileFilter(filter);
    return this.events.filter(matches);
  }

  watch(filter: EventFilter, onEvent: (event: KubeEvent) => void): { close(): void } {
    const watcher = { filter: compileFilter(filter), onEvent };
    this.watchers.add(watcher);
    return { close: () => void this.watchers.delete(watcher) };
  }
}

function compileFilter(filter: EventFilter): (e: KubeEvent) => boolean {
  const fields = compileSelectors(undefined, filter.fieldSelector);
  return (e) => (!filter.namespace || e.metadata.namespace === filter.namespace) && fields(e as unknown as Resource);
}
