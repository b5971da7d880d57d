import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from "nats";
import type { Logger } from "../../lib/logger.ts";
import type { Outgoing } from "./payloads.ts";

/** PublisherStats count what happened to messages: still queued, stored by the server, dropped, retried. */
export interface PublisherStats {
  /** queued counts messages not yet acknowledged: waiting, or sent and awaiting their acknowledgement. */
  queued: number;
  published: number;
  dropped: number;
  /** retries counts the times publishing went back to the oldest unacknowledged message. */
  retries: number;
}

/** Publishable is one message with its JetStream message id and the stream that keeps it. */
export interface Publishable extends Outgoing {
  /** id is the `Nats-Msg-Id`: derived from the message, so a copy the server already stored is dropped as a duplicate. */
  id: string;
  /** stream names the stream the subject belongs to; order is kept per stream. */
  stream: string;
}

/** AckedPublisherOptions configure the queue bounds, the window and how long a publish waits for its acknowledgement. */
export interface AckedPublisherOptions {
  nc: NatsConnection;
  logger: Logger;
  /** maxQueue bounds how many unacknowledged messages are kept. */
  maxQueue: number;
  /** maxQueueBytes bounds the payload bytes of unacknowledged messages. */
  maxQueueBytes: number;
  /** window is how many publishes may await their acknowledgement at once. */
  window: number;
  ackTimeoutMs: number;
  /** recover runs after the server answered "no stream for this subject" (e.g. a server whose store was wiped). */
  recover: () => Promise<void>;
}

interface Entry extends Publishable {
  /** seq numbers entries in queue order; it places an acknowledgement without a lookup table. */
  seq: number;
  acked: boolean;
  /** sentAt is when the entry was last sent, for the acknowledgement timeout. */
  sentAt: number;
  /** previous is the message before this one in the same stream, until this one is stored. */
  previous: Entry | undefined;
}

/** PubReply is JetStream's answer to a publish: where the message was stored, or why it was not. */
interface PubReply {
  stream?: string;
  seq?: number;
  error?: { code: number; err_code?: number; description: string };
}

const MAX_BACKOFF_MS = 2000;
const EMPTY = new Uint8Array(0);
/** COMPACT_AT is how many stored entries may sit at the front of the array before it is compacted. */
const COMPACT_AT = 4096;
const NO_RESPONDERS = 503;

/**
 * AckedPublisher sends messages to JetStream in order, with up to `window` publishes awaiting their
 * acknowledgement on the one connection (NATS keeps the order of one connection). A message leaves the queue only
 * once the server acknowledged storing it, so an outage delays messages instead of losing them.
 *
 * Order is kept by the server, not only by the client: a message sent while the one before it (same stream) is
 * still unacknowledged carries `Nats-Expected-Last-Msg-Id`, so if that one was lost (a broken connection, a
 * restarted server) the server refuses this one instead of storing it out of order. A refusal, a timeout or a
 * reconnect sends again from the oldest unacknowledged message (go-back-N); copies the server already stored
 * carry the same `Nats-Msg-Id` and are dropped by the stream's duplicate window. The queue is bounded by count and
 * by bytes; what does not fit is dropped and counted. Callers never wait and never see an error.
 *
 * Publishes are plain NATS publishes with a reply subject under one inbox subscription, not `js.publish()`:
 * a request object, promise and timer per message cost more than the whole rest of the path.
 */
export class AckedPublisher {
  /** entries[start..] are unacknowledged (or acknowledged out of order); entries[start..next) have been sent. */
  private entries: Entry[] = [];
  private start = 0;
  private next = 0;
  private seq = 0;
  private bytes = 0;
  /** round changes on every go-back: a refusal from an earlier round no longer steers sending. */
  private round = 0;
  private readonly lastOf = new Map<string, Entry>();
  private readonly options: AckedPublisherOptions;
  private readonly inbox: string;
  private readonly replies: Subscription;
  private readonly timeoutCheck: NodeJS.Timeout;
  private readonly idleWaiters: Array<() => void> = [];
  private stopped = false;
  private connected = true;
  private pausedUntilRetry = false;
  private pumpScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private droppedInOutage = 0;
  private readonly counts = { published: 0, dropped: 0, retries: 0 };

  constructor(options: AckedPublisherOptions) {
    this.options = options;
    this.inbox = createInbox();
    this.replies = options.nc.subscribe(`${this.inbox}.>`, { callback: (err, msg) => err || this.reply(msg) });
    this.timeoutCheck = setInterval(() => this.checkTimeout(), Math.max(50, Math.min(1000, options.ackTimeoutMs / 4)));
    this.timeoutCheck.unref();
  }

  /** enqueue adds a message at the end of the queue, or drops it when the queue is full. */
  enqueue(message: Publishable): void {
    if (this.stopped) return;
    if (this.pending() >= this.options.maxQueue || this.bytes + message.data.length > this.options.maxQueueBytes) {
      this.counts.dropped++;
      if (this.droppedInOutage++ === 0)
        this.options.logger.warn({ queued: this.pending(), bytes: this.bytes, subject: message.subject }, "event bus queue is full: dropping new messages until NATS catches up");
      return;
    }
    const { subject, data, id, stream } = message;
    const entry: Entry = { subject, data, id, stream, seq: this.seq++, acked: false, sentAt: 0, previous: this.lastOf.get(stream) };
    this.lastOf.set(message.stream, entry);
    this.entries.push(entry);
    this.bytes += message.data.length;
    this.schedulePump();
  }

  /** setConnected pauses publishing while the connection is down; on reconnect it sends again from the oldest unacknowledged message. */
  setConnected(connected: boolean): void {
    this.connected = connected;
    if (this.next > this.start) this.counts.retries++;
    // Acknowledgements of what was in flight on the old connection may never come: do not wait for their timeouts.
    this.goBack();
    if (connected) this.schedulePump();
  }

  /**
   * storedThrough marks the message with this id, and every earlier one of its stream, as stored: the stream's
   * last message says so, whatever became of their acknowledgements (an outage longer than the duplicate window).
   */
  storedThrough(stream: string, id: string): void {
    let found = -1;
    for (let i = this.entries.length - 1; i >= this.start && found < 0; i--) if (this.entries[i]!.stream === stream && this.entries[i]!.id === id) found = i;
    for (let i = this.start; i <= found; i++) if (this.entries[i]!.stream === stream) this.stored(this.entries[i]!);
  }

  /** whenEmpty resolves true once every queued message is stored, or false after `timeoutMs`. */
  async whenEmpty(timeoutMs: number): Promise<boolean> {
    if (this.pending() === 0) return true;
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
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.timeoutCheck);
    if (!this.options.nc.isClosed()) this.replies.unsubscribe();
  }

  stats(): PublisherStats {
    return { queued: this.pending(), ...this.counts };
  }

  private pending(): number {
    return this.entries.length - this.start;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // Send after the current I/O: the messages of a burst (and the acknowledgements of one read) go out together,
    // in one socket write, and publishing stays out of the caller's stack.
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** pump sends messages in order while the window has room. */
  private pump(): void {
    const { window } = this.options;
    while (this.connected && !this.stopped && !this.pausedUntilRetry && this.next < this.entries.length && this.next - this.start < window) {
      const entry = this.entries[this.next++]!;
      if (!entry.acked && !this.send(entry)) return;
    }
  }

  /** send publishes one entry; false when the client refused it (closed), which is handled as a failure. */
  private send(entry: Entry): boolean {
    const h = headers();
    h.set("Nats-Msg-Id", entry.id);
    // Only a predecessor that may still be missing needs the server's check; a stored one is already in place.
    if (entry.previous && !entry.previous.acked) h.set("Nats-Expected-Last-Msg-Id", entry.previous.id);
    entry.sentAt = performance.now();
    try {
      this.options.nc.publish(entry.subject, entry.data, { reply: `${this.inbox}.${this.round}.${entry.seq}`, headers: h });
      return true;
    } catch (err) {
      this.failed(entry, (err as Error).message, false);
      return false;
    }
  }

  /** reply handles the server's answer to one publish. */
  private reply(msg: Msg): void {
    const [, round, seq] = msg.subject.slice(this.inbox.length).split(".");
    const first = this.entries[0];
    const entry = first ? this.entries[Number(seq) - first.seq] : undefined;
    if (!entry || entry.seq !== Number(seq) || entry.acked || this.stopped) return;
    if (msg.headers?.code === NO_RESPONDERS) {
      if (Number(round) === this.round) this.failed(entry, "no stream takes this subject", true);
      return;
    }
    let answer: PubReply;
    try {
      answer = msg.json<PubReply>();
    } catch {
      answer = { error: { code: 0, description: `unreadable acknowledgement: ${msg.string().slice(0, 200)}` } };
    }
    // An acknowledgement from any round counts: the server holds the message, however it got there.
    if (!answer.error && answer.stream) this.stored(entry);
    else if (Number(round) === this.round) this.failed(entry, answer.error?.description ?? "acknowledgement without a stream", false);
  }

  private stored(entry: Entry): void {
    if (entry.acked) return;
    entry.acked = true;
    entry.previous = undefined;
    this.bytes -= entry.data.length;
    entry.data = EMPTY;
    if (this.lastOf.get(entry.stream) === entry) this.lastOf.delete(entry.stream);
    this.counts.published++;
    if (this.failures > 0) this.options.logger.info({ queued: this.pending(), failures: this.failures }, "event bus publishing again");
    this.failures = 0;
    while (this.start < this.entries.length && this.entries[this.start]!.acked) this.start++;
    if (this.next < this.start) this.next = this.start;
    if (this.start >= COMPACT_AT && this.start * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.start);
      this.next -= this.start;
      this.start = 0;
    }
    if (this.pending() === 0) this.becameIdle();
    // Refill once half the window is free: fewer, larger socket writes than one message per acknowledgement.
    else if (this.next - this.start <= this.options.window / 2) this.schedulePump();
  }

  /** checkTimeout goes back when the oldest message in flight has waited too long for its acknowledgement. */
  private checkTimeout(): void {
    const oldest = this.entries[this.start];
    if (!oldest || this.start >= this.next || !this.connected || this.pausedUntilRetry || this.stopped) return;
    if (performance.now() - oldest.sentAt > this.options.ackTimeoutMs) this.failed(oldest, `no acknowledgement within ${this.options.ackTimeoutMs} ms`, false);
  }

  /** failed goes back to the oldest unacknowledged message and sends again after a backoff. */
  private failed(entry: Entry, reason: string, noStream: boolean): void {
    if (this.stopped || !this.connected || this.pausedUntilRetry) return;
    this.goBack();
    this.counts.retries++;
    if (this.failures++ === 0) this.options.logger.warn({ err: reason, subject: entry.subject, queued: this.pending() }, "event bus publish failed; sending again from the oldest unacknowledged message");
    this.pausedUntilRetry = true;
    const delay = Math.min(50 * 2 ** this.failures, MAX_BACKOFF_MS);
    const recovering = noStream ? this.options.recover().catch((e: Error) => this.options.logger.debug({ err: e.message }, "event bus stream recovery failed")) : Promise.resolve();
    void recovering.then(() => {
      if (this.stopped) return;
      this.retryTimer = setTimeout(() => {
        this.pausedUntilRetry = false;
        this.pump();
      }, delay);
    });
  }

  /** goBack makes the oldest unacknowledged message the next to send, and ignores refusals of earlier rounds. */
  private goBack(): void {
    this.round++;
    this.next = this.start;
  }

  private becameIdle(): void {
    if (this.droppedInOutage > 0) this.options.logger.warn({ dropped: this.droppedInOutage }, "event bus caught up; messages were dropped while the queue was full");
    this.droppedInOutage = 0;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
