import { useEffect, useState } from "preact/hooks";
import { startWatch, type Watch } from "./watch.ts";

/** KubeEvent is a core/v1 Event as the API serves it. */
export interface KubeEvent {
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string };
  involvedObject: { kind: string; name: string; namespace?: string; uid?: string };
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  count: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  source?: { component?: string };
}

/** MAX_EVENTS bounds what the page keeps: the newest ones. */
const MAX_EVENTS = 2_000;

/**
 * EventCache follows `GET /api/v1/events?watch=1` (every namespace the token can read). Each connection replays
 * the recorded events and they are merged by uid, so a reconnect loses nothing and shows nothing twice.
 */
class EventCache {
  private readonly byUid = new Map<string, KubeEvent>();
  private readonly listeners = new Set<() => void>();
  private watch: Watch | undefined;
  private dirty = false;
  version = 0;

  start(): void {
    this.watch ??= startWatch<KubeEvent>({
      path: "/api/v1/events",
      replayOnReconnect: true,
      onEvent: ({ type, object }) => {
        if (type === "DELETED") this.byUid.delete(object.metadata.uid);
        else this.byUid.set(object.metadata.uid, object);
        this.dirty = true;
      },
      onBatch: () => this.flush(),
    });
  }

  stop(): void {
    this.watch?.close();
    this.watch = undefined;
    this.byUid.clear();
  }

  /** list returns events newest first, optionally only those about one object. */
  list(filter?: (e: KubeEvent) => boolean): KubeEvent[] {
    const all = [...this.byUid.values()].filter((e) => !filter || filter(e));
    return all.sort((a, b) => timeOf(b) - timeOf(a));
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.byUid.size > MAX_EVENTS) for (const e of this.list().slice(MAX_EVENTS)) this.byUid.delete(e.metadata.uid);
    this.version++;
    for (const listener of this.listeners) listener();
  }
}

function timeOf(e: KubeEvent): number {
  return Date.parse(e.lastTimestamp ?? e.firstTimestamp ?? "") || 0;
}

/** events is the page's one event cache. */
export const events = new EventCache();

/** useEvents re-renders a view whenever events arrive. */
export function useEvents(): EventCache {
  const [, setVersion] = useState(events.version);
  useEffect(() => events.subscribe(() => setVersion(events.version)), []);
  return events;
}
