/**
 * build builds Apps from git: the source controller turns an App's ref into Builds (ls-remote, polling,
 * webhook requests) and collects old ones; the Build controller runs them in a queue (git fetch, Docker build,
 * a log file per build) and records how they end.
 */
export { BuildController, createBuildController, type BuildControllerOptions } from "./build-controller.ts";
export { BuildSourceController, durationMs } from "./source-controller.ts";
export { BuildQueue, type BuildJob } from "./queue.ts";
export { BuildStopped, runBuild, type BuildLimits, type BuildOutcome } from "./run-build.ts";
export { buildLogPath, removeBuildLog, BuildLog, DEFAULT_LOG_LIMIT_BYTES } from "./log-file.ts";
export { Redactor, REDACTED } from "./redact.ts";
export { GENERATED_DOCKERFILE, type DetectDockerfile, type DetectApp } from "./context.ts";
export { latestBuildImage, type BuiltImage } from "./select.ts";
export {
  BUILD_APP_LABEL, REQUESTED_COMMIT_ANNOTATION, REQUESTED_REF_ANNOTATION, SEQUENCE_ANNOTATION, buildName, imageRef, imageRepository, newestFirst,
} from "./names.ts";
export { createBuildControllers, type BuildSettings, type BuildControllersOptions } from "./create.ts";
