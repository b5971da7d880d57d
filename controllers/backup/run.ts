import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { DockerClient } from "../docker/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import type { BackupSpec } from "../../resources/index.ts";
import { resolveDatabase, type DatabaseHandle } from "./database.ts";
import { startDump } from "./dump.ts";
import { encryptStream } from "./encryption.ts";
import { expired } from "./retention.ts";
import { snapshotFile, type Manifest } from "./snapshot.ts";
import { asStepError, StepError, type Step } from "./step-error.ts";
import { HashCounter, Tee } from "./tee.ts";
import type { PendingWrite, SnapshotTarget } from "./targets/target.ts";
import { verifySnapshot } from "./verify.ts";
import { verifyByRestore } from "./scratch.ts";

/** RunRequest is one backup run to make. */
export interface RunRequest {
  docker: DockerClient;
  store: ResourceStore;
  namespace: string;
  spec: BackupSpec;
  id: string;
  targets: SnapshotTarget[];
  /** key encrypts the snapshot (from `spec.encryption`). */
  key?: Buffer;
  signal: AbortSignal;
  now(): Date;
  /** onStep reports progress: the step the run has reached. */
  onStep?(step: Step): void;
}

/** RunOutcome is a successful run: its snapshot, as every target now holds it, and what retention left. */
export interface RunOutcome {
  manifest: Manifest;
  locations: string[];
  /** kept are the snapshots each target holds after retention, by target kind. */
  kept: Map<"local" | "s3", Manifest[]>;
  /** scratchTables is what `verify: restore` counted in its scratch container (tables; keys for Redis). */
  scratchTables?: number;
}

/** stepOf is the step a target's writes belong to. */
function stepOf(target: SnapshotTarget): Step {
  return target.kind === "s3" ? "upload" : "write";
}

/**
 * runBackup makes one snapshot: the engine's dump, streamed (encrypted when asked) to every target at once
 * with backpressure and hashed on the way; each target's copy is committed, read back and re-hashed (the
 * first one also checked by the engine's own tool), then published with its manifest; retention follows.
 * Any failure removes what this run wrote and throws a StepError naming the step.
 */
export async function runBackup(req: RunRequest): Promise<RunOutcome> {
  let step: Step = "database";
  const enter = (next: Step) => {
    step = next;
    req.onStep?.(next);
  };
  const pending: Array<{ target: SnapshotTarget; write: PendingWrite }> = [];
  try {
    enter("database");
    const db = await resolveDatabase(req.store, req.docker, req.namespace, req.spec.databaseRef.name, req.signal);
    const file = snapshotFile(req.id, db.engine, req.key !== undefined);
    for (const target of req.targets) {
      enter(stepOf(target));
      // Leftovers of a run that was interrupted (berthd killed) are removed before anything is written.
      await target.sweep(req.signal);
      pending.push({ target, write: await target.begin(file, req.signal) });
    }
    enter("dump");
    const dump = await startDump(req.docker, db, req.signal);
    const hasher = new HashCounter();
    let failedTarget: SnapshotTarget | undefined;
    for (const { target, write } of pending) write.stream.once("error", () => (failedTarget ??= target));
    const tee = new Tee(pending.map((p) => p.write.stream as Writable));
    const stages = [dump.stream, ...(req.key ? [encryptStream(req.key)] : []), hasher, tee] as unknown as NodeJS.ReadWriteStream[];
    try {
      await pipeline(stages, { signal: req.signal });
    } catch (error) {
      // A target that failed (disk full, upload refused) is the cause: the dump tool then only sees a broken
      // pipe. Otherwise the tool's own error says more than the stream's.
      if (failedTarget) throw new StepError(stepOf(failedTarget), (error as Error).message, { cause: error });
      const toolError = await Promise.race([dump.finished.then(() => undefined, (e: unknown) => e), new Promise((resolve) => setTimeout(resolve, 2_000))]);
      throw toolError ?? error;
    }
    await dump.finished;
    const digest = hasher.digest();
    const locations: string[] = [];
    for (const { target, write } of pending) {
      enter(stepOf(target));
      locations.push(await write.commit());
    }
    enter("verify");
    for (const [index, { target }] of pending.entries()) {
      await verifySnapshot(req.docker, db, target, file, digest, { engine: index === 0, ...(req.key ? { key: req.key } : {}), signal: req.signal });
    }
    const scratchTables = req.spec.verify === "restore" ? await verifyByRestore(req.docker, db, pending[0]!.target, file, req.key, req.signal) : undefined;
    const manifest: Manifest = {
      id: req.id, engine: db.engine, database: db.name, file, bytes: digest.bytes, sha256: digest.sha256,
      verified: true, encrypted: req.key !== undefined, created: req.now().toISOString(),
    };
    for (const { target } of pending) {
      enter(stepOf(target));
      await target.writeManifest(manifest, req.signal);
    }
    pending.length = 0; // published: nothing to undo from here on
    enter("retention");
    const kept = await applyRetention(req.targets, req.spec, req.now(), req.signal);
    return { manifest, locations, kept, ...(scratchTables !== undefined ? { scratchTables } : {}) };
  } catch (error) {
    for (const { write } of pending) await write.abort().catch(() => {});
    if (req.signal.aborted) {
      const reason = req.signal.reason as Error | undefined;
      throw new StepError(step, reason?.name === "TimeoutError" ? `timed out after ${req.spec.timeoutSeconds}s` : `aborted: ${reason?.message ?? "berthd is stopping"}`, { cause: error });
    }
    throw asStepError(step, error);
  }
}

/** applyRetention deletes what retention lets go on each target and returns what each keeps. */
export async function applyRetention(targets: SnapshotTarget[], spec: BackupSpec, now: Date, signal: AbortSignal): Promise<Map<"local" | "s3", Manifest[]>> {
  const kept = new Map<"local" | "s3", Manifest[]>();
  for (const target of targets) {
    const all = await target.list(signal);
    const gone = expired(all, spec.retention, now);
    for (const manifest of gone) await target.remove(manifest, signal);
    const goneIds = new Set(gone.map((m) => m.id));
    kept.set(target.kind, all.filter((m) => !goneIds.has(m.id)));
  }
  return kept;
}

export type { DatabaseHandle };
