import { ensureVolume, inspectVolume, legacyObjectName, ownedBy } from "../docker/index.ts";
import type { AppDeps } from "./deps.ts";
import { buildDesiredVolumes } from "./desired.ts";
import type { Pass } from "./pass.ts";

/**
 * resolveVolumes makes sure every volume of the target revision exists and belongs to this App, and returns
 * which Docker volume each template volume mounts. A volume that an earlier release made under the old,
 * ambiguous name (`berth-<ns>-<app>-<volume>`) is kept in use when its labels prove it is this App's, so an
 * upgrade of Berth never swaps a user's data for an empty volume. A name held by anything else is a
 * NameConflictError (see ensureVolume).
 */
export async function resolveVolumes(deps: AppDeps, pass: Pass): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const template = pass.target!.template;
  const desired = buildDesiredVolumes(pass.ref, template);
  for (const [i, volume] of template.volumes.entries()) {
    const { name, labels } = desired[i]!;
    if (!(await inspectVolume(deps.docker, name, pass.signal))) {
      const legacy = legacyObjectName(pass.ref, volume.name);
      const old = await inspectVolume(deps.docker, legacy, pass.signal);
      if (old && ownedBy(old.Labels, pass.ref)) {
        names.set(volume.name, legacy);
        continue;
      }
    }
    await ensureVolume(deps.docker, name, labels, pass.signal);
    names.set(volume.name, name);
  }
  return names;
}
