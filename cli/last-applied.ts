import { isPlainObject, type JsonObject } from "./three-way-merge.ts";

/** LAST_APPLIED is the annotation kubectl's client-side apply keeps the last applied manifest in. */
export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** REDACTED replaces Secret values in the last-applied annotation. */
export const REDACTED = "(redacted)";

/**
 * goJson encodes a value the way Go's `json.Marshal` does for kubectl's unstructured objects: object keys sorted,
 * and `<`, `>`, `&`, U+2028 and U+2029 escaped. Matching it byte for byte means an object applied by `berth` and
 * then by `kubectl` (or the other way round) with the same file is reported unchanged.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
  return out;
}

/**
 * modifiedConfiguration is what apply sends and compares, as kubectl builds it: the manifest with the
 * last-applied annotation set to the manifest itself (encoded without that annotation, ending in a newline).
 * Unlike kubectl, the values of a Secret's `data` and `stringData` are redacted in the annotation: the 3-way
 * merge needs only their keys, and annotations are readable by everyone who can read the object.
 */
export function modifiedConfiguration(manifest: JsonObject): { modified: JsonObject; annotation: string } {
  const modified = structuredClone(manifest);
  const metadata = isPlainObject(modified.metadata) ? modified.metadata : (modified.metadata = {});
  const annotations = isPlainObject(metadata.annotations) ? (metadata.annotations as Record<string, string>) : {};
  delete annotations[LAST_APPLIED];
  metadata.annotations = annotations;
  const recorded = modified.kind === "Secret" ? redactSecret(modified) : modified;
  const annotation = `${goJson(recorded)}\n`;
  metadata.annotations = { ...annotations, [LAST_APPLIED]: annotation };
  return { modified, annotation };
}

function redactSecret(secret: JsonObject): JsonObject {
  const out = structuredClone(secret);
  for (const field of ["data", "stringData"]) {
    const values = out[field];
    if (isPlainObject(values)) for (const key of Object.keys(values)) values[key] = REDACTED;
  }
  return out;
}

/** originalConfiguration reads the last-applied annotation of a live object; undefined if absent or unreadable. */
export function originalConfiguration(live: JsonObject): JsonObject | undefined {
  const metadata = live.metadata;
  const text = isPlainObject(metadata) && isPlainObject(metadata.annotations) ? metadata.annotations[LAST_APPLIED] : undefined;
  if (typeof text !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    // A hand-edited, broken annotation is treated like a missing one: nothing gets pruned.
    return undefined;
  }
}
