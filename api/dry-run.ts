import { NotFoundError, type Resource } from "../resources/index.ts";
import { MemoryStore, keyOf, type DeleteOptions, type ObjectKey, type ResourceStore } from "../store/index.ts";

/**
 * Dry runs (`?dryRun=All`) replay a write on a scratch MemoryStore that holds a copy of the one object the
 * write touches, at the real store's revision. The scratch store is the reference implementation of the
 * store's semantics, so a dry run answers exactly what the write would (defaults, generation, conflicts,
 * finalizers, no-op detection) without a second copy of those rules. Nothing reaches the real store.
 */
async function scratch(store: ResourceStore, objects: Resource[]): Promise<MemoryStore> {
  const revision = store.revision();
  return MemoryStore.open({
    load: async () => ({ revision, objects }),
    append: async () => undefined,
    close: async () => undefined,
  });
}

async function existing(store: ResourceStore, key: ObjectKey): Promise<Resource | undefined> {
  try {
    return await store.get(key);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** dryRunCreate returns the object a create would store (no resourceVersion: none was assigned). */
export async function dryRunCreate(store: ResourceStore, obj: Resource): Promise<Resource> {
  const current = obj.metadata.name ? await existing(store, keyOf(obj)) : undefined;
  const result = structuredClone(await (await scratch(store, current ? [current] : [])).create(obj)) as Resource;
  delete result.metadata.resourceVersion;
  return result;
}

/** dryRunUpdate returns the object an update (or a status update) would store, with the stored resourceVersion. */
export async function dryRunUpdate(store: ResourceStore, obj: Resource, subresource: "main" | "status"): Promise<Resource> {
  const current = await store.get(keyOf(obj));
  const scratchStore = await scratch(store, [current]);
  const result = structuredClone(subresource === "main" ? await scratchStore.update(obj) : await scratchStore.updateStatus(obj)) as Resource;
  result.metadata.resourceVersion = current.metadata.resourceVersion!;
  return result;
}

/** dryRunDelete returns what a delete would answer (the object, marked deleting if finalizers hold it). */
export async function dryRunDelete(store: ResourceStore, key: ObjectKey, options: DeleteOptions): Promise<Resource> {
  const current = await store.get(key);
  const result = structuredClone(await (await scratch(store, [current])).delete(key, options)) as Resource;
  result.metadata.resourceVersion = current.metadata.resourceVersion!;
  return result;
}
