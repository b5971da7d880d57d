import type { Manifest } from "./snapshot.ts";

/** Retention is a Backup's `spec.retention`. */
export interface Retention {
  keepLast: number;
  keepDays?: number;
}

/**
 * expired returns the snapshots retention lets go: all but the newest `keepLast`, except those younger than
 * `keepDays` days (when set), which are kept however many there are. Applied to each target on its own.
 */
export function expired(snapshots: readonly Manifest[], retention: Retention, now: Date): Manifest[] {
  const newestFirst = [...snapshots].sort((a, b) => b.id.localeCompare(a.id));
  const horizon = retention.keepDays === undefined ? undefined : now.getTime() - retention.keepDays * 86_400_000;
  return newestFirst.slice(retention.keepLast).filter((m) => horizon === undefined || Date.parse(m.created) < horizon);
}
