import type { Resource } from "../../resources/index.ts";
import { keyOf, type ObjectKey, type ResourceStore } from "../../store/index.ts";
import { getIfExists, retryOnConflict } from "./retry-on-conflict.ts";

/**
 * ensureFinalizer adds `finalizer` to the object's metadata.finalizers (an update carrying the
 * resourceVersion read, retried on conflict) and returns the latest object. It does nothing when the
 * finalizer is there already, or when the object is being deleted (no finalizer may be added then).
 */
export async function ensureFinalizer(store: ResourceStore, target: Resource | ObjectKey, finalizer: string): Promise<Resource> {
  const key = "metadata" in target ? keyOf(target) : target;
  return retryOnConflict(async () => {
    const latest = await store.get(key);
    const finalizers = latest.metadata.finalizers ?? [];
    if (finalizers.includes(finalizer) || latest.metadata.deletionTimestamp) return latest;
    return store.update({ ...latest, metadata: { ...latest.metadata, finalizers: [...finalizers, finalizer] } });
  });
}

/**
 * removeFinalizer drops `finalizer` from the object (retried on conflict). It returns the latest state, or
 * undefined when the object is gone, whether it was already or because this was its last finalizer while
 * being deleted.
 */
export async function removeFinalizer(store: ResourceStore, target: Resource | ObjectKey, finalizer: string): Promise<Resource | undefined> {
  const key = "metadata" in target ? keyOf(target) : target;
  return retryOnConflict(async () => {
    const latest = await getIfExists(store, key);
    if (!latest) return undefined;
    const finalizers = latest.metadata.finalizers ?? [];
    if (!finalizers.includes(finalizer)) return latest;
    const written = await store.update({ ...latest, metadata: { ...latest.metadata, finalizers: finalizers.filter((f) => f !== finalizer) } });
    const gone = written.metadata.deletionTimestamp !== undefined && (written.metadata.finalizers ?? []).length === 0;
    return gone ? undefined : written;
  });
}
