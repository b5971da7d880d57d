import type Docker from "dockerode";
import type { DockerClient } from "./client.ts";
import { DockerError, NameConflictError, isConflict, isNotFound, statusCodeOf } from "./errors.ts";
import { LABELS } from "./labels.ts";
import { withTimeout } from "./signals.ts";

/**
 * ensureVolume creates a named volume with `labels` if it is missing; an existing volume is kept with its data,
 * but only when its owner label is the one in `labels`: a volume of the same name that belongs to another object
 * (or to nobody Berth knows) is a NameConflictError, never mounted, so one namespace cannot reach another's data.
 */
export async function ensureVolume(docker: DockerClient, name: string, labels: Record<string, string>, signal?: AbortSignal): Promise<void> {
  let existing = await inspectVolume(docker, name, signal);
  if (!existing) {
    try {
      await docker.createVolume({ Name: name, Labels: labels, abortSignal: withTimeout(signal) } as Parameters<DockerClient["createVolume"]>[0]);
    } catch (err) {
      throw new DockerError(`create volume ${name}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
    }
    // Docker answers a create of an existing name with that volume, labels and all, so a create that raced
    // another is checked like any volume found: read back what is there now.
    existing = await inspectVolume(docker, name, signal);
    if (!existing) throw new DockerError(`volume ${name} is gone right after it was created`, 404);
  }
  const holder = existing.Labels?.[LABELS.owner];
  if (holder !== labels[LABELS.owner]) throw new NameConflictError("volume", name, holder);
}

/** inspectVolume returns a volume's details, or undefined when it does not exist. */
export async function inspectVolume(docker: DockerClient, name: string, signal?: AbortSignal): Promise<Docker.VolumeInspectInfo | undefined> {
  try {
    return await docker.getVolume(name).inspect({ abortSignal: withTimeout(signal) });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new DockerError(`inspect volume ${name}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}

/** listVolumes returns the names of volumes carrying the `label` filter (`key=value`). */
export async function listVolumes(docker: DockerClient, label: string, signal?: AbortSignal): Promise<string[]> {
  const result = await docker.listVolumes({ filters: { label: [label] }, abortSignal: withTimeout(signal) } as Parameters<DockerClient["listVolumes"]>[0]);
  return (result.Volumes ?? []).map((v) => v.Name);
}

/** removeVolume deletes a volume; missing is fine. A volume still in use (409) is an error: its container must go first. */
export async function removeVolume(docker: DockerClient, name: string, signal?: AbortSignal): Promise<void> {
  try {
    await docker.getVolume(name).remove({ abortSignal: withTimeout(signal) });
  } catch (err) {
    if (isNotFound(err)) return;
    const inUse = isConflict(err) ? " (still in use)" : "";
    throw new DockerError(`remove volume ${name}${inUse}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}
