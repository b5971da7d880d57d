import { TooManyRequestsError } from "./http-errors.ts";

/** DEFAULT_MAX_WATCHES_PER_TOKEN bounds the watches one token may hold open at once. */
export const DEFAULT_MAX_WATCHES_PER_TOKEN = 100;

/**
 * WatchRegistry tracks the live HTTP watches of one server: their count is a metric, shutdown must end them
 * (a watch never ends on its own unless it has a timeout), and each token may hold at most `maxPerOwner` at
 * once, so that one client (a leaking script, a stolen token) cannot tie up the server's memory and sockets.
 */
export class WatchRegistry {
  private readonly live = new Set<() => void>();
  private readonly perOwner = new Map<string, number>();
  readonly maxPerOwner: number;

  constructor(maxPerOwner = DEFAULT_MAX_WATCHES_PER_TOKEN) {
    this.maxPerOwner = maxPerOwner;
  }

  /**
   * add registers a watch's stop function, counted against `owner` (a token name) when given; the returned
   * function unregisters it. Over the owner's limit it throws TooManyRequestsError and registers nothing.
   */
  add(stop: () => void, owner?: string): () => void {
    if (owner !== undefined) {
      const open = this.perOwner.get(owner) ?? 0;
      if (open >= this.maxPerOwner) throw new TooManyRequestsError(`too many open watches: token "${owner}" already has ${open} (the limit is ${this.maxPerOwner}); close some before opening more`);
      this.perOwner.set(owner, open + 1);
    }
    this.live.add(stop);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.live.delete(stop);
      if (owner !== undefined) {
        const left = (this.perOwner.get(owner) ?? 1) - 1;
        if (left <= 0) this.perOwner.delete(owner);
        else this.perOwner.set(owner, left);
      }
    };
  }

  /** closeAll stops every live watch. */
  closeAll(): void {
    for (const stop of [...this.live]) stop();
    this.live.clear();
  }

  /** openBy is how many watches `owner` holds open. */
  openBy(owner: string): number {
    return this.perOwner.get(owner) ?? 0;
  }

  get size(): number {
    return this.live.size;
  }
}
