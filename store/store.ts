import type { Resource } from "../resources/index.ts";

/** ObjectKey names one object: kind, namespace and name. */
export interface ObjectKey {
  kind: string;
  namespace: string;
  name: string;
}

/** keyString renders a key as `Kind/namespace/name`, the form used in maps, journals and work queues. */
export function keyString(key: ObjectKey): string {
  return `${key.kind}/${key.namespace}/${key.name}`;
}

/** keyOf returns the key of an object. */
export function keyOf(obj: Resource): ObjectKey {
  return { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
}

/** parseKey is the inverse of keyString. */
export function parseKey(key: string): ObjectKey {
  const [kind = "", namespace = "", name = ""] = key.split("/");
  return { kind, namespace, name };
}

/** WatchEventType is what happened to an object, as Kubernetes watches say it. */
export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

/**
 * StoreEvent is one committed change. `object` is the state after the change (for DELETED: the last state,
 * with the deleting revision as its resourceVersion); `previous` is the state before, absent for ADDED.
 */
export interface StoreEvent {
  type: WatchEventType;
  revision: number;
  object: Resource;
  previous?: Resource;
}

/** Selectors filter lists and watches (Kubernetes syntax: `app=web,tier!=db`, `metadata.name=web`). */
export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/** ListOptions narrow a list to a namespace (absent: all) and selectors, optionally paginated. */
export interface ListOptions extends Selectors {
  namespace?: string;
  limit?: number;
  continue?: string;
}

/** ListResult is a consistent page of objects and the revision it was read at. */
export interface ListResult {
  items: Resource[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/**
 * WatchOptions choose what to watch. `resourceVersion` absent or "0" first delivers a synthetic ADDED for every
 * matching object, then live changes; "N" delivers exactly the changes after revision N (ExpiredError if N is
 * older than the history kept).
 */
export interface WatchOptions extends Selectors {
  kind?: string;
  namespace?: string;
  resourceVersion?: string;
}

/** Watch is a live subscription; close() stops delivery. */
export interface Watch {
  close(): void;
}

/** DeleteOptions follow Kubernetes DeleteOptions. */
export interface DeleteOptions {
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** FOREGROUND_FINALIZER and ORPHAN_FINALIZER are the finalizers that deletion propagation adds, as in Kubernetes. */
export const FOREGROUND_FINALIZER = "foregroundDeletion";
export const ORPHAN_FINALIZER = "orphan";

/**
 * ResourceStore is the versioned resource store (docs/architecture.md, "The store"). Every backend (in memory, journal on disk,
 * JetStream KV) passes the same contract suite (test/unit/store/contract.ts).
 *
 * Objects returned are frozen snapshots: clone before changing them (`structuredClone`).
 *
 * Semantics:
 * - one global revision; every effective write bumps it and becomes the object's resourceVersion;
 *   a write that changes nothing returns the stored object, bumps nothing and emits nothing;
 * - a write carrying a resourceVersion that is not the stored one fails with ConflictError;
 * - `update` ignores `status`; `updateStatus` ignores everything but `status`;
 * - `metadata.generation` starts at 1 and is bumped when a kind's spec fields change;
 * - `delete` of an object with finalizers sets `deletionTimestamp`; the write that removes the last
 *   finalizer removes the object;
 * - a write is acknowledged (the promise resolves) only once it is durable, and watchers see it only then.
 */
export interface ResourceStore {
  /** get returns the object or throws NotFoundError. */
  get(key: ObjectKey): Promise<Resource>;
  /** list returns the objects of one kind that match the options. */
  list(kind: string, options?: ListOptions): Promise<ListResult>;
  /** create stores a new object (name, or generateName); throws AlreadyExistsError. */
  create(obj: Resource): Promise<Resource>;
  /** update replaces everything but status. */
  update(obj: Resource): Promise<Resource>;
  /** updateStatus replaces status only. */
  updateStatus(obj: Resource): Promise<Resource>;
  /** delete removes the object, or marks it deleting while finalizers remain; returns its latest state. */
  delete(key: ObjectKey, options?: DeleteOptions): Promise<Resource>;
  /** watch delivers events in revision order, synchronously to `onEvent`; throws ExpiredError. */
  watch(options: WatchOptions, onEvent: (event: StoreEvent) => void): Watch;
  /** revision is the current global revision. */
  revision(): number;
  /** close flushes pending writes and releases files. */
  close(): Promise<void>;
}
