import { ExpiredError, type Resource } from "../../resources/index.ts";
import { keyOf, keyString, type ResourceStore, type StoreEvent, type Watch } from "../../store/index.ts";
import { realClock, type Clock, type TimerHandle } from "../../lib/clock.ts";
import { InvalidStateError } from "./errors.ts";
import { silentLogger, type Logger } from "../../lib/logger.ts";

/**
 * InformerEvent is a change of the informer's cache. `synthetic` marks events made up by a relist (an object
 * that disappeared while the watch was broken arrives as a synthetic DELETED with its last known state).
 */
export interface InformerEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: Resource;
  previous?: Resource;
  synthetic?: boolean;
}

/** InformerHandler reacts to cache changes; handlers only enqueue keys or update indexes, never do work. */
export type InformerHandler = (event: InformerEvent) => void;

/** IndexFunc maps an object to the index values it is filed under (e.g. the uids of its owners). */
export type IndexFunc = (obj: Resource) => readonly string[];

/** InformerOptions narrow what an informer watches; `relistRetryMs` paces retries of a failing list. */
export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  logger?: Logger;
  clock?: Clock;
  relistRetryMs?: number;
}

interface Index {
  fn: IndexFunc;
  values: Map<string, Set<string>>;
}

const IMMEDIATE_RELISTS = 3;

/**
 * Informer keeps a local cache of one kind (docs/architecture.md, "Informers"): it lists, then watches from the list's
 * revision. When the watch cannot resume (ExpiredError: the history it needs is gone) it lists again,
 * replaces the cache, and synthesises DELETED for keys that vanished meanwhile. A stopped informer keeps
 * its cache; started again it resumes the watch from the last revision it saw, relisting only if that
 * revision has expired.
 */
export class Informer {
  readonly kind: string;
  private readonly store: ResourceStore;
  private readonly options: InformerOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly cache = new Map<string, Resource>();
  private readonly handlers = new Set<InformerHandler>();
  private readonly indexes = new Map<string, Index>();
  private watch: Watch | undefined;
  private retry: TimerHandle | undefined;
  private running = false;
  private synced = false;
  private lastRevision = 0;
  private syncWaiters: Array<() => void> = [];
  /** generation invalidates async work begun before a stop. */
  private generation = 0;

  constructor(store: ResourceStore, kind: string, options: InformerOptions = {}) {
    this.store = store;
    this.kind = kind;
    this.options = options;
    this.log = (options.logger ?? silentLogger()).child({ informer: kind });
    this.clock = options.clock ?? realClock;
  }

  /** addHandler subscribes to cache changes; it returns the unsubscribe function. */
  addHandler(handler: InformerHandler): () => void {
    this.handlers.add(handler);
    return () => void this.handlers.delete(handler);
  }

  /** addIndex files every cached object under the values `fn` returns, for `byIndex`. Add indexes before start. */
  addIndex(name: string, fn: IndexFunc): void {
    // A shared informer serves several controllers: a second index of one name would silently replace the first.
    if (this.indexes.has(name)) throw new InvalidStateError(`the ${this.kind} informer already has an index named ${name}`);
    const index: Index = { fn, values: new Map() };
    for (const [key, obj] of this.cache) file(index, key, obj, 1);
    this.indexes.set(name, index);
  }

  /** byIndex returns the cached objects filed under `value` in index `name`. */
  byIndex(name: string, value: string): Resource[] {
    const keys = this.indexes.get(name)?.values.get(value) ?? new Set<string>();
    return [...keys].map((k) => this.cache.get(k)).filter((o): o is Resource => o !== undefined);
  }

  /** whole is true when the informer caches every object of its kind (no namespace or label selector). */
  get whole(): boolean {
    return this.options.namespace === undefined && this.options.labelSelector === undefined;
  }

  /** get returns the cached object with key `Kind/namespace/name`. */
  get(key: string): Resource | undefined {
    return this.cache.get(key);
  }

  /** list returns every cached object. */
  list(): Resource[] {
    return [...this.cache.values()];
  }

  /** hasSynced tells whether the first list has been applied to the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** revision is the last store revision the cache reflects. */
  get revision(): number {
    return this.lastRevision;
  }

  /** whenSynced resolves once the first list has been applied. */
  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** start begins listing and watching; it returns at once (see `whenSynced`). Starting twice does nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const generation = ++this.generation;
    if (this.synced && this.tryWatch(String(this.lastRevision))) return;
    void this.relist(generation, 0);
  }

  /** stop ends the watch and pending retries; the cache is kept. */
  stop(): void {
    this.running = false;
    this.generation++;
    this.watch?.close();
    this.watch = undefined;
    this.retry?.cancel();
    this.retry = undefined;
  }

  private async relist(generation: number, attempt: number): Promise<void> {
    try {
      const listing = await this.store.list(this.kind, { ...(this.options.namespace ? { namespace: this.options.namespace } : {}), ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}) });
      if (generation !== this.generation) return;
      this.replace(listing.items, Number(listing.resourceVersion));
      if (this.tryWatch(listing.resourceVersion)) return;
    } catch (err) {
      if (generation !== this.generation) return;
      this.log.warn({ err }, `list of ${this.kind} failed`);
    }
    // Writes landed between the list and the watch faster than the history keeps them: list again at once a few times, then pace.
    if (attempt + 1 < IMMEDIATE_RELISTS) return this.relist(generation, attempt + 1);
    this.retry = this.clock.setTimer(this.options.relistRetryMs ?? 1_000, () => void this.relist(generation, 0));
  }

  private tryWatch(resourceVersion: string): boolean {
    const options = { kind: this.kind, resourceVersion, ...(this.options.namespace ? { namespace: this.options.namespace } : {}), ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}) };
    try {
      this.watch = this.store.watch(options, (event) => this.onEvent(event));
      return true;
    } catch (err) {
      if (!(err instanceof ExpiredError)) throw err;
      this.log.info(`watch of ${this.kind} from revision ${resourceVersion} expired; relisting`);
      return false;
    }
  }

  private onEvent(event: StoreEvent): void {
    const key = keyString(keyOf(event.object));
    const previous = this.cache.get(key);
    this.lastRevision = Math.max(this.lastRevision, event.revision);
    if (event.type === "DELETED") {
      if (!previous) return;
      this.remove(key, previous);
      this.emit({ type: "DELETED", object: event.object, previous });
      return;
    }
    this.put(key, event.object, previous);
    this.emit(previous ? { type: "MODIFIED", object: event.object, previous } : { type: "ADDED", object: event.object });
  }

  /** replace swaps the cache for a fresh list, emitting what changed, including synthetic deletes. */
  private replace(items: readonly Resource[], revision: number): void {
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyString(keyOf(item));
      seen.add(key);
      const previous = this.cache.get(key);
      if (previous?.metadata.resourceVersion === item.metadata.resourceVersion) continue;
      this.put(key, item, previous);
      this.emit(previous ? { type: "MODIFIED", object: item, previous } : { type: "ADDED", object: item });
    }
    for (const [key, previous] of [...this.cache]) {
      if (seen.has(key)) continue;
      this.remove(key, previous);
      this.emit({ type: "DELETED", object: previous, previous, synthetic: true });
    }
    this.lastRevision = revision;
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  private put(key: string, obj: Resource, previous: Resource | undefined): void {
    for (const index of this.indexes.values()) {
      if (previous) file(index, key, previous, -1);
      file(index, key, obj, 1);
    }
    this.cache.set(key, obj);
  }

  private remove(key: string, previous: Resource): void {
    for (const index of this.indexes.values()) file(index, key, previous, -1);
    this.cache.delete(key);
  }

  private emit(event: InformerEvent): void {
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (err) {
        this.log.error({ err }, `informer handler failed on ${event.type} ${keyString(keyOf(event.object))}`);
      }
    }
  }
}

/** file adds (`sign` 1) or removes (`sign` -1) a key under every value an index computes for `obj`. */
function file(index: Index, key: string, obj: Resource, sign: 1 | -1): void {
  for (const value of index.fn(obj)) {
    let keys = index.values.get(value);
    if (sign > 0) {
      if (!keys) index.values.set(value, (keys = new Set()));
      keys.add(key);
    } else if (keys) {
      keys.delete(key);
      if (keys.size === 0) index.values.delete(value);
    }
  }
}
