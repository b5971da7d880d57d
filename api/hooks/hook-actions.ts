import { AlreadyExistsError, ConflictError, NotFoundError, type AppSpec, type Resource } from "../../resources/index.ts";
import { REQUESTED_COMMIT_ANNOTATION, REQUESTED_REF_ANNOTATION, refMatches } from "../../resources/build-request.ts";
import type { ObjectKey, ResourceStore } from "../../store/index.ts";
import type { EventRecorder } from "../../controllers/events/types.ts";
import { retryOnConflict } from "../../controllers/runtime/retry-on-conflict.ts";
import { desiredPreview, previewName, previewOwnedBy, PREVIEW_UPDATED_ANNOTATION, type PullHead } from "../../controllers/previews/preview-app.ts";
import type { PushChange } from "./hook-event.ts";

/** Outcome is what a delivery did, for the response: 202 with a message. */
export interface Outcome {
  message: string;
}

/** HookActionDeps are what deliveries act through. */
export interface HookActionDeps {
  store: ResourceStore;
  recorder?: EventRecorder;
  now(): Date;
}

const short = (commit: string) => commit.slice(0, 12);

/**
 * requestBuild records a push to the App's ref as a build request (the requested-commit and requested-ref
 * annotations, through the store); a push to any other ref does nothing.
 */
export async function requestBuild(deps: HookActionDeps, app: Resource, changes: readonly PushChange[]): Promise<Outcome> {
  const appRef = (app.spec as AppSpec).build!.git.ref;
  const change = changes.find((c) => refMatches(appRef, c.ref));
  if (!change) {
    const pushed = changes.map((c) => c.ref).join(", ") || "no ref (a deletion)";
    return { message: `push to ${pushed} ignored: the App builds ${appRef}` };
  }
  const key: ObjectKey = { kind: "App", namespace: app.metadata.namespace, name: app.metadata.name };
  await retryOnConflict(async () => {
    const live = await deps.store.get(key);
    const annotations = live.metadata.annotations ?? {};
    if (annotations[REQUESTED_COMMIT_ANNOTATION] === change.commit && annotations[REQUESTED_REF_ANNOTATION] === appRef) return;
    await deps.store.update({
      ...live,
      metadata: { ...live.metadata, annotations: { ...annotations, [REQUESTED_COMMIT_ANNOTATION]: change.commit, [REQUESTED_REF_ANNOTATION]: appRef } },
    });
  });
  deps.recorder?.record(app, "Normal", "BuildRequested", `push to ${change.ref} requested a build of ${short(change.commit)}`);
  return { message: `build of ${change.commit} requested (${change.ref})` };
}

/**
 * ensurePreview creates or updates the preview App of a pull request (see desiredPreview). A same-named App
 * that is not this App's preview is left alone, with a Warning event.
 */
export async function ensurePreview(deps: HookActionDeps, parent: Resource, head: PullHead): Promise<Outcome> {
  const settings = (parent.spec as AppSpec).build?.previews;
  if (!settings?.enabled) return { message: `pull request ${head.number} ignored: previews are not enabled for this App` };
  const name = previewName(parent.metadata.name, head.number);
  const key: ObjectKey = { kind: "App", namespace: parent.metadata.namespace, name };
  return retryOnConflict(async () => {
    const desired = desiredPreview(parent, head, deps.now());
    const existing = await deps.store.get(key).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!existing) {
      try {
        await deps.store.create(desired);
      } catch (error) {
        // Someone made it in between: the retry updates it.
        if (error instanceof AlreadyExistsError) throw new ConflictError(`App ${name} appeared`, { cause: error });
        throw error;
      }
      deps.recorder?.record(parent, "Normal", "PreviewCreated", `pull request ${head.number}: preview App ${name} builds ${short(head.commit)}`);
      return { message: `preview ${name} created for ${head.ref} at ${head.commit}` };
    }
    if (!previewOwnedBy(existing, parent)) {
      deps.recorder?.record(parent, "Warning", "PreviewNameTaken", `pull request ${head.number}: App ${name} exists and is not this App's preview; no preview is made`);
      return { message: `pull request ${head.number} ignored: App ${name} exists and is not a preview of this App` };
    }
    // Only new commits count as activity for ttl and maxActive: an edited title (Bitbucket reports it as an update) does not.
    const annotations = { ...existing.metadata.annotations, ...desired.metadata.annotations };
    const lastMoved = existing.metadata.annotations?.[PREVIEW_UPDATED_ANNOTATION];
    if (lastMoved && existing.metadata.annotations?.[REQUESTED_COMMIT_ANNOTATION] === head.commit) annotations[PREVIEW_UPDATED_ANNOTATION] = lastMoved;
    await deps.store.update({
      ...existing,
      metadata: { ...existing.metadata, annotations },
      spec: desired.spec,
    } as Resource);
    deps.recorder?.record(parent, "Normal", "PreviewUpdated", `pull request ${head.number}: preview App ${name} builds ${short(head.commit)}`);
    return { message: `preview ${name} updated to ${head.commit}` };
  });
}

/** removePreview deletes the preview App of a closed or merged pull request, if this App owns one. */
export async function removePreview(deps: HookActionDeps, parent: Resource, number: number): Promise<Outcome> {
  const name = previewName(parent.metadata.name, number);
  const existing = await deps.store.get({ kind: "App", namespace: parent.metadata.namespace, name }).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  if (!existing || !previewOwnedBy(existing, parent)) return { message: `pull request ${number} closed: no preview to remove` };
  try {
    await deps.store.delete({ kind: "App", namespace: parent.metadata.namespace, name }, { preconditions: { uid: existing.metadata.uid! } });
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  deps.recorder?.record(parent, "Normal", "PreviewRemoved", `pull request ${number} closed: preview App ${name} removed`);
  return { message: `pull request ${number} closed: preview ${name} removed` };
}
