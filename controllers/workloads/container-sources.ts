import type { Logger } from "../../lib/logger.ts";
import { EventSource, objectKey, type Enqueue, type Informer, type Key, type Source } from "../runtime/index.ts";
import { DockerEventStream, LABELS, instanceFilter, kindFilter, listContainers, parseOwner, type DockerClient, type DockerEvent } from "../docker/index.ts";

/**
 * Sources shared by the controllers whose objects run as containers (Apps, Databases): Docker's events and a
 * periodic scan of labelled containers, each mapped back to the owning object's key. Nothing here knows what
 * the containers are for; the kind label says whose they are.
 */

/** DRIFT_ACTIONS are the container events that may mean a workload's containers drifted from what was made. */
export const DRIFT_ACTIONS = new Set(["start", "die", "destroy", "stop", "kill", "oom", "pause", "unpause", "rename", "update"]);

/** containerEventKeys maps a Docker event about a container owned by an object of `kind` to that object's key. */
export function containerEventKeys(kind: string, event: DockerEvent): Key[] {
  if (event.type !== "container" || !DRIFT_ACTIONS.has(event.action)) return [];
  const owner = parseOwner(event.labels[LABELS.owner]);
  return owner && owner.kind === kind ? [`${kind}/${owner.namespace}/${owner.name}`] : [];
}

/** ContainerEventOptions tune containerEventSource. */
export interface ContainerEventOptions {
  /** maxRetryMs caps the reconnect backoff of the event stream (the stream's own default when absent). */
  maxRetryMs?: number;
}

/**
 * containerEventSource follows the Engine's events for containers labelled as owned by `kind` and enqueues
 * their owner. After a break in the stream it enqueues every object of the informer and every owner found on a
 * container, since events may have been missed (dockerd restarted).
 */
export function containerEventSource(docker: DockerClient, kind: string, informer: Informer, instance: string, logger: Logger, options: ContainerEventOptions = {}): Source {
  const name = kind === "App" ? "docker events" : `docker events (${kind})`;
  const events = new EventSource<DockerEvent>(name, (event) => containerEventKeys(kind, event));
  let enqueueAll: Enqueue | undefined;
  const stream = new DockerEventStream(docker, {
    filters: { type: ["container"], label: [kindFilter(kind)] },
    onEvent: (event) => events.emit(event),
    onReconnect: () => {
      if (!enqueueAll) return;
      for (const obj of informer.list()) enqueueAll(objectKey(obj));
      void scanOwners(docker, kind, instance, enqueueAll, logger);
    },
    logger,
    ...(options.maxRetryMs !== undefined ? { maxRetryMs: options.maxRetryMs } : {}),
  });
  return {
    name,
    start(enqueue) {
      enqueueAll = enqueue;
      events.start(enqueue);
      stream.start();
    },
    stop() {
      stream.stop();
      events.stop();
      enqueueAll = undefined;
    },
  };
}

/**
 * ownerScanSource lists every container labelled as owned by `kind` that this berthd made, at start and every
 * `periodMs`, and enqueues their owners: a container whose object is gone (deleted while berthd was down, or
 * labelled by hand) is an orphan that the reconcile of that missing object removes.
 */
export function ownerScanSource(docker: DockerClient, kind: string, instance: string, periodMs: number, logger: Logger): Source {
  let timer: NodeJS.Timeout | undefined;
  return {
    name: kind === "App" ? "docker owner scan" : `docker owner scan (${kind})`,
    start(enqueue) {
      const tick = () => {
        void scanOwners(docker, kind, instance, enqueue, logger);
        timer = setTimeout(tick, periodMs * (1 + Math.random() * 0.1));
        timer.unref();
      };
      tick();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

async function scanOwners(docker: DockerClient, kind: string, instance: string, enqueue: Enqueue, logger: Logger): Promise<void> {
  try {
    const containers = await listContainers(docker, [kindFilter(kind), instanceFilter(instance)], AbortSignal.timeout(15_000), false);
    const owners = new Set(containers.map((c) => parseOwner(c.labels[LABELS.owner])).filter((o) => o?.kind === kind).map((o) => `${kind}/${o!.namespace}/${o!.name}`));
    for (const key of owners) enqueue(key);
  } catch (err) {
    logger.warn({ err }, `could not list ${kind} containers for the owner scan`);
  }
}
