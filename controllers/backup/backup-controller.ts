import { createTask, type ScheduledTask } from "node-cron";
import type { BackupRun, BackupSnapshot, BackupSpec, Resource, RestoreRun } from "../../resources/index.ts";
import { NotFoundError } from "../../resources/index.ts";
import { parseKey, rfc3339, type ResourceStore } from "../../store/index.ts";
import type { DockerClient } from "../docker/index.ts";
import type { EventRecorder } from "../events/types.ts";
import type { Logger } from "../../lib/logger.ts";
import { EventSource, informerFor, setCondition, watchSource, writeStatus, type Controller, type ControllerOptions, type Informer, type Key, type ReconcileContext, type Result, type SharedInformers, type Source, type Status } from "../runtime/index.ts";
import { parseRestoreAsk, RESTORE_REQUESTED, RUN_REQUESTED } from "../../resources/backup-annotations.ts";
import { restoreSnapshot } from "./restore-run.ts";
import { runBackup, type RunOutcome } from "./run.ts";
import { timing } from "./schedule.ts";
import { snapshotId, type Manifest } from "./snapshot.ts";
import { StepError, type Step } from "./step-error.ts";
import { buildTargets, encryptionKeyOf } from "./targets/build.ts";

/** HISTORY_LIMIT is how many runs `status.history` keeps. */
export const HISTORY_LIMIT = 20;

/** MISSED_AFTER_MS: a scheduled run that starts later than this after its time is reported as `Missed`. */
const MISSED_AFTER_MS = 60_000;

/** BackupControllerOptions wire the controller to the store, Docker and events. */
export interface BackupControllerOptions {
  store: ResourceStore;
  docker: DockerClient;
  logger: Logger;
  recorder?: EventRecorder;
  informers?: SharedInformers;
}

/** Job is a run or restore under way in this berthd. */
interface Job {
  kind: "run" | "restore";
  abort: AbortController;
  done: Promise<void>;
}

/**
 * BackupController runs Backups. A reconcile only decides (it is short): a run is due by the schedule (or was
 * missed while berthd was down), asked for by `berth backup run`, or a restore by `berth restore`; the work
 * itself runs in the background, one job per Backup at a time, bounded by `timeoutSeconds`, and re-enqueues
 * the Backup when it ends. node-cron only enqueues at the schedule's times. Status: `lastRun`, `history`,
 * `snapshots`, `lastSuccessAt`, `nextRunAt`, `lastRestore`, conditions `Ready` and `Stale`. A run still
 * `Running` in the status that this berthd is not running was interrupted (berthd was killed): it is marked
 * Failed, and the next run sweeps what it left.
 */
export class BackupController implements Controller {
  readonly name = "backup-controller";
  readonly kind = "Backup";
  readonly options: ControllerOptions = { maxConcurrentReconciles: 2, reconcileTimeoutMs: 30_000 };
  private readonly deps: BackupControllerOptions;
  private readonly backups: Informer;
  private readonly jobs = new Map<Key, Job>();
  private readonly crons = new Map<Key, { expression: string; task: ScheduledTask }>();
  private readonly wake = new EventSource<Key>("backup jobs and cron", (key) => [key]);
  private stopping = false;

  constructor(deps: BackupControllerOptions) {
    this.deps = deps;
    this.backups = informerFor(deps.informers, deps.store, "Backup", { logger: deps.logger });
  }

  sources(): Source[] {
    return [watchSource(this.backups), this.wake];
  }

  async reconcile(key: Key, ctx: ReconcileContext): Promise<Result> {
    const backup = this.backups.get(key);
    if (!backup || backup.metadata.deletionTimestamp) {
      this.unschedule(key);
      this.jobs.get(key)?.abort.abort(new Error("the Backup was deleted"));
      return {};
    }
    const spec = backup.spec as BackupSpec;
    this.schedule(key, spec);
    const now = ctx.now();
    const status = (backup.status ?? {}) as Status;
    const lastRun = status.lastRun as BackupRun | undefined;
    if (this.jobs.has(key)) return {};

    // Interrupted: the status says Running, yet no job of this berthd runs it.
    if (lastRun?.result === "Running") {
      await this.finishRun(backup, { ...lastRun, result: "Failed", finishedAt: rfc3339(now), step: "interrupted", message: `the run was interrupted at step ${lastRun.step ?? "start"} (berthd stopped); what it wrote is removed by the next run` }, undefined, now);
      return {};
    }
    const lastRestore = status.lastRestore as RestoreRun | undefined;
    if (lastRestore?.result === "Running") {
      await this.writeRestore(backup, { ...lastRestore, result: "Failed", finishedAt: rfc3339(now), step: "interrupted", message: "the restore was interrupted (berthd stopped)" });
      return {};
    }

    const ask = parseRestoreAsk(backup.metadata.annotations?.[RESTORE_REQUESTED]);
    if (ask && ask.id !== lastRestore?.id) {
      this.startRestore(key, backup, ask, now);
      return {};
    }
    const runAsk = backup.metadata.annotations?.[RUN_REQUESTED];
    if (runAsk && runAsk !== status.handledRunRequest) {
      this.startRun(key, backup, "Manual", now, runAsk);
      return {};
    }
    const created = new Date(backup.metadata.creationTimestamp ?? rfc3339(now));
    const lastSuccessAt = status.lastSuccessAt as string | undefined;
    const when = timing(spec.schedule, {
      created, now, timeoutSeconds: spec.timeoutSeconds,
      ...(lastRun ? { lastRunAt: new Date(lastRun.startedAt) } : {}),
      ...(lastSuccessAt ? { lastSuccessAt: new Date(lastSuccessAt) } : {}),
    });
    if (when.due && !spec.suspend) {
      this.startRun(key, backup, now.getTime() - when.due.getTime() > MISSED_AFTER_MS ? "Missed" : "Scheduled", now);
      return {};
    }
    await this.writeConditions(backup, now, when.stale, when.next && !spec.suspend ? rfc3339(when.next) : undefined);
    // Look again when the Backup may turn stale (node-cron enqueues at run times).
    const staleIn = when.staleAt && !when.stale ? when.staleAt.getTime() - now.getTime() : undefined;
    return staleIn !== undefined ? { requeueAfterMs: Math.min(Math.max(staleIn, 1_000), 2 ** 31 - 1) } : {};
  }

  /** stop aborts every job under way (berthd is stopping) and waits for them to clean up. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const key of [...this.crons.keys()]) this.unschedule(key);
    for (const job of this.jobs.values()) job.abort.abort(new Error("berthd is stopping"));
    await Promise.allSettled([...this.jobs.values()].map((j) => j.done));
  }

  /** schedule keeps one node-cron task per scheduled Backup; its ticks only enqueue the Backup. */
  private schedule(key: Key, spec: BackupSpec): void {
    const current = this.crons.get(key);
    const wanted = spec.schedule && !spec.suspend ? spec.schedule : undefined;
    if (current?.expression === wanted) return;
    this.unschedule(key);
    if (!wanted || this.stopping) return;
    const task = createTask(wanted, () => this.wake.emit(key), { name: key, noOverlap: false });
    void task.start();
    this.crons.set(key, { expression: wanted, task });
  }

  private unschedule(key: Key): void {
    const current = this.crons.get(key);
    if (!current) return;
    void current.task.destroy();
    this.crons.delete(key);
  }

  /** job runs `work` in the background as the Backup's one job, re-enqueueing the Backup when it ends. */
  private job(key: Key, kind: Job["kind"], timeoutSeconds: number, work: (signal: AbortSignal) => Promise<void>): void {
    const abort = new AbortController();
    // A timer of our own, not AbortSignal.any([.., AbortSignal.timeout()]): Node 20 holds that timeout signal
    // weakly, so once garbage-collected it never fires and a run that hangs is never aborted.
    const timer = setTimeout(() => abort.abort(new DOMException(`timed out after ${timeoutSeconds}s`, "TimeoutError")), timeoutSeconds * 1000);
    const signal = abort.signal;
    const done = work(signal)
      .catch((error: unknown) => this.deps.logger.error({ err: error, key }, `backup ${kind} bookkeeping failed`))
      .finally(() => {
        clearTimeout(timer);
        this.jobs.delete(key);
        this.wake.emit(key);
      });
    this.jobs.set(key, { kind, abort, done });
  }

  private startRun(key: Key, backup: Resource, trigger: NonNullable<BackupRun["trigger"]>, now: Date, request?: string): void {
    const spec = backup.spec as BackupSpec;
    const { namespace, name } = parseKey(key);
    const id = snapshotId(now);
    const started: BackupRun = { id, startedAt: rfc3339(now), result: "Running", trigger, step: "database" };
    const log = this.deps.logger.child({ backup: `${namespace}/${name}`, run: id });
    this.job(key, "run", spec.timeoutSeconds, async (signal) => {
      await this.writeRun(backup, started, (s) => (request ? { ...s, handledRunRequest: request } : s));
      this.deps.recorder?.record(backup, "Normal", "BackupStarted", `run ${id} (${trigger}) started`);
      log.info({ trigger }, "backup run started");
      let outcome: RunOutcome | undefined;
      let failure: StepError | undefined;
      try {
        const targets = await buildTargets(this.deps.store, namespace, name, spec);
        const key = await encryptionKeyOf(this.deps.store, namespace, spec);
        outcome = await runBackup({
          docker: this.deps.docker, store: this.deps.store, namespace, spec, id, targets, signal, now: () => new Date(),
          ...(key ? { key } : {}),
          onStep: (step: Step) => void this.writeRun(backup, { ...started, step }).catch(() => {}),
        });
      } catch (error) {
        failure = error instanceof StepError ? error : new StepError("dump", (error as Error).message, { cause: error });
      }
      const finishedAt = rfc3339(new Date());
      if (outcome) {
        const m = outcome.manifest;
        const run: BackupRun = {
          ...started, result: "Succeeded", finishedAt, bytes: m.bytes, sha256: m.sha256, verified: m.verified,
          location: outcome.locations[0]!, locations: outcome.locations, step: "done", message: `${m.bytes} bytes to ${outcome.locations.length} target(s), verified${outcome.scratchTables !== undefined ? ` (restored into a scratch container: ${outcome.scratchTables} tables)` : ""}`,
        };
        await this.finishRun(backup, run, outcome, new Date());
        this.deps.recorder?.record(backup, "Normal", "BackupSucceeded", `run ${id}: ${m.bytes} bytes, sha256 ${m.sha256.slice(0, 12)}, verified, at ${outcome.locations.join(", ")}`);
        log.info({ bytes: m.bytes, locations: outcome.locations }, "backup run succeeded");
      } else {
        const run: BackupRun = { ...started, result: "Failed", finishedAt, step: failure!.step, message: `${failure!.step}: ${failure!.message}` };
        await this.finishRun(backup, run, undefined, new Date());
        this.deps.recorder?.record(backup, "Warning", "BackupFailed", `run ${id} failed at step ${failure!.step}: ${failure!.message}`);
        log.warn({ step: failure!.step, error: failure!.message }, "backup run failed");
      }
    });
  }

  private startRestore(key: Key, backup: Resource, ask: { id: string; snapshot?: string; database: string }, now: Date): void {
    const spec = backup.spec as BackupSpec;
    const { namespace, name } = parseKey(key);
    const started: RestoreRun = { id: ask.id, snapshot: ask.snapshot ?? "", database: ask.database, startedAt: rfc3339(now), result: "Running", step: "database" };
    this.job(key, "restore", spec.timeoutSeconds, async (signal) => {
      await this.writeRestore(backup, started);
      this.deps.recorder?.record(backup, "Normal", "RestoreStarted", `restoring snapshot ${ask.snapshot ?? "(newest)"} into Database "${ask.database}"`);
      try {
        const targets = await buildTargets(this.deps.store, namespace, name, spec);
        const key = await encryptionKeyOf(this.deps.store, namespace, spec);
        const manifest = await restoreSnapshot({
          docker: this.deps.docker, store: this.deps.store, namespace, database: ask.database, targets, signal,
          ...(ask.snapshot ? { snapshot: ask.snapshot } : {}), ...(key ? { key } : {}),
          onStep: (step) => void this.writeRestore(backup, { ...started, step }).catch(() => {}),
        });
        await this.writeRestore(backup, { ...started, snapshot: manifest.id, result: "Succeeded", step: "done", finishedAt: rfc3339(new Date()), message: `restored ${manifest.bytes} bytes of snapshot ${manifest.id}` });
        this.deps.recorder?.record(backup, "Normal", "RestoreSucceeded", `snapshot ${manifest.id} restored into Database "${ask.database}"`);
      } catch (error) {
        const failure = error instanceof StepError ? error : new StepError("restore", (error as Error).message);
        await this.writeRestore(backup, { ...started, result: "Failed", step: failure.step, finishedAt: rfc3339(new Date()), message: `${failure.step}: ${failure.message}` });
        this.deps.recorder?.record(backup, "Warning", "RestoreFailed", `restore into Database "${ask.database}" failed at step ${failure.step}: ${failure.message}`);
      }
    });
  }

  /** writeRun sets `lastRun` while a run is under way. */
  private async writeRun(backup: Resource, run: BackupRun, extra: (s: Status) => Status = (s) => s): Promise<void> {
    await this.write(backup, (status) => extra({ ...status, lastRun: run }));
  }

  /** finishRun records a finished run: lastRun, history, snapshots, lastSuccessAt and conditions. */
  private async finishRun(backup: Resource, run: BackupRun, outcome: RunOutcome | undefined, now: Date): Promise<void> {
    await this.write(backup, (status, latest) => {
      const history = [run, ...((status.history as BackupRun[] | undefined) ?? []).filter((h) => h.id !== run.id)].slice(0, HISTORY_LIMIT);
      let next: Status = { ...status, lastRun: run, history };
      if (outcome) next = { ...next, lastSuccessAt: run.finishedAt!, snapshots: snapshotsOf(outcome.kept, latest) };
      const ready = run.result === "Succeeded"
        ? { type: "Ready", status: "True" as const, reason: "Succeeded", message: `last run ${run.id} succeeded` }
        : { type: "Ready", status: "False" as const, reason: "RunFailed", message: run.message ?? "the last run failed" };
      return setCondition(next, ready, latest.metadata.generation, now);
    });
  }

  private async writeRestore(backup: Resource, restore: RestoreRun): Promise<void> {
    await this.write(backup, (status) => ({ ...status, lastRestore: restore }));
  }

  /** writeConditions keeps Ready (before any run), Stale and nextRunAt current. */
  private async writeConditions(backup: Resource, now: Date, stale: boolean, nextRunAt: string | undefined): Promise<void> {
    const wasStale = backup.status?.conditions?.find((c) => c.type === "Stale")?.status === "True";
    await this.write(backup, (status, latest) => {
      const spec = latest.spec as BackupSpec;
      let next: Status = { ...status };
      if (nextRunAt) next.nextRunAt = nextRunAt;
      else delete next.nextRunAt;
      if (!status.conditions?.some((c) => c.type === "Ready")) {
        next = setCondition(next, { type: "Ready", status: "True", reason: spec.schedule ? "Scheduled" : "OnDemand", message: spec.schedule ? `first run at ${nextRunAt ?? "(suspended)"}` : "runs on demand (berth backup run)" }, latest.metadata.generation, now);
      }
      const lastSuccess = status.lastSuccessAt as string | undefined;
      next = setCondition(next, stale
        ? { type: "Stale", status: "True", reason: "NoRecentSuccess", message: `no run has succeeded since ${lastSuccess ?? "the Backup was created"}, though the schedule called for one` }
        : { type: "Stale", status: "False", reason: "UpToDate", message: "" }, latest.metadata.generation, now);
      return next;
    });
    if (stale && !wasStale) this.deps.recorder?.record(backup, "Warning", "Stale", `no backup has succeeded since ${(backup.status?.lastSuccessAt as string | undefined) ?? "creation"}, though the schedule called for one`);
  }

  private async write(backup: Resource, mutate: (status: Status, latest: Resource) => Status): Promise<void> {
    try {
      await writeStatus(this.deps.store, backup, (status, latest) => ({ ...mutate(status, latest), observedGeneration: latest.metadata.generation }));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
}

/** snapshotsOf merges what each target keeps into one list, newest first, each with every location holding it. */
function snapshotsOf(kept: Map<"local" | "s3", Manifest[]>, _backup: Resource): BackupSnapshot[] {
  const byId = new Map<string, BackupSnapshot>();
  for (const [kind, manifests] of kept) {
    for (const m of manifests) {
      const entry = byId.get(m.id) ?? { id: m.id, created: m.created, bytes: m.bytes, sha256: m.sha256, verified: m.verified, encrypted: m.encrypted, locations: [] };
      entry.locations.push(kind);
      byId.set(m.id, entry);
    }
  }
  return [...byId.values()].sort((a, b) => b.id.localeCompare(a.id));
}

/** createBackupController returns the Backup controller for `Manager.add`. */
export function createBackupController(options: BackupControllerOptions): BackupController {
  return new BackupController(options);
}
