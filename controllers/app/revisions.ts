import type { HistoryEntry } from "../../resources/app-history.ts";

/**
 * revisionFor numbers a spec hash: the number it already has (on a container, which survives a lost status
 * write, or in the history), else one more than any number in use. Each distinct (image, config) keeps its
 * number, so rolling back to an old spec brings back its old revision.
 */
export function revisionFor(hash: string, history: readonly HistoryEntry[], containerRevisions: ReadonlyMap<string, number>): number {
  const onContainer = containerRevisions.get(hash);
  if (onContainer !== undefined) return onContainer;
  const known = history.find((h) => h.specHash === hash);
  if (known) return known.revision;
  const used = [...history.map((h) => h.revision), ...containerRevisions.values()];
  return used.length === 0 ? 1 : Math.max(...used) + 1;
}

/**
 * recordRevision puts `entry` in the history (replacing an entry with the same revision). When it becomes the
 * rollout target (it was not before), `deployedAt` moves to `now`: the progress deadline counts from there.
 * The history keeps the current revision and the `limit` most recent others.
 */
export function recordRevision(history: readonly HistoryEntry[], entry: Omit<HistoryEntry, "createdAt" | "deployedAt" | "completedAt">, previousRevision: number | undefined, now: string, limit: number): HistoryEntry[] {
  const existing = history.find((h) => h.revision === entry.revision);
  const becameTarget = previousRevision !== entry.revision || !existing;
  const next: HistoryEntry = {
    ...entry,
    createdAt: existing?.createdAt ?? now,
    deployedAt: becameTarget ? now : existing.deployedAt,
    ...(!becameTarget && existing.completedAt ? { completedAt: existing.completedAt } : {}),
  };
  const others = history.filter((h) => h.revision !== entry.revision).sort((a, b) => (a.deployedAt < b.deployedAt ? 1 : a.deployedAt > b.deployedAt ? -1 : b.revision - a.revision));
  return [...others.slice(0, limit), next].sort((a, b) => a.revision - b.revision);
}
