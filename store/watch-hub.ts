import { ExpiredError } from "../resources/index.ts";
import { compileSelectors, type Matcher } from "./selectors.ts";
import type { StoreEvent, Watch, WatchEventType, WatchOptions } from "./store.ts";

interface Subscriber {
  kind?: string;
  namespace?: string;
  matches: Matcher;
  /** after: only events with a revision above this are delivered (skips what a synthetic ADDED already showed). */
  after: number;
  onEvent: (event: StoreEvent) => void;
}

/**
 * WatchHub fans committed events out to watchers and keeps a bounded history so a watcher can resume from a
 * recent revision. It applies selectors per watcher: an object that starts or stops matching arrives as
 * ADDED or DELETED, as real Kubernetes watches do.
 */
export class WatchHub {
  private readonly history: StoreEvent[] = [];
  private readonly subscribers = new Set<Subscriber>();
  /** historyStart: every event with a revision above it is still in history. */
  private historyStart: number;
  private readonly historyLimit: number;

  constructor(startRevision: number, historyLimit: number) {
    this.historyStart = startRevision;
    this.historyLimit = historyLimit;
  }

  /** publish records a durable event and delivers it to every matching watcher. */
  publish(event: StoreEvent): void {
    this.history.push(event);
    // Trim in chunks: splicing the head of a long array on every write cost more than the rest of the write path.
    if (this.history.length > this.historyLimit + Math.ceil(this.historyLimit / 8)) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.historyStart = dropped[dropped.length - 1]!.revision;
    }
    for (const sub of this.subscribers) deliver(sub, event);
  }

  /**
   * subscribe starts a watch. For "0"/absent `snapshot()` supplies the current objects (delivered as ADDED) and
   * the revision they were read at; for "N" the history after N is replayed first.
   */
  subscribe(options: WatchOptions, snapshot: () => { objects: StoreEvent["object"][]; revision: number }, onEvent: (e: StoreEvent) => void): Watch {
    const sub: Subscriber = {
      ...(options.kind ? { kind: options.kind } : {}),
      ...(options.namespace ? { namespace: options.namespace } : {}),
      matches: compileSelectors(options.labelSelector, options.fieldSelector),
      after: 0,
      onEvent,
    };
    const rv = options.resourceVersion;
    if (rv === undefined || rv === "" || rv === "0") {
      const { objects, revision } = snapshot();
      sub.after = revision;
      for (const object of objects) if (inScope(sub, object) && sub.matches(object)) onEvent({ type: "ADDED", revision: Number(object.metadata.resourceVersion), object });
    } else {
      const from = Number(rv);
      if (!Number.isInteger(from) || from < 0) throw new ExpiredError(`invalid resource version: ${rv}`);
      if (from < this.historyStart) throw new ExpiredError(`too old resource version: ${from} (${this.historyStart})`);
      sub.after = from;
      for (const event of this.history) deliver(sub, event);
    }
    this.subscribers.add(sub);
    return { close: () => void this.subscribers.delete(sub) };
  }

  /** closeAll ends every watch (on store close). */
  closeAll(): void {
    this.subscribers.clear();
  }

  get watcherCount(): number {
    return this.subscribers.size;
  }
}

function inScope(sub: Subscriber, object: StoreEvent["object"]): boolean {
  return (!sub.kind || sub.kind === object.kind) && (!sub.namespace || sub.namespace === object.metadata.namespace);
}

function deliver(sub: Subscriber, event: StoreEvent): void {
  if (event.revision <= sub.after || !inScope(sub, event.object)) return;
  sub.after = event.revision;
  const now = event.type !== "DELETED" && sub.matches(event.object);
  const before = event.type === "ADDED" ? false : event.previous ? sub.matches(event.previous) : event.type === "DELETED" && sub.matches(event.object);
  let type: WatchEventType;
  if (event.type === "DELETED") {
    if (!before) return;
    type = "DELETED";
  } else if (now && before) type = "MODIFIED";
  else if (now) type = "ADDED";
  else if (before) type = "DELETED";
  else return;
  sub.onEvent(type === event.type ? event : { ...event, type });
}
