/** EventBusUnavailableError means NATS could not be reached, or did not answer in time (the API answers 503). */
export class EventBusUnavailableError extends Error {
  override name = "EventBusUnavailableError";
}

/** NatsServerError means the embedded nats-server could not be started or did not become ready. */
export class NatsServerError extends Error {
  override name = "NatsServerError";
}
