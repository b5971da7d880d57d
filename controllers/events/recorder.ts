import { randomUUID } from "node:crypto";
import type { Resource } from "../../resources/index.ts";
import { rfc3339 } from "../../store/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { TokenBucket } from "./token-bucket.ts";
import type { EventRecorder, EventType, KubeEvent } from "./types.ts";

/** EventSink is where recorded events go: the bus, in berthd. */
export interface EventSink {
  publishEvent(event: KubeEvent): void;
}

/** RecorderOptions configure aggregation and the per-object rate limit; the defaults follow Kubernetes. */
export interface RecorderOptions {
  sink: EventSink;
  /** component names who reports (`app-controller`), as `source.component`. */
  component: string;
  logger: Logger;
  now?: () => Date;
  /** aggregateWindowMs: a repeat within this time bumps the existing event (default 10 min). */
  aggregateWindowMs?: number;
  /** burst events per object may go out at once (default 25)... */
  burst?: number;
  /** ...then one per refillMs (default 5 s); repeats meanwhile are folded into the next one that goes out. */
  refillMs?: number;
  /** maxCacheEntries bounds the aggregation cache (default 4096, least recently seen evicted). */
  maxCacheEntries?: number;
}

/** RecorderStats count events published, held back by the rate limit, and dropped. */
export interface RecorderStats {
  published: number;
  deferred: number;
  dropped: number;
}

interface Seen {
  event: KubeEvent;
  lastSeenMs: number;
}

/** Throttle is the rate limit of one object: a token bucket, and the newest state of events waiting for a token. */
interface Throttle {
  bucket: TokenBucket;
  waiting: Map<string, KubeEvent>;
  timer?: NodeJS.Timeout;
}

const MAX_MESSAGE = 1024;
const MAX_WAITING = 50;
const SWEEP_AT = 1000;

/**
 * BusEventRecorder records Kubernetes-style events. A repeat of the same (object, type, reason, message)
 * within the aggregation window bumps `count` and `lastTimestamp` of the same event name. Each object has a
 * rate limit (a burst, then one per interval) so a hot loop cannot flood the bus; what it holds back is sent,
 * with its latest count, once the limit allows. It never throws into callers.
 */
export class BusEventRecorder implements EventRecorder {
  private readonly options: Required<Omit<RecorderOptions, "now">> & { now: () => Date };
  private readonly seen = new Map<string, Seen>();
  private readonly throttles = new Map<string, Throttle>();
  private readonly counts: RecorderStats = { published: 0, deferred: 0, dropped: 0 };
  private sequence = 0;

  constructor(options: RecorderOptions) {
    this.options = {
      ...options,
      aggregateWindowMs: options.aggregateWindowMs ?? 10 * 60 * 1000,
      burst: options.burst ?? 25,
      refillMs: options.refillMs ?? 5000,
      maxCacheEntries: options.maxCacheEntries ?? 4096,
      now: options.now ?? (() => new Date()),
    };
  }

  record(object: Resource, type: EventType, reason: string, message: string): void {
    try {
      this.aggregateAndEmit(object, type, reason, message);
    } catch (err) {
      this.options.logger.error({ err: (err as Error).message, reason }, "could not record an event");
    }
  }

  stats(): RecorderStats {
    return { ...this.counts };
  }

  /** close sends what the rate limit still holds back (events are worth more than the limit at shutdown). */
  close(): void {
    for (const throttle of this.throttles.values()) {
      clearTimeout(throttle.timer);
      for (const event of throttle.waiting.values()) this.publish(event);
      throttle.waiting.clear();
    }
    this.throttles.clear();
  }

  private aggregateAndEmit(object: Resource, type: EventType, reason: string, message: string): void {
    const now = this.options.now();
    const nowMs = now.getTime();
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    const meta = object.metadata;
    const key = JSON.stringify([meta.uid ?? "", object.kind, meta.namespace, meta.name, type, reason, text]);
    const previous = this.seen.get(key);
    const event =
      previous && nowMs - previous.lastSeenMs < this.options.aggregateWindowMs
        ? { ...previous.event, count: previous.event.count + 1, lastTimestamp: rfc3339(now) }
        : this.newEvent(object, type, reason, text, now);
    this.seen.delete(key);
    this.seen.set(key, { event, lastSeenMs: nowMs });
    if (this.seen.size > this.options.maxCacheEntries) this.seen.delete(this.seen.keys().next().value!);
    this.emit(`${object.kind}/${meta.namespace}/${meta.name}/${meta.uid ?? ""}`, event);
  }

  private newEvent(object: Resource, type: EventType, reason: string, message: string, now: Date): KubeEvent {
    const meta = object.metadata;
    // Like Kubernetes: the object's name and a hex timestamp (nanoseconds), unique within this process.
    const suffix = (BigInt(now.getTime()) * 1_000_000n + BigInt(this.sequence++ % 1_000_000)).toString(16);
    const timestamp = rfc3339(now);
    return {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${meta.name}.${suffix}`, namespace: meta.namespace, uid: randomUUID(), resourceVersion: "0", creationTimestamp: timestamp },
      involvedObject: {
        apiVersion: object.apiVersion, kind: object.kind, name: meta.name, namespace: meta.namespace,
        ...(meta.uid ? { uid: meta.uid } : {}), ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
      },
      type, reason, message, count: 1, firstTimestamp: timestamp, lastTimestamp: timestamp,
      source: { component: this.options.component },
    };
  }

  private emit(objectKey: string, event: KubeEvent): void {
    let throttle = this.throttles.get(objectKey);
    if (!throttle) {
      if (this.throttles.size >= SWEEP_AT) this.sweep();
      throttle = { bucket: new TokenBucket(this.options.burst, this.options.refillMs, this.options.now().getTime()), waiting: new Map() };
      this.throttles.set(objectKey, throttle);
    }
    if (!throttle.waiting.has(event.metadata.name) && throttle.waiting.size >= MAX_WAITING) {
      this.counts.dropped++;
      return;
    }
    // Setting an existing name keeps its place in line but replaces it with the newest count.
    throttle.waiting.set(event.metadata.name, event);
    this.drain(throttle);
    if (throttle.waiting.has(event.metadata.name)) this.counts.deferred++;
  }

  private drain(throttle: Throttle): void {
    const nowMs = this.options.now().getTime();
    for (const [name, event] of throttle.waiting) {
      if (!throttle.bucket.take(nowMs)) break;
      throttle.waiting.delete(name);
      this.publish(event);
    }
    if (throttle.waiting.size > 0 && !throttle.timer) {
      throttle.timer = setTimeout(() => {
        delete throttle.timer;
        this.drain(throttle);
      }, Math.max(1, throttle.bucket.msUntilToken(nowMs)));
      throttle.timer.unref();
    }
  }

  private publish(event: KubeEvent): void {
    this.counts.published++;
    this.options.sink.publishEvent(event);
  }

  /** sweep forgets objects whose limit has fully recovered and that have nothing waiting. */
  private sweep(): void {
    const nowMs = this.options.now().getTime();
    for (const [key, throttle] of this.throttles)
      if (throttle.waiting.size === 0 && !throttle.timer && throttle.bucket.isFull(nowMs)) this.throttles.delete(key);
  }
}
