import { NotFoundError, TERMINAL_PHASES, type BuildSpec, type Resource } from "../../resources/index.ts";
import { parseKey, rfc3339, type ResourceStore } from "../../store/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { getIfExists, EventSource, informerFor, mappingSource, objectKey, setCondition, watchSource, writeStatus, type Controller, type ControllerOptions, type Informer, type Key, type ReconcileContext, type Result, type SharedInformers, type Source, type Status } from "../runtime/index.ts";
import type { EventRecorder } from "../events/types.ts";
import type { DockerClient } from "../docker/index.ts";
import type { DetectDockerfile } from "./context.ts";
import { removeBuildLog } from "./log-file.ts";
import { BUILD_APP_LABEL, newestFirst } from "./names.ts";
import { BuildQueue, type BuildJob } from "./queue.ts";
import { BuildStopped, runBuild, type BuildLimits, type BuildOutcome } from "./run-build.ts";

/** BuildControllerOptions wire the Build controller. */
export interface BuildControllerOptions {
  store: ResourceStore;
  docker: DockerClient;
  recorder: EventRecorder;
  logger: Logger;
  /** dataDir holds the build logs (`<dataDir>/builds/<namespace>/<name>.log`). */
  dataDir: string;
  instance: string;
  limits: BuildLimits;
  /** parallelism is how many builds run at once (default 1). */
  parallelism?: number;
  detect?: DetectDockerfile;
  informers?: SharedInformers;
  controller?: ControllerOptions;
}

/** PROGRESS_MS is how often a running Build's `status.log` is brought up to date. */
const PROGRESS_MS = 2_000;

/**
 * BuildController runs Builds: each Pending Build goes into a queue of limited parallelism and is built there
 * (see runBuild); each reconcile writes what the queue knows into the Build's status. A Build is stopped, its
 * Docker build aborted, when it is cancelled (`spec.cancelled`), deleted, or superseded by a newer Build of
 * the same App. A Build found Running with no job in this process was cut off by a restart: it fails with
 * reason Interrupted, never stays Running.
 */
export class BuildController implements Controller {
  readonly name = "build-controller";
  readonly kind = "Build";
  readonly options: ControllerOptions;
  readonly queue: BuildQueue;
  private readonly deps: BuildControllerOptions;
  private readonly builds: Informer;
  private readonly jobEvents = new EventSource<string>("build jobs", (key) => [key]);

  constructor(options: BuildControllerOptions) {
    this.deps = options;
    this.options = { maxConcurrentReconciles: 2, reconcileTimeoutMs: 30_000, ...options.controller };
    this.builds = informerFor(options.informers, options.store, "Build", { logger: options.logger });
    const runner = { store: options.store, docker: options.docker, dataDir: options.dataDir, instance: options.instance, limits: options.limits, ...(options.detect ? { detect: options.detect } : {}) };
    this.queue = new BuildQueue(options.parallelism ?? 1, (build, signal, onProgress) => runBuild(runner, build, signal, onProgress), (key) => this.jobEvents.emit(key));
  }

  sources(): Source[] {
    const jobs = this.jobEvents;
    return [
      // Its own status writes (progress every few seconds) need no reconcile: jobs report through their own source.
      watchSource(this.builds, (e) => e.type !== "MODIFIED" || e.object.metadata.generation !== e.previous?.metadata.generation || !!e.object.metadata.deletionTimestamp),
      // A new Build of an App supersedes the App's older Builds still waiting or running.
      mappingSource(this.builds, (obj) => this.siblings(obj).filter((b) => !TERMINAL_PHASES.has(String(b.status?.phase))).map(objectKey), "Build → older Builds"),
      { name: "build jobs", start: (enqueue) => jobs.start(enqueue), stop: () => (jobs.stop(), void this.queue.stop()) },
    ];
  }

  async reconcile(key: Key, ctx: ReconcileContext): Promise<Result> {
    const build = await getIfExists(this.deps.store, parseKey(key));
    if (!build || build.metadata.deletionTimestamp) {
      this.queue.cancel(key, new BuildStopped("Deleted", "the Build was deleted"));
      if (!build) {
        this.queue.forget(key);
        const { namespace, name } = parseKey(key);
        await removeBuildLog(this.deps.dataDir, namespace, name);
      }
      return {};
    }
    if (TERMINAL_PHASES.has(String(build.status?.phase))) {
      this.queue.forget(key);
      return {};
    }
    let job = this.queue.get(key);
    const stop = this.stopReason(build);
    if (stop) {
      if (!job) return this.finish(build, { phase: "Cancelled", reason: stop.reason, message: stop.message }, undefined, ctx);
      this.queue.cancel(key, stop);
    }
    if (job?.outcome) return this.finish(build, job.outcome, job, ctx);
    if (stop) return { requeueAfterMs: 1_000 };
    if (!job) {
      if (build.status?.phase === "Running") return this.finish(build, { phase: "Failed", reason: "Interrupted", message: "berthd restarted while the build was running" }, undefined, ctx);
      job = this.queue.submit(key, build);
      if (job.outcome) return this.finish(build, job.outcome, job, ctx);
    }
    await this.writeProgress(build, job, ctx.now());
    return job.state === "Running" ? { requeueAfterMs: PROGRESS_MS } : {};
  }

  /** stopReason says whether the Build must stop: cancelled by its user, or superseded by a newer Build of its App. */
  private stopReason(build: Resource): BuildStopped | undefined {
    if ((build.spec as BuildSpec).cancelled) return new BuildStopped("Cancelled", "the build was cancelled");
    const newer = this.siblings(build).find((b) => newestFirst(b, build) < 0);
    if (newer) return new BuildStopped("Superseded", `superseded by Build ${newer.metadata.name} of commit ${(newer.spec as BuildSpec).source.commit.slice(0, 12)}`);
    return undefined;
  }

  /** siblings are the other Builds of the same App, from the cache. */
  private siblings(build: Resource): Resource[] {
    const app = (build.spec as BuildSpec).appRef.name;
    return this.builds.list().filter((b) => b.metadata.namespace === build.metadata.namespace && b.metadata.name !== build.metadata.name && (b.spec as BuildSpec).appRef.name === app && b.metadata.labels?.[BUILD_APP_LABEL] === build.metadata.labels?.[BUILD_APP_LABEL]);
  }

  private async writeProgress(build: Resource, job: BuildJob, now: Date): Promise<void> {
    const running = job.state === "Running";
    await this.write(build, now, (status) => {
      status.phase = running ? "Running" : "Pending";
      if (running && job.startedAt) status.startedAt = rfc3339(job.startedAt);
      status.log = { bytes: job.progress.logBytes, truncated: job.progress.truncated };
      return setCondition(status, running
        ? { type: "Ready", status: "False", reason: "Building", message: `building commit ${(build.spec as BuildSpec).source.commit.slice(0, 12)}` }
        : { type: "Ready", status: "False", reason: "Queued", message: "waiting for a free build slot" }, build.metadata.generation, now);
    });
  }

  /** finish records a Build's outcome once, with an event on the Build and on its App, then forgets its job. */
  private async finish(build: Resource, outcome: BuildOutcome, job: BuildJob | undefined, ctx: ReconcileContext): Promise<Result> {
    const now = ctx.now();
    const written = await this.write(build, now, (status) => {
      status.phase = outcome.phase;
      if (job?.startedAt) status.startedAt = rfc3339(job.startedAt);
      status.finishedAt = rfc3339(now);
      if (job) status.log = { bytes: job.progress.logBytes, truncated: job.progress.truncated };
      if (outcome.image) status.image = outcome.image;
      if (outcome.imageId) status.imageID = outcome.imageId;
      if (outcome.failedStep) status.failedStep = outcome.failedStep;
      if (outcome.stack) status.stack = outcome.stack;
      return setCondition(status, { type: "Ready", status: outcome.phase === "Succeeded" ? "True" : "False", reason: outcome.reason, message: outcome.message }, build.metadata.generation, now);
    });
    this.queue.forget(objectKey(build));
    if (!written) return {};
    const type = outcome.phase === "Failed" ? "Warning" : "Normal";
    const reason = outcome.phase === "Succeeded" ? "BuildSucceeded" : outcome.phase === "Failed" ? "BuildFailed" : "BuildCancelled";
    const message = `Build ${build.metadata.name}: ${outcome.message}`;
    this.deps.recorder.record(written, type, reason, message);
    const app: Resource = { apiVersion: "berth.dev/v1", kind: "App", metadata: { name: (build.spec as BuildSpec).appRef.name, namespace: build.metadata.namespace } };
    this.deps.recorder.record(app, type, reason, message);
    ctx.log.info({ phase: outcome.phase, reason: outcome.reason }, message);
    return {};
  }

  /** write applies `mutate` to the Build's status; undefined when the Build is gone or had already ended. */
  private async write(build: Resource, now: Date, mutate: (status: Status) => Status): Promise<Resource | undefined> {
    let ended = false;
    try {
      const written = await writeStatus(this.deps.store, build, (status, latest) => {
        // Another reconcile (before a restart) may have ended it already: a terminal phase is never changed.
        ended = TERMINAL_PHASES.has(String(latest.status?.phase));
        if (ended) return status;
        return { ...mutate(status), observedGeneration: latest.metadata.generation };
      });
      return ended ? undefined : written;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

}

/** createBuildController returns the Build controller, for `Manager.add`. */
export function createBuildController(options: BuildControllerOptions): BuildController {
  return new BuildController(options);
}
