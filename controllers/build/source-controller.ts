import { AlreadyExistsError, TERMINAL_PHASES, admit, type AppSpec, type BuildSpec, type Resource } from "../../resources/index.ts";
import { parseKey, type ResourceStore } from "../../store/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { getIfExists, informerFor, mappingSource, watchSource, type Controller, type ControllerOptions, type Informer, type InformerEvent, type Key, type ReconcileContext, type Result, type SharedInformers, type Source } from "../runtime/index.ts";
import type { EventRecorder } from "../events/types.ts";
import { withTimeout, type DockerClient } from "../docker/index.ts";
import { lsRemote } from "./git.ts";
import { gitAccess, safeUrl } from "./git-auth.ts";
import { pruneBuilds, removeAppImages } from "./prune.ts";
import {
  BUILD_APP_LABEL, PINNED_BUILD_ANNOTATION, SUPERSEDES_PIN_ANNOTATION, REQUESTED_COMMIT_ANNOTATION, REQUESTED_REF_ANNOTATION, SEQUENCE_ANNOTATION, SETTINGS_ANNOTATION,
  buildName, newestFirst, refMatches, sequenceOf, settingsHash,
} from "./names.ts";

/** BuildSourceControllerOptions wire the controller that turns an App's git ref into Builds. */
export interface BuildSourceControllerOptions {
  store: ResourceStore;
  docker: DockerClient;
  recorder: EventRecorder;
  logger: Logger;
  instance: string;
  informers?: SharedInformers;
  /** lsRemoteTimeoutMs bounds one `git ls-remote` (default 30 s). */
  lsRemoteTimeoutMs?: number;
  controller?: ControllerOptions;
}

/** Seen is what this controller remembers of one App between reconciles. */
interface Seen {
  generation?: number;
  lookedAt: number;
  /** remote is the commit `git ls-remote` last gave. */
  remote?: string;
}

const RETRY_MS = 60_000;

/**
 * BuildSourceController watches Apps that build from git and creates a Build for each new commit of their ref:
 * it resolves the ref with `git ls-remote` when the App changes, every `build.git.pollInterval`, and takes the
 * commit a verified webhook delivery recorded on the App (annotations `build.berth.dev/requested-commit` and
 * `-ref`) when that ref is the App's. It also garbage-collects the App's old Builds and their images beyond
 * `revisionHistoryLimit`, keeping every image a revision in the App's history runs.
 */
export class BuildSourceController implements Controller {
  readonly name = "build-source-controller";
  readonly kind = "App";
  readonly options: ControllerOptions;
  private readonly deps: BuildSourceControllerOptions;
  private readonly apps: Informer;
  private readonly builds: Informer;
  private readonly seen = new Map<Key, Seen>();

  constructor(options: BuildSourceControllerOptions) {
    this.deps = options;
    this.options = { maxConcurrentReconciles: 2, reconcileTimeoutMs: 60_000, successLogLevel: "debug", ...options.controller };
    this.apps = informerFor(options.informers, options.store, "App", { logger: options.logger });
    this.builds = informerFor(options.informers, options.store, "Build", { logger: options.logger });
  }

  sources(): Source[] {
    return [
      // Status writes of the App controller do not concern this one: only new Apps, spec and annotation changes.
      watchSource(this.apps, (e) => e.type !== "MODIFIED" || specOrRequestChanged(e)),
      // A Build that ends may make older ones collectable.
      mappingSource(this.builds, (obj, e) => (e.type === "ADDED" || obj.status?.phase !== e.previous?.status?.phase ? [`App/${obj.metadata.namespace}/${(obj.spec as BuildSpec).appRef.name}`] : []), "Build → App"),
    ];
  }

  async reconcile(key: Key, ctx: ReconcileContext): Promise<Result> {
    const app = await getIfExists(this.deps.store, parseKey(key));
    if (!app) {
      this.seen.delete(key);
      const { namespace, name } = parseKey(key);
      await removeAppImages(this.deps.docker, { kind: "App", namespace, name }, this.deps.instance, ctx.signal);
      return {};
    }
    const spec = app.spec as AppSpec;
    if (app.metadata.deletionTimestamp || !spec.build) return {};
    const builds = this.buildsOf(app);
    const settings = settingsHash(spec.build);
    const has = (commit: string) => builds.some((b) => (b.spec as BuildSpec).source.commit === commit && b.metadata.annotations?.[SETTINGS_ANNOTATION] === settings);
    const latest = builds[0];
    const handled = (commit: string) => has(commit) || (!!latest && (latest.spec as BuildSpec).source.commit === commit && latest.metadata.annotations?.[SETTINGS_ANNOTATION] === settings);

    const seen = this.seen.get(key) ?? { lookedAt: 0 };
    const requested = app.metadata.annotations?.[REQUESTED_COMMIT_ANNOTATION];
    const requestedRef = app.metadata.annotations?.[REQUESTED_REF_ANNOTATION];
    if (requested && requestedRef && refMatches(spec.build.git.ref, requestedRef) && /^[0-9a-f]{7,64}$/.test(requested)) {
      // A short commit id (some providers send 12 digits) is completed from the ref, when the ref is still there.
      let commit: string | undefined = requested;
      if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(requested)) {
        const remote = seen.remote?.startsWith(requested) ? seen.remote : await this.resolve(app, ctx);
        commit = typeof remote === "string" && remote.startsWith(requested) ? remote : undefined;
      }
      if (commit && !has(commit)) {
        await this.createBuild(app, commit, settings, builds, "a webhook delivery", ctx);
        return this.pruneAndNext(app, key, ctx);
      }
    }

    const pollMs = spec.build.git.pollInterval ? durationMs(spec.build.git.pollInterval) : undefined;
    const due = seen.generation !== app.metadata.generation || seen.lookedAt === 0 || (pollMs !== undefined && Date.now() >= seen.lookedAt + pollMs);
    if (due) {
      const commit = await this.resolve(app, ctx);
      if (commit === "error") return { requeueAfterMs: Math.min(pollMs ?? RETRY_MS, RETRY_MS) };
      // A commit is built when it is new since the last look (a lagging mirror that still shows the commit before
      // a webhook's is not new) and no Build of it with these settings exists.
      const changed = seen.generation !== app.metadata.generation || commit !== seen.remote;
      this.seen.set(key, { generation: app.metadata.generation, lookedAt: Date.now(), remote: commit });
      if (commit && changed && !handled(commit)) await this.createBuild(app, commit, settings, builds, `${spec.build.git.ref} moved`, ctx);
    }
    return this.pruneAndNext(app, key, ctx);
  }

  private async pruneAndNext(app: Resource, key: Key, ctx: ReconcileContext): Promise<Result> {
    await pruneBuilds(this.deps.store, this.deps.docker, app, this.buildsOf(app), this.deps.instance, ctx);
    const poll = (app.spec as AppSpec).build?.git.pollInterval;
    if (!poll) return {};
    const seen = this.seen.get(key);
    return { requeueAfterMs: Math.max(100, (seen?.lookedAt ?? 0) + durationMs(poll) - Date.now()) };
  }

  /** resolve runs `git ls-remote` for the App's ref; a failure is an event and a retry, never a thrown error. */
  private async resolve(app: Resource, ctx: ReconcileContext): Promise<string | undefined | "error"> {
    const git = (app.spec as AppSpec).build!.git;
    let access;
    try {
      access = await gitAccess(this.deps.store, app.metadata.namespace, git.url, git.secretRef?.name);
      const signal = withTimeout(ctx.signal, this.deps.lsRemoteTimeoutMs ?? 30_000);
      const commit = await lsRemote(git.url, git.ref, { env: access.env, signal });
      if (!commit) this.deps.recorder.record(app, "Warning", "RefNotFound", `${safeUrl(git.url)} has no branch or tag ${git.ref}`);
      return commit;
    } catch (err) {
      const message = redactAll((err as Error).message, access?.secrets ?? []);
      this.deps.recorder.record(app, "Warning", "GitResolveFailed", `cannot resolve ${git.ref} of ${safeUrl(git.url)}: ${message}`);
      ctx.log.warn(`ls-remote of ${safeUrl(git.url)} failed: ${message}`);
      return "error";
    } finally {
      await access?.dispose();
    }
  }

  private async createBuild(app: Resource, commit: string, settings: string, builds: Resource[], why: string, ctx: ReconcileContext): Promise<void> {
    const spec = app.spec as AppSpec;
    const { namespace, name: appName } = app.metadata;
    const name = buildName(appName, commit, settings);
    const sequence = Math.max(0, ...builds.map(sequenceOf)) + 1;
    const build = admit({
      apiVersion: "berth.dev/v1",
      kind: "Build",
      metadata: {
        name, namespace,
        labels: { [BUILD_APP_LABEL]: appName },
        annotations: {
          [SEQUENCE_ANNOTATION]: String(sequence), [SETTINGS_ANNOTATION]: settings,
          // Built after a rollback: once it succeeds it replaces the pinned Build.
          ...(app.metadata.annotations?.[PINNED_BUILD_ANNOTATION] ? { [SUPERSEDES_PIN_ANNOTATION]: app.metadata.annotations[PINNED_BUILD_ANNOTATION] } : {}),
        },
        ownerReferences: [{ apiVersion: "berth.dev/v1", kind: "App", name: appName, uid: app.metadata.uid!, controller: true }],
      },
      spec: { appRef: { name: appName }, source: { url: spec.build!.git.url, ref: spec.build!.git.ref, commit }, strategy: spec.build!.dockerfile ? "dockerfile" : "detected" },
    });
    try {
      await this.deps.store.create(build);
    } catch (err) {
      if (err instanceof AlreadyExistsError) return;
      throw err;
    }
    this.deps.recorder.record(app, "Normal", "BuildCreated", `Build ${name} of commit ${commit.slice(0, 12)} (${why})`);
    ctx.log.info(`created Build ${namespace}/${name} of commit ${commit} (${why})`);
  }

  /** buildsOf lists the App's Builds from the cache, newest first. */
  private buildsOf(app: Resource): Resource[] {
    return this.builds
      .list()
      .filter((b) => b.metadata.namespace === app.metadata.namespace && b.metadata.labels?.[BUILD_APP_LABEL] === app.metadata.name && (b.metadata.ownerReferences ?? []).some((r) => r.uid === app.metadata.uid))
      .sort(newestFirst);
  }

}

/** isActive tells a Build still waiting or running. */
export function isActive(build: Resource): boolean {
  return !TERMINAL_PHASES.has(String(build.status?.phase));
}


function specOrRequestChanged(e: InformerEvent): boolean {
  const before = e.previous;
  if (!before) return true;
  const a = before.metadata.annotations ?? {};
  const b = e.object.metadata.annotations ?? {};
  return before.metadata.generation !== e.object.metadata.generation || a[REQUESTED_COMMIT_ANNOTATION] !== b[REQUESTED_COMMIT_ANNOTATION] || before.metadata.uid !== e.object.metadata.uid;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** durationMs reads a spec duration (`30s`, `5m`). */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text);
  return match ? Number(match[1]) * UNITS[match[2]!]! : RETRY_MS;
}

function redactAll(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("[redacted]");
  return out;
}
