import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, type JetStreamClient, type NatsError } from "nats";
import type { Logger } from "../runtime/logger.ts";
import type { Outgoing } from "./payloads.ts";

/** PublisherStats count what happened to messages: still queued, stored by the server, dropped, retried. */
export interface PublisherStats {
  queued: number;
  published: number;
  dropped: number;
  retries: number;
}

/** AckedPublisherOptions configure the queue bound and how long one publish waits for its acknowledgement. */
export interface AckedPublisherOptions {
  js: JetStreamClient;
  logger: Logger;
  maxQueue: number;
  ackTimeoutMs: number;
  /** recover runs after the server answered "no stream for this subject" (e.g. a server whose store was wiped). */
  recover: () => Promise<void>;
}

interface Queued extends Outgoing {
  /** id is the JetStream message id: a retry of a message the server already stored is dropped as a duplicate. */
  id: string;
}

const MAX_BACKOFF_MS = 2000;

/**
 * AckedPublisher sends messages to JetStream one at a time, in order: a message leaves the queue only once the
 * server acknowledged storing it, so an outage delays messages instead of losing them. The queue is bounded;
 * what does not fit is dropped and counted. Callers never wait and never see an error.
 */
export class AckedPublisher {
  private readonly queue: Queued[] = [];
  private readonly options: AckedPublisherOptions;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly abort = new AbortController();
  private connected = true;
  private running = false;
  private failures = 0;
  private droppedInOutage = 0;
  private readonly counts = { published: 0, dropped: 0, retries: 0 };

  constructor(options: AckedPublisherOptions) {
    this.options = options;
  }

  /** enqueue adds a message at the end of the queue, or drops it when the queue is full. */
  enqueue(message: Outgoing): void {
    if (this.abort.signal.aborted) return;
    if (this.queue.length >= this.options.maxQueue) {
      this.counts.dropped++;
      if (this.droppedInOutage++ === 0)
        this.options.logger.warn({ queued: this.queue.length, subject: message.subject }, "event bus queue is full: dropping new messages until NATS catches up");
      return;
    }
    this.queue.push({ ...message, id: randomUUID() });
    this.kick();
  }

  /** setConnected pauses publishing while the connection is down, and resumes it on reconnect. */
  setConnected(connected: boolean): void {
    this.connected = connected;
    if (connected) this.kick();
  }

  /** whenEmpty resolves true once every queued message is stored, or false after `timeoutMs`. */
  async whenEmpty(timeoutMs: number): Promise<boolean> {
    if (this.queue.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([drained, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** stop ends publishing; what is still queued is abandoned (and reported by the caller). */
  stop(): void {
    this.abort.abort();
  }

  stats(): PublisherStats {
    return { queued: this.queue.length, ...this.counts };
  }

  private kick(): void {
    if (!this.running && this.connected) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && this.connected && !this.abort.signal.aborted) {
        const head = this.queue[0]!;
        try {
          await this.options.js.publish(head.subject, head.data, { msgID: head.id, timeout: this.options.ackTimeoutMs });
          this.queue.shift();
          this.counts.published++;
          if (this.failures > 0) this.options.logger.info({ queued: this.queue.length, failures: this.failures }, "event bus publishing again");
          this.failures = 0;
        } catch (err) {
          await this.backOff(err as NatsError, head.subject);
        }
      }
    } finally {
      this.running = false;
    }
    if (this.queue.length === 0) this.becameIdle();
  }

  private async backOff(err: NatsError, subject: string): Promise<void> {
    this.counts.retries++;
    if (this.failures++ === 0) this.options.logger.warn({ err: err.message, subject, queued: this.queue.length }, "event bus publish failed; retrying in order");
    if (err.code === ErrorCode.NoResponders) await this.options.recover().catch((e: Error) => this.options.logger.debug({ err: e.message }, "event bus stream recovery failed"));
    await sleep(Math.min(50 * 2 ** this.failures, MAX_BACKOFF_MS), undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  private becameIdle(): void {
    if (this.droppedInOutage > 0) this.options.logger.warn({ dropped: this.droppedInOutage }, "event bus caught up; messages were dropped while the queue was full");
    this.droppedInOutage = 0;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
