/** events is Berth's NATS event bus: the embedded nats-server, publishing changes and events, the recorder and the log. */
export type { KubeEvent, EventType, EventRecorder, EventFilter, EventLog } from "./types.ts";
export { startEmbeddedNats, type EmbeddedNats, type EmbeddedNatsOptions } from "./nats-server.ts";
export { connectOptionsFor, loadNatsClientAuth, parseNatsCredentials, redactUrl, type NatsClientAuth } from "./nats-client-auth.ts";
export { ensureEmbeddedCredentials, EMBEDDED_USER, type EmbeddedCredentials } from "./nats-credentials.ts";
export { connectBus, type EventBus, type BusOptions, type BusStats } from "./bus.ts";
export { publishStoreChanges } from "./store-publisher.ts";
export { BusEventRecorder, type EventSink, type RecorderOptions, type RecorderStats } from "./recorder.ts";
export { JetStreamEventLog, type EventLogOptions } from "./event-log.ts";
export { compileEventSelector, EVENT_FIELDS, type EventMatcher } from "./event-selector.ts";
export { redactForBus, type ChangeMessage } from "./payloads.ts";
export { CHANGES_STREAM, EVENTS_STREAM, changeSubject, eventSubject, eventsFilter, subjectToken } from "./subjects.ts";
export { DEFAULT_STREAM_LIMITS, type StreamLimits } from "./streams.ts";
export { EventBusUnavailableError, NatsServerError } from "./errors.ts";
