import { admit, type AppSpec, type Resource } from "../../resources/index.ts";
import { REQUESTED_COMMIT_ANNOTATION, REQUESTED_REF_ANNOTATION } from "../../resources/build-request.ts";
import { boundedLabel } from "../generated-domain/generated-domain.ts";

/** PREVIEW_OF_LABEL marks a preview App with the name of the App it previews. */
export const PREVIEW_OF_LABEL = "berth.dev/preview-of";

/** PREVIEW_NUMBER_LABEL holds the number of the pull (merge) request a preview App shows. */
export const PREVIEW_NUMBER_LABEL = "berth.dev/preview-number";

/** PREVIEW_UPDATED_ANNOTATION is when the pull request last moved (opened or pushed to); `ttl` and `maxActive` count from it. */
export const PREVIEW_UPDATED_ANNOTATION = "berth.dev/preview-updated-at";

/** previewName is the preview App of pull request `number`: `<app>-pr-<number>`, within a DNS label. */
export function previewName(parent: string, number: number): string {
  return boundedLabel(`${parent}-pr-${number}`);
}

/** isPreview says whether an App is a preview of another. */
export function isPreview(app: Resource): boolean {
  return app.metadata.labels?.[PREVIEW_OF_LABEL] !== undefined;
}

/** previewOwnedBy tells whether a preview names `parent` (by uid) as its controlling owner. */
export function previewOwnedBy(preview: Resource, parent: Resource): boolean {
  return (preview.metadata.ownerReferences ?? []).some((o) => o.kind === "App" && o.uid === parent.metadata.uid && o.controller === true);
}

/** PullHead is what a preview builds: the pull request's number, its head ref and commit. */
export interface PullHead {
  number: number;
  ref: string;
  commit: string;
}

/**
 * desiredPreview is the preview App of a pull request: a copy of the parent's spec that builds the pull
 * request's head (its ref, and its commit as a build request), without a webhook (deliveries come to the
 * parent) and with previews turned off, owned by the parent so it is deleted with it.
 */
export function desiredPreview(parent: Resource, head: PullHead, now: Date): Resource {
  const spec = structuredClone(parent.spec as AppSpec);
  if (!spec.build) throw new TypeError(`App ${parent.metadata.name} has no build`);
  spec.build.git.ref = head.ref;
  delete spec.build.webhook;
  spec.build.previews = { ...spec.build.previews!, enabled: false };
  return admit({
    apiVersion: "berth.dev/v1",
    kind: "App",
    metadata: {
      name: previewName(parent.metadata.name, head.number),
      namespace: parent.metadata.namespace,
      labels: { [PREVIEW_OF_LABEL]: parent.metadata.name, [PREVIEW_NUMBER_LABEL]: String(head.number) },
      annotations: {
        [REQUESTED_COMMIT_ANNOTATION]: head.commit,
        [REQUESTED_REF_ANNOTATION]: head.ref,
        [PREVIEW_UPDATED_ANNOTATION]: now.toISOString(),
      },
      ownerReferences: [{ apiVersion: "berth.dev/v1", kind: "App", name: parent.metadata.name, uid: parent.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  });
}

/** updatedAt is when a preview's pull request last moved (its creation time if the annotation is missing). */
export function updatedAt(preview: Resource): number {
  const at = Date.parse(preview.metadata.annotations?.[PREVIEW_UPDATED_ANNOTATION] ?? preview.metadata.creationTimestamp ?? "");
  return Number.isNaN(at) ? 0 : at;
}
