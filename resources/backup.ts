import { z } from "zod";
import { dnsLabel, localObjectRef } from "./meta.ts";
import { defineKind, readyColumn, reasonColumn } from "./define-kind.ts";
import { lazyModule } from "./lazy-module.ts";

/** node-cron is loaded by the first schedule checked, not by everything that imports the kinds. */
const nodeCron = lazyModule<typeof import("node-cron")>("node-cron");

const s3Target = z.strictObject({
  endpoint: z.string().url().optional().describe("Endpoint of an S3-compatible service (default: AWS)."),
  bucket: z.string().min(3),
  prefix: z.string().default("").describe("Prefix of every object key (`prod/db/`)."),
  region: z.string().default("us-east-1"),
  forcePathStyle: z.boolean().default(true),
  secretRef: localObjectRef.describe("SecretRef names a Secret with `accessKeyId` and `secretAccessKey`."),
});

/** backupTarget says where snapshots go: a host directory, an S3 bucket, or both (each gets every snapshot). */
const target = z
  .strictObject({
    local: z.strictObject({ path: z.string().startsWith("/").describe("Path on the host where snapshots are written.") }).optional(),
    s3: s3Target.optional(),
  })
  .refine((t) => t.local !== undefined || t.s3 !== undefined, "set local, s3, or both");

/** backupSpec is what a user declares about a Backup of a Database. */
export const backupSpec = z.strictObject({
  databaseRef: z.strictObject({ name: dnsLabel }),
  schedule: z
    .string()
    .refine((s) => nodeCron().validate(s), "a cron expression such as `0 3 * * *`")
    .optional()
    .describe("Schedule in cron syntax; absent → the Backup runs only on demand (`berth backup run`)."),
  retention: z
    .strictObject({
      keepLast: z.number().int().min(1).default(7).describe("KeepLast keeps the newest N snapshots of each target."),
      keepDays: z.number().int().min(1).optional().describe("KeepDays also keeps every snapshot younger than this many days."),
    })
    .default({ keepLast: 7 })
    .describe("Retention is applied to each target after every successful run."),
  target: target,
  verify: z
    .enum(["checksum", "restore"])
    .default("checksum")
    .describe("Verify: `checksum` reads each snapshot back, re-hashes it and lists it with the engine's tool; `restore` also restores it into a scratch container."),
  timeoutSeconds: z.number().int().min(10).max(7 * 24 * 3600).default(3600).describe("TimeoutSeconds aborts a run (dump, upload, verify) that takes longer."),
  encryption: z
    .strictObject({ secretRef: localObjectRef.describe("SecretRef names a Secret whose `key` (any length, hashed to 256 bits) encrypts snapshots.") })
    .optional()
    .describe("Encryption encrypts snapshots at rest with AES-256-GCM."),
  suspend: z.boolean().default(false).describe("Suspend stops scheduled runs; on-demand runs still work."),
});

export type BackupSpec = z.infer<typeof backupSpec>;

/** backupRun is one run of a Backup, as `status.lastRun` and `status.history[]` show it; `id` names its snapshot. */
export const backupRun = z.object({
  id: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  result: z.enum(["Running", "Succeeded", "Failed"]),
  trigger: z.enum(["Scheduled", "Manual", "Missed"]).optional(),
  bytes: z.number().int().optional(),
  sha256: z.string().optional(),
  location: z.string().optional(),
  locations: z.array(z.string()).optional(),
  verified: z.boolean().optional(),
  message: z.string().optional(),
  step: z.string().optional().describe("Step at which a failed run stopped (dump, upload, verify...)."),
});

export type BackupRun = z.infer<typeof backupRun>;

/** backupSnapshot is one snapshot the targets hold after retention, as `berth backup list` shows it. */
export const backupSnapshot = z.object({
  id: z.string(),
  created: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
  verified: z.boolean(),
  encrypted: z.boolean().optional(),
  locations: z.array(z.string()),
});

export type BackupSnapshot = z.infer<typeof backupSnapshot>;

/** restoreRun is the last restore asked of a Backup (`berth restore`), with its progress and result. */
export const restoreRun = z.object({
  id: z.string(),
  snapshot: z.string(),
  database: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  result: z.enum(["Running", "Succeeded", "Failed"]),
  step: z.string().optional(),
  message: z.string().optional(),
});

export type RestoreRun = z.infer<typeof restoreRun>;

export const { definition: backupKind, schema: backupSchema } = defineKind({
  kind: "Backup",
  plural: "backups",
  shortNames: ["bk"],
  spec: backupSpec,
  status: {
    lastRun: backupRun.optional(),
    history: z.array(backupRun).optional(),
    snapshots: z.array(backupSnapshot).optional(),
    lastSuccessAt: z.string().optional(),
    nextRunAt: z.string().optional(),
    lastRestore: restoreRun.optional(),
    /** handledRunRequest is the last `berth.dev/run-requested` annotation value acted upon. */
    handledRunRequest: z.string().optional(),
  },
  columns: [
    readyColumn,
    { name: "Database", type: "string", description: "Database backed up.", priority: 0, value: (o) => (o.spec as BackupSpec).databaseRef.name },
    { name: "Schedule", type: "string", description: "Cron schedule.", priority: 0, value: (o) => (o.spec as BackupSpec).schedule ?? "on demand" },
    { name: "Last", type: "string", description: "Result of the last run.", priority: 0, value: (o) => (o.status?.lastRun as { result?: string } | undefined)?.result ?? "" },
    { name: "Next", type: "string", description: "Next scheduled run.", priority: 1, value: (o) => (o.status?.nextRunAt as string | undefined) ?? "" },
    reasonColumn,
  ],
});
