import { NotFoundError, TERMINAL_PHASES, type AppSpec, type Resource } from "../../resources/index.ts";
import { keyOf, type ResourceStore } from "../../store/index.ts";
import type { ReconcileContext } from "../runtime/index.ts";
import { instanceFilter, isConflict, isNotFound, ownerFilter, withTimeout, type DockerClient, type OwnerRef } from "../docker/index.ts";

/**
 * pruneBuilds garbage-collects an App's old Builds and their images. Kept: the `revisionHistoryLimit + 1`
 * newest Builds, every Build still waiting or running, and every Build whose image a revision in the App's
 * `status.history` runs (rolling back to it needs no rebuild). Images are removed only when no kept Build and
 * no revision uses them, and only those this berthd made (instance label); an image a container still uses is
 * left for a later pass. `builds` is newest first.
 */
export async function pruneBuilds(store: ResourceStore, docker: DockerClient, app: Resource, builds: readonly Resource[], instance: string, ctx: ReconcileContext): Promise<void> {
  const limit = (app.spec as AppSpec).revisionHistoryLimit + 1;
  const inHistory = new Set(((app.status?.history as Array<{ image?: string }> | undefined) ?? []).map((h) => h.image).filter(Boolean));
  const keep = (b: Resource, index: number) => index < limit || !TERMINAL_PHASES.has(String(b.status?.phase)) || inHistory.has(b.status?.image as string);
  const doomed = builds.filter((b, i) => !keep(b, i));
  for (const build of doomed) {
    try {
      await store.delete(keyOf(build), { preconditions: { uid: build.metadata.uid! } });
      ctx.log.info(`deleted old Build ${build.metadata.namespace}/${build.metadata.name} (beyond revisionHistoryLimit)`);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  if (doomed.length === 0) return;
  const used = new Set([...inHistory, ...builds.filter((b, i) => keep(b, i)).map((b) => b.status?.image as string | undefined).filter(Boolean)]);
  const owner: OwnerRef = { kind: "App", namespace: app.metadata.namespace, name: app.metadata.name };
  await removeAppImages(docker, owner, instance, ctx.signal, (tags) => !tags.some((t) => used.has(t)));
}

/**
 * removeAppImages removes the images built for an App (labelled with it as owner and made by this berthd)
 * that `unused` accepts (default: all of them, for an App that is gone).
 */
export async function removeAppImages(docker: DockerClient, owner: OwnerRef, instance: string, signal: AbortSignal, unused: (tags: string[]) => boolean = () => true): Promise<number> {
  const images = await docker.listImages({ filters: { label: [ownerFilter(owner), instanceFilter(instance)] }, abortSignal: withTimeout(signal) } as Parameters<DockerClient["listImages"]>[0]);
  let removed = 0;
  for (const image of images) {
    if (!unused(image.RepoTags ?? [])) continue;
    try {
      await docker.getImage(image.Id).remove({ abortSignal: withTimeout(signal) } as object);
      removed++;
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) continue;
      throw err;
    }
  }
  return removed;
}
