import type { Resource } from "../../resources/index.ts";
import { keyOf, keyString } from "../../store/index.ts";
import { realClock, type Clock, type TimerHandle } from "../../lib/clock.ts";
import type { Key } from "./controller.ts";
import type { Informer, InformerEvent } from "./informer.ts";

/** Enqueue hands a key to a controller's work queue. */
export type Enqueue = (key: Key) => void;

/**
 * Source feeds a controller's work queue. Sources only enqueue keys: the work happens in `reconcile`.
 * A source built on an informer names it, and the manager starts that informer (once, however many
 * sources share it) and waits for it to sync before workers start.
 */
export interface Source {
  /** name identifies the source in logs. */
  readonly name: string;
  /** informer is the cache this source reads from, if any. */
  readonly informer?: Informer;
  /** start begins enqueueing into `enqueue`. */
  start(enqueue: Enqueue): void;
  /** stop ends enqueueing. */
  stop(): void;
}

/** PeriodicOptions pace a periodic source: every `periodMs`, stretched by a random factor in [1, 1 + jitter]. */
export interface PeriodicOptions {
  jitter?: number;
  clock?: Clock;
  random?: () => number;
}

/** objectKey is the work-queue key of an object: `Kind/namespace/name`. */
export function objectKey(obj: Resource): Key {
  return keyString(keyOf(obj));
}

/** watchSource enqueues the key of every object the informer sees change (optionally filtered). */
export function watchSource(informer: Informer, predicate?: (event: InformerEvent) => boolean): Source {
  return mappingSource(informer, (_obj, event) => (!predicate || predicate(event) ? [objectKey(event.object)] : []), `watch ${informer.kind}`);
}

/**
 * mappingSource watches kind X and maps each change to keys of (usually) another kind Y: a Secret change
 * enqueues the Apps that reference it. `map` gets the object and the whole event, so it can also enqueue
 * what the previous state referenced.
 */
export function mappingSource(informer: Informer, map: (obj: Resource, event: InformerEvent) => Iterable<Key>, name = `map ${informer.kind}`): Source {
  let unsubscribe: (() => void) | undefined;
  return {
    name,
    informer,
    start(enqueue) {
      unsubscribe?.();
      unsubscribe = informer.addHandler((event) => {
        for (const key of map(event.object, event)) enqueue(key);
      });
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
    },
  };
}

/**
 * resyncSource re-enqueues every object in the informer's cache every `periodMs` (jittered), so drift in the
 * outside world (a container that died) is noticed even when no event reports it.
 */
export function resyncSource(informer: Informer, periodMs: number, options: PeriodicOptions = {}): Source {
  const source = intervalSource(() => informer.list().map(objectKey), periodMs, options, `resync ${informer.kind}`);
  return { ...source, informer };
}

/** intervalSource enqueues the keys `keys()` returns every `periodMs` (jittered), first one period after start. */
export function intervalSource(keys: () => Iterable<Key>, periodMs: number, options: PeriodicOptions = {}, name = "interval"): Source {
  if (!(periodMs > 0)) throw new RangeError(`${name}: period must be positive, got ${periodMs}`);
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const jitter = options.jitter ?? 0.1;
  let timer: TimerHandle | undefined;
  let running = false;
  return {
    name,
    start(enqueue) {
      running = true;
      const tick = () => {
        if (!running) return;
        for (const key of keys()) enqueue(key);
        schedule();
      };
      const schedule = () => void (timer = clock.setTimer(periodMs * (1 + random() * jitter), tick));
      timer?.cancel();
      schedule();
    },
    stop() {
      running = false;
      timer?.cancel();
      timer = undefined;
    },
  };
}

/**
 * EventSource turns callbacks from outside the store (Docker events, cron ticks, webhooks) into keys:
 * whoever observes the outside world calls `emit(event)`, and `map` names the objects to reconcile.
 * Events emitted while the source is stopped are dropped: the startup relist covers them.
 */
export class EventSource<T> implements Source {
  readonly name: string;
  private readonly map: (event: T) => Iterable<Key>;
  private enqueue: Enqueue | undefined;
  private droppedCount = 0;

  constructor(name: string, map: (event: T) => Iterable<Key>) {
    this.name = name;
    this.map = map;
  }

  start(enqueue: Enqueue): void {
    this.enqueue = enqueue;
  }

  stop(): void {
    this.enqueue = undefined;
  }

  /** emit maps one outside event to keys and enqueues them. */
  emit(event: T): void {
    const enqueue = this.enqueue;
    if (!enqueue) {
      this.droppedCount++;
      return;
    }
    for (const key of this.map(event)) enqueue(key);
  }

  /** dropped counts events emitted while stopped. */
  get dropped(): number {
    return this.droppedCount;
  }
}
