import { DiscardPolicy, RetentionPolicy, StorageType, nanos, type JetStreamManager, type NatsError, type StreamConfig } from "nats";
import { CHANGES_PREFIX, CHANGES_STREAM, EVENTS_PREFIX, EVENTS_STREAM } from "./subjects.ts";

/** StreamLimits bound what each stream keeps: the oldest messages go first once either limit is reached. */
export interface StreamLimits {
  /** maxAgeMs is how long a message is kept (default 24 h). */
  maxAgeMs: number;
  /** maxMessages is how many messages a stream keeps (default 100 000). */
  maxMessages: number;
}

/** DEFAULT_STREAM_LIMITS keep a day of history, at most 100 000 messages per stream. */
export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxAgeMs: 24 * 3600 * 1000, maxMessages: 100_000 };

/** STREAM_IN_USE is JetStream's error code for "stream name already in use with a different configuration". */
const STREAM_IN_USE = 10058;

/** streamConfigs are the two streams the bus writes to: file storage, bounded by age and count. */
export function streamConfigs(limits: StreamLimits): Partial<StreamConfig>[] {
  const common: Partial<StreamConfig> = {
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(limits.maxAgeMs),
    max_msgs: limits.maxMessages,
    num_replicas: 1,
    // Publishers retry with the same message id until acknowledged; the window must outlast those retries.
    duplicate_window: nanos(Math.min(2 * 60 * 1000, limits.maxAgeMs)),
  };
  return [
    { ...common, name: CHANGES_STREAM, subjects: [`${CHANGES_PREFIX}.>`] },
    { ...common, name: EVENTS_STREAM, subjects: [`${EVENTS_PREFIX}.>`] },
  ];
}

/** STREAMS are the names of the bus's streams. */
export const STREAMS = [CHANGES_STREAM, EVENTS_STREAM];

/** lastMessageId is the `Nats-Msg-Id` of a stream's last message, or undefined when it is empty or has none. */
export async function lastMessageId(jsm: JetStreamManager, stream: string): Promise<string | undefined> {
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0) return undefined;
  const last = await jsm.streams.getMessage(stream, { seq: state.last_seq });
  return last.header?.get("Nats-Msg-Id") || undefined;
}

/** streamOf names the stream that keeps a subject of the bus. */
export function streamOf(subject: string): string {
  return subject.startsWith(`${EVENTS_PREFIX}.`) ? EVENTS_STREAM : CHANGES_STREAM;
}

/** ensureStreams creates the streams, or brings the limits of existing ones up to date. Idempotent. */
export async function ensureStreams(jsm: JetStreamManager, limits: StreamLimits = DEFAULT_STREAM_LIMITS): Promise<void> {
  for (const config of streamConfigs(limits)) {
    try {
      await jsm.streams.add(config);
    } catch (err) {
      if ((err as NatsError).api_error?.err_code !== STREAM_IN_USE) throw err;
      await jsm.streams.update(config.name!, config);
    }
  }
}
