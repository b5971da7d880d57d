/**
 * WatchRegistry tracks the live HTTP watches of one server: their count is a metric, and shutdown must end
 * them (a watch never ends on its own unless it has a timeout).
 */
export class WatchRegistry {
  private readonly live = new Set<() => void>();

  /** add registers a watch's stop function; the returned function unregisters it. */
  add(stop: () => void): () => void {
    this.live.add(stop);
    return () => void this.live.delete(stop);
  }

  /** closeAll stops every live watch. */
  closeAll(): void {
    for (const stop of [...this.live]) stop();
    this.live.clear();
  }

  get size(): number {
    return this.live.size;
  }
}
