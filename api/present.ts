import type { Resource } from "../resources/index.ts";
import { canReadSecretValues } from "./auth/authorize.ts";
import type { Identity } from "./auth/token-store.ts";

/** LAST_APPLIED is kubectl's client-side apply annotation: it holds the whole applied manifest, Secret values included. */
export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * present prepares an object for one reader. A Secret read by a non-admin comes back with every `data` value
 * replaced by "" (keys kept, so `kubectl describe` and diffs still show what is there); the last-applied
 * annotation, which carries the applied manifest in clear, gets the same treatment. Everything else is sent as stored.
 */
export function present(obj: Resource, identity: Identity): Resource {
  if (obj.kind !== "Secret" || canReadSecretValues(identity, obj.metadata.namespace)) return obj;
  return redactSecret(obj);
}

/** redactSecret blanks every value of a Secret, in `data`, `stringData` and the last-applied annotation. */
export function redactSecret(obj: Resource): Resource {
  const out: Resource = { ...obj, metadata: { ...obj.metadata } };
  for (const field of ["data", "stringData"] as const) {
    const map = obj[field] as Record<string, string> | undefined;
    if (map) out[field] = blankValues(map);
  }
  const annotation = obj.metadata.annotations?.[LAST_APPLIED];
  if (annotation !== undefined) out.metadata.annotations = { ...obj.metadata.annotations, [LAST_APPLIED]: redactLastApplied(annotation) };
  return out;
}

function blankValues(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(map).map((k) => [k, ""]));
}

function redactLastApplied(annotation: string): string {
  try {
    const applied = JSON.parse(annotation) as Record<string, unknown>;
    for (const field of ["data", "stringData"]) {
      const map = applied[field];
      if (map && typeof map === "object") applied[field] = blankValues(map as Record<string, string>);
    }
    return `${JSON.stringify(applied)}\n`;
  } catch {
    // Not kubectl's JSON: it may hold anything, so none of it is shown.
    return "";
  }
}
