import type Docker from "dockerode";
import type { DatabaseSpec } from "../../resources/index.ts";
import { DockerError, NameConflictError, isNotFound, legacyObjectName, ownedBy, ownerLabels, statusCodeOf, withTimeout, type DockerClient, type OwnerRef } from "../docker/index.ts";
import { DATABASE_LABELS, defaultVolumeName } from "./desired.ts";
import type { EngineProfile } from "./engines.ts";

/** DataVolume is the volume a Database's data lives on, and the engine major it was initialised with (when known). */
export interface DataVolume {
  name: string;
  /** major is read from the volume's label; undefined for a volume Berth did not make or made before it recorded it. */
  major: number | undefined;
}

/**
 * ensureDataVolume finds or makes the Database's data volume. `spec.storage.volume` is used as is, whoever
 * made it. Otherwise the volume is `berth-<ns>-<name>-<hash6>-data` (or the name releases before the hash
 * used, when this Database owns such a volume), and one of that name that labels do not prove is this
 * Database's is a NameConflictError: it is never reused nor deleted. A volume made here records the engine and
 * its major version, so a later version change that the engine cannot do in place is refused.
 */
export async function ensureDataVolume(docker: DockerClient, ref: OwnerRef, spec: DatabaseSpec, profile: EngineProfile, major: number | undefined, signal?: AbortSignal): Promise<DataVolume> {
  const given = spec.storage.volume;
  let name = given ?? defaultVolumeName(ref);
  let existing = await inspectVolume(docker, name, signal);
  if (!given && !existing) {
    const legacy = await inspectVolume(docker, legacyObjectName(ref, "data"), signal);
    if (legacy && ownedBy(legacy.Labels, ref)) (name = legacy.Name), (existing = legacy);
  }
  if (existing) {
    if (!given && !ownedBy(existing.Labels, ref)) throw new NameConflictError("volume", name, existing.Labels?.["berth.dev/owner"]);
    const recorded = Number(existing.Labels?.[DATABASE_LABELS.engineMajor]);
    return { name, major: Number.isInteger(recorded) && recorded > 0 ? recorded : undefined };
  }
  const labels = { ...ownerLabels(ref), [DATABASE_LABELS.engine]: profile.engine, ...(major !== undefined ? { [DATABASE_LABELS.engineMajor]: String(major) } : {}) };
  try {
    await docker.createVolume({ Name: name, Labels: labels, abortSignal: withTimeout(signal) } as Parameters<DockerClient["createVolume"]>[0]);
  } catch (err) {
    throw new DockerError(`create volume ${name}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
  return { name, major };
}

async function inspectVolume(docker: DockerClient, name: string, signal?: AbortSignal): Promise<Docker.VolumeInspectInfo | undefined> {
  try {
    return await docker.getVolume(name).inspect({ abortSignal: withTimeout(signal) });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new DockerError(`inspect volume ${name}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}

/** removeDataVolume deletes the data volume of a Database deleted with `deletionPolicy: Delete`, when labels prove it is the Database's. */
export async function removeDataVolume(docker: DockerClient, ref: OwnerRef, spec: DatabaseSpec, signal?: AbortSignal): Promise<string[]> {
  const removed: string[] = [];
  const names = spec.storage.volume ? [spec.storage.volume] : [defaultVolumeName(ref), legacyObjectName(ref, "data")];
  for (const name of names) {
    const volume = await inspectVolume(docker, name, signal);
    if (!volume || !ownedBy(volume.Labels, ref)) continue;
    try {
      await docker.getVolume(name).remove({ abortSignal: withTimeout(signal) });
      removed.push(name);
    } catch (err) {
      if (isNotFound(err)) continue;
      throw new DockerError(`remove volume ${name}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
    }
  }
  return removed;
}
