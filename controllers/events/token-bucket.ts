/**
 * TokenBucket allows a burst of `burst` actions, then one more per `refillMs`. Time comes from the caller
 * (milliseconds), so the bucket holds no timers and tests can drive it with any clock.
 */
export class TokenBucket {
  private readonly burst: number;
  private readonly refillMs: number;
  private tokens: number;
  private updatedAt: number;

  constructor(burst: number, refillMs: number, now: number) {
    this.burst = burst;
    this.refillMs = refillMs;
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** take spends one token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** msUntilToken is how long until a token is available (0 if one is). */
  msUntilToken(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) * this.refillMs);
  }

  /** isFull tells whether the bucket has refilled completely, i.e. it would behave like a new one. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.burst, this.tokens + elapsed / this.refillMs);
    this.updatedAt = now;
  }
}
