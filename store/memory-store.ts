import { randomUUID } from "node:crypto";
import {
  AlreadyExistsError, ConflictError, NotFoundError, ValidationError, findKind,
  type Resource,
} from "../resources/index.ts";
import { cloneJson, equalJson } from "./json-value.ts";
import { compileSelectors } from "./selectors.ts";
import { WatchHub } from "./watch-hub.ts";
import {
  FOREGROUND_FINALIZER, ORPHAN_FINALIZER, keyString,
  type DeleteOptions, type ListOptions, type ListResult, type ObjectKey, type ResourceStore, type StoreEvent,
  type Watch, type WatchOptions,
} from "./store.ts";

/** JournalRecord is one committed change as a persistence layer sees it. */
export interface JournalRecord {
  revision: number;
  op: "put" | "delete";
  key: string;
  object?: Resource;
}

/**
 * Persistence makes committed changes durable. `append` is called in revision order and resolves once the
 * record is on stable storage (implementations batch concurrent appends into one fsync: group commit).
 */
export interface Persistence {
  load(): Promise<{ revision: number; objects: Resource[] }>;
  append(record: JournalRecord): Promise<void>;
  close(): Promise<void>;
}

/** StoreOptions tune a store; `now` is injectable for tests. */
export interface StoreOptions {
  /** historyLimit is how many events are kept for watches that resume from a revision. */
  historyLimit?: number;
  now?: () => Date;
  /**
   * onPersistenceFailure is told, once, when the persistence layer fails a write: from then on memory holds a
   * change the disk may not, so the process should stop and recover from disk rather than serve on.
   */
  onPersistenceFailure?: (error: Error) => void;
}

/** rfc3339 renders a time as Kubernetes does: UTC, second precision. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * deepFreeze freezes an object and everything under it that is not frozen yet (a frozen part is shared with a
 * stored object, so it is frozen throughout). It runs for every object loaded at start, so it walks the object
 * without the arrays Object.values would make for each node.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) freezeTree(value as Record<string, unknown>);
  return value;
}

function freezeTree(node: Record<string, unknown> | unknown[]): void {
  Object.freeze(node);
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child = node[i];
      if (typeof child === "object" && child !== null && !Object.isFrozen(child)) freezeTree(child as Record<string, unknown>);
    }
    return;
  }
  for (const key in node) {
    const child = node[key];
    if (typeof child === "object" && child !== null && !Object.isFrozen(child)) freezeTree(child as Record<string, unknown>);
  }
}

const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/**
 * MemoryStore implements every semantic of ResourceStore over an in-memory index. With a Persistence it is the
 * durable store: writes are applied to the index at once (so concurrent writers are serialised by the event
 * loop, never by locks), acknowledged and published to watchers only once the persistence layer has them on
 * disk.
 */
export class MemoryStore implements ResourceStore {
  private readonly objects = new Map<string, Map<string, Resource>>();
  private rev: number;
  private readonly hub: WatchHub;
  private readonly pending: StoreEvent[] = [];
  private readonly now: () => Date;
  private readonly persistence: Persistence | undefined;
  private readonly onPersistenceFailure: ((error: Error) => void) | undefined;
  private persistenceFailed = false;

  private constructor(revision: number, persistence: Persistence | undefined, options: StoreOptions) {
    this.rev = revision;
    this.persistence = persistence;
    this.onPersistenceFailure = options.onPersistenceFailure;
    this.hub = new WatchHub(revision, options.historyLimit ?? 10_000);
    this.now = options.now ?? (() => new Date());
  }

  /** open loads what the persistence layer holds (if any) and returns a ready store. */
  static async open(persistence?: Persistence, options: StoreOptions = {}): Promise<MemoryStore> {
    const loaded = persistence ? await persistence.load() : { revision: 0, objects: [] };
    const store = new MemoryStore(loaded.revision, persistence, options);
    // Loaded objects are frozen when first handed out (see lookup, list and all), not here: freezing ten thousand
    // of them would hold up the start of serving by tens of milliseconds for objects no request may read yet.
    for (const obj of loaded.objects) store.index(obj.kind).set(keyString(keyOfObject(obj)), obj);
    return store;
  }

  revision(): number {
    return this.rev;
  }

  async get(key: ObjectKey): Promise<Resource> {
    return this.lookup(key);
  }

  async list(kind: string, options: ListOptions = {}): Promise<ListResult> {
    const matches = compileSelectors(options.labelSelector, options.fieldSelector);
    const after = options.continue ? decodeContinue(options.continue) : "";
    const keys = [...this.index(kind).keys()].filter((k) => k > after).sort();
    const items: Resource[] = [];
    let last = "";
    let remaining = 0;
    for (const k of keys) {
      const obj = this.index(kind).get(k)!;
      if (options.namespace && obj.metadata.namespace !== options.namespace) continue;
      if (!matches(obj)) continue;
      if (options.limit && items.length >= options.limit) {
        remaining++;
        continue;
      }
      items.push(deepFreeze(obj));
      last = k;
    }
    const result: ListResult = { items, resourceVersion: String(this.rev) };
    if (remaining > 0) Object.assign(result, { continue: encodeContinue(last), remainingItemCount: remaining });
    return result;
  }

  async create(input: Resource): Promise<Resource> {
    const obj = cloneJson(input);
    const meta = obj.metadata;
    if (!meta.name) meta.name = `${meta.generateName ?? ""}${randomSuffix()}`;
    const key = keyOfObject(obj);
    if (this.index(obj.kind).has(keyString(key))) throw new AlreadyExistsError(`${plural(obj.kind)}.berth.dev "${meta.name}" already exists`);
    validateOwnerReferences(obj);
    delete obj.status;
    const revision = this.rev + 1;
    obj.metadata = {
      ...meta,
      uid: randomUUID(),
      resourceVersion: String(revision),
      generation: 1,
      creationTimestamp: rfc3339(this.now()),
    };
    delete obj.metadata.deletionTimestamp;
    delete obj.metadata.generateName;
    return this.commit({ type: "ADDED", revision, object: obj });
  }

  async update(input: Resource): Promise<Resource> {
    const stored = this.lookup(keyOfObject(input));
    checkPreconditions(stored, input.metadata.resourceVersion);
    const definition = findKind(stored.kind);
    const next = cloneJson(input);
    validateOwnerReferences(next);
    // Stored objects are deeply frozen, so the new version can share the old status instead of copying it.
    if (stored.status !== undefined) next.status = stored.status;
    else delete next.status;
    next.metadata = {
      ...next.metadata,
      name: stored.metadata.name,
      namespace: stored.metadata.namespace,
      uid: stored.metadata.uid!,
      creationTimestamp: stored.metadata.creationTimestamp!,
      generation: stored.metadata.generation!,
      resourceVersion: stored.metadata.resourceVersion!,
    };
    delete next.metadata.deletionTimestamp;
    delete next.metadata.generateName;
    if (stored.metadata.deletionTimestamp) {
      next.metadata.deletionTimestamp = stored.metadata.deletionTimestamp;
      const added = (next.metadata.finalizers ?? []).filter((f) => !(stored.metadata.finalizers ?? []).includes(f));
      if (added.length > 0) throw new ValidationError(`no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`, [{ field: "metadata.finalizers", message: "forbidden while deleting" }]);
    }
    const causes = definition?.validateUpdate?.(stored, next) ?? [];
    if (causes.length > 0) throw new ValidationError(`${stored.kind} "${stored.metadata.name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join("; ")}`, causes);
    const specChanged = (definition?.specFields ?? ["spec"]).some((f) => !equalJson(stored[f], next[f]));
    if (specChanged) next.metadata.generation = stored.metadata.generation! + 1;
    return this.commitUpdate(stored, next);
  }

  async updateStatus(input: Resource): Promise<Resource> {
    const stored = this.lookup(keyOfObject(input));
    checkPreconditions(stored, input.metadata.resourceVersion);
    const next: Resource = { ...stored, status: cloneJson(input.status) };
    if (next.status === undefined) delete next.status;
    return this.commitUpdate(stored, next);
  }

  async delete(key: ObjectKey, options: DeleteOptions = {}): Promise<Resource> {
    const stored = this.lookup(key);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== stored.metadata.uid) throw new ConflictError(`Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${stored.metadata.uid}`);
    checkPreconditions(stored, pre?.resourceVersion);
    if (stored.metadata.deletionTimestamp) return stored;
    const finalizers = [...(stored.metadata.finalizers ?? [])];
    if (options.propagationPolicy === "Foreground" && !finalizers.includes(FOREGROUND_FINALIZER)) finalizers.push(FOREGROUND_FINALIZER);
    if (options.propagationPolicy === "Orphan" && !finalizers.includes(ORPHAN_FINALIZER)) finalizers.push(ORPHAN_FINALIZER);
    if (finalizers.length === 0) return this.commit({ type: "DELETED", revision: this.rev + 1, object: stored, previous: stored });
    const next: Resource = { ...stored, metadata: { ...stored.metadata, finalizers } };
    next.metadata.deletionTimestamp = rfc3339(this.now());
    next.metadata.deletionGracePeriodSeconds = 0;
    return this.commit({ type: "MODIFIED", revision: this.rev + 1, object: next, previous: stored });
  }

  watch(options: WatchOptions, onEvent: (event: StoreEvent) => void): Watch {
    return this.hub.subscribe(options, () => ({ objects: this.all(options.kind), revision: this.rev }), onEvent);
  }

  /** watcherCount reports live watches (for metrics). */
  get watcherCount(): number {
    return this.hub.watcherCount;
  }

  async close(): Promise<void> {
    this.hub.closeAll();
    await this.persistence?.close();
  }

  /** commitUpdate finishes an update: a no-op returns the stored object; removing the last finalizer of a deleting object removes it. */
  private commitUpdate(stored: Resource, next: Resource): Promise<Resource> {
    if (equalJson(next, stored)) return Promise.resolve(stored);
    const revision = this.rev + 1;
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      return this.commit({ type: "DELETED", revision, object: next, previous: stored });
    }
    return this.commit({ type: "MODIFIED", revision, object: next, previous: stored });
  }

  /**
   * commit applies a change to the index now, and acknowledges and publishes it once durable. Every part of
   * `event.object` is either a fresh copy or a frozen part of a stored object (shared, never changed), so a
   * shallow copy of the top level and metadata is all the new version needs before it is frozen.
   */
  private async commit(event: StoreEvent): Promise<Resource> {
    this.rev = event.revision;
    const object: Resource = { ...event.object, metadata: { ...event.object.metadata, resourceVersion: String(event.revision) } };
    if (object.metadata.finalizers?.length === 0) delete object.metadata.finalizers;
    deepFreeze(object);
    const key = keyString(keyOfObject(object));
    if (event.type === "DELETED") this.index(object.kind).delete(key);
    else this.index(object.kind).set(key, object);
    const committed: StoreEvent = { ...event, object };
    this.pending.push(committed);
    try {
      await this.persistence?.append(event.type === "DELETED" ? { revision: event.revision, op: "delete", key } : { revision: event.revision, op: "put", key, object });
    } catch (error) {
      if (!this.persistenceFailed) {
        this.persistenceFailed = true;
        this.onPersistenceFailure?.(error as Error);
      }
      throw error;
    }
    this.flush(event.revision);
    return object;
  }

  /** flush publishes, in order, every pending event up to a revision that is now durable. */
  private flush(upTo: number): void {
    while (this.pending.length > 0 && this.pending[0]!.revision <= upTo) this.hub.publish(this.pending.shift()!);
  }

  /**
   * lookup reads an object synchronously. Writes must read and commit in one synchronous step: awaiting between
   * the resourceVersion check and the commit would let concurrent writers all pass the check (lost updates).
   */
  private lookup(key: ObjectKey): Resource {
    const found = this.objects.get(key.kind)?.get(keyString(key));
    if (!found) throw notFound(key);
    return deepFreeze(found);
  }

  private index(kind: string): Map<string, Resource> {
    let map = this.objects.get(kind);
    if (!map) this.objects.set(kind, (map = new Map()));
    return map;
  }

  private all(kind?: string): Resource[] {
    const maps = kind ? [this.index(kind)] : [...this.objects.values()];
    const out: Resource[] = [];
    for (const map of maps) for (const obj of map.values()) out.push(deepFreeze(obj));
    return out;
  }
}

function keyOfObject(obj: Resource): ObjectKey {
  return { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
}

function plural(kind: string): string {
  return findKind(kind)?.plural ?? kind.toLowerCase();
}

function notFound(key: ObjectKey): NotFoundError {
  return new NotFoundError(`${plural(key.kind)}.berth.dev "${key.name}" not found`);
}

function checkPreconditions(stored: Resource, resourceVersion: string | undefined): void {
  if (resourceVersion && resourceVersion !== stored.metadata.resourceVersion)
    throw new ConflictError(`Operation cannot be fulfilled on ${plural(stored.kind)}.berth.dev "${stored.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
}

function validateOwnerReferences(obj: Resource): void {
  const controllers = (obj.metadata.ownerReferences ?? []).filter((r) => r.controller);
  if (controllers.length > 1) throw new ValidationError("only one ownerReference can have controller set to true", [{ field: "metadata.ownerReferences", message: "only one controller reference allowed" }]);
}

function randomSuffix(): string {
  let out = "";
  for (let i = 0; i < 5; i++) out += NAME_ALPHABET[Math.floor(Math.random() * NAME_ALPHABET.length)];
  return out;
}

function encodeContinue(lastKey: string): string {
  return Buffer.from(JSON.stringify({ k: lastKey })).toString("base64url");
}

function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { k?: unknown };
    if (typeof parsed.k === "string") return parsed.k;
  } catch {
    // fall through: a token we cannot read is reported as a bad request below
  }
  throw new ValidationError("invalid continue token", [{ field: "continue", message: "cannot be decoded" }]);
}
