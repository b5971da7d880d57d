/** BackoffOptions shape per-key exponential backoff. */
export interface BackoffOptions {
  /** baseMs is the delay after the first failure (default 1 s). */
  baseMs?: number;
  /** maxMs caps the delay, jitter included (default 5 min). */
  maxMs?: number;
  /**
   * jitter spreads retries of keys that failed together: the delay is multiplied by a random factor in
   * [1, 1 + jitter] before the cap applies (default 0.1).
   */
  jitter?: number;
  /** random returns a number in [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

/** DEFAULT_BACKOFF is 1 s doubling to 5 min with 10 % jitter (docs/architecture.md, "The controller contract"). */
export const DEFAULT_BACKOFF = { baseMs: 1_000, maxMs: 5 * 60_000, jitter: 0.1 } as const;

/**
 * ExponentialBackoff counts failures per key: the n-th consecutive failure waits `baseMs · 2^(n-1)`, jittered,
 * at most `maxMs`. `forget` resets a key after a success.
 */
export class ExponentialBackoff {
  private readonly failures = new Map<string, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
    this.maxMs = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
    this.jitter = options.jitter ?? DEFAULT_BACKOFF.jitter;
    this.random = options.random ?? Math.random;
    if (this.baseMs <= 0 || this.maxMs < this.baseMs || this.jitter < 0) throw new RangeError(`invalid backoff: base ${this.baseMs}ms, max ${this.maxMs}ms, jitter ${this.jitter}`);
  }

  /** when records one more failure of `key` and returns how long to wait before retrying it. */
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long after the cap applies, and Math.min handles Infinity.
    const delay = this.baseMs * 2 ** n * (1 + this.random() * this.jitter);
    return Math.min(this.maxMs, Math.round(delay));
  }

  /** forget resets the failure count of `key`. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** failuresOf is how many consecutive failures `key` has had since it was last forgotten. */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}
