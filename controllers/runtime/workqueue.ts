import { realClock, type Clock, type TimerHandle } from "../../lib/clock.ts";
import { ExponentialBackoff, type BackoffOptions } from "./rate-limiter.ts";

/** WorkQueueOptions configure a queue; `clock` is injectable so tests advance time instead of waiting. */
export interface WorkQueueOptions {
  clock?: Clock;
  backoff?: BackoffOptions;
}

interface Delayed {
  at: number;
  timer: TimerHandle;
}

/**
 * WorkQueue is client-go's rate-limited work queue for string keys (`Kind/namespace/name`):
 * - FIFO, and a key is queued at most once however often it is added (the *dirty* set);
 * - a key handed out by `get` is *processing* until `done`; it is never handed out twice at once, and an add
 *   made meanwhile is kept and queued again by `done`;
 * - `addAfter` is a delayed add (several delayed adds of one key keep the earliest);
 * - `addRateLimited` delays by the key's exponential backoff, which `forget` resets;
 * - `shutDown` refuses new adds and drops delayed ones; `get` still hands out what is queued, then
 *   resolves `undefined` so workers exit once drained.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, Delayed>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private readonly clock: Clock;
  private readonly backoff: ExponentialBackoff;
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.backoff = new ExponentialBackoff(options.backoff);
  }

  /** add queues `key` unless it is already queued; while it is processing, it is queued again on `done`. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** addAfter adds `key` once `ms` have passed (at once when `ms <= 0`). */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const timer = this.clock.setTimer(ms, () => {
      this.delayed.delete(key);
      this.add(key);
    });
    this.delayed.set(key, { at, timer });
  }

  /** addRateLimited adds `key` after its backoff delay, which doubles with every call until `forget`. */
  addRateLimited(key: string): number {
    const delay = this.backoff.when(key);
    this.addAfter(key, delay);
    return delay;
  }

  /** forget resets the backoff of `key` (after a success). */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  /** numRequeues is how many rate-limited adds `key` has had since it was last forgotten. */
  numRequeues(key: string): number {
    return this.backoff.failuresOf(key);
  }

  /**
   * get resolves the next key and marks it processing; the caller must call `done(key)` when finished.
   * It resolves `undefined` once the queue is shut down and empty.
   */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** done ends the processing of `key`; if it was added meanwhile it is queued again now. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key)) this.push(key);
    if (this.processing.size === 0 && this.queue.length === 0) this.notifyIdle();
  }

  /** shutDown stops accepting adds and cancels delayed ones; queued keys are still handed out. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
    if (this.processing.size === 0 && this.queue.length === 0) this.notifyIdle();
  }

  /** idle resolves when nothing is queued or processing (delayed adds do not count). */
  idle(): Promise<void> {
    if (this.processing.size === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** length is how many keys wait to be handed out. */
  get length(): number {
    return this.queue.length;
  }

  /** processingCount is how many keys are handed out and not yet done. */
  get processingCount(): number {
    return this.processing.size;
  }

  /** delayedCount is how many keys wait for a delayed add. */
  get delayedCount(): number {
    return this.delayed.size;
  }

  /** isShuttingDown tells whether shutDown was called. */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take(key));
    else this.queue.push(key);
  }

  private take(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private notifyIdle(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
