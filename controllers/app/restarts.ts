/** RestartBackoffOptions shape the restart delays of crashed replicas. */
export interface RestartBackoffOptions {
  /** baseMs is the delay before the second restart (the first is immediate); it doubles up to maxMs (defaults 1 s, 5 min). */
  baseMs?: number;
  maxMs?: number;
  /** resetAfterMs: a replica that ran at least this long before exiting starts over at an immediate restart (default 60 s). */
  resetAfterMs?: number;
}

interface Record {
  owner: string;
  restarts: number;
  lastRestartAt: number;
}

/** RestartDecision says whether to restart an exited replica now, or how long to wait. */
export type RestartDecision = { now: true; restarts: number } | { now: false; waitMs: number; restarts: number };

/**
 * RestartTracker paces restarts of replicas that exit, per container: the first restart is immediate (a
 * container stopped or killed by hand is back at once), then 1 s, 2 s, 4 s … up to 5 min, like a kubelet's
 * CrashLoopBackOff, so a crashing app is never restarted in a hot loop.
 */
export class RestartTracker {
  private readonly records = new Map<string, Record>();
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;

  constructor(options: RestartBackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 1_000;
    this.maxMs = options.maxMs ?? 5 * 60_000;
    this.resetAfterMs = options.resetAfterMs ?? 60_000;
  }

  /** decide looks at an exited container that ran for `ranMs` before exiting. */
  decide(containerId: string, ranMs: number, now: number): RestartDecision {
    const record = this.records.get(containerId);
    if (!record || ranMs >= this.resetAfterMs) return { now: true, restarts: 0 };
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** (record.restarts - 1));
    const due = record.lastRestartAt + delay;
    return due <= now ? { now: true, restarts: record.restarts } : { now: false, waitMs: due - now, restarts: record.restarts };
  }

  /** restarted records a restart of `owner`'s container made now; `restarts` is what `decide` said. */
  restarted(owner: string, containerId: string, restarts: number, now: number): void {
    this.records.set(containerId, { owner, restarts: restarts + 1, lastRestartAt: now });
  }

  /** restartsOf counts the restarts of a container since its backoff last reset. */
  restartsOf(containerId: string): number {
    return this.records.get(containerId)?.restarts ?? 0;
  }

  /** retain forgets the containers of `owner` not in `alive`. */
  retain(owner: string, alive: ReadonlySet<string>): void {
    for (const [id, record] of [...this.records]) if (record.owner === owner && !alive.has(id)) this.records.delete(id);
  }

  /** forget drops one container. */
  forget(containerId: string): void {
    this.records.delete(containerId);
  }
}
