import type { Resource } from "../../resources/index.ts";
import type { StoreEvent } from "../../store/index.ts";
import type { KubeEvent } from "./types.ts";
import { changeSubject, eventSubject } from "./subjects.ts";

/** LAST_APPLIED is where kubectl keeps the whole applied manifest, Secret values included. */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** ChangeMessage is the payload of a `berth.changes.*` message. */
export interface ChangeMessage {
  type: StoreEvent["type"];
  revision: number;
  object: Resource;
  /** truncated is set when the object was too large for one message: only its identity is sent. */
  truncated?: true;
}

/** Outgoing is one message ready to publish: its subject and encoded payload. */
export interface Outgoing {
  subject: string;
  data: Uint8Array;
}

/**
 * redactForBus returns the object as it may travel on the bus: a Secret loses its values (`data`,
 * `stringData`) and kubectl's last-applied annotation, which holds them too. Other kinds pass unchanged.
 */
export function redactForBus(object: Resource): Resource {
  if (object.kind !== "Secret") return object;
  const { data: _data, stringData: _stringData, ...rest } = object;
  const redacted = structuredClone(rest) as Resource;
  const annotations = redacted.metadata.annotations;
  if (annotations && LAST_APPLIED in annotations) {
    delete annotations[LAST_APPLIED];
    if (Object.keys(annotations).length === 0) delete redacted.metadata.annotations;
  }
  return redacted;
}

/** identityOf keeps only what names an object, for a change too large to send whole. */
function identityOf(object: Resource): Resource {
  const { name, namespace, uid, resourceVersion, generation } = object.metadata;
  return { apiVersion: object.apiVersion, kind: object.kind, metadata: { name, namespace, uid, resourceVersion, generation } };
}

/** encodeChange builds the message for one store change; a payload over `maxBytes` carries the object's identity only. */
export function encodeChange(event: StoreEvent, maxBytes: number): Outgoing {
  const { object } = event;
  const subject = changeSubject(object.metadata.namespace, object.kind, object.metadata.name);
  const message: ChangeMessage = { type: event.type, revision: event.revision, object: redactForBus(object) };
  let data = Buffer.from(JSON.stringify(message));
  if (data.length > maxBytes) {
    data = Buffer.from(JSON.stringify({ type: event.type, revision: event.revision, object: identityOf(object), truncated: true } satisfies ChangeMessage));
  }
  return { subject, data };
}

/** encodeEvent builds the message for one event, on the subject of the object it is about. */
export function encodeEvent(event: KubeEvent): Outgoing {
  const about = event.involvedObject;
  return { subject: eventSubject(about.namespace || event.metadata.namespace, about.kind, about.name), data: Buffer.from(JSON.stringify(event)) };
}
