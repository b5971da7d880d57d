import type { DatabaseSpec, Resource } from "../../resources/index.ts";
import { secretValue } from "../../resources/secret.ts";
import type { ResourceStore } from "../../store/index.ts";
import { assertOwnedBy, inspectContainer, objectName, type DockerClient } from "../docker/index.ts";
import type { Credentials, Engine } from "./engines.ts";
import { StepError } from "./step-error.ts";

/** DatabaseHandle is a running Database as a run needs it: its engine, its container and its credentials. */
export interface DatabaseHandle {
  namespace: string;
  name: string;
  engine: Engine;
  container: string;
  credentials: Credentials;
}

/** credentialsSecretName is the Secret a Database's credentials are in: `status.secretName`, else `<name>-credentials`. */
export function credentialsSecretName(db: Resource): string {
  return (db.status?.secretName as string | undefined) ?? (db.spec as DatabaseSpec).credentials?.secretRef?.name ?? `${db.metadata.name}-credentials`;
}

/**
 * resolveDatabase finds the Database, its container (by name, proved by its owner label) and its credentials
 * Secret. A Database that is missing, not running or without credentials fails at step `database` or
 * `credentials`, naming what is missing.
 */
export async function resolveDatabase(store: ResourceStore, docker: DockerClient, namespace: string, name: string, signal: AbortSignal): Promise<DatabaseHandle> {
  const db = await store.get({ kind: "Database", namespace, name }).catch(() => undefined);
  if (!db) throw new StepError("database", `Database "${name}" not found in namespace "${namespace}"`);
  const spec = db.spec as DatabaseSpec;
  const owner = { kind: "Database", namespace, name };
  const containerName = objectName(owner);
  const container = await inspectContainer(docker, containerName, signal);
  if (!container) throw new StepError("database", `Database "${name}" has no container (${containerName}) yet`);
  assertOwnedBy("container", containerName, container.Config.Labels, owner);
  if (!container.State.Running) throw new StepError("database", `the container of Database "${name}" is not running (${container.State.Status})`);
  const secretName = credentialsSecretName(db);
  const secret = (await store.get({ kind: "Secret", namespace, name: secretName }).catch(() => undefined)) as { data?: unknown } | undefined;
  if (!secret) throw new StepError("credentials", `Secret "${secretName}" with the credentials of Database "${name}" not found`);
  const rootPassword = secretValue(secret, "root-password");
  const credentials: Credentials = {
    user: secretValue(secret, "user") ?? spec.user ?? name,
    password: secretValue(secret, "password") ?? "",
    database: secretValue(secret, "database") ?? spec.database ?? name,
    ...(rootPassword ? { rootPassword } : {}),
  };
  return { namespace, name, engine: spec.engine, container: container.Id, credentials };
}
