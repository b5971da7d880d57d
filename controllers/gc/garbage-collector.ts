import { NotFoundError, kinds as registeredKinds, type Resource } from "../../resources/index.ts";
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, keyOf, keyString, parseKey, type ResourceStore } from "../../store/index.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Clock } from "../../lib/clock.ts";
import { informerFor, mappingSource, objectKey, removeFinalizer, type Informer, type SharedInformers, type Controller, type ControllerOptions, type InformerEvent, type Key, type ReconcileContext, type Result, type Source } from "../runtime/index.ts";
import { blocksOwner, classifyOwners, ownerKey, ownerUids, stripOwners } from "./owners.ts";

/** OWNER_INDEX is the informer index that files every object under the uids of its owners. */
export const OWNER_INDEX = "ownerUid";

/** GarbageCollectorOptions: `kinds` defaults to every registered kind. */
export interface GarbageCollectorOptions {
  kinds?: readonly string[];
  clock?: Clock;
  controller?: ControllerOptions;
  /** informers are the daemon's shared informers (absent: the collector keeps its own). */
  informers?: SharedInformers;
}

/**
 * GarbageCollector implements cascading deletion through ownerReferences, as Kubernetes does
 * (docs/architecture.md, "Owners and garbage collection"). It keeps one informer per kind, indexed owner uid → dependents, and reconciles keys
 * of every kind:
 * - Background: a dependent whose every owner (by uid) is gone is deleted;
 * - Foreground: an owner being deleted with the `foregroundDeletion` finalizer gets its dependents deleted,
 *   and loses the finalizer once no dependent with `blockOwnerDeletion: true` remains;
 * - Orphan: an owner being deleted with the `orphan` finalizer is stripped from its dependents'
 *   ownerReferences, then loses the finalizer.
 * A dependent that still has a live owner keeps living: only its references to gone or foreground-deleting
 * owners are removed. Owners are always read from the store, never from the cache.
 */
export class GarbageCollector implements Controller {
  readonly name = "garbage-collector";
  readonly kind: readonly string[];
  readonly options: ControllerOptions;
  private readonly store: ResourceStore;
  private readonly informers = new Map<string, Informer>();
  private readonly served: ReadonlySet<string>;

  constructor(store: ResourceStore, logger: Logger, options: GarbageCollectorOptions = {}) {
    this.store = store;
    this.kind = options.kinds ?? registeredKinds.map((k) => k.kind);
    this.served = new Set(this.kind);
    // The collector reconciles every write of every kind: its routine closing lines belong at debug.
    this.options = { successLogLevel: "debug", ...options.controller };
    for (const kind of this.kind) {
      const informer = informerFor(options.informers, store, kind, { logger, ...(options.clock ? { clock: options.clock } : {}) });
      informer.addIndex(OWNER_INDEX, ownerUids);
      this.informers.set(kind, informer);
    }
  }

  sources(): Source[] {
    return [...this.informers.values()].map((informer) => mappingSource(informer, (_obj, event) => this.keysFor(event), `gc ${informer.kind}`));
  }

  /** dependentsOf returns the cached objects, of every kind, that name `uid` as an owner. */
  dependentsOf(uid: string): Resource[] {
    return [...this.informers.values()].flatMap((i) => i.byIndex(OWNER_INDEX, uid));
  }

  async reconcile(key: Key, ctx: ReconcileContext): Promise<Result> {
    let obj: Resource;
    try {
      obj = await this.store.get(parseKey(key));
    } catch (err) {
      if (err instanceof NotFoundError) return {};
      throw err;
    }
    const finalizers = obj.metadata.deletionTimestamp ? (obj.metadata.finalizers ?? []) : [];
    // One propagation step per reconcile: its own write re-enqueues the key for the next one.
    if (finalizers.includes(ORPHAN_FINALIZER)) await this.orphanDependents(obj, ctx);
    else if (finalizers.includes(FOREGROUND_FINALIZER)) await this.deleteDependentsInForeground(obj, ctx);
    if ((obj.metadata.ownerReferences ?? []).length > 0) await this.collect(keyString(keyOf(obj)), ctx);
    return {};
  }

  /** keysFor maps one cache change to what may now need collecting: the object, its dependents, its deleting owners. */
  private keysFor(event: InformerEvent): Key[] {
    const obj = event.object;
    const keys = [objectKey(obj)];
    if (obj.metadata.uid) for (const dependent of this.dependentsOf(obj.metadata.uid)) keys.push(objectKey(dependent));
    const refs = [...(obj.metadata.ownerReferences ?? []), ...(event.previous?.metadata.ownerReferences ?? [])];
    for (const ref of refs) {
      const owner = this.informers.get(ref.kind)?.get(keyString(ownerKey(obj, ref)));
      if (owner?.metadata.uid === ref.uid && owner.metadata.deletionTimestamp) keys.push(objectKey(owner));
    }
    return keys;
  }

  /** collect deletes a dependent whose owners are all gone or waiting, or strips those owners if a live one remains. */
  private async collect(key: Key, ctx: ReconcileContext): Promise<void> {
    let dependent: Resource;
    try {
      dependent = await this.store.get(parseKey(key));
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    const owners = await classifyOwners(this.store, dependent, this.served);
    if (owners.length === 0) return;
    const stale = owners.filter((o) => o.state === "dangling" || o.state === "waiting");
    if (owners.some((o) => o.state === "solid" || o.state === "unresolvable")) {
      if (stale.length === 0) return;
      await stripOwners(this.store, dependent, new Set(stale.map((o) => o.ref.uid)));
      ctx.log.info(`removed ${stale.length} owner reference(s) from ${key}: ${stale.map((o) => `${o.ref.kind}/${o.ref.name} is ${o.state === "dangling" ? "gone" : "being deleted"}`).join(", ")}`);
      return;
    }
    if (dependent.metadata.deletionTimestamp) return;
    // A dependent of a foreground deletion with dependents of its own is deleted in the foreground too, so the wait cascades.
    const waiting = owners.some((o) => o.state === "waiting");
    const propagationPolicy = waiting && this.dependentsOf(dependent.metadata.uid ?? "").length > 0 ? "Foreground" : "Background";
    try {
      await this.store.delete(parseKey(key), { propagationPolicy, preconditions: { uid: dependent.metadata.uid! } });
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    ctx.log.info(`deleted ${key} (${propagationPolicy}): ${waiting ? "its owners are being deleted in the foreground" : "every owner is gone"}`);
  }

  /** orphanDependents strips the owner from every dependent, then drops the `orphan` finalizer. */
  private async orphanDependents(owner: Resource, ctx: ReconcileContext): Promise<void> {
    const uid = owner.metadata.uid!;
    const dependents = this.dependentsOf(uid);
    for (const dependent of dependents) await stripOwners(this.store, dependent, new Set([uid]));
    await removeFinalizer(this.store, owner, ORPHAN_FINALIZER);
    ctx.log.info(`orphaned ${dependents.length} dependent(s) of ${objectKey(owner)}`);
  }

  /**
   * deleteDependentsInForeground collects every dependent of a foreground-deleting owner, then drops the
   * `foregroundDeletion` finalizer once none that blocks owner deletion is left (read from the store).
   */
  private async deleteDependentsInForeground(owner: Resource, ctx: ReconcileContext): Promise<void> {
    const uid = owner.metadata.uid!;
    const dependents = this.dependentsOf(uid);
    for (const dependent of dependents) await this.collect(objectKey(dependent), ctx);
    const blocking: string[] = [];
    for (const dependent of dependents) {
      try {
        if (blocksOwner(await this.store.get(keyOf(dependent)), uid)) blocking.push(objectKey(dependent));
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    if (blocking.length > 0) {
      ctx.log.debug(`${objectKey(owner)} waits for ${blocking.length} blocking dependent(s): ${blocking.join(", ")}`);
      return;
    }
    await removeFinalizer(this.store, owner, FOREGROUND_FINALIZER);
    ctx.log.info(`foreground deletion of ${objectKey(owner)}: dependents gone, finalizer removed`);
  }
}

/** createGarbageCollector returns the garbage collector as a controller for `Manager.add`. */
export function createGarbageCollector(store: ResourceStore, logger: Logger, options: GarbageCollectorOptions = {}): GarbageCollector {
  return new GarbageCollector(store, logger, options);
}
