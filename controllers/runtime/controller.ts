import type { Logger } from "../../lib/logger.ts";
import type { BackoffOptions } from "./rate-limiter.ts";
import type { Source } from "./sources.ts";

/** Key names the one object a reconcile is about: `Kind/namespace/name`. It never carries a payload or an event type. */
export type Key = string;

/**
 * Result says when to look again although nothing changed. Return `{ requeueAfterMs }` for expected waits
 * (a dependency not ready yet, a certificate due for renewal at T, the next backup run); return `{}` when
 * done. Failures are thrown, not returned: they get per-key exponential backoff.
 */
export interface Result {
  requeueAfterMs?: number;
}

/** ReconcileContext is what the runtime gives each reconcile. */
export interface ReconcileContext {
  /**
   * signal aborts when the reconcile runs past its timeout or the manager stops. Pass it to every Docker and
   * network call; a reconcile that ignores it is abandoned after a short grace period.
   */
  signal: AbortSignal;
  /** log is a child logger carrying `controller`, `key` and `reconcileId`. */
  log: Logger;
  /** reconcileId identifies this one run in logs and events. */
  reconcileId: string;
  /** now is the runtime clock's current time (a fake clock in tests). */
  now(): Date;
}

/** ControllerOptions tune one controller's worker loop; every field has a default. */
export interface ControllerOptions {
  /** maxConcurrentReconciles is how many keys are reconciled at once (default 1); one key never runs twice at once. */
  maxConcurrentReconciles?: number;
  /** reconcileTimeoutMs aborts a reconcile's signal after this long (default 60 s). */
  reconcileTimeoutMs?: number;
  /** abortGraceMs is how long an aborted reconcile may take to return before it is abandoned (default 5 s). */
  abortGraceMs?: number;
  /** backoff shapes retries of failed keys (default 1 s doubling to 5 min, 10 % jitter). */
  backoff?: BackoffOptions;
  /** successLogLevel is the level of the closing line of a successful reconcile (default info; failures are always warn/error). */
  successLogLevel?: "info" | "debug";
}

/**
 * Controller is controller-runtime's contract (docs/architecture.md, "The controller contract"). A controller owns one root kind; its sources
 * map every relevant change (of that kind, of secondary kinds, of the outside world) to keys of the root
 * kind; `reconcile(key)` is level-triggered and idempotent: it reads the object (missing → return `{}`),
 * observes the world, converges it, and writes status once.
 *
 * Outcomes, handled by the runtime:
 * - resolved `{}` → the key's backoff is forgotten;
 * - resolved `{ requeueAfterMs }` → forgotten, and the key is queued again after that delay;
 * - thrown TerminalError (resources/errors.ts) → no retry; the object gets `Stalled=True` with the error's
 *   reason until a later reconcile succeeds (which removes the condition);
 * - anything else thrown (or a timeout) → the key is retried with exponential backoff.
 */
export interface Controller {
  /** name identifies the controller in logs (`app-controller`). */
  readonly name: string;
  /**
   * kind is the root kind whose objects the manager enqueues at startup. The garbage collector, which serves
   * every kind, lists them all.
   */
  readonly kind: string | readonly string[];
  /** options tune the worker loop; the manager may override them per controller. */
  readonly options?: ControllerOptions;
  /** sources returns what feeds the work queue; called once, when the manager starts. */
  sources(): Source[];
  /** reconcile converges one object. */
  reconcile(key: Key, ctx: ReconcileContext): Promise<Result>;
}

/** STALLED_CONDITION is the condition the runtime sets when a reconcile throws TerminalError. */
export const STALLED_CONDITION = "Stalled";

/** DEFAULT_RECONCILE_TIMEOUT_MS bounds one reconcile. */
export const DEFAULT_RECONCILE_TIMEOUT_MS = 60_000;

/** DEFAULT_ABORT_GRACE_MS is how long an aborted reconcile may keep running before it is abandoned. */
export const DEFAULT_ABORT_GRACE_MS = 5_000;
