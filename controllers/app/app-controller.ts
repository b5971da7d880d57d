import { NotFoundError, type Resource } from "../../resources/index.ts";
import { parseKey, type ResourceStore } from "../../store/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { getIfExists, ExponentialBackoff, Informer, ensureFinalizer, informerFor, type SharedInformers, resyncSource, watchSource, writeStatus, type Controller, type ControllerOptions, type Key, type ReconcileContext, type Result, type Source } from "../runtime/index.ts";
import type { EventRecorder } from "../events/types.ts";
import { NameConflictError, NamespaceNetworks, type DockerClient, type OwnerRef } from "../docker/index.ts";
import { applySummary, summarize } from "./app-status.ts";
import { ensureRestarts } from "./crash-loop.ts";
import { StoreDatabaseResolver, type DatabaseResolver } from "./database-resolver.ts";
import type { AppDeps } from "./deps.ts";
import { finalizeApp, removeOrphans } from "./finalize.ts";
import { HealthMonitor } from "./health-monitor.ts";
import { Pass } from "./pass.ts";
import { createReplica, observeReplicas, removeReplicas, replicaFacts, holdRouted, startDrain, trackHealth } from "./replicas.ts";
import { RestartTracker, type RestartBackoffOptions } from "./restarts.ts";
import { planRollout } from "./rollout-plan.ts";
import { ensureTargetImage, resolveTarget } from "./target.ts";
import { resolveVolumes } from "./volumes.ts";
import { buildSource, databaseSecretSource, databaseSource, healthSource, secretSource } from "./watches.ts";
import type { RoutedUpstreams } from "../workloads/routed-upstreams.ts";
import { containerEventSource, ownerScanSource } from "../workloads/container-sources.ts";

/** APP_FINALIZER holds an App until its containers are gone. */
export const APP_FINALIZER = "berth.dev/app-cleanup";

/** AppControllerOptions wire the controller; everything but store, docker, recorder and logger has a default. */
export interface AppControllerOptions {
  store: ResourceStore;
  docker: DockerClient;
  recorder: EventRecorder;
  logger: Logger;
  databases?: DatabaseResolver;
  /** informers are the daemon's shared informers (absent: the controller keeps its own). */
  informers?: SharedInformers;
  /** resyncMs re-reconciles every App this often, and rescans containers for orphans (default 30 s). */
  resyncMs?: number;
  restartBackoff?: RestartBackoffOptions;
  /** stopGraceSeconds between SIGTERM and SIGKILL when a replica is stopped (default 10). */
  stopGraceSeconds?: number;
  /** firstProbeRetryMs is the health monitor's first retry delay (default 20 ms). */
  firstProbeRetryMs?: number;
  controller?: ControllerOptions;
  /** instance is this berthd's id (default `default`): orphan removal only touches containers it made. */
  instance?: string;
  /** networks makes namespace networks (default: one of its own, from the default address pool). */
  networks?: NamespaceNetworks;
  /** routed is what the proxy routes to, kept by the Domain controller: a replica is stopped only once it is not routed. */
  routed?: RoutedUpstreams;
}

/** DEFAULT_INSTANCE labels containers when no instance id is given (in-process use, tests). */
export const DEFAULT_INSTANCE = "default";

/**
 * AppController runs Apps as Docker containers and keeps them so (docs/architecture.md): replicas of the current
 * revision behind health checks, rolling or recreating updates, revisions in `status.history`, crash-loop
 * backoff, drift repair from Docker events and resyncs, orphan removal, and cleanup on deletion.
 */
export class AppController implements Controller {
  readonly name = "app-controller";
  readonly kind = "App";
  readonly options: ControllerOptions;
  readonly deps: AppDeps;
  private readonly apps: Informer;
  private readonly secrets: Informer;
  private readonly databases: Informer;
  private readonly builds: Informer;
  private readonly healthEvents = healthSource();
  private readonly log: Logger;
  private readonly resyncMs: number;

  constructor(options: AppControllerOptions) {
    this.log = options.logger.child({ component: "app-controller" });
    this.resyncMs = options.resyncMs ?? 30_000;
    // Apps are reconciled side by side: one App's slow step (a pull, a stop grace, a drain) must not hold up the others.
    this.options = { reconcileTimeoutMs: 120_000, maxConcurrentReconciles: 4, ...options.controller };
    this.apps = informerFor(options.informers, options.store, "App", { logger: this.log });
    this.secrets = informerFor(options.informers, options.store, "Secret", { logger: this.log });
    this.databases = informerFor(options.informers, options.store, "Database", { logger: this.log });
    this.builds = informerFor(options.informers, options.store, "Build", { logger: this.log });
    this.deps = {
      store: options.store,
      docker: options.docker,
      recorder: options.recorder,
      databases: options.databases ?? new StoreDatabaseResolver(options.store),
      health: new HealthMonitor(options.docker, { onChange: (owner) => this.healthEvents.emit(owner), logger: this.log, ...(options.firstProbeRetryMs ? { firstRetryMs: options.firstProbeRetryMs } : {}) }),
      restarts: new RestartTracker(options.restartBackoff),
      draining: new Map(),
      pullBackoff: new ExponentialBackoff({ baseMs: 5_000, maxMs: 5 * 60_000 }),
      stopGraceSeconds: options.stopGraceSeconds ?? 10,
      instance: options.instance ?? DEFAULT_INSTANCE,
      networks: options.networks ?? new NamespaceNetworks(options.docker, { instance: options.instance ?? DEFAULT_INSTANCE }),
      ...(options.routed ? { routed: options.routed } : {}),
    };
  }

  sources(): Source[] {
    const health = this.deps.health;
    return [
      watchSource(this.apps),
      secretSource(this.secrets, this.apps),
      databaseSource(this.databases, this.apps),
      databaseSecretSource(this.secrets, this.databases, this.apps),
      buildSource(this.builds),
      resyncSource(this.apps, this.resyncMs),
      // Reconnecting to a local Engine costs next to nothing; a short cap brings the Apps back within seconds of a
      // dockerd restart instead of up to half a minute later (the stream's default cap).
      containerEventSource(this.deps.docker, "App", this.apps, this.deps.instance, this.log, { maxRetryMs: 5_000 }),
      ownerScanSource(this.deps.docker, "App", this.deps.instance, this.resyncMs, this.log),
      { name: "replica health", start: (enqueue) => this.healthEvents.start(enqueue), stop: () => (this.healthEvents.stop(), health.stop()) },
    ];
  }

  async reconcile(key: Key, ctx: ReconcileContext): Promise<Result> {
    const ref = parseKey(key) as OwnerRef;
    const app = await getIfExists(this.deps.store, parseKey(key));
    if (!app) return removeOrphans(this.deps, ref, ctx);
    if (app.metadata.deletionTimestamp) return finalizeApp(this.deps, app, APP_FINALIZER, ctx);
    await ensureFinalizer(this.deps.store, app, APP_FINALIZER);
    const pass = new Pass(app, ctx);
    try {
      await observeReplicas(this.deps, pass);
      await resolveTarget(this.deps, pass);
      await ensureTargetImage(this.deps, pass);
      try {
        await this.ensureInfrastructure(pass);
        trackHealth(this.deps, pass);
        await this.ensureRollout(pass);
        await ensureRestarts(this.deps, pass);
      } catch (err) {
        if (!(err instanceof NameConflictError)) throw err;
        // Someone else's container or volume holds a name this App needs: report it and wait, never delete it.
        pass.blocked = { reason: "NameConflict", message: err.message };
        if (pass.target) pass.target.canCreate = false;
        pass.event("Warning", "NameConflict", err.message);
        pass.requeue(30_000);
      }
    } finally {
      await this.writeAppStatus(pass);
    }
    // Replicas still starting are re-checked by the health monitor's own events; this is a safety net.
    if (pass.target && pass.containers.some((c) => !this.deps.health.state(c.id)?.healthy)) pass.requeue(5_000);
    return pass.requeueAfterMs === undefined ? {} : { requeueAfterMs: pass.requeueAfterMs };
  }

  /** ensureInfrastructure makes the namespace network and the App's volumes before any replica needs them. */
  private async ensureInfrastructure(pass: Pass): Promise<void> {
    if (!pass.target?.canCreate) return;
    await this.deps.networks.ensure(pass.ref.namespace, pass.signal);
    pass.volumeNames = await resolveVolumes(this.deps, pass);
  }

  /** ensureRollout applies one step of the rollout plan: remove, drain, create. */
  private async ensureRollout(pass: Pass): Promise<void> {
    if (!pass.target) return;
    const plan = planRollout({ replicas: pass.spec.replicas, strategy: pass.spec.strategy, existing: replicaFacts(this.deps, pass), canCreate: pass.target.canCreate });
    const routed = holdRouted(this.deps, pass, plan.remove);
    await removeReplicas(this.deps, pass, routed.stop, `revision ${pass.target.revision} is rolling out or the App was scaled down`);
    startDrain(this.deps, pass, [...plan.drain, ...routed.drain]);
    for (const index of plan.create) await createReplica(this.deps, pass, index);
    const draining = [...this.deps.draining.values()].filter((d) => d.owner === pass.key);
    for (const d of draining) pass.requeue(d.since + pass.spec.strategy.drainSeconds * 1000 - pass.nowMs());
  }

  /** writeAppStatus computes the status from the pass, writes it once, and records the pass's events and condition changes. */
  private async writeAppStatus(pass: Pass): Promise<void> {
    const now = pass.ctx.now();
    const summary = summarize({
      spec: pass.spec, generation: pass.app.metadata.generation, now, replicas: replicaFacts(this.deps, pass), history: pass.history,
      ...(pass.target ? { target: { revision: pass.target.revision, image: pass.target.image, ...(pass.target.imageId ? { imageId: pass.target.imageId } : {}) } } : {}),
      ...(pass.blocked ? { blocked: pass.blocked } : {}),
      ...(pass.crash ? { crash: pass.crash } : {}),
    });
    let written: Resource;
    try {
      written = await writeStatus(this.deps.store, pass.app, (status) => applySummary(status, summary, pass.app.metadata.generation, now));
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    for (const e of pass.events) this.deps.recorder.record(written, e.type, e.reason, e.message);
    const rolling = summary.conditions.find((c) => c.type === "Progressing")?.reason === "RollingOut";
    const entry = pass.target && pass.history.find((h) => h.revision === pass.target!.revision);
    // Look again right when the progress deadline passes, so ProgressDeadlineExceeded is reported on time.
    if (rolling && entry) pass.requeue(Date.parse(entry.deployedAt) + pass.spec.strategy.progressDeadlineSeconds * 1000 - now.getTime() + 50);
    for (const c of summary.conditions) {
      const before = pass.app.status?.conditions?.find((x) => x.type === c.type);
      if (c.type === "Ready" || (before?.status === c.status && before.reason === c.reason)) continue;
      const warning = (c.type === "Degraded" && c.status === "True") || (c.type === "Progressing" && c.status === "False");
      if (c.type === "Degraded" && c.status === "False" && !before) continue;
      this.deps.recorder.record(written, warning ? "Warning" : "Normal", c.reason, c.message ?? "");
    }
  }

}

/** createAppController returns the App controller, for `Manager.add`. */
export function createAppController(options: AppControllerOptions): AppController {
  return new AppController(options);
}
