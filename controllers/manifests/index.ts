/** manifests keeps the store in sync with a directory of manifests (`berthd --manifests DIR`). */
export { startManifestSync, type ManifestSync, type ManifestSyncOptions } from "./manifest-sync.ts";
export { MANIFEST_SOURCE, OwnershipError, applyObject, mergeForUpdate, isSystemAnnotation, sourceOf } from "./apply-object.ts";
