/** DEFAULT_CALL_TIMEOUT_MS bounds one ordinary Docker call (inspect, create, start, remove). */
export const DEFAULT_CALL_TIMEOUT_MS = 15_000;

/** KEEP_ALIVE is where a combined signal holds its timeout signal (see withTimeout). */
const KEEP_ALIVE = Symbol("berth.timeoutSignal");

/**
 * withTimeout combines a caller's signal with a timeout, so no call waits forever. AbortSignal.any holds the
 * signals it combines only weakly, and so does the timer behind AbortSignal.timeout: on Node 20 a timeout
 * combined that way can be garbage-collected and never fire, leaving a hung call hung. The combined signal
 * therefore keeps its timeout signal alive itself, for as long as the caller keeps the combined one.
 */
export function withTimeout(signal: AbortSignal | undefined, timeoutMs = DEFAULT_CALL_TIMEOUT_MS): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  if (!signal) return timeout;
  const combined = AbortSignal.any([signal, timeout]);
  Object.defineProperty(combined, KEEP_ALIVE, { value: timeout });
  return combined;
}
