/** CHANGES_STREAM is the JetStream stream that keeps store changes (`berth.changes.<namespace>.<kind>.<name>`). */
export const CHANGES_STREAM = "BERTH_CHANGES";
/** EVENTS_STREAM is the JetStream stream that keeps events (`berth.events.<namespace>.<kind>.<name>`). */
export const EVENTS_STREAM = "BERTH_EVENTS";
/** CHANGES_PREFIX and EVENTS_PREFIX begin every subject of the two streams. */
export const CHANGES_PREFIX = "berth.changes";
export const EVENTS_PREFIX = "berth.events";

/**
 * subjectToken makes a value safe as one subject token: NATS splits subjects on `.`, and gives `*`, `>` and
 * whitespace meaning. Names and namespaces are DNS labels and pass unchanged; anything else is escaped.
 */
export function subjectToken(value: string): string {
  if (value === "") return "_";
  return value.replace(/[.*>\s\x00-\x1f\x7f]/g, "_");
}

/** changeSubject is the subject a change of one object is published on. */
export function changeSubject(namespace: string, kind: string, name: string): string {
  return `${CHANGES_PREFIX}.${subjectToken(namespace)}.${subjectToken(kind)}.${subjectToken(name)}`;
}

/** eventSubject is the subject an event about one object is published on. */
export function eventSubject(namespace: string, kind: string, name: string): string {
  return `${EVENTS_PREFIX}.${subjectToken(namespace)}.${subjectToken(kind)}.${subjectToken(name)}`;
}

/** eventsFilter is the subject filter for the events of one namespace, or of all when none is given. */
export function eventsFilter(namespace?: string): string {
  return namespace ? `${EVENTS_PREFIX}.${subjectToken(namespace)}.>` : `${EVENTS_PREFIX}.>`;
}
