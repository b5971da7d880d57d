import { NotFoundError, secretValue, type AppSpec } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import type { DatabaseResolver } from "./database-resolver.ts";
import type { EnvVar } from "./desired.ts";

/** EnvResolution is an App's resolved environment, or the first reference that cannot be resolved yet. */
export type EnvResolution = { ready: true; env: EnvVar[] } | { ready: false; reason: string; message: string };

/**
 * resolveEnv reads every env var of an App: literal values, Secret keys (`secretKeyRef`) and Database facts
 * (`databaseRef`). Messages name the variable and the reference, never a value.
 */
export async function resolveEnv(store: ResourceStore, databases: DatabaseResolver, namespace: string, env: AppSpec["env"], signal?: AbortSignal): Promise<EnvResolution> {
  const resolved: EnvVar[] = [];
  for (const variable of env) {
    const secretRef = variable.valueFrom?.secretKeyRef;
    const databaseRef = variable.valueFrom?.databaseRef;
    if (secretRef) {
      const value = await readSecretKey(store, namespace, secretRef.name, secretRef.key);
      if (value === undefined) return { ready: false, reason: "SecretNotFound", message: `env ${variable.name}: Secret ${secretRef.name} has no key ${secretRef.key}` };
      resolved.push({ name: variable.name, value });
    } else if (databaseRef) {
      const fact = await databases.resolve(namespace, databaseRef, signal);
      if (!fact.ready) return { ready: false, reason: fact.reason, message: `env ${variable.name}: ${fact.message}` };
      resolved.push({ name: variable.name, value: fact.value });
    } else {
      resolved.push({ name: variable.name, value: variable.value ?? "" });
    }
  }
  return { ready: true, env: resolved };
}

/** readSecretKey returns one decoded key of a Secret, or undefined when the Secret or the key is missing. */
export async function readSecretKey(store: ResourceStore, namespace: string, name: string, key: string): Promise<string | undefined> {
  try {
    const secret = await store.get({ kind: "Secret", namespace, name });
    return secretValue(secret as { data?: unknown }, key);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/** referencedSecrets names the Secrets an App reads (env and image pull credentials), for the Secret → App watch. */
export function referencedSecrets(spec: AppSpec): string[] {
  const names = spec.env.flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : []));
  if (spec.imagePullSecretRef) names.push(spec.imagePullSecretRef.name);
  return [...new Set(names)];
}

/** referencedDatabases names the Databases an App reads, for the Database → App watch. */
export function referencedDatabases(spec: AppSpec): string[] {
  return [...new Set(spec.env.flatMap((e) => (e.valueFrom?.databaseRef ? [e.valueFrom.databaseRef.name] : [])))];
}
