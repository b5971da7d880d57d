/**
 * Errors of the controller runtime. Failures of reconciles themselves use the shared classes of
 * `resources/errors.ts` (TerminalError, ConflictError, ...); these are the runtime's own.
 */
import { BerthError } from "../../lib/errors.ts";

/** ReconcileTimeoutError aborts a reconcile's signal when it runs past its controller's timeout. */
export class ReconcileTimeoutError extends BerthError {
  override name = "ReconcileTimeoutError";
  readonly timeoutMs: number;
  constructor(key: string, timeoutMs: number, options?: ErrorOptions) {
    super(`reconcile of ${key} timed out after ${timeoutMs}ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** ReconcileAbandonedError is a reconcile that ignored its aborted signal for longer than the grace period. */
export class ReconcileAbandonedError extends BerthError {
  override name = "ReconcileAbandonedError";
}

/** ManagerStoppedError is the abort reason of reconciles still running when the manager stops. */
export class ManagerStoppedError extends BerthError {
  override name = "ManagerStoppedError";
}

/** CacheSyncTimeoutError is a manager start whose informers did not finish their first list in time. */
export class CacheSyncTimeoutError extends BerthError {
  override name = "CacheSyncTimeoutError";
  /** pending names the informers that had not synced. */
  readonly pending: string[];
  constructor(pending: string[], timeoutMs: number, options?: ErrorOptions) {
    super(`informers not synced after ${timeoutMs}ms: ${pending.join(", ")}`, options);
    this.pending = pending;
  }
}

/** InvalidStateError is a runtime object used out of order (a manager started twice, a controller added after start). */
export class InvalidStateError extends BerthError {
  override name = "InvalidStateError";
}
