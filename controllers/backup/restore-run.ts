import type { DockerClient } from "../docker/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import { resolveDatabase } from "./database.ts";
import { restoreInto } from "./restore.ts";
import type { Manifest } from "./snapshot.ts";
import { asStepError, StepError, type Step } from "./step-error.ts";
import type { SnapshotTarget } from "./targets/target.ts";
import { verifySnapshot } from "./verify.ts";
import { retryOnConflict } from "../runtime/index.ts";
import { RESTORING } from "./restore-from.ts";

/** markRestoring sets or removes the RESTORING annotation on a Database; true when it set it. */
async function markRestoring(store: ResourceStore, namespace: string, name: string, on: boolean): Promise<boolean> {
  return retryOnConflict(async () => {
    const db = await store.get({ kind: "Database", namespace, name });
    const annotations = { ...db.metadata.annotations };
    if (on) annotations[RESTORING] = new Date().toISOString();
    else delete annotations[RESTORING];
    await store.update({ ...db, metadata: { ...db.metadata, annotations } });
    return on;
  });
}

/** RestoreRequest is one restore of a Backup's snapshot into a Database of the same namespace. */
export interface RestoreRequest {
  docker: DockerClient;
  store: ResourceStore;
  namespace: string;
  /** snapshot is a snapshot id, or undefined for the newest one. */
  snapshot?: string;
  database: string;
  targets: SnapshotTarget[];
  key?: Buffer;
  signal: AbortSignal;
  onStep?(step: Step): void;
}

/** sameFamily tells whether a dump of one engine loads into another (MariaDB and MySQL dumps are SQL). */
function sameFamily(a: string, b: string): boolean {
  const family = (e: string) => (e === "mysql" || e === "mariadb" ? "mysql" : e);
  return family(a) === family(b);
}

/**
 * restoreSnapshot finds the snapshot on the Backup's targets (the local one first), checks its sha256 by
 * reading it through once, then loads it into the running Database. Returns the manifest restored.
 */
export async function restoreSnapshot(req: RestoreRequest): Promise<Manifest> {
  let step: Step = "database";
  const enter = (next: Step) => {
    step = next;
    req.onStep?.(next);
  };
  try {
    enter("database");
    const db = await resolveDatabase(req.store, req.docker, req.namespace, req.database, req.signal);
    enter("verify");
    let found: { target: SnapshotTarget; manifest: Manifest } | undefined;
    const seen: string[] = [];
    for (const target of req.targets) {
      const listed = await target.list(req.signal).catch((error: Error) => {
        seen.push(`${target.kind}: ${error.message}`);
        return [] as Manifest[];
      });
      const manifest = req.snapshot ? listed.find((m) => m.id === req.snapshot) : listed.at(-1);
      if (manifest) {
        found = { target, manifest };
        break;
      }
    }
    if (!found) throw new StepError("verify", `snapshot ${req.snapshot ?? "(newest)"} not found on the Backup's targets${seen.length ? ` (${seen.join("; ")})` : ""}`);
    const { target, manifest } = found;
    if (!sameFamily(manifest.engine, db.engine)) throw new StepError("restore", `snapshot ${manifest.id} is a ${manifest.engine} dump; Database "${db.name}" runs ${db.engine}`);
    await verifySnapshot(req.docker, db, target, manifest.file, manifest, { engine: false, signal: req.signal });
    enter("restore");
    // Redis is stopped while its data file is replaced: the Database controller must not start it meanwhile.
    const pause = db.engine === "redis" ? await markRestoring(req.store, req.namespace, db.name, true) : false;
    try {
      await restoreInto(req.docker, db, () => target.open(manifest.file, req.signal), manifest, req.key, req.signal);
    } finally {
      if (pause) await markRestoring(req.store, req.namespace, db.name, false).catch(() => {});
    }
    return manifest;
  } catch (error) {
    if (req.signal.aborted) throw new StepError(step, `aborted: ${(req.signal.reason as Error | undefined)?.message ?? "berthd is stopping"}`, { cause: error });
    throw asStepError(step, error);
  }
}
