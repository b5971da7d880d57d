/**
 * Annotations that ask a Backup's controller for work. They are how `berth backup run` and `berth restore`
 * (and the API's `run`/`restore` subresources) reach the controller: written into the store, a request
 * survives a berthd restart, and the status says when it was handled.
 */

/** RUN_REQUESTED asks for one run now; its value is a request id, echoed in `status.handledRunRequest`. */
export const RUN_REQUESTED = "berth.dev/run-requested";

/** RESTORE_REQUESTED asks for a restore: JSON `{id, snapshot?, database}`; `status.lastRestore.id` echoes the id. */
export const RESTORE_REQUESTED = "berth.dev/restore-requested";

/** RestoreAsk is the value of RESTORE_REQUESTED. */
export interface RestoreAsk {
  id: string;
  snapshot?: string;
  database: string;
}

/** parseRestoreAsk reads RESTORE_REQUESTED, or undefined when absent or malformed. */
export function parseRestoreAsk(value: string | undefined): RestoreAsk | undefined {
  if (!value) return undefined;
  try {
    const ask = JSON.parse(value) as Partial<RestoreAsk>;
    if (typeof ask.id !== "string" || typeof ask.database !== "string") return undefined;
    return { id: ask.id, database: ask.database, ...(typeof ask.snapshot === "string" && ask.snapshot ? { snapshot: ask.snapshot } : {}) };
  } catch {
    return undefined;
  }
}
