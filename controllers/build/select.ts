import type { BuildSpec, Resource } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import { BUILD_APP_LABEL, PINNED_BUILD_ANNOTATION, SUPERSEDES_PIN_ANNOTATION, newestFirst } from "./names.ts";

/**
 * BuiltImage is what an App built from git runs: the image of its newest Succeeded Build, or why there is none
 * yet (a build waiting or running: `Building`; the newest build failed: `BuildFailed`).
 */
export type BuiltImage =
  | { ready: true; image: string; build: string; commit: string }
  | { ready: false; reason: "Building" | "BuildFailed"; message: string };

/**
 * latestBuildImage picks the image an App runs from its Builds: the one a rollback pinned
 * (`build.berth.dev/pinned-build`), else the newest Succeeded one, so a failed or cancelled newer build leaves
 * the running version serving. Only Builds the App owns (by uid) count.
 */
export async function latestBuildImage(store: ResourceStore, app: Resource): Promise<BuiltImage> {
  const { items } = await store.list("Build", { namespace: app.metadata.namespace, labelSelector: `${BUILD_APP_LABEL}=${app.metadata.name}` });
  const builds = items.filter((b) => (b.metadata.ownerReferences ?? []).some((r) => r.uid === app.metadata.uid)).sort(newestFirst);
  // A rollback (`berth rollout undo`) pins an earlier Build until a Build made after it succeeds.
  const pinned = app.metadata.annotations?.[PINNED_BUILD_ANNOTATION];
  const done = (b: Resource) => b.status?.phase === "Succeeded" && typeof b.status.image === "string";
  const pin = pinned && !builds.some((b) => done(b) && b.metadata.annotations?.[SUPERSEDES_PIN_ANNOTATION] === pinned) ? pinned : undefined;
  const succeeded = builds.find((b) => b.metadata.name === pin && b.status?.phase === "Succeeded" && typeof b.status.image === "string") ??
    builds.find((b) => b.status?.phase === "Succeeded" && typeof b.status.image === "string");
  if (succeeded) return { ready: true, image: succeeded.status!.image as string, build: succeeded.metadata.name, commit: (succeeded.spec as BuildSpec).source.commit };
  const newest = builds[0];
  if (!newest) return { ready: false, reason: "Building", message: "waiting for the first build of the git ref" };
  const commit = (newest.spec as BuildSpec).source.commit.slice(0, 12);
  const phase = String(newest.status?.phase ?? "Pending");
  if (phase === "Pending" || phase === "Running") return { ready: false, reason: "Building", message: `Build ${newest.metadata.name} of commit ${commit} is ${phase}` };
  const ready = newest.status?.conditions?.find((c) => c.type === "Ready");
  return { ready: false, reason: "BuildFailed", message: `Build ${newest.metadata.name} of commit ${commit} ${phase === "Cancelled" ? "was cancelled" : "failed"}${ready?.message ? `: ${ready.message}` : ""}` };
}
