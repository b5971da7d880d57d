import type { AppSpec, Resource } from "../../resources/index.ts";
import { removeFinalizer, type ReconcileContext, type Result } from "../runtime/index.ts";
import { instanceFilter, listContainers, listVolumes, ownerFilter, removeContainer, removeVolume, type OwnerRef } from "../docker/index.ts";
import type { AppDeps } from "./deps.ts";

/**
 * finalizeApp runs when an App is being deleted: it removes its containers, its volumes too when
 * `deletionPolicy: Delete`, then drops the finalizer so the store can let the App go.
 */
export async function finalizeApp(deps: AppDeps, app: Resource, finalizer: string, ctx: ReconcileContext): Promise<Result> {
  if (!(app.metadata.finalizers ?? []).includes(finalizer)) return {};
  const ref: OwnerRef = { kind: "App", namespace: app.metadata.namespace, name: app.metadata.name };
  const removed = await removeAllContainers(deps, ref, ctx.signal);
  let volumes = 0;
  if ((app.spec as AppSpec).deletionPolicy === "Delete") {
    for (const volume of await listVolumes(deps.docker, ownerFilter(ref), ctx.signal)) {
      await removeVolume(deps.docker, volume, ctx.signal);
      volumes++;
    }
  }
  deps.recorder.record(app, "Normal", "Deleted", `removed ${removed} container(s)${volumes > 0 ? ` and ${volumes} volume(s)` : ""}`);
  await removeFinalizer(deps.store, app, finalizer);
  ctx.log.info(`cleaned up ${removed} container(s) and ${volumes} volume(s) of deleted App ${app.metadata.namespace}/${app.metadata.name}`);
  return {};
}

/**
 * removeOrphans removes the containers of an App that does not exist (deleted while berthd was down, or
 * containers labelled by hand). Volumes are kept: without the App its deletion policy is unknown.
 */
export async function removeOrphans(deps: AppDeps, ref: OwnerRef, ctx: ReconcileContext): Promise<Result> {
  const removed = await removeAllContainers(deps, ref, ctx.signal, [instanceFilter(deps.instance)]);
  if (removed > 0) {
    const ghost: Resource = { apiVersion: "berth.dev/v1", kind: "App", metadata: { name: ref.name, namespace: ref.namespace } };
    deps.recorder.record(ghost, "Normal", "OrphanRemoved", `removed ${removed} container(s) whose App is gone`);
    ctx.log.info(`removed ${removed} orphan container(s) of missing App ${ref.namespace}/${ref.name}`);
  }
  return {};
}

async function removeAllContainers(deps: AppDeps, ref: OwnerRef, signal: AbortSignal, extraFilters: string[] = []): Promise<number> {
  const key = `App/${ref.namespace}/${ref.name}`;
  const containers = await listContainers(deps.docker, [ownerFilter(ref), ...extraFilters], signal, false);
  await Promise.all(containers.map((c) => removeContainer(deps.docker, c.id, deps.stopGraceSeconds, signal)));
  deps.health.retain(key, new Set());
  deps.restarts.retain(key, new Set());
  for (const [id, mark] of [...deps.draining]) if (mark.owner === key) deps.draining.delete(id);
  return containers.length;
}
