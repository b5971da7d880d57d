/** DEFAULT_CALL_TIMEOUT_MS bounds one ordinary Docker call (inspect, create, start, remove). */
export const DEFAULT_CALL_TIMEOUT_MS = 15_000;

/** withTimeout combines a caller's signal with a timeout, so no Docker call waits forever. */
export function withTimeout(signal: AbortSignal | undefined, timeoutMs = DEFAULT_CALL_TIMEOUT_MS): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}
