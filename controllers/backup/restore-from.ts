import type { DatabaseSpec, Resource, RestoreRun } from "../../resources/index.ts";
import { NotFoundError } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import { retryOnConflict } from "../runtime/index.ts";
import { parseRestoreAsk, RESTORE_REQUESTED } from "../../resources/backup-annotations.ts";

/**
 * RESTORING is set on a Database while its Backup's controller restores a Redis snapshot into it (the server
 * is stopped for that): the Database controller leaves its stopped container alone meanwhile.
 */
export const RESTORING = "berth.dev/restoring";

/** RestoredFrom is what a Database's `status.restoredFrom` records once `spec.restoreFrom` has been filled in. */
export interface RestoredFrom {
  backup: string;
  snapshot: string;
  at: string;
}

/** RestoreGate is what a new Database with `spec.restoreFrom` waits on before it is Ready. */
export type RestoreGate =
  | { state: "none" }
  | { state: "done"; restoredFrom: RestoredFrom }
  | { state: "waiting"; reason: "Restoring" | "RestoreFailed" | "BackupNotFound"; message: string; requeueAfterMs: number };

/** restoreIdOf names the one restore `spec.restoreFrom` asks for (one per Database object). */
function restoreIdOf(db: Resource): string {
  return `restore-from-${db.metadata.uid ?? db.metadata.name}`;
}

/**
 * restoreFromGate is called by the Database controller once a Database's engine answers. Without
 * `spec.restoreFrom`, or once `status.restoredFrom` is set, there is nothing to wait for. Otherwise it asks
 * the Backup named there for a restore into this Database (the Backup controller does it, as for
 * `berth restore`) and reports `Restoring` until the Backup's `status.lastRestore` says how it ended.
 */
export async function restoreFromGate(store: ResourceStore, db: Resource): Promise<RestoreGate> {
  const from = (db.spec as DatabaseSpec).restoreFrom;
  const done = db.status?.restoredFrom as RestoredFrom | undefined;
  if (!from) return { state: "none" };
  if (done) return { state: "done", restoredFrom: done };
  const namespace = db.metadata.namespace!;
  const id = restoreIdOf(db);
  try {
    return await retryOnConflict(async () => {
      const backup = await store.get({ kind: "Backup", namespace, name: from.backup });
      const last = backup.status?.lastRestore as RestoreRun | undefined;
      if (last?.id === id && last.result === "Succeeded") return { state: "done" as const, restoredFrom: { backup: from.backup, snapshot: last.snapshot, at: last.finishedAt ?? "" } };
      if (last?.id === id && last.result === "Failed") {
        return { state: "waiting" as const, reason: "RestoreFailed" as const, message: `restoring from Backup "${from.backup}" failed: ${last.message ?? ""}; delete and re-create the Database to try again`, requeueAfterMs: 300_000 };
      }
      if (parseRestoreAsk(backup.metadata.annotations?.[RESTORE_REQUESTED])?.id !== id) {
        const ask = JSON.stringify({ id, database: db.metadata.name, ...(from.snapshot ? { snapshot: from.snapshot } : {}) });
        await store.update({ ...backup, metadata: { ...backup.metadata, annotations: { ...backup.metadata.annotations, [RESTORE_REQUESTED]: ask } } });
      }
      return { state: "waiting" as const, reason: "Restoring" as const, message: `restoring snapshot ${from.snapshot ?? "(newest)"} of Backup "${from.backup}"${last?.id === id && last.step ? ` (${last.step})` : ""}`, requeueAfterMs: 1_000 };
    });
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    return { state: "waiting", reason: "BackupNotFound", message: `Backup "${from.backup}" (spec.restoreFrom.backup) not found`, requeueAfterMs: 10_000 };
  }
}
