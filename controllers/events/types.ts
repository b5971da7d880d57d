import type { Resource } from "../../resources/index.ts";

/** EventType is Normal for progress and Warning for trouble, as in Kubernetes. */
export type EventType = "Normal" | "Warning";

/**
 * KubeEvent is a Kubernetes-style (core/v1) Event about one object. Repeats of the same
 * (object, type, reason, message) are folded into one event with a growing `count`.
 */
export interface KubeEvent {
  apiVersion: "v1";
  kind: "Event";
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; creationTimestamp: string };
  involvedObject: { apiVersion: string; kind: string; name: string; namespace: string; uid?: string; resourceVersion?: string };
  type: EventType;
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: { component: string };
}

/** EventRecorder records events about objects; it never throws and never blocks the caller (events are hints). */
export interface EventRecorder {
  record(object: Resource, type: EventType, reason: string, message: string): void;
}

/** EventFilter narrows events: by namespace and by Kubernetes field selector (`involvedObject.name=web,involvedObject.kind=App`). */
export interface EventFilter {
  namespace?: string;
  fieldSelector?: string;
}

/** EventLog serves recorded events to the API: a list of recent events and a live stream. */
export interface EventLog {
  list(filter: EventFilter): Promise<KubeEvent[]>;
  /** watch delivers events recorded from now on (after `list`'s content), until closed. */
  watch(filter: EventFilter, onEvent: (event: KubeEvent) => void): { close(): void };
}
