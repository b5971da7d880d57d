/**
 * The 3-way JSON merge patch of kubectl's client-side apply (`jsonmergepatch.CreateThreeWayJSONMergePatch`),
 * so that `berth apply` and `kubectl apply` interoperate on the same objects:
 * - a field in the last-applied configuration (original) that the file (modified) no longer has is deleted
 *   (`null` in the patch);
 * - a field of the file that the live object (current) lacks or holds differently is set;
 * - fields only the live object has (defaults, fields others set) are left alone;
 * - arrays are replaced whole, as JSON merge patch (RFC 7386) does.
 */

/** JsonObject is a decoded JSON object. */
export type JsonObject = Record<string, unknown>;

/** isPlainObject tells JSON objects apart from arrays, null and scalars. */
export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** jsonEqual compares two decoded JSON values structurally (key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** deletions lists, as `null`, every field of original that modified dropped. */
function deletions(original: JsonObject, modified: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(original)) {
    if (!(key in modified)) patch[key] = null;
    else if (isPlainObject(value) && isPlainObject(modified[key])) {
      const nested = deletions(value, modified[key]);
      if (Object.keys(nested).length > 0) patch[key] = nested;
    }
  }
  return patch;
}

/** changes lists every field of modified that current lacks or holds differently, ignoring fields only current has. */
function changes(current: JsonObject, modified: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(modified)) {
    const live = current[key];
    if (!(key in current)) patch[key] = value;
    else if (isPlainObject(value) && isPlainObject(live)) {
      const nested = changes(live, value);
      if (Object.keys(nested).length > 0) patch[key] = nested;
    } else if (!jsonEqual(live, value)) patch[key] = value;
  }
  return patch;
}

/** mergePatches overlays b on a; where both hold objects they are merged, elsewhere b wins. */
function mergePatches(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = out[key];
    out[key] = isPlainObject(existing) && isPlainObject(value) ? mergePatches(existing, value) : value;
  }
  return out;
}

/**
 * threeWayMergePatch computes the merge patch that turns current into modified while deleting only what
 * original had and modified dropped. An empty object means nothing to change.
 */
export function threeWayMergePatch(original: JsonObject | undefined, modified: JsonObject, current: JsonObject): JsonObject {
  return mergePatches(original ? deletions(original, modified) : {}, changes(current, modified));
}

/** applyMergePatch applies an RFC 7386 JSON merge patch to a value and returns the result (inputs are not changed). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: JsonObject = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}
