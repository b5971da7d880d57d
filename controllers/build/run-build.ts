import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AppSpec, BuildSpec, Resource } from "../../resources/index.ts";
import { NotFoundError, secretValue } from "../../resources/index.ts";
import type { ResourceStore } from "../../store/index.ts";
import { LABELS, inspectImage, ownerLabels, withTimeout, type DockerClient } from "../docker/index.ts";
import { ContextError, prepareContext, tarContext, type DetectDockerfile } from "./context.ts";
import { DockerBuildError, dockerBuild } from "./docker-build.ts";
import { fetchCommit, GitError } from "./git.ts";
import { gitAccess, GitAuthError, safeUrl } from "./git-auth.ts";
import { BuildLog, buildLogPath } from "./log-file.ts";
import { appRefOf, imageRef } from "./names.ts";

/** BuildLimits bound every build: its steps' memory and CPU, and its duration. */
export interface BuildLimits {
  memoryBytes: number;
  cpus: number;
  /** timeoutMs bounds a whole build; fetchTimeoutMs its git fetch. */
  timeoutMs: number;
  fetchTimeoutMs: number;
  logLimitBytes?: number;
}

/** BuildRunnerDeps are what running a build needs. */
export interface BuildRunnerDeps {
  store: ResourceStore;
  docker: DockerClient;
  dataDir: string;
  instance: string;
  limits: BuildLimits;
  detect?: DetectDockerfile;
}

/** StopReason is why a build was stopped before it finished: its reason becomes the Build's condition reason. */
export class BuildStopped extends Error {
  override name = "BuildStopped";
  readonly reason: "Cancelled" | "Superseded" | "Deleted" | "Interrupted" | "Timeout";
  constructor(reason: BuildStopped["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}

/** BuildOutcome is how a build ended. */
export interface BuildOutcome {
  phase: "Succeeded" | "Failed" | "Cancelled";
  reason: string;
  message: string;
  image?: string;
  imageId?: string;
  failedStep?: string;
  stack?: string;
}

/** BuildProgress is what a running build reports as it goes (for `status.log`). */
export interface BuildProgress {
  logBytes: number;
  truncated: boolean;
}

/**
 * runBuild runs one Build to its end and never throws: fetch the commit with git (credentials in the
 * environment), find or generate the Dockerfile, build the image with the Engine under the daemon's limits,
 * streaming every line of output to the Build's log file (secret values redacted). `signal` stops it at any
 * point (its reason, a BuildStopped, says why); the whole build is bounded by `limits.timeoutMs`.
 */
export async function runBuild(deps: BuildRunnerDeps, build: Resource, signal: AbortSignal, onProgress: (p: BuildProgress) => void): Promise<BuildOutcome> {
  const spec = build.spec as BuildSpec;
  const { namespace, name } = build.metadata;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new BuildStopped("Timeout", `the build ran past its ${Math.round(deps.limits.timeoutMs / 1000)}s timeout`)), deps.limits.timeoutMs);
  const stop = AbortSignal.any([signal, timeout.signal]);
  const cleanups: Array<() => Promise<unknown>> = [];
  let log: BuildLog | undefined;
  let step = "prepare";
  try {
    const app = await deps.store.get({ kind: "App", namespace, name: spec.appRef.name });
    const options = (app.spec as AppSpec).build;
    if (!options) return { phase: "Failed", reason: "NotBuilt", message: `App ${spec.appRef.name} no longer builds from git` };
    const args = await buildArgs(deps.store, namespace, options.args ?? {});
    const access = await gitAccess(deps.store, namespace, spec.source.url, options.git.secretRef?.name);
    cleanups.push(access.dispose);
    log = await BuildLog.open(buildLogPath(deps.dataDir, namespace, name), { secrets: [...access.secrets, ...args.secrets], ...(deps.limits.logLimitBytes ? { limitBytes: deps.limits.logLimitBytes } : {}) });
    const write = async (text: string) => {
      await log!.write(text);
      onProgress({ logBytes: log!.bytes, truncated: log!.truncated });
    };

    step = "fetch";
    await write(`==> fetch ${safeUrl(spec.source.url)} ${spec.source.ref} at ${spec.source.commit}\n`);
    const checkout = await mkdtemp(join(tmpdir(), "berth-build-"));
    cleanups.push(() => rm(checkout, { recursive: true, force: true }));
    const fetchSignal = withTimeout(stop, deps.limits.fetchTimeoutMs);
    await fetchCommit(checkout, spec.source.url, spec.source.ref, spec.source.commit, { env: access.env, signal: fetchSignal, onOutput: (text) => void write(text) });

    step = "context";
    const appSpec = app.spec as AppSpec;
    const command = [...(appSpec.command ?? []), ...(appSpec.args ?? [])];
    const context = await prepareContext(checkout, options.context, options.dockerfile, deps.detect, { ...(command.length > 0 ? { command } : {}), ...(appSpec.port ? { port: appSpec.port } : {}) });
    await write(context.stack ? `==> no Dockerfile: generated one for the detected stack ${context.stack}\n` : `==> build with ${options.context}/${context.dockerfile}\n`);

    step = "build";
    const tag = imageRef(appRefOf(build), spec.source.commit);
    // The classic builder adds each label as a step of its own (a container and a layer each, ~0.2 s): only the
    // two that prove ownership (owner and instance); the Build and commit are in the tag.
    const labels = { [LABELS.owner]: ownerLabels(appRefOf(build))[LABELS.owner]!, [LABELS.instance]: deps.instance };
    let failedStep: string | undefined;
    try {
      await dockerBuild(deps.docker, tarContext(context.dir, stop), {
        tag, dockerfile: context.dockerfile, buildArgs: args.values, ...(options.target ? { target: options.target } : {}), labels,
        memoryBytes: deps.limits.memoryBytes, cpus: deps.limits.cpus, signal: stop, onText: write,
      });
    } catch (err) {
      if (err instanceof DockerBuildError) failedStep = err.step;
      throw err;
    }
    const image = await inspectImage(deps.docker, tag, stop);
    if (!image) throw new Error(`image ${tag} is missing after its build`);
    await write(`==> built ${tag} (${image.id})\n`);
    return { phase: "Succeeded", reason: "Succeeded", message: `built ${tag}`, image: tag, imageId: image.id, ...(context.stack ? { stack: context.stack } : {}) };
  } catch (err) {
    const outcome = outcomeOf(err, stop, step);
    await log?.write(`==> ${outcome.phase === "Cancelled" ? "cancelled" : "failed"}${outcome.failedStep ? ` at ${outcome.failedStep}` : ""}: ${outcome.message}\n`).catch(() => {});
    return outcome;
  } finally {
    clearTimeout(timer);
    await log?.close().catch(() => {});
    if (log) onProgress({ logBytes: log.bytes, truncated: log.truncated });
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

/** outcomeOf turns what stopped a build into its outcome: who stopped it, or which step failed and why. */
function outcomeOf(err: unknown, stop: AbortSignal, step: string): BuildOutcome {
  const stopped = stop.aborted && stop.reason instanceof BuildStopped ? stop.reason : err instanceof BuildStopped ? err : undefined;
  if (stopped) {
    if (stopped.reason === "Timeout" || stopped.reason === "Interrupted") return { phase: "Failed", reason: stopped.reason, message: stopped.message, failedStep: step };
    return { phase: "Cancelled", reason: stopped.reason, message: stopped.message };
  }
  const message = (err as Error)?.message ?? String(err);
  if (err instanceof DockerBuildError) return { phase: "Failed", reason: "BuildFailed", message: `${err.step ?? "the build"} failed: ${message}`, failedStep: err.step ?? "build" };
  if (err instanceof ContextError) return { phase: "Failed", reason: err.reason, message, failedStep: "context" };
  if (err instanceof GitAuthError) return { phase: "Failed", reason: "InvalidCredentials", message, failedStep: "fetch" };
  if (err instanceof GitError) return { phase: "Failed", reason: "FetchFailed", message, failedStep: "fetch" };
  if (err instanceof NotFoundError) return { phase: "Failed", reason: "AppNotFound", message, failedStep: step };
  if (step === "fetch" && (err as Error)?.name === "TimeoutError") return { phase: "Failed", reason: "Timeout", message: "the git fetch timed out", failedStep: "fetch" };
  return { phase: "Failed", reason: step === "build" ? "BuildFailed" : "Error", message, failedStep: step };
}

/** buildArgs resolves the App's build args; values from Secrets are returned for redaction too. */
async function buildArgs(store: ResourceStore, namespace: string, args: NonNullable<NonNullable<AppSpec["build"]>["args"]>): Promise<{ values: Record<string, string>; secrets: string[] }> {
  const values: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [name, arg] of Object.entries(args)) {
    if (typeof arg === "string") {
      values[name] = arg;
      continue;
    }
    let secret;
    try {
      secret = await store.get({ kind: "Secret", namespace, name: arg.secretKeyRef.name });
    } catch (err) {
      if (err instanceof NotFoundError) throw new GitAuthError(`build arg ${name}: Secret ${arg.secretKeyRef.name} not found`);
      throw err;
    }
    const value = secretValue(secret as { data?: unknown }, arg.secretKeyRef.key);
    if (value === undefined) throw new GitAuthError(`build arg ${name}: Secret ${arg.secretKeyRef.name} has no key ${arg.secretKeyRef.key}`);
    values[name] = value;
    secrets.push(value);
  }
  return { values, secrets };
}
