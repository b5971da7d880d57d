import type { HistoryEntry, RevisionTemplate } from "./app-history.ts";
import { BerthError } from "../lib/errors.ts";

/**
 * Rollback (`berth rollout undo`) is a spec write, nothing more: the App's spec takes the template of a
 * revision kept in `status.history`, and the controller rolls that out like any change, under the same health
 * gates. The template's spec hash then matches the old revision's, so the old revision number comes back.
 * This file is pure (no Docker, no store) so the CLI can load it without the controller.
 */

/** TEMPLATE_FIELDS are the spec fields a revision template holds (see RevisionTemplate). */
export const TEMPLATE_FIELDS = ["image", "command", "args", "env", "port", "resources", "volumes", "healthCheck"] as const satisfies ReadonlyArray<keyof RevisionTemplate>;

/** RollbackError is a rollback that cannot be done: no history, an unknown revision, a paused or built App. */
export class RollbackError extends BerthError {
  override name = "RollbackError";
}

/**
 * chooseRollback picks the revision to go back to: `toRevision` when given, else the revision deployed most
 * recently before the current one (so undo twice goes back and forth, as `kubectl rollout undo` does).
 */
export function chooseRollback(history: readonly HistoryEntry[], currentRevision: number | undefined, toRevision: number | undefined, what: string): HistoryEntry {
  if (history.length === 0) throw new RollbackError(`${what} has no rollout history yet`);
  const known = [...history].sort((a, b) => a.revision - b.revision).map((h) => h.revision).join(", ");
  if (toRevision !== undefined) {
    const found = history.find((h) => h.revision === toRevision);
    if (!found) throw new RollbackError(`revision ${toRevision} not found in the history of ${what} (revisions kept: ${known})`);
    if (!found.template) throw new RollbackError(`revision ${toRevision} of ${what} was recorded without its template and cannot be restored`);
    return found;
  }
  const previous = history
    .filter((h) => h.revision !== currentRevision && h.template)
    .sort((a, b) => (a.deployedAt < b.deployedAt ? 1 : a.deployedAt > b.deployedAt ? -1 : b.revision - a.revision))[0];
  if (!previous) throw new RollbackError(`${what} has no previous revision to roll back to (revisions kept: ${known})`);
  return previous;
}

/**
 * rollbackSpecPatch is the JSON merge patch (RFC 7386) of `spec` that makes its template fields exactly the
 * template's: fields the template lacks are removed (null), nested objects are replaced rather than merged,
 * fields outside the template (replicas, strategy, paused...) are left alone. An empty patch means the spec
 * already has this template.
 */
export function rollbackSpecPatch(spec: Record<string, unknown>, template: RevisionTemplate): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const wanted = template as Record<string, unknown>;
  for (const field of TEMPLATE_FIELDS) {
    if (jsonEqual(spec[field], wanted[field])) continue;
    patch[field] = replaceWith(spec[field], wanted[field]);
  }
  return patch;
}

/** replaceWith is the merge-patch value that turns `have` into `want` (a plain merge would keep stale nested keys). */
function replaceWith(have: unknown, want: unknown): unknown {
  if (want === undefined) return null;
  if (!isPlainObject(have) || !isPlainObject(want)) return want;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(have)) if (!(key in want) || want[key] === undefined) patch[key] = null;
  for (const [key, value] of Object.entries(want)) {
    if (value === undefined || jsonEqual(have[key], value)) continue;
    patch[key] = replaceWith(have[key], value);
  }
  return patch;
}

/**
 * describeChange summarises what a revision changed from the one before it: the image (`a → b`), then the
 * other template fields by name; an identical template means a referenced Secret or Database value changed.
 */
export function describeChange(before: HistoryEntry | undefined, entry: HistoryEntry): string {
  if (!before) return entry.revision === 1 ? "initial" : "<unknown>";
  const parts: string[] = [];
  if (before.image !== entry.image) parts.push(`image ${before.image} → ${entry.image}`);
  const a = (before.template ?? {}) as Record<string, unknown>;
  const b = (entry.template ?? {}) as Record<string, unknown>;
  for (const field of TEMPLATE_FIELDS) if (field !== "image" && !jsonEqual(a[field], b[field])) parts.push(field);
  return parts.length > 0 ? parts.join(", ") : "secret or database values";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** jsonEqual compares decoded JSON values structurally; undefined and an absent key are equal. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}
