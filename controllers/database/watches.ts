import type { DatabaseSpec, Resource } from "../../resources/index.ts";
import { EventSource, mappingSource, objectKey, type Enqueue, type Informer, type Key, type Logger, type Source } from "../runtime/index.ts";
import { DockerEventStream, LABELS, instanceFilter, kindFilter, listContainers, parseOwner, type DockerClient, type DockerEvent } from "../docker/index.ts";
import { DRIFT_ACTIONS } from "../app/watches.ts";
import { credentialsSecretName } from "./credentials.ts";

/** secretsOf are the Secrets a Database reads: its `secretRef`, else its generated `<name>-credentials`. */
export function secretsOf(db: Resource): string[] {
  const spec = db.spec as DatabaseSpec;
  return [spec.credentials?.secretRef?.name ?? credentialsSecretName(db.metadata.name)];
}

/** credentialSecretSource re-enqueues the Databases whose credentials Secret changed (edited, or deleted by hand). */
export function credentialSecretSource(secrets: Informer, databases: Informer): Source {
  return mappingSource(secrets, (secret: Resource) => databases
    .list()
    .filter((db) => db.metadata.namespace === secret.metadata.namespace && secretsOf(db).includes(secret.metadata.name))
    .map(objectKey), "Secret → Database");
}

/** databaseEventKeys maps a Docker event about a Database's container to the Database's key. */
export function databaseEventKeys(event: DockerEvent): Key[] {
  if (event.type !== "container" || !DRIFT_ACTIONS.has(event.action)) return [];
  const owner = parseOwner(event.labels[LABELS.owner]);
  return owner && owner.kind === "Database" ? [`Database/${owner.namespace}/${owner.name}`] : [];
}

/**
 * databaseDockerSource follows the Engine's events for Database containers (killed, stopped, removed, edited)
 * and enqueues their owner; after a break in the stream it enqueues every Database and every owner found on a
 * container, since events may have been missed.
 */
export function databaseDockerSource(docker: DockerClient, databases: Informer, instance: string, logger: Logger): Source {
  const events = new EventSource<DockerEvent>("docker events (databases)", databaseEventKeys);
  let enqueueAll: Enqueue | undefined;
  const stream = new DockerEventStream(docker, {
    filters: { type: ["container"], label: [kindFilter("Database")] },
    onEvent: (event) => events.emit(event),
    onReconnect: () => {
      if (!enqueueAll) return;
      for (const db of databases.list()) enqueueAll(objectKey(db));
      void scanDatabaseOwners(docker, instance, enqueueAll, logger);
    },
    logger,
  });
  return {
    name: "docker events (databases)",
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
 * databaseOwnerScanSource enqueues, at start and every `periodMs`, the owner of every Database container this
 * berthd made: one whose Database is gone (deleted while berthd was down) is an orphan, removed by the
 * reconcile of that missing Database.
 */
export function databaseOwnerScanSource(docker: DockerClient, instance: string, periodMs: number, logger: Logger): Source {
  let timer: NodeJS.Timeout | undefined;
  return {
    name: "docker owner scan (databases)",
    start(enqueue) {
      const tick = () => {
        void scanDatabaseOwners(docker, instance, enqueue, logger);
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

async function scanDatabaseOwners(docker: DockerClient, instance: string, enqueue: Enqueue, logger: Logger): Promise<void> {
  try {
    const containers = await listContainers(docker, [kindFilter("Database"), instanceFilter(instance)], AbortSignal.timeout(15_000), false);
    const owners = new Set(containers.map((c) => parseOwner(c.labels[LABELS.owner])).filter((o) => o?.kind === "Database").map((o) => `Database/${o!.namespace}/${o!.name}`));
    for (const key of owners) enqueue(key);
  } catch (err) {
    logger.warn({ err }, "could not list Database containers for the owner scan");
  }
}
