import { randomBytes } from "node:crypto";
import { RESTORE_REQUESTED, RUN_REQUESTED } from "../../resources/backup-annotations.ts";
import { ageOf } from "../../lib/human-duration.ts";
import { parseDuration } from "../duration.ts";
import { ServerError, UsageError } from "../errors.ts";
import { parseRefs, qualifiedName, resolveKind, resourcePath } from "../kind-names.ts";
import { TablePrinter } from "../output/table.ts";
import type { CliSession } from "../session.ts";
import { waitFor, type Observed } from "../wait-for.ts";

const BACKUP = resolveKind("backup");

/** Run is a Backup's `lastRun` or `lastRestore`, as the CLI reads it. */
interface Run {
  id: string;
  result: "Running" | "Succeeded" | "Failed";
  step?: string;
  message?: string;
  bytes?: number;
  sha256?: string;
  locations?: string[];
  snapshot?: string;
  database?: string;
}

/** Snapshot is one entry of a Backup's `status.snapshots`. */
interface Snapshot {
  id: string;
  created: string;
  bytes: number;
  sha256: string;
  verified: boolean;
  encrypted?: boolean;
  locations: string[];
}

/** refOf reads the one object of `kind` a verb acts on: `kind/NAME`, `kind NAME`, or a bare `NAME`. */
function refOf(args: readonly string[], kind: string, usage: string): string {
  if (args.length === 1 && !args[0]!.includes("/")) return args[0]!;
  const { refs } = parseRefs(args);
  if (refs.length !== 1 || refs[0]!.kind.kind !== kind) throw new UsageError(`give one ${kind}: ${usage}`);
  return refs[0]!.name;
}

async function context(session: CliSession, args: string[], options: Record<string, unknown>, usage: string) {
  const name = refOf(args, "Backup", usage);
  const namespace = await session.namespace(options.namespace as string | undefined);
  const client = await session.client();
  return { name, namespace, client, path: resourcePath(BACKUP, namespace, name) };
}

/** annotate sets one annotation on the Backup with a merge patch (a 404 says the Backup does not exist). */
async function annotate(client: Awaited<ReturnType<CliSession["client"]>>, path: string, key: string, value: string): Promise<void> {
  await client.request({ method: "PATCH", path, contentType: "application/merge-patch+json", body: { metadata: { annotations: { [key]: value } } } });
}

/** follow waits until `pick` finds the asked run finished, printing each step it reaches. */
async function follow(session: CliSession, client: Awaited<ReturnType<CliSession["client"]>>, namespace: string, name: string, pick: (o: Observed) => Run | undefined, timeout: string): Promise<Run> {
  let lastStep = "";
  let finished: Run | undefined;
  await waitFor(client, { kind: BACKUP, namespace, name }, (object) => {
    if (!object) throw new ServerError(404, { reason: "NotFound", message: `backups.berth.dev "${name}" not found` });
    const run = pick(object);
    if (!run) return false;
    if (run.step && run.step !== lastStep && run.result === "Running") session.io.out(`  ${run.step}…\n`);
    lastStep = run.step ?? lastStep;
    if (run.result === "Running") return false;
    finished = run;
    return true;
  }, Date.now() + parseDuration(timeout, "--timeout"));
  return finished!;
}

/**
 * runBackupRun is `berth backup run backup/NAME [--timeout 1h] [--no-wait]`: it asks the controller for a run
 * now (annotation `berth.dev/run-requested`), follows its steps and prints the result; exit 1 if it failed.
 */
export async function runBackupRun(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const { name, namespace, client, path } = await context(session, args, options, "berth backup run backup/NAME");
  const request = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  await annotate(client, path, RUN_REQUESTED, request);
  session.io.out(`${qualifiedName(BACKUP, name)} run requested\n`);
  if (options.wait === false) return 0;
  const run = await follow(session, client, namespace, name, (o) => {
    const status = o.status as { handledRunRequest?: string; lastRun?: Run } | undefined;
    return status?.handledRunRequest === request ? status.lastRun : undefined;
  }, String(options.timeout ?? "1h"));
  if (run.result === "Succeeded") {
    session.io.out(`${qualifiedName(BACKUP, name)} snapshot ${run.id} Succeeded: ${run.bytes} bytes, sha256 ${run.sha256}, verified, at ${(run.locations ?? []).join(", ")}\n`);
    return 0;
  }
  session.io.err(`error: ${qualifiedName(BACKUP, name)} run ${run.id} Failed at step ${run.step}: ${run.message}\n`);
  return 1;
}

/** runBackupList is `berth backup list backup/NAME`: the snapshots its targets hold, newest first. */
export async function runBackupList(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const { client, path } = await context(session, args, options, "berth backup list backup/NAME");
  const backup = await client.request<{ status?: { snapshots?: Snapshot[] } }>({ path });
  const snapshots = backup.status?.snapshots ?? [];
  if (snapshots.length === 0) {
    session.io.out("No snapshots.\n");
    return 0;
  }
  const now = Date.now();
  const rows = snapshots.map((s) => [s.id, ageOf(s.created, now), String(s.bytes), s.sha256, s.verified ? "yes" : "no", s.encrypted ? "yes" : "no", s.locations.join(",")]);
  session.io.out(new TablePrinter().format([["ID", "AGE", "BYTES", "SHA256", "VERIFIED", "ENCRYPTED", "LOCATION"], ...rows]));
  return 0;
}

/**
 * runRestore is `berth restore backup/NAME [--snapshot ID] --to database/NAME`: it asks the Backup's
 * controller to restore the snapshot (default: the newest) into the running Database, replacing its data,
 * follows the steps and prints the result; exit 1 if it failed.
 */
export async function runRestore(session: CliSession, args: string[], options: Record<string, unknown>): Promise<number> {
  const usage = "berth restore backup/NAME --snapshot ID --to database/NAME";
  const { name, namespace, client, path } = await context(session, args, options, usage);
  if (typeof options.to !== "string") throw new UsageError(`--to database/NAME is required: ${usage}`);
  const database = refOf([options.to], "Database", usage);
  const snapshot = typeof options.snapshot === "string" ? options.snapshot : undefined;
  const id = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  await annotate(client, path, RESTORE_REQUESTED, JSON.stringify({ id, database, ...(snapshot ? { snapshot } : {}) }));
  session.io.out(`restoring ${snapshot ? `snapshot ${snapshot}` : "the newest snapshot"} of ${qualifiedName(BACKUP, name)} into database.berth.dev/${database}\n`);
  const run = await follow(session, client, namespace, name, (o) => {
    const restore = (o.status as { lastRestore?: Run } | undefined)?.lastRestore;
    return restore?.id === id ? restore : undefined;
  }, String(options.timeout ?? "1h"));
  if (run.result === "Succeeded") {
    session.io.out(`database.berth.dev/${database} restored from snapshot ${run.snapshot}\n`);
    return 0;
  }
  session.io.err(`error: restore into database.berth.dev/${database} Failed at step ${run.step}: ${run.message}\n`);
  return 1;
}
