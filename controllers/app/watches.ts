import type { AppSpec, Resource } from "../../resources/index.ts";
import { EventSource, mappingSource, objectKey, type Enqueue, type Informer, type Key, type Logger, type Source } from "../runtime/index.ts";
import { DockerEventStream, LABELS, instanceFilter, kindFilter, listContainers, parseOwner, type DockerClient, type DockerEvent } from "../docker/index.ts";
import { referencedDatabases, referencedSecrets } from "./env.ts";

/** DRIFT_ACTIONS are the container events that may mean an App's replicas drifted from what was made. */
export const DRIFT_ACTIONS = new Set(["start", "die", "destroy", "stop", "kill", "oom", "pause", "unpause", "rename", "update"]);

/** referencingApps maps a Secret or Database change to the Apps (cached in `apps`) that read it. */
export function referencingSource(informer: Informer, apps: Informer, refs: (spec: AppSpec) => string[]): Source {
  return mappingSource(informer, (obj: Resource) => {
    const name = obj.metadata.name;
    return apps
      .list()
      .filter((app) => app.metadata.namespace === obj.metadata.namespace && refs(app.spec as AppSpec).includes(name))
      .map(objectKey);
  }, `${informer.kind} → App`);
}

/** secretSource and databaseSource re-enqueue the Apps that read a changed Secret or Database. */
export const secretSource = (secrets: Informer, apps: Informer) => referencingSource(secrets, apps, referencedSecrets);
export const databaseSource = (databases: Informer, apps: Informer) => referencingSource(databases, apps, referencedDatabases);

/**
 * databaseSecretSource re-enqueues the Apps that read a Database whose credentials Secret changed: the
 * Database object itself may not change when its Secret does, yet the Apps' URLs and passwords must roll.
 */
export function databaseSecretSource(secrets: Informer, databases: Informer, apps: Informer): Source {
  return mappingSource(secrets, (secret: Resource) => {
    const ns = secret.metadata.namespace;
    const readers = new Set(databases.list().filter((db) => db.metadata.namespace === ns && db.status?.secretName === secret.metadata.name).map((db) => db.metadata.name));
    if (readers.size === 0) return [];
    return apps
      .list()
      .filter((app) => app.metadata.namespace === ns && referencedDatabases(app.spec as AppSpec).some((name) => readers.has(name)))
      .map(objectKey);
  }, "Secret → Database → App");
}

/** dockerEventKeys maps a Docker event about an App's container to the App's key. */
export function dockerEventKeys(event: DockerEvent): Key[] {
  if (event.type !== "container" || !DRIFT_ACTIONS.has(event.action)) return [];
  const owner = parseOwner(event.labels[LABELS.owner]);
  return owner && owner.kind === "App" ? [`App/${owner.namespace}/${owner.name}`] : [];
}

/**
 * dockerSource follows the Engine's events for containers labelled as an App's and enqueues their owner.
 * After a break in the stream it enqueues every App and every owner found on a container, since events may
 * have been missed (dockerd restarted).
 */
export function dockerSource(docker: DockerClient, apps: Informer, instance: string, logger: Logger): Source {
  const events = new EventSource<DockerEvent>("docker events", dockerEventKeys);
  let enqueueAll: Enqueue | undefined;
  const stream = new DockerEventStream(docker, {
    filters: { type: ["container"], label: [kindFilter("App")] },
    onEvent: (event) => events.emit(event),
    onReconnect: () => {
      if (!enqueueAll) return;
      for (const app of apps.list()) enqueueAll(objectKey(app));
      void scanOwners(docker, instance, enqueueAll, logger);
    },
    logger,
    // Reconnecting to a local Engine costs next to nothing; a short cap brings the Apps back within seconds of a
    // dockerd restart instead of up to half a minute later (the stream's default cap).
    maxRetryMs: 5_000,
  });
  return {
    name: "docker events",
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
 * ownerScanSource lists every container labelled as an App's, at start and every `periodMs`, and enqueues
 * their owners: a container whose App is gone (deleted while berthd was down, or made by hand) is an orphan
 * that the reconcile of that missing App removes.
 */
export function ownerScanSource(docker: DockerClient, instance: string, periodMs: number, logger: Logger): Source {
  let timer: NodeJS.Timeout | undefined;
  return {
    name: "docker owner scan",
    start(enqueue) {
      const tick = () => {
        void scanOwners(docker, instance, enqueue, logger);
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

async function scanOwners(docker: DockerClient, instance: string, enqueue: Enqueue, logger: Logger): Promise<void> {
  try {
    const containers = await listContainers(docker, [kindFilter("App"), instanceFilter(instance)], AbortSignal.timeout(15_000), false);
    const owners = new Set(containers.map((c) => parseOwner(c.labels[LABELS.owner])).filter((o) => o?.kind === "App").map((o) => `App/${o!.namespace}/${o!.name}`));
    for (const key of owners) enqueue(key);
  } catch (err) {
    logger.warn({ err }, "could not list App containers for the owner scan");
  }
}

/** healthSource turns the health monitor's flips into App keys. */
export function healthSource(): EventSource<string> {
  return new EventSource<string>("replica health", (owner) => [owner]);
}

/** buildSource enqueues a Build's App when the Build changes: a Succeeded build is a new image to roll out. */
export function buildSource(builds: Informer): Source {
  return mappingSource(builds, (obj, event) => (obj.status?.phase !== event.previous?.status?.phase ? [`App/${obj.metadata.namespace}/${(obj.spec as { appRef: { name: string } }).appRef.name}`] : []), "Build → App");
}
