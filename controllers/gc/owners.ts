import { NotFoundError, type OwnerReference, type Resource } from "../../resources/index.ts";
import { FOREGROUND_FINALIZER, keyOf, type ObjectKey, type ResourceStore } from "../../store/index.ts";
import { getIfExists, retryOnConflict } from "../runtime/index.ts";

/**
 * OwnerState classifies one ownerReference of a dependent, as the Kubernetes garbage collector does:
 * - `solid`: the owner exists and is not waiting for its dependents (it may be deleting in the background or
 *   orphaning: either way it does not ask for this dependent's deletion);
 * - `dangling`: no object with that kind, name and uid exists any more;
 * - `waiting`: the owner is being deleted in the foreground and waits for its dependents to go;
 * - `unresolvable`: the reference names a kind the collector does not serve, so it cannot tell; it keeps the
 *   dependent, as a solid owner would.
 */
export type OwnerState = "solid" | "dangling" | "waiting" | "unresolvable";

/** ClassifiedOwner is one ownerReference and what became of its owner. */
export interface ClassifiedOwner {
  ref: OwnerReference;
  state: OwnerState;
}

/** ownerKey is where the owner named by `ref` lives: owners are in the dependent's namespace. */
export function ownerKey(dependent: Resource, ref: OwnerReference): ObjectKey {
  return { kind: ref.kind, namespace: dependent.metadata.namespace, name: ref.name };
}

/** ownerUids lists the uids of a dependent's owners: the GC's owner → dependents index files objects by them. */
export function ownerUids(obj: Resource): string[] {
  return (obj.metadata.ownerReferences ?? []).map((r) => r.uid);
}

/**
 * classifyOwners reads every owner of `dependent` from the store itself, not from a cache: an owner missing
 * from a lagging cache must never get its dependents deleted.
 */
export async function classifyOwners(store: ResourceStore, dependent: Resource, servedKinds: ReadonlySet<string>): Promise<ClassifiedOwner[]> {
  const classified: ClassifiedOwner[] = [];
  for (const ref of dependent.metadata.ownerReferences ?? []) {
    if (!servedKinds.has(ref.kind)) {
      classified.push({ ref, state: "unresolvable" });
      continue;
    }
    let owner: Resource | undefined;
    try {
      owner = await store.get(ownerKey(dependent, ref));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (!owner || owner.metadata.uid !== ref.uid) classified.push({ ref, state: "dangling" });
    else if (owner.metadata.deletionTimestamp && owner.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) classified.push({ ref, state: "waiting" });
    else classified.push({ ref, state: "solid" });
  }
  return classified;
}

/**
 * stripOwners removes the ownerReferences with the given uids from an object (read fresh, written with its
 * resourceVersion, retried on conflict). It returns false when the object is gone or had none of them.
 */
export async function stripOwners(store: ResourceStore, target: Resource | ObjectKey, uids: ReadonlySet<string>): Promise<boolean> {
  const key = "metadata" in target ? keyOf(target) : target;
  return retryOnConflict(async () => {
    const latest = await getIfExists(store, key);
    if (!latest) return false;
    const refs = latest.metadata.ownerReferences ?? [];
    const kept = refs.filter((r) => !uids.has(r.uid));
    if (kept.length === refs.length) return false;
    const { ownerReferences: _stripped, ...metadata } = latest.metadata;
    await store.update({ ...latest, metadata: kept.length > 0 ? { ...metadata, ownerReferences: kept } : metadata });
    return true;
  });
}

/** blocksOwner tells whether `dependent` still holds up the foreground deletion of the owner with `uid`. */
export function blocksOwner(dependent: Resource, uid: string): boolean {
  return (dependent.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.blockOwnerDeletion === true);
}
