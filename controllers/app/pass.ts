import type { AppSpec, Resource } from "../../resources/index.ts";
import type { ReconcileContext } from "../runtime/index.ts";
import type { EventType } from "../events/types.ts";
import type { ObservedContainer, OwnerRef } from "../docker/index.ts";
import type { EnvVar } from "./desired.ts";
import type { RevisionTemplate } from "../../resources/app-history.ts";
import type { ProbeSpec } from "./health.ts";
import type { Problem } from "./app-status.ts";
import { historyOf, type HistoryEntry } from "../../resources/app-history.ts";

/** Target is the revision a reconcile converges to. */
export interface Target {
  revision: number;
  hash: string;
  template: RevisionTemplate;
  /** env is the resolved environment; absent when it could not be resolved (then no replica can be made). */
  env?: EnvVar[];
  image: string;
  imageId?: string;
  probe: ProbeSpec;
  /** canCreate: new replicas of this revision can be started (env resolved, image present). */
  canCreate: boolean;
}

/** PassEvent is an event to record once the pass knows the object's latest state. */
export interface PassEvent {
  type: EventType;
  reason: string;
  message: string;
}

/**
 * Pass is one reconcile of one App: what it read, observed and decided, gathered so the status can be
 * written once at the end, whatever step stopped early.
 */
export class Pass {
  readonly app: Resource;
  readonly spec: AppSpec;
  readonly ref: OwnerRef;
  readonly key: string;
  readonly ctx: ReconcileContext;
  readonly history: HistoryEntry[];
  containers: ObservedContainer[] = [];
  target: Target | undefined;
  blocked: Problem | undefined;
  /** volumeNames maps each template volume to the Docker volume it mounts, once resolveVolumes ran. */
  volumeNames: Map<string, string> | undefined;
  crash: Problem | undefined;
  requeueAfterMs: number | undefined;
  readonly events: PassEvent[] = [];

  constructor(app: Resource, ctx: ReconcileContext) {
    this.app = app;
    this.spec = app.spec as AppSpec;
    this.ref = { kind: "App", namespace: app.metadata.namespace, name: app.metadata.name };
    this.key = `App/${app.metadata.namespace}/${app.metadata.name}`;
    this.ctx = ctx;
    this.history = historyOf(app.status);
  }

  get signal(): AbortSignal {
    return this.ctx.signal;
  }

  /** nowMs is the reconcile clock's time. */
  nowMs(): number {
    return this.ctx.now().getTime();
  }

  /** requeue asks for another pass within `ms` (the earliest request wins). */
  requeue(ms: number): void {
    const bounded = Math.max(50, Math.round(ms));
    this.requeueAfterMs = this.requeueAfterMs === undefined ? bounded : Math.min(this.requeueAfterMs, bounded);
  }

  /** event queues an event about the App. */
  event(type: EventType, reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }
}
