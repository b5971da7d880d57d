import { setTimeout as sleep } from "node:timers/promises";
import { connect, Events, type JetStreamManager, type NatsConnection } from "nats";
import type { StoreEvent } from "../../store/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { AckedPublisher, type Publishable, type PublisherStats } from "./acked-publisher.ts";
import { EventBusUnavailableError } from "./errors.ts";
import { connectOptionsFor, redactUrl, type NatsClientAuth } from "./nats-client-auth.ts";
import { encodeChange, encodeEvent, type Outgoing } from "./payloads.ts";
import { DEFAULT_STREAM_LIMITS, STREAMS, ensureStreams, lastMessageId, streamOf, type StreamLimits } from "./streams.ts";
import type { KubeEvent } from "./types.ts";

/** BusOptions configure the connection to NATS and the bounds of the bus. */
export interface BusOptions {
  /** url of the NATS server (`nats://127.0.0.1:4222`). */
  url: string;
  /** auth is the credentials and CA to connect with (the embedded server's, or `--nats-creds`/`--nats-ca`). */
  auth?: NatsClientAuth;
  logger: Logger;
  /** name identifies this client to the server (default `berthd`). */
  name?: string;
  /** maxQueue bounds the messages kept in memory until NATS stored them (default 100 000). */
  maxQueue?: number;
  /** maxQueueBytes bounds the payload bytes kept in memory until NATS stored them (default 64 MiB). */
  maxQueueBytes?: number;
  /** window is how many publishes may await their acknowledgement at once (default 512). */
  window?: number;
  /** ackTimeoutMs is how long a publish waits for the server's acknowledgement before sending again (default 5 s). */
  ackTimeoutMs?: number;
  /** connectTimeoutMs bounds the first connection; later reconnects never give up (default 15 s). */
  connectTimeoutMs?: number;
  limits?: StreamLimits;
}

/** BusStats describe the publishing side of the bus, for metrics and tests. */
export interface BusStats extends PublisherStats {
  connected: boolean;
}

/**
 * EventBus publishes store changes and events to NATS JetStream (`berth.changes.<ns>.<kind>.<name>`,
 * `berth.events.<ns>.<kind>.<name>`). Publishing never blocks or throws: messages wait in a bounded in-memory
 * queue until the server stored them, are pipelined in order, and each is stored once (see AckedPublisher).
 */
export interface EventBus {
  /** connection is the underlying NATS connection, for readers (the event log, SSE). */
  readonly connection: NatsConnection;
  /** publishChange publishes one store change; Secret values are removed first. */
  publishChange(event: StoreEvent): void;
  /** publishEvent publishes one event, on the subject of the object it is about. */
  publishEvent(event: KubeEvent): void;
  stats(): BusStats;
  /** close waits (at most `timeoutMs`, default 5 s) for queued messages to be stored, then drains the connection. */
  close(timeoutMs?: number): Promise<void>;
}

/** HEADER_ROOM leaves space under the server's max_payload for the message id header. */
const HEADER_ROOM = 4096;

/** connectBus connects to NATS (bounded), makes sure the streams exist, and returns the bus. */
export async function connectBus(options: BusOptions): Promise<EventBus> {
  const logger = options.logger;
  const limits = options.limits ?? DEFAULT_STREAM_LIMITS;
  const nc = await firstConnection(options);
  try {
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, limits);
    const publisher = new AckedPublisher({
      nc,
      logger,
      maxQueue: options.maxQueue ?? 100_000,
      maxQueueBytes: options.maxQueueBytes ?? 64 * 1024 * 1024,
      window: options.window ?? 512,
      ackTimeoutMs: options.ackTimeoutMs ?? 5000,
      recover: () => ensureStreams(jsm, limits),
    });
    let connected = true;
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === Events.Disconnect) {
          connected = false;
          publisher.setConnected(false);
          logger.warn({ server: status.data }, "event bus disconnected from NATS; queueing messages");
        } else if (status.type === Events.Reconnect) {
          connected = true;
          logger.info({ server: status.data }, "event bus reconnected to NATS");
          // A restarted server may have lost its store: recreate the streams before sending what was queued.
          await ensureStreams(jsm, limits).catch((err: Error) => logger.warn({ err: err.message }, "event bus could not ensure its streams"));
          await resync(jsm, publisher, logger);
          publisher.setConnected(true);
        }
      }
    })();
    const maxBytes = () => (nc.info?.max_payload ?? 1024 * 1024) - HEADER_ROOM;
    return {
      connection: nc,
      publishChange(event) {
        try {
          // The object's uid tells apart the revision N of a store restarted from scratch within the duplicate window.
          publisher.enqueue(publishable(encodeChange(event, maxBytes()), `change-${event.revision}-${event.object.metadata.uid ?? ""}`));
        } catch (err) {
          logger.error({ err: (err as Error).message, revision: event.revision }, "event bus could not encode a store change");
        }
      },
      publishEvent(event) {
        try {
          const message = encodeEvent(event);
          if (message.data.length > maxBytes()) logger.warn({ subject: message.subject, bytes: message.data.length }, "event bus dropped an event too large to publish");
          else publisher.enqueue(publishable(message, `event-${event.metadata.name}-${event.count}`));
        } catch (err) {
          logger.error({ err: (err as Error).message, name: event?.metadata?.name }, "event bus could not encode an event");
        }
      },
      stats: () => ({ ...publisher.stats(), connected }),
      async close(timeoutMs = 5000) {
        const started = Date.now();
        if (!(await publisher.whenEmpty(timeoutMs))) logger.warn({ queued: publisher.stats().queued }, "event bus closed before NATS stored every queued message");
        publisher.stop();
        await closeConnection(nc, Math.max(1000, timeoutMs - (Date.now() - started)));
      },
    };
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw new EventBusUnavailableError(`NATS at ${redactUrl(options.url)} has no usable JetStream: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * resync tells the publisher which of its messages the streams hold, from each stream's last message id: after
 * an outage longer than the duplicate window, a message stored whose acknowledgement was lost would otherwise
 * be sent, and stored, again.
 */
async function resync(jsm: JetStreamManager, publisher: AckedPublisher, logger: Logger): Promise<void> {
  for (const stream of STREAMS) {
    try {
      const id = await lastMessageId(jsm, stream);
      if (id) publisher.storedThrough(stream, id);
    } catch (err) {
      logger.debug({ err: (err as Error).message, stream }, "event bus could not read the last message of a stream");
    }
  }
}

/** publishable gives a message its stream and its `Nats-Msg-Id`, which the caller derives from the message itself. */
function publishable(message: Outgoing, id: string): Publishable {
  return { subject: message.subject, data: message.data, id, stream: streamOf(message.subject) };
}

/** firstConnection retries the first connection until `connectTimeoutMs`; afterwards the client reconnects forever. */
async function firstConnection(options: BusOptions): Promise<NatsConnection> {
  const deadline = Date.now() + (options.connectTimeoutMs ?? 15_000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect({
        servers: options.url,
        ...connectOptionsFor(options.auth),
        name: options.name ?? "berthd",
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        pingInterval: 10_000,
        maxPingOut: 3,
        timeout: Math.max(500, Math.min(2000, deadline - Date.now())),
      });
    } catch (err) {
      if (Date.now() >= deadline)
        throw new EventBusUnavailableError(`cannot connect to NATS at ${redactUrl(options.url)} after ${attempt} attempts: ${(err as Error).message}`, { cause: err });
      await sleep(Math.min(250 * attempt, 1000));
    }
  }
}

/**
 * closeConnection drains (delivering what subscribers still hold), bounded, then closes: a drain can return
 * while the client is still reconnecting, and only close() stops that for good.
 */
async function closeConnection(nc: NatsConnection, timeoutMs: number): Promise<void> {
  if (nc.isClosed()) return;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  try {
    await Promise.race([nc.drain().catch(() => undefined), expired]);
  } finally {
    clearTimeout(timer);
  }
  await nc.close();
}
