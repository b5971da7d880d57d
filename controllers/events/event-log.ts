import { AckPolicy, DeliverPolicy, nanos, type ConsumerMessages, type JetStreamManager, type JsMsg, type NatsConnection } from "nats";
import type { Logger } from "../../lib/logger.ts";
import { EventBusUnavailableError } from "./errors.ts";
import { compileEventSelector } from "./event-selector.ts";
import { EVENTS_STREAM, eventsFilter } from "./subjects.ts";
import type { EventFilter, EventLog, KubeEvent } from "./types.ts";

/** EventLogOptions bound how much history a list reads and returns. */
export interface EventLogOptions {
  connection: NatsConnection;
  logger: Logger;
  /** limit is how many events a list returns at most: the most recent ones (default 1000). */
  limit?: number;
  /** scanLimit is how many of the stream's most recent messages a list reads (default 20 000). */
  scanLimit?: number;
  /** timeoutMs bounds one list (default 5 s). */
  timeoutMs?: number;
}

const BATCH = 500;

/**
 * JetStreamEventLog serves events from the BERTH_EVENTS stream. A list reads the recent messages of the
 * namespace, folds the repeats of an event into its latest state (the highest count), and returns the events
 * oldest first; every event's resourceVersion is the stream sequence of that latest state. A watch follows
 * the stream from the moment it was asked for.
 */
export class JetStreamEventLog implements EventLog {
  private readonly nc: NatsConnection;
  private readonly logger: Logger;
  private readonly limit: number;
  private readonly scanLimit: number;
  private readonly timeoutMs: number;
  private jsm: Promise<JetStreamManager> | undefined;

  constructor(options: EventLogOptions) {
    this.nc = options.connection;
    this.logger = options.logger;
    this.limit = options.limit ?? 1000;
    this.scanLimit = options.scanLimit ?? 20_000;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  async list(filter: EventFilter): Promise<KubeEvent[]> {
    const matches = compileEventSelector(filter.fieldSelector);
    const latest = new Map<string, KubeEvent>();
    try {
      await this.read(eventsFilter(filter.namespace), (event) => {
        // Re-inserting moves a repeated event to the position of its latest occurrence.
        latest.delete(event.metadata.name);
        latest.set(event.metadata.name, event);
      });
    } catch (err) {
      if (err instanceof EventBusUnavailableError) throw err;
      throw new EventBusUnavailableError(`cannot read events from NATS: ${(err as Error).message}`, { cause: err });
    }
    const selected = [...latest.values()].filter(matches);
    return selected.slice(Math.max(0, selected.length - this.limit));
  }

  watch(filter: EventFilter, onEvent: (event: KubeEvent) => void): { close(): void } {
    const matches = compileEventSelector(filter.fieldSelector);
    const since = new Date().toISOString();
    let closed = false;
    let messages: ConsumerMessages | undefined;
    void (async () => {
      try {
        const consumer = await this.nc.jetstream().consumers.get(EVENTS_STREAM, {
          filterSubjects: eventsFilter(filter.namespace),
          deliver_policy: DeliverPolicy.StartTime,
          opt_start_time: since,
        });
        if (closed) return;
        messages = await consumer.consume();
        if (closed) return void messages.stop();
        for await (const m of messages) {
          const event = decode(m, this.logger);
          if (!event || !matches(event)) continue;
          try {
            onEvent(event);
          } catch (err) {
            this.logger.error({ err: (err as Error).message }, "event watcher failed on an event");
          }
        }
      } catch (err) {
        if (!closed) this.logger.warn({ err: (err as Error).message }, "event watch ended");
      }
    })();
    return {
      close() {
        closed = true;
        messages?.stop();
      },
    };
  }

  /** read delivers, in stream order, the messages on `subject` among the stream's `scanLimit` most recent. */
  private async read(subject: string, onEvent: (event: KubeEvent) => void): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    const jsm = await this.manager();
    const { state } = await jsm.streams.info(EVENTS_STREAM);
    if (state.messages === 0) return;
    const info = await jsm.consumers.add(EVENTS_STREAM, {
      filter_subject: subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(state.first_seq, state.last_seq - this.scanLimit + 1),
      ack_policy: AckPolicy.None,
      mem_storage: true,
      inactive_threshold: nanos(60_000),
    });
    try {
      const consumer = await this.nc.jetstream().consumers.get(EVENTS_STREAM, info.name);
      let pending = info.num_pending;
      while (pending > 0) {
        const left = deadline - Date.now();
        if (left <= 0) throw new EventBusUnavailableError(`reading events took longer than ${this.timeoutMs} ms`);
        let received = 0;
        const batch = await consumer.fetch({ max_messages: Math.min(pending, BATCH), expires: Math.max(1000, Math.min(left, 5000)) });
        for await (const m of batch) {
          received++;
          pending = m.info.pending;
          const event = decode(m, this.logger);
          if (event) onEvent(event);
        }
        if (received === 0) break;
      }
    } finally {
      await jsm.consumers.delete(EVENTS_STREAM, info.name).catch(() => undefined);
    }
  }

  private manager(): Promise<JetStreamManager> {
    this.jsm ??= this.nc.jetstreamManager().catch((err: unknown) => {
      this.jsm = undefined;
      throw err;
    });
    return this.jsm;
  }
}

/** decode parses one stored event and stamps it with its stream sequence as resourceVersion. */
function decode(m: JsMsg, logger: Logger): KubeEvent | undefined {
  try {
    const event = m.json<KubeEvent>();
    event.metadata.resourceVersion = String(m.seq);
    return event;
  } catch (err) {
    logger.warn({ seq: m.seq, err: (err as Error).message }, "skipping an unreadable event");
    return undefined;
  }
}
