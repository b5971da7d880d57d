import type { BackupSpec } from "../../../resources/index.ts";
import { secretValue } from "../../../resources/secret.ts";
import type { ResourceStore } from "../../../store/index.ts";
import { encryptionKey } from "../encryption.ts";
import { StepError } from "../step-error.ts";
import { LocalTarget } from "./local.ts";
import { S3Target } from "./s3.ts";
import type { SnapshotTarget } from "./target.ts";

async function readSecret(store: ResourceStore, namespace: string, name: string): Promise<{ data?: unknown } | undefined> {
  return (await store.get({ kind: "Secret", namespace, name }).catch(() => undefined)) as { data?: unknown } | undefined;
}

/**
 * buildTargets turns a Backup's `target` into its targets, local first (reads and restores prefer it); the S3
 * access key is read from the Secret `secretRef` names (keys `accessKeyId`, `secretAccessKey`).
 */
export async function buildTargets(store: ResourceStore, namespace: string, backup: string, spec: BackupSpec): Promise<SnapshotTarget[]> {
  const targets: SnapshotTarget[] = [];
  if (spec.target.local) targets.push(new LocalTarget(spec.target.local.path, namespace, backup));
  const s3 = spec.target.s3;
  if (s3) {
    const secret = await readSecret(store, namespace, s3.secretRef.name);
    if (!secret) throw new StepError("upload", `Secret "${s3.secretRef.name}" (spec.target.s3.secretRef) not found`);
    const accessKeyId = secretValue(secret, "accessKeyId");
    const secretAccessKey = secretValue(secret, "secretAccessKey");
    if (!accessKeyId || !secretAccessKey) throw new StepError("upload", `Secret "${s3.secretRef.name}" (spec.target.s3.secretRef) needs keys accessKeyId and secretAccessKey`);
    targets.push(new S3Target({
      bucket: s3.bucket, prefix: s3.prefix, region: s3.region, forcePathStyle: s3.forcePathStyle, accessKeyId, secretAccessKey,
      ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    }, namespace, backup));
  }
  return targets;
}

/** encryptionKeyOf reads the key of `spec.encryption` (the Secret's `key`), or undefined without encryption. */
export async function encryptionKeyOf(store: ResourceStore, namespace: string, spec: BackupSpec): Promise<Buffer | undefined> {
  if (!spec.encryption) return undefined;
  const name = spec.encryption.secretRef.name;
  const secret = await readSecret(store, namespace, name);
  const value = secret ? secretValue(secret, "key") : undefined;
  if (!value) throw new StepError("credentials", `Secret "${name}" (spec.encryption.secretRef) with a \`key\` not found`);
  return encryptionKey(value);
}
