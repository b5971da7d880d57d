/**
 * A build request is how a verified webhook push asks for a build: two annotations on the App, written through
 * the store like any other write. The Build controller builds the requested commit when the requested ref is
 * the App's `spec.build.git.ref`. See docs/builds.md.
 */

/** REQUESTED_COMMIT_ANNOTATION holds the commit (full sha; Bitbucket pull requests give 12 characters) to build. */
export const REQUESTED_COMMIT_ANNOTATION = "build.berth.dev/requested-commit";

/** REQUESTED_REF_ANNOTATION holds the ref the commit was pushed to, written as the App's `spec.build.git.ref` spells it. */
export const REQUESTED_REF_ANNOTATION = "build.berth.dev/requested-ref";

/**
 * refMatches says whether a pushed ref (always full: `refs/heads/main`, `refs/tags/v1`, `refs/pull/7/head`) is
 * the ref an App builds, which may be short (`main`, `v1`) or full.
 */
export function refMatches(appRef: string, pushedRef: string): boolean {
  return pushedRef === appRef || pushedRef === `refs/heads/${appRef}` || pushedRef === `refs/tags/${appRef}`;
}
