import { createHash } from "node:crypto";
import type { Resource } from "../../resources/index.ts";
import { objectName, type OwnerRef } from "../docker/index.ts";

/**
 * Names, labels and annotations of builds. A Build is named after its App and commit, so the controller that
 * creates it finds it again after a crash (a second create of the same commit is an AlreadyExists, not a
 * second build); its image is `objectName(app):<commit>`, so the image of a commit is known without a lookup.
 */

/** BUILD_APP_LABEL is the label on every Build naming its App: `berth get builds -l berth.dev/app=web`. */
export const BUILD_APP_LABEL = "berth.dev/app";

/**
 * PINNED_BUILD_ANNOTATION on an App names the Build it runs instead of its newest (set by `berth rollout undo`),
 * until a Build made after the rollback succeeds.
 */
export const PINNED_BUILD_ANNOTATION = "build.berth.dev/pinned-build";

/** SUPERSEDES_PIN_ANNOTATION on a Build names the pinned Build it replaces once it succeeds. */
export const SUPERSEDES_PIN_ANNOTATION = "build.berth.dev/supersedes-pin";

/** SEQUENCE_ANNOTATION orders the Builds of one App (creation timestamps have a one-second resolution). */
export const SEQUENCE_ANNOTATION = "build.berth.dev/sequence";

/** REQUESTED_COMMIT_ANNOTATION and REQUESTED_REF_ANNOTATION are what a verified webhook delivery records on an App. */
export { REQUESTED_COMMIT_ANNOTATION, REQUESTED_REF_ANNOTATION, refMatches } from "../../resources/build-request.ts";

/**
 * buildName is `<app>-<first 7 digits of the commit>-<4 digits of the build settings' hash>`, the App's name
 * shortened so the whole is a DNS label: a commit built again with other settings (Dockerfile, args) is a new Build.
 */
export function buildName(app: string, commit: string, settingsHash: string): string {
  return `${app.slice(0, 63 - 13).replace(/-+$/, "")}-${commit.slice(0, 7)}-${settingsHash.slice(0, 4)}`;
}

/** settingsHash identifies what a build of a commit depends on besides the commit: the App's build settings. */
export function settingsHash(build: { git: { url: string }; dockerfile?: string | undefined; context: string; args?: unknown; target?: string | undefined }): string {
  const settings = JSON.stringify([build.git.url, build.dockerfile ?? null, build.context, build.target ?? null, Object.entries((build.args as Record<string, unknown> | undefined) ?? {}).sort()]);
  return createHash("sha256").update(settings).digest("hex").slice(0, 8);
}

/** SETTINGS_ANNOTATION records on a Build the settings hash it was made with. */
export const SETTINGS_ANNOTATION = "build.berth.dev/settings";

/** imageRepository is the repository every image of one App is tagged in. */
export function imageRepository(app: OwnerRef): string {
  return objectName(app, "build");
}

/** imageRef is the image of one commit of an App: `berth-<ns>-<app>-<hash6>-build:<commit>`. */
export function imageRef(app: OwnerRef, commit: string): string {
  return `${imageRepository(app)}:${commit}`;
}

/** sequenceOf reads a Build's place among its App's Builds (0 when unknown). */
export function sequenceOf(build: Resource): number {
  const value = Number(build.metadata.annotations?.[SEQUENCE_ANNOTATION]);
  return Number.isInteger(value) ? value : 0;
}

/** newestFirst orders Builds by sequence, then creation time, then name, newest first. */
export function newestFirst(a: Resource, b: Resource): number {
  return sequenceOf(b) - sequenceOf(a) || (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? "") || b.metadata.name.localeCompare(a.metadata.name);
}

/** appRefOf is the App a Build belongs to, as an owner reference of the Docker layer. */
export function appRefOf(build: Resource): OwnerRef {
  return { kind: "App", namespace: build.metadata.namespace, name: (build.spec as { appRef: { name: string } }).appRef.name };
}
