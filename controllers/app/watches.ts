import type { AppSpec, Resource } from "../../resources/index.ts";
import { EventSource, mappingSource, objectKey, type Informer, type Source } from "../runtime/index.ts";
import { referencedDatabases, referencedSecrets } from "./env.ts";


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

/** healthSource turns the health monitor's flips into App keys. */
export function healthSource(): EventSource<string> {
  return new EventSource<string>("replica health", (owner) => [owner]);
}

/** buildSource enqueues a Build's App when the Build changes: a Succeeded build is a new image to roll out. */
export function buildSource(builds: Informer): Source {
  return mappingSource(builds, (obj, event) => (obj.status?.phase !== event.previous?.status?.phase ? [`App/${obj.metadata.namespace}/${(obj.spec as { appRef: { name: string } }).appRef.name}`] : []), "Build → App");
}
