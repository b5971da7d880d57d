/**
 * runtime is Berth's controller-runtime: sources enqueue keys into a deduplicating, rate-limited work queue;
 * workers reconcile one key at a time with a timeout; a manager runs controllers with a startup relist.
 */
export { ExponentialBackoff, DEFAULT_BACKOFF, type BackoffOptions } from "./rate-limiter.ts";
export { WorkQueue, type WorkQueueOptions } from "./workqueue.ts";
export {
  STALLED_CONDITION, DEFAULT_RECONCILE_TIMEOUT_MS, DEFAULT_ABORT_GRACE_MS,
  type Key, type Result, type ReconcileContext, type Controller, type ControllerOptions,
} from "./controller.ts";
export { ControllerRunner, type RunnerDeps, type ReconcileCounts } from "./controller-runner.ts";
export { Informer, type InformerEvent, type InformerHandler, type InformerOptions, type IndexFunc } from "./informer.ts";
export { SharedInformers, informerFor } from "./shared-informers.ts";
export {
  EventSource, watchSource, mappingSource, resyncSource, intervalSource, objectKey,
  type Source, type Enqueue, type PeriodicOptions,
} from "./sources.ts";
export { Manager, type ManagerOptions } from "./manager.ts";
export { setCondition, removeCondition, getCondition, writeStatus, type Status, type ConditionInput, type StatusMutation } from "./status.ts";
export { ensureFinalizer, removeFinalizer } from "./finalizers.ts";
export { retryOnConflict, getIfExists, DEFAULT_CONFLICT_ATTEMPTS } from "./retry-on-conflict.ts";
export { formatDuration } from "./duration.ts";
export { ReconcileTimeoutError, ReconcileAbandonedError, ManagerStoppedError, CacheSyncTimeoutError, InvalidStateError } from "./errors.ts";
