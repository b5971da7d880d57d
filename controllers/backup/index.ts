/**
 * backup is the Backup controller: scheduled and on-demand dumps of Databases, streamed with the engine's own
 * tool to local and S3 targets, verified, kept by retention, and restored on request.
 */
export { BackupController, createBackupController, HISTORY_LIMIT, type BackupControllerOptions } from "./backup-controller.ts";
export { RUN_REQUESTED, RESTORE_REQUESTED, parseRestoreAsk, type RestoreAsk } from "../../resources/backup-annotations.ts";
export { runBackup, applyRetention, type RunRequest, type RunOutcome } from "./run.ts";
export { restoreSnapshot, type RestoreRequest } from "./restore-run.ts";
export { resolveDatabase, credentialsSecretName, type DatabaseHandle } from "./database.ts";
export { buildTargets, encryptionKeyOf } from "./targets/build.ts";
export { LocalTarget } from "./targets/local.ts";
export { S3Target, type S3Settings } from "./targets/s3.ts";
export type { SnapshotTarget, PendingWrite } from "./targets/target.ts";
export { snapshotId, snapshotFile, SNAPSHOT_ID, type Manifest } from "./snapshot.ts";
export { expired, type Retention } from "./retention.ts";
export { nextAfter, timing, type Timing } from "./schedule.ts";
export { StepError, type Step } from "./step-error.ts";
export { restoreFromGate, RESTORING, type RestoreGate, type RestoredFrom } from "./restore-from.ts";
