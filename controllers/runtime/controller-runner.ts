import { randomUUID } from "node:crypto";
import { NotFoundError, TerminalError } from "../../resources/index.ts";
import { parseKey, type ResourceStore } from "../../store/index.ts";
import { realClock, type Clock } from "../../lib/clock.ts";
import {
  DEFAULT_ABORT_GRACE_MS, DEFAULT_RECONCILE_TIMEOUT_MS, STALLED_CONDITION,
  type Controller, type ControllerOptions, type Key, type ReconcileContext, type Result,
} from "./controller.ts";
import { formatDuration } from "./duration.ts";
import { ManagerStoppedError, ReconcileAbandonedError, ReconcileTimeoutError } from "./errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { removeCondition, setCondition, writeStatus } from "./status.ts";
import { WorkQueue } from "./workqueue.ts";

/** RunnerDeps are what a worker loop needs besides its controller. */
export interface RunnerDeps {
  store: ResourceStore;
  logger: Logger;
  clock?: Clock;
}

/** ReconcileCounts tally reconcile outcomes since start (for metrics and tests). */
export interface ReconcileCounts {
  succeeded: number;
  requeued: number;
  failed: number;
  stalled: number;
}

type Outcome = { result: Result } | { error: unknown };

/**
 * ControllerRunner is one controller's worker loop (controller-runtime's reconcileHandler): workers take keys
 * from the queue, run `reconcile` with a timeout signal, catch what it throws, and requeue by outcome (see
 * Controller). Each reconcile ends with exactly one log line: `reconciled App/default/web in 84ms, next in 5m`.
 */
export class ControllerRunner {
  readonly controller: Controller;
  readonly queue: WorkQueue;
  readonly counts: ReconcileCounts = { succeeded: 0, requeued: 0, failed: 0, stalled: 0 };
  private readonly store: ResourceStore;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly options: Required<Omit<ControllerOptions, "backoff">>;
  private readonly inflight = new Set<AbortController>();
  private readonly abandoners = new Set<() => void>();
  private workers: Promise<void>[] = [];
  private stopping = false;

  constructor(controller: Controller, deps: RunnerDeps, overrides: ControllerOptions = {}) {
    this.controller = controller;
    this.store = deps.store;
    this.clock = deps.clock ?? realClock;
    this.log = deps.logger.child({ controller: controller.name });
    const merged = { ...controller.options, ...overrides };
    this.options = {
      maxConcurrentReconciles: Math.max(1, merged.maxConcurrentReconciles ?? 1),
      reconcileTimeoutMs: merged.reconcileTimeoutMs ?? DEFAULT_RECONCILE_TIMEOUT_MS,
      abortGraceMs: merged.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS,
      successLogLevel: merged.successLogLevel ?? "info",
    };
    this.queue = new WorkQueue({ clock: this.clock, ...(merged.backoff ? { backoff: merged.backoff } : {}) });
  }

  /** start launches `maxConcurrentReconciles` workers. */
  start(): void {
    if (this.workers.length > 0) return;
    for (let i = 0; i < this.options.maxConcurrentReconciles; i++) this.workers.push(this.work());
  }

  /**
   * stop shuts the queue down, aborts running reconciles and waits for the workers, at most `timeoutMs`.
   * It resolves true when every worker has returned.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    this.queue.shutDown();
    for (const controller of this.inflight) controller.abort(new ManagerStoppedError(`${this.controller.name} is stopping`));
    // A real timer even under a fake clock: this bound is about the process getting out, not about logic time.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const drained = await Promise.race([Promise.all(this.workers).then(() => true as const), timedOut]);
    clearTimeout(timer);
    // Reconciles still running are abandoned now rather than after their grace period, so no timer outlives stop.
    if (!drained) for (const abandon of [...this.abandoners]) abandon();
    return drained;
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        if (!this.stopping) await this.reconcileHandler(key);
      } catch (err) {
        this.log.error({ err, key }, `worker of ${this.controller.name} failed on ${key}`);
      } finally {
        this.queue.done(key);
      }
    }
  }

  /** reconcileHandler runs one reconcile of `key` and requeues it by outcome. */
  private async reconcileHandler(key: Key): Promise<void> {
    const reconcileId = randomUUID();
    const log = this.log.child({ key, reconcileId });
    const abort = new AbortController();
    const { reconcileTimeoutMs } = this.options;
    const timer = this.clock.setTimer(reconcileTimeoutMs, () => abort.abort(new ReconcileTimeoutError(key, reconcileTimeoutMs)));
    const started = this.clock.now();
    const ctx: ReconcileContext = { signal: abort.signal, log, reconcileId, now: () => new Date(this.clock.now()) };
    this.inflight.add(abort);
    let outcome: Outcome;
    try {
      outcome = { result: await this.guarded(key, ctx) };
    } catch (error) {
      outcome = { error };
    } finally {
      timer.cancel();
      this.inflight.delete(abort);
    }
    const took = formatDuration(this.clock.now() - started);
    if ("result" in outcome) return this.succeeded(key, outcome.result, took, log);
    const error = abort.signal.aborted && !(outcome.error instanceof TerminalError) ? abort.signal.reason : outcome.error;
    if (error instanceof TerminalError) return this.stalled(key, error, took, log);
    if (error instanceof ManagerStoppedError) {
      log.info(`reconcile of ${key} aborted after ${took}: manager stopping`);
      return;
    }
    this.counts.failed++;
    const delay = this.queue.addRateLimited(key);
    log.error({ err: outcome.error }, `reconcile of ${key} failed in ${took}, retry in ${formatDuration(delay)}: ${messageOf(error)}`);
  }

  /**
   * guarded calls reconcile so that a synchronous throw becomes a rejection, and gives up on a reconcile
   * that ignores its aborted signal for longer than the grace period. Giving up releases the key while the
   * abandoned call may still run: a deliberate trade against a worker stuck forever, reported loudly.
   */
  private guarded(key: Key, ctx: ReconcileContext): Promise<Result> {
    const running = Promise.resolve().then(() => this.controller.reconcile(key, ctx));
    return new Promise<Result>((resolve, reject) => {
      let grace: { cancel(): void } | undefined;
      const settle = () => {
        grace?.cancel();
        ctx.signal.removeEventListener("abort", onAbort);
        this.abandoners.delete(abandon);
      };
      const abandon = () => {
        settle();
        ctx.log.error(`reconcile of ${key} ignored its aborted signal; abandoning it`);
        reject(new ReconcileAbandonedError(`reconcile of ${key} abandoned`, { cause: ctx.signal.reason }));
      };
      const onAbort = () => void (grace = this.clock.setTimer(this.options.abortGraceMs, abandon));
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      this.abandoners.add(abandon);
      running.then(
        (result) => (settle(), resolve(result ?? {})),
        (err: unknown) => (settle(), reject(err)),
      );
    });
  }

  private async succeeded(key: Key, result: Result, took: string, log: Logger): Promise<void> {
    this.queue.forget(key);
    const after = result.requeueAfterMs ?? 0;
    if (after > 0) {
      this.counts.requeued++;
      this.queue.addAfter(key, after);
    } else this.counts.succeeded++;
    try {
      await writeStatus(this.store, parseKey(key), (status) => removeCondition(status, STALLED_CONDITION));
    } catch (err) {
      if (!(err instanceof NotFoundError)) log.warn({ err }, `could not clear ${STALLED_CONDITION} on ${key}`);
    }
    log[this.options.successLogLevel](`reconciled ${key} in ${took}${after > 0 ? `, next in ${formatDuration(after)}` : ""}`);
  }

  private async stalled(key: Key, error: TerminalError, took: string, log: Logger): Promise<void> {
    this.counts.stalled++;
    this.queue.forget(key);
    try {
      const condition = { type: STALLED_CONDITION, status: "True" as const, reason: error.reason, message: error.message };
      await writeStatus(this.store, parseKey(key), (status, latest) => setCondition(status, condition, latest.metadata.generation, new Date(this.clock.now())));
    } catch (err) {
      if (!(err instanceof NotFoundError)) {
        // The condition is the only trace of a terminal error, so a failed write is retried like a failure.
        const delay = this.queue.addRateLimited(key);
        log.error({ err }, `reconcile of ${key} stalled in ${took} (${error.reason}) but ${STALLED_CONDITION} could not be written; retry in ${formatDuration(delay)}`);
        return;
      }
    }
    log.warn({ err: error }, `reconcile of ${key} stalled in ${took}: ${error.reason}: ${error.message}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
