import { randomBytes } from "node:crypto";
import { admit, NotFoundError, secretValue, type DatabaseSpec, type Resource } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import { retryOnConflict } from "../runtime/index.ts";
import { ENGINES, type Credentials } from "./engines.ts";

/** CREDENTIALS_LABEL marks a Secret Berth generated for a Database (value: the Database's name). */
export const CREDENTIALS_LABEL = "berth.dev/database-credentials";

/** credentialsSecretName is the Secret generated for a Database without `spec.credentials.secretRef`. */
export function credentialsSecretName(database: string): string {
  return `${database}-credentials`;
}

/** CredentialsProblem is why the credentials cannot be had yet: a condition reason and message. */
export class CredentialsProblem extends Error {
  override name = "CredentialsProblem";
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** generatePassword is 32 random bytes, base64url: no character any driver or URL needs escaped. */
export function generatePassword(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * ensureCredentials returns a Database's credentials and the Secret holding them. With
 * `spec.credentials.secretRef` that Secret is read (keys `user` and `password`; `root-password` for engines
 * with a root, generated into it if missing would change a user's Secret, so it is required). Otherwise
 * `<name>-credentials` is made with generated passwords, owned by the Database (garbage-collected with it).
 * A Secret of that name left by an earlier Database of the same name (kept with its volume, see
 * `releaseCredentials`) is adopted: its passwords are the ones the kept data was initialised with.
 */
export async function ensureCredentials(store: ResourceStore, db: Resource): Promise<{ credentials: Credentials; secretName: string }> {
  const spec = db.spec as DatabaseSpec;
  const profile = ENGINES[spec.engine];
  const name = db.metadata.name;
  const namespace = db.metadata.namespace!;
  const database = spec.database ?? name;
  const ref = spec.credentials?.secretRef?.name;
  if (ref) {
    const secret = await getSecret(store, namespace, ref);
    if (!secret) throw new CredentialsProblem("SecretNotFound", `Secret ${ref} (spec.credentials.secretRef) does not exist`);
    const user = secretValue(secret as { data?: unknown }, "user") ?? spec.user ?? profile.defaultUser ?? name;
    const password = secretValue(secret as { data?: unknown }, "password");
    const rootPassword = secretValue(secret as { data?: unknown }, "root-password");
    if (!password) throw new CredentialsProblem("SecretInvalid", `Secret ${ref} (spec.credentials.secretRef) has no key "password"`);
    if (profile.hasRoot && !rootPassword) throw new CredentialsProblem("SecretInvalid", `Secret ${ref} (spec.credentials.secretRef) has no key "root-password", which ${spec.engine} needs`);
    return { credentials: { user, password, database, ...(profile.hasRoot ? { rootPassword: rootPassword! } : {}) }, secretName: ref };
  }
  const secretName = credentialsSecretName(name);
  const ownerReferences = [{ apiVersion: "berth.dev/v1", kind: "Database", name, uid: db.metadata.uid!, controller: true, blockOwnerDeletion: true }];
  return retryOnConflict(async () => {
    const existing = await getSecret(store, namespace, secretName);
    if (existing) {
      const ours = existing.metadata.labels?.[CREDENTIALS_LABEL] === name;
      const owners = existing.metadata.ownerReferences ?? [];
      const ownedByThis = owners.some((o) => o.uid === db.metadata.uid);
      if (!ours || (!ownedByThis && owners.some((o) => o.controller))) throw new CredentialsProblem("NameConflict", `Secret ${secretName} exists and was not made for this Database; set spec.credentials.secretRef or remove it`);
      const credentials = readGenerated(existing, profile.hasRoot, database, spec.user ?? profile.defaultUser ?? name);
      const complete = credentials.password && (!profile.hasRoot || credentials.rootPassword);
      if (ownedByThis && complete) return { credentials, secretName };
      // Adopt a kept Secret, or fill in a key it lacks.
      const data = { ...(existing.data as Record<string, string> | undefined), ...encode(withGenerated(credentials, profile.hasRoot)) };
      const updated = await store.update({ ...existing, metadata: { ...existing.metadata, ownerReferences }, data } as Resource);
      return { credentials: readGenerated(updated, profile.hasRoot, database, credentials.user), secretName };
    }
    const credentials = withGenerated({ user: spec.user ?? profile.defaultUser ?? name, password: "", database }, profile.hasRoot);
    const labels = { [CREDENTIALS_LABEL]: name, "berth.dev/managed-by": "database-controller" };
    await store.create(admit({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: secretName, namespace, labels, ownerReferences }, type: "Opaque", data: encode(credentials) }));
    return { credentials, secretName };
  });
}

/**
 * releaseCredentials drops the Database's ownerReference from its generated Secret when the Database is deleted
 * with `deletionPolicy: Retain`: the kept volume only opens with those passwords, so they are kept with it, and
 * a Database made again with the same name adopts them.
 */
export async function releaseCredentials(store: ResourceStore, db: Resource): Promise<void> {
  const spec = db.spec as DatabaseSpec;
  if (spec.credentials?.secretRef) return;
  await retryOnConflict(async () => {
    const secret = await getSecret(store, db.metadata.namespace!, credentialsSecretName(db.metadata.name));
    if (!secret || secret.metadata.labels?.[CREDENTIALS_LABEL] !== db.metadata.name) return;
    const owners = secret.metadata.ownerReferences ?? [];
    if (!owners.some((o) => o.uid === db.metadata.uid)) return;
    const kept = owners.filter((o) => o.uid !== db.metadata.uid);
    const { ownerReferences: _dropped, ...metadata } = secret.metadata;
    await store.update({ ...secret, metadata: kept.length > 0 ? { ...metadata, ownerReferences: kept } : metadata });
  });
}

function withGenerated(c: Credentials, hasRoot: boolean): Credentials {
  return { ...c, password: c.password || generatePassword(), ...(hasRoot ? { rootPassword: c.rootPassword || generatePassword() } : {}) };
}

function readGenerated(secret: Resource, hasRoot: boolean, database: string, fallbackUser: string): Credentials {
  const rootPassword = secretValue(secret as { data?: unknown }, "root-password");
  return {
    user: secretValue(secret as { data?: unknown }, "user") ?? fallbackUser,
    password: secretValue(secret as { data?: unknown }, "password") ?? "",
    database: secretValue(secret as { data?: unknown }, "database") ?? database,
    ...(hasRoot && rootPassword ? { rootPassword } : {}),
  };
}

function encode(c: Credentials): Record<string, string> {
  const b64 = (v: string) => Buffer.from(v, "utf8").toString("base64");
  return { user: b64(c.user), password: b64(c.password), database: b64(c.database), ...(c.rootPassword ? { "root-password": b64(c.rootPassword) } : {}) };
}

async function getSecret(store: ResourceStore, namespace: string, name: string): Promise<Resource | undefined> {
  try {
    return await store.get({ kind: "Secret", namespace, name });
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
