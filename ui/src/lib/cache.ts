import { useEffect, useState } from "preact/hooks";
import { GROUP } from "./api.ts";
import { keyOf, type BerthObject } from "./objects.ts";
import { startWatch, type ConnectionState, type Watch } from "./watch.ts";

/**
 * ObjectCache mirrors every object the token can read, fed by one watch over all kinds
 * (`GET /apis/berth.dev/v1/watch`). Views read it synchronously and re-render when it changes: a change is on
 * screen as soon as its line arrives, with no polling.
 */
export class ObjectCache {
  private readonly byKind = new Map<string, Map<string, BerthObject>>();
  private readonly listeners = new Set<() => void>();
  private dirty = false;
  /** seen collects the keys of a relist: what is not seen again by its end was deleted meanwhile. */
  private seen: Set<string> | undefined;
  private watch: Watch | undefined;
  synced = false;
  state: ConnectionState = "connecting";
  stateDetail = "";
  /** version changes on every visible change: views use it as a cheap dependency. */
  version = 0;

  /** start opens the watch (idempotent). */
  start(): void {
    this.watch ??= startWatch<BerthObject>({
      path: `${GROUP}/watch`,
      onRelist: () => (this.seen = new Set()),
      onEvent: ({ type, object }) => this.apply(type, object),
      onSynced: () => this.endRelist(),
      onBatch: () => this.flush(),
      onState: (state, detail) => {
        this.state = state;
        this.stateDetail = detail ?? "";
        this.dirty = true;
        this.flush();
      },
    });
  }

  stop(): void {
    this.watch?.close();
    this.watch = undefined;
    this.byKind.clear();
    this.synced = false;
  }

  /** kind returns the objects of one kind (live map: do not keep it across renders). */
  kind(kind: string): Map<string, BerthObject> {
    let map = this.byKind.get(kind);
    if (!map) this.byKind.set(kind, (map = new Map()));
    return map;
  }

  /** kinds lists the kinds that have objects. */
  kinds(): string[] {
    return [...this.byKind.keys()];
  }

  get(kind: string, namespace: string, name: string): BerthObject | undefined {
    return this.byKind.get(kind)?.get(`${namespace}/${name}`);
  }

  /** all iterates over every object. */
  *all(): Iterable<BerthObject> {
    for (const map of this.byKind.values()) yield* map.values();
  }

  /** namespaces lists the namespaces that hold objects, sorted. */
  namespaces(): string[] {
    const names = new Set<string>();
    for (const obj of this.all()) names.add(obj.metadata.namespace);
    return [...names].sort();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private apply(type: string, object: BerthObject): void {
    const map = this.kind(object.kind);
    const key = keyOf(object);
    if (type === "DELETED") map.delete(key);
    else {
      map.set(key, object);
      this.seen?.add(`${object.kind}/${key}`);
    }
    this.dirty = true;
  }

  private endRelist(): void {
    const seen = this.seen;
    this.seen = undefined;
    if (seen) for (const [kind, map] of this.byKind) for (const key of map.keys()) if (!seen.has(`${kind}/${key}`)) map.delete(key);
    this.synced = true;
    this.dirty = true;
    this.flush();
  }

  /** flush tells the views once per burst (the initial objects of a relist are shown all at once, when they end). */
  private flush(): void {
    if (!this.dirty || this.seen) return;
    this.dirty = false;
    this.version++;
    for (const listener of this.listeners) listener();
  }
}

/** cache is the page's one object cache. */
export const cache = new ObjectCache();

/** useCache re-renders a view whenever the cache changes and returns the cache. */
export function useCache(): ObjectCache {
  const [, setVersion] = useState(cache.version);
  useEffect(() => cache.subscribe(() => setVersion(cache.version)), []);
  return cache;
}
