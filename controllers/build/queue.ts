import type { Resource } from "../../resources/index.ts";
import { BuildStopped, type BuildOutcome, type BuildProgress } from "./run-build.ts";

/** BuildJob is one build known to this berthd: waiting for a slot, running, or done and not yet recorded. */
export interface BuildJob {
  readonly key: string;
  state: "Queued" | "Running" | "Done";
  startedAt?: Date;
  progress: BuildProgress;
  outcome?: BuildOutcome;
  readonly abort: AbortController;
}

/** RunJob runs one build to its outcome (it must not throw), reporting progress. */
export type RunJob = (build: Resource, signal: AbortSignal, onProgress: (p: BuildProgress) => void) => Promise<BuildOutcome>;

/**
 * BuildQueue runs builds `parallelism` at a time, first come first served; the rest wait. It holds what a
 * reconcile cannot read from the store: which builds this process is running and how they ended. `onChange`
 * is called with a job's key when it starts or ends (a source that enqueues the Build). Jobs live in memory
 * only: after a restart a Build that was Running has no job, and its controller marks it Interrupted.
 */
export class BuildQueue {
  private readonly parallelism: number;
  private readonly run: RunJob;
  private readonly onChange: (key: string) => void;
  private readonly jobs = new Map<string, BuildJob>();
  private readonly waiting: Array<{ job: BuildJob; build: Resource }> = [];
  private running = 0;
  private stopped = false;

  constructor(parallelism: number, run: RunJob, onChange: (key: string) => void) {
    this.parallelism = Math.max(1, parallelism);
    this.run = run;
    this.onChange = onChange;
  }

  /** get returns the job of a Build key, if this process has one. */
  get(key: string): BuildJob | undefined {
    return this.jobs.get(key);
  }

  /** submit queues a build (once per key) and starts it if a slot is free. */
  submit(key: string, build: Resource): BuildJob {
    const existing = this.jobs.get(key);
    if (existing) return existing;
    const job: BuildJob = { key, state: "Queued", progress: { logBytes: 0, truncated: false }, abort: new AbortController() };
    this.jobs.set(key, job);
    this.waiting.push({ job, build });
    this.pump();
    return job;
  }

  /**
   * cancel stops a build: a waiting one ends at once (Cancelled), a running one is aborted and ends when its
   * Docker build and git processes are gone (then onChange fires).
   */
  cancel(key: string, reason: BuildStopped): void {
    const job = this.jobs.get(key);
    if (!job || job.state === "Done") return;
    if (job.state === "Queued") {
      const index = this.waiting.findIndex((w) => w.job === job);
      if (index >= 0) this.waiting.splice(index, 1);
      job.state = "Done";
      job.outcome = { phase: "Cancelled", reason: reason.reason, message: reason.message };
      return;
    }
    job.abort.abort(reason);
  }

  /** forget drops a job whose outcome is recorded (or whose Build is gone). */
  forget(key: string): void {
    const job = this.jobs.get(key);
    if (job && job.state !== "Running") this.jobs.delete(key);
  }

  /** stop aborts every build (Interrupted) and waits up to `graceMs` for them to end. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    this.waiting.splice(0);
    const runningJobs = [...this.jobs.values()].filter((j) => j.state === "Running");
    for (const job of runningJobs) job.abort.abort(new BuildStopped("Interrupted", "berthd stopped while the build was running"));
    const deadline = Date.now() + graceMs;
    while (runningJobs.some((j) => j.state === "Running") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  private pump(): void {
    while (!this.stopped && this.running < this.parallelism && this.waiting.length > 0) {
      const { job, build } = this.waiting.shift()!;
      this.running++;
      job.state = "Running";
      job.startedAt = new Date();
      this.onChange(job.key);
      void this.run(build, job.abort.signal, (p) => (job.progress = p))
        .then((outcome) => {
          job.outcome = outcome;
        }, (err: unknown) => {
          job.outcome = { phase: "Failed", reason: "Error", message: (err as Error)?.message ?? String(err) };
        })
        .finally(() => {
          job.state = "Done";
          this.running--;
          this.onChange(job.key);
          this.pump();
        });
    }
  }
}
