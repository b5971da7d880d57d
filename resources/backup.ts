import { z } from "zod";
import { dnsLabel, localObjectRef } from "./meta.ts";
import { defineKind, readyColumn, reasonColumn } from "./define-kind.ts";
import { lazyModule } from "./lazy-module.ts";

/** node-cron is loaded by the first schedule checked, not by everything that imports the kinds. */
const nodeCron = lazyModule<typeof import("node-cron")>("node-cron");

const target = z
  .strictObject({
    local: z.strictObject({ path: z.string().startsWith("/").describe("Path on the host where snapshots are written.") }).optional(),
    s3: z
      .strictObject({
        endpoint: z.string().url().optional().describe("Endpoint of an S3-compatible service (default: AWS)."),
        bucket: z.string().min(3),
        prefix: z.string().default(""),
        region: z.string().default("us-east-1"),
        forcePathStyle: z.boolean().default(true),
        secretRef: localObjectRef.describe("SecretRef names a Secret with `accessKeyId` and `secretAccessKey`."),
      })
      .optional(),
  })
  .refine((t) => (t.local ? 1 : 0) + (t.s3 ? 1 : 0) === 1, "set exactly one of local or s3");

/** backupSpec is what a user declares about a Backup of a Database. */
export const backupSpec = z.strictObject({
  databaseRef: z.strictObject({ name: dnsLabel }),
  schedule: z
    .string()
    .refine((s) => nodeCron().validate(s), "a cron expression such as `0 3 * * *`")
    .optional()
    .describe("Schedule in cron syntax; absent → the Backup runs only on demand (`berth backup run`)."),
  retention: z.strictObject({ keepLast: z.number().int().min(1).default(7) }).default({ keepLast: 7 }),
  target: target,
  suspend: z.boolean().default(false).describe("Suspend stops scheduled runs; on-demand runs still work."),
});

export type BackupSpec = z.infer<typeof backupSpec>;

const run = z.object({
  id: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  result: z.enum(["Running", "Succeeded", "Failed"]),
  bytes: z.number().int().optional(),
  sha256: z.string().optional(),
  location: z.string().optional(),
  message: z.string().optional(),
  step: z.string().optional().describe("Step at which a failed run stopped (dump, upload, verify...)."),
});

export const { definition: backupKind, schema: backupSchema } = defineKind({
  kind: "Backup",
  plural: "backups",
  shortNames: ["bk"],
  spec: backupSpec,
  status: {
    lastRun: run.optional(),
    history: z.array(run).optional(),
    nextRunAt: z.string().optional(),
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
