import type { ResourceStore } from "../../store/index.ts";
import { realClock, type Clock } from "../../lib/clock.ts";
import type { Controller, ControllerOptions } from "./controller.ts";
import { ControllerRunner } from "./controller-runner.ts";
import { CacheSyncTimeoutError, InvalidStateError } from "./errors.ts";
import type { Informer } from "./informer.ts";
import type { Logger } from "../../lib/logger.ts";
import { objectKey, type Source } from "./sources.ts";

/** ManagerOptions wire a manager to its store and logger; `clock` reaches every queue, timeout and source. */
export interface ManagerOptions {
  store: ResourceStore;
  logger: Logger;
  clock?: Clock;
  /** syncTimeoutMs bounds the wait for every informer's first list (default 30 s). */
  syncTimeoutMs?: number;
  /** stopTimeoutMs bounds the wait for running reconciles on stop (default 10 s). */
  stopTimeoutMs?: number;
}

type State = "new" | "starting" | "running" | "stopping" | "stopped";

/**
 * Manager runs controllers (controller-runtime's manager): `start` starts every source, waits until every
 * informer has synced, enqueues every existing object of each controller's root kind (the startup relist:
 * nothing stays "in progress" across a restart), then starts the workers. `stop` stops the sources, shuts the
 * queues down, aborts running reconciles and waits for them, bounded.
 */
export class Manager {
  private readonly options: ManagerOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly runners: ControllerRunner[] = [];
  private readonly sources: Source[] = [];
  private readonly informers = new Set<Informer>();
  private state: State = "new";

  constructor(options: ManagerOptions) {
    this.options = options;
    this.log = options.logger.child({ component: "manager" });
    this.clock = options.clock ?? realClock;
  }

  /** add registers a controller before start; `overrides` replace the controller's own options. */
  add(controller: Controller, overrides?: ControllerOptions): ControllerRunner {
    if (this.state !== "new") throw new InvalidStateError(`cannot add ${controller.name}: the manager has already started`);
    if (this.runners.some((r) => r.controller.name === controller.name)) throw new InvalidStateError(`a controller named ${controller.name} is already registered`);
    const runner = new ControllerRunner(controller, { store: this.options.store, logger: this.options.logger, clock: this.clock }, overrides);
    this.runners.push(runner);
    return runner;
  }

  /** runner returns the worker loop of a registered controller, by name. */
  runner(name: string): ControllerRunner | undefined {
    return this.runners.find((r) => r.controller.name === name);
  }

  /** start brings every controller up; it throws CacheSyncTimeoutError (after stopping) if informers do not sync in time. */
  async start(): Promise<void> {
    if (this.state !== "new") throw new InvalidStateError(`cannot start a manager that is ${this.state}`);
    this.state = "starting";
    const started = this.clock.now();
    for (const runner of this.runners) {
      for (const source of runner.controller.sources()) {
        source.start((key) => runner.queue.add(key));
        this.sources.push(source);
        if (source.informer) this.informers.add(source.informer);
      }
    }
    for (const informer of this.informers) informer.start();
    await this.waitForSync();
    if (this.state !== "starting") return;
    await this.relist();
    if (this.state !== "starting") return;
    for (const runner of this.runners) runner.start();
    this.state = "running";
    this.log.info(`manager started ${this.runners.length} controller(s) with ${this.informers.size} informer(s) in ${this.clock.now() - started}ms`);
  }

  /** stop ends everything; it resolves within about `stopTimeoutMs` even if a reconcile hangs. */
  async stop(): Promise<void> {
    if (this.state === "stopping" || this.state === "stopped") return;
    this.state = "stopping";
    for (const source of this.sources) source.stop();
    for (const informer of this.informers) informer.stop();
    const timeoutMs = this.options.stopTimeoutMs ?? 10_000;
    const drained = await Promise.all(this.runners.map((r) => r.stop(timeoutMs)));
    const stuck = this.runners.filter((_, i) => !drained[i]).map((r) => r.controller.name);
    if (stuck.length > 0) this.log.warn(`stopped without waiting for ${stuck.join(", ")}: reconciles still running after ${timeoutMs}ms`);
    this.state = "stopped";
  }

  private async waitForSync(): Promise<void> {
    const timeoutMs = this.options.syncTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const synced = await Promise.race([Promise.all([...this.informers].map((i) => i.whenSynced())).then(() => true as const), timedOut]);
    clearTimeout(timer);
    if (synced) return;
    const pending = [...this.informers].filter((i) => !i.hasSynced()).map((i) => i.kind);
    await this.stop();
    throw new CacheSyncTimeoutError(pending, timeoutMs);
  }

  /**
   * relist enqueues every object of each controller's root kinds: from a synced informer that caches the whole
   * kind when there is one (later objects reach the queues through the informers' events), else read from the
   * store itself. With 10,000 Apps, listing them again per controller cost hundreds of ms of start-up.
   */
  private async relist(): Promise<void> {
    const caches = new Map([...this.informers].filter((i) => i.whole).map((i) => [i.kind, i]));
    for (const runner of this.runners) {
      const kinds = typeof runner.controller.kind === "string" ? [runner.controller.kind] : runner.controller.kind;
      for (const kind of kinds) {
        const items = caches.get(kind)?.list() ?? (await this.options.store.list(kind)).items;
        for (const item of items) runner.queue.add(objectKey(item));
      }
    }
  }
}
