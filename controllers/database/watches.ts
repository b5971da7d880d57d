import type { DatabaseSpec, Resource } from "../../resources/index.ts";
import { mappingSource, objectKey, type Informer, type Source } from "../runtime/index.ts";
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
