import { AlreadyExistsError, ConflictError, NotFoundError, findKind, type Resource } from "../../resources/index.ts";
import { keyOf, keyString, type ResourceStore } from "../../store/index.ts";

/** MANIFEST_SOURCE is the annotation naming the manifests-directory file an object came from (relative path). */
export const MANIFEST_SOURCE = "berth.dev/manifest-source";

/** OwnershipError is an object a manifest declares that the manifests directory may not take over. */
export class OwnershipError extends Error {
  override name = "OwnershipError";
}

/** ApplyResult is what applying one object did. */
export type ApplyResult = "created" | "updated" | "unchanged";

/**
 * isSystemAnnotation tells annotations that Berth or Kubernetes tooling writes (`berth.dev/...`,
 * `kubectl.kubernetes.io/...`) from a user's own: a manifest update replaces only the user's.
 */
export function isSystemAnnotation(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash < 0) return false;
  const domain = key.slice(0, slash);
  return [/(^|\.)berth\.dev$/, /(^|\.)kubernetes\.io$/, /(^|\.)k8s\.io$/].some((re) => re.test(domain));
}

/**
 * mergeForUpdate builds the object a manifest update writes: the kind's spec fields, labels and user
 * annotations come from the manifest; status, system annotations, ownerReferences and other finalizers stay
 * as they are live.
 */
export function mergeForUpdate(live: Resource, desired: Resource, source: string): Resource {
  const next = structuredClone(live) as Resource;
  const specFields = findKind(live.kind)?.specFields ?? ["spec"];
  for (const field of specFields) {
    if (desired[field] === undefined) delete next[field];
    else next[field] = structuredClone(desired[field]);
  }
  const labels = desired.metadata.labels;
  if (labels && Object.keys(labels).length > 0) next.metadata.labels = { ...labels };
  else delete next.metadata.labels;
  const kept = Object.fromEntries(Object.entries(live.metadata.annotations ?? {}).filter(([k]) => isSystemAnnotation(k) && k !== MANIFEST_SOURCE));
  next.metadata.annotations = { ...kept, ...(desired.metadata.annotations ?? {}), [MANIFEST_SOURCE]: source };
  const finalizers = [...new Set([...(live.metadata.finalizers ?? []), ...(desired.metadata.finalizers ?? [])])];
  if (finalizers.length > 0) next.metadata.finalizers = finalizers;
  return next;
}

/** forCreate is a manifest object as first written: server-owned metadata dropped, the source annotation added. */
function forCreate(desired: Resource, source: string): Resource {
  const { uid: _u, resourceVersion: _rv, generation: _g, creationTimestamp: _c, deletionTimestamp: _d, ...metadata } = desired.metadata;
  const obj = structuredClone({ ...desired, metadata: { ...metadata, annotations: { ...(metadata.annotations ?? {}), [MANIFEST_SOURCE]: source } } }) as Resource;
  delete obj.status;
  return obj;
}

/** sourceOf is the manifest file an object came from, if it came from one. */
export function sourceOf(obj: Resource): string | undefined {
  return obj.metadata.annotations?.[MANIFEST_SOURCE];
}

const MAX_CONFLICT_RETRIES = 5;

/**
 * applyObject writes one admitted manifest object for `source`. `declaredElsewhere` says whether another file
 * of the directory currently declares the same object. An object created by other means (no source
 * annotation), or owned by a file that still declares it, is left alone (OwnershipError); an object whose
 * file no longer declares it is taken over. A concurrent write is retried on a fresh read.
 */
export async function applyObject(store: ResourceStore, desired: Resource, source: string, declaredElsewhere: (owner: string) => boolean): Promise<ApplyResult> {
  const key = keyOf(desired);
  for (let attempt = 0; ; attempt++) {
    let live: Resource | undefined;
    try {
      live = await store.get(key);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    try {
      if (!live) {
        await store.create(forCreate(desired, source));
        return "created";
      }
      const owner = sourceOf(live);
      if (owner === undefined) throw new OwnershipError(`${keyString(key)} already exists and was not created from the manifests directory; delete it or rename the object in ${source}`);
      if (owner !== source && declaredElsewhere(owner)) throw new OwnershipError(`${keyString(key)} is declared by ${owner} too; it stays with ${owner}`);
      const written = await store.update(mergeForUpdate(live, desired, source));
      return written.metadata.resourceVersion === live.metadata.resourceVersion ? "unchanged" : "updated";
    } catch (error) {
      const raced = error instanceof ConflictError || error instanceof AlreadyExistsError;
      if (!raced || attempt >= MAX_CONFLICT_RETRIES) throw error;
    }
  }
}
