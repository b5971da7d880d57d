import { randomBytes } from "node:crypto";
import { NotFoundError, type DatabaseSpec, type Resource } from "../../resources/index.ts";
import { restoreFromGate, RESTORING, type RestoredFrom } from "../backup/restore-from.ts";
import { parseKey, type ResourceStore } from "../../store/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { getIfExists, ExponentialBackoff, ensureFinalizer, informerFor, removeFinalizer, resyncSource, setCondition, watchSource, writeStatus, type Controller, type ControllerOptions, type Informer, type Key, type ReconcileContext, type Result, type SharedInformers, type Source } from "../runtime/index.ts";
import type { EventRecorder, EventType } from "../events/types.ts";
import {
  ImageNotFoundError, ImagePullError, LABELS, NameConflictError, createContainer, ensureImage, NamespaceNetworks, inspectContainer,
  instanceFilter, isConflict, isStaleTask, listContainers, ownedBy, ownerFilter, removeContainer, startContainer, withTimeout,
  type DockerClient, type OwnerRef,
} from "../docker/index.ts";
import { CredentialsProblem, ensureCredentials, releaseCredentials } from "./credentials.ts";
import { DATABASE_LABELS, buildDatabaseContainer, containerNameOf } from "./desired.ts";
import { ENGINES, imageOf, majorOf, type Credentials, type EngineProfile } from "./engines.ts";
import { execIn } from "./exec.ts";
import { putSecretFiles } from "./files.ts";
import { ensureDataVolume, removeDataVolume } from "./volume.ts";
import { credentialSecretSource } from "./watches.ts";
import { containerEventSource, ownerScanSource } from "../workloads/container-sources.ts";

/** DATABASE_FINALIZER holds a Database until its container (and, with `deletionPolicy: Delete`, its volume) is gone. */
export const DATABASE_FINALIZER = "berth.dev/database-cleanup";

/** DatabaseControllerOptions wire the controller; everything but store, docker, recorder and logger has a default. */
export interface DatabaseControllerOptions {
  store: ResourceStore;
  docker: DockerClient;
  recorder: EventRecorder;
  logger: Logger;
  informers?: SharedInformers;
  /**
   * instance is this berthd's id: orphan removal only touches containers it made. The default is this
   * process's own (PROCESS_INSTANCE), so controllers run in-process by separate programs sharing one Docker
   * Engine (test runs side by side) never take each other's containers for orphans.
   */
  instance?: string;
  /** resyncMs re-reconciles every Database this often (default 30 s). */
  resyncMs?: number;
  /** checkIntervalMs is how often a Ready database's engine is checked again (default 10 s). */
  checkIntervalMs?: number;
  /** startingPollMs is how often a starting engine is checked (default 200 ms): Ready follows the engine within that. */
  startingPollMs?: number;
  /** checkTimeoutMs bounds one readiness check (default 5 s). */
  checkTimeoutMs?: number;
  /** stopGraceSeconds between SIGTERM and SIGKILL when the container is replaced or removed (default 30: engines flush on shutdown). */
  stopGraceSeconds?: number;
  /** networks makes namespace networks, shared with the App controller (default: one of its own, from the default address pool). */
  networks?: NamespaceNetworks;
  controller?: ControllerOptions;
}

/** Verdict is what one reconcile concluded: the Ready condition, and when to look again. */
interface Verdict {
  ready: boolean;
  reason: string;
  message: string;
  requeueAfterMs?: number;
}

/** EngineState is what the controller remembers about a Database between reconciles. */
interface EngineState {
  /** exits are the times (ms) the engine exited without being asked to. */
  exits: number[];
  /** startingSince is when the container was last started (ms), until the engine is first Ready. */
  startingSince?: number;
  /** restartAt delays the next start of a crash-looping engine. */
  restartAt?: number;
  /** passwordChanged: the container was replaced with new credentials that the engine's data does not know yet. */
  passwordChanged?: boolean;
  /** passwordAttemptAt is when the password was last set in the engine (ms). */
  passwordAttemptAt?: number;
}

/** PROCESS_INSTANCE is the instance id of Database controllers given none: one per process. */
export const PROCESS_INSTANCE = `process-${process.pid}-${randomBytes(4).toString("hex")}`;

/** CRASH_LOOP_EXITS exits within CRASH_LOOP_WINDOW_MS make a crash loop: restarts are then spaced by a growing backoff. */
const CRASH_LOOP_EXITS = 3;
const CRASH_LOOP_WINDOW_MS = 120_000;

/**
 * DatabaseController runs Databases as engine containers from their official images (or `spec.image`, which
 * honours the same environment contract): credentials generated into an owned Secret and handed over as
 * files, data on a named volume that outlives the container, readiness by the engine's own client, drift
 * repaired from Docker events and resyncs, and cleanup on deletion per `deletionPolicy` (docs/databases.md).
 */
export class DatabaseController implements Controller {
  readonly name = "database-controller";
  readonly kind = "Database";
  readonly options: ControllerOptions;
  private readonly store: ResourceStore;
  private readonly docker: DockerClient;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly databases: Informer;
  private readonly secrets: Informer;
  private readonly instance: string;
  private readonly resyncMs: number;
  private readonly checkIntervalMs: number;
  private readonly startingPollMs: number;
  private readonly checkTimeoutMs: number;
  private readonly stopGraceSeconds: number;
  private readonly pullBackoff = new ExponentialBackoff({ baseMs: 5_000, maxMs: 5 * 60_000 });
  private readonly crashBackoff = new ExponentialBackoff({ baseMs: 5_000, maxMs: 5 * 60_000 });
  private readonly state = new Map<Key, EngineState>();
  private readonly networks: NamespaceNetworks;

  constructor(options: DatabaseControllerOptions) {
    this.store = options.store;
    this.docker = options.docker;
    this.recorder = options.recorder;
    this.log = options.logger.child({ component: "database-controller" });
    this.instance = options.instance ?? PROCESS_INSTANCE;
    this.networks = options.networks ?? new NamespaceNetworks(options.docker, { instance: this.instance });
    this.resyncMs = options.resyncMs ?? 30_000;
    this.checkIntervalMs = options.checkIntervalMs ?? 10_000;
    this.startingPollMs = options.startingPollMs ?? 200;
    this.checkTimeoutMs = options.checkTimeoutMs ?? 5_000;
    this.stopGraceSeconds = options.stopGraceSeconds ?? 30;
    this.options = { reconcileTimeoutMs: 120_000, maxConcurrentReconciles: 4, successLogLevel: "debug", ...options.controller };
    this.databases = informerFor(options.informers, options.store, "Database", { logger: this.log });
    this.secrets = informerFor(options.informers, options.store, "Secret", { logger: this.log });
  }

  sources(): Source[] {
    return [
      watchSource(this.databases),
      credentialSecretSource(this.secrets, this.databases),
      resyncSource(this.databases, this.resyncMs),
      containerEventSource(this.docker, "Database", this.databases, this.instance, this.log, { maxRetryMs: 5_000 }),
      ownerScanSource(this.docker, "Database", this.instance, this.resyncMs, this.log),
    ];
  }

  async reconcile(key: Key, ctx: ReconcileContext): Promise<Result> {
    const ref = parseKey(key) as OwnerRef;
    const db = await getIfExists(this.store, parseKey(key));
    if (!db) return this.removeOrphans(key, ref, ctx);
    if (db.metadata.deletionTimestamp) return this.finalize(key, db, ctx);
    await ensureFinalizer(this.store, db, DATABASE_FINALIZER);
    const facts: StatusFacts = { image: imageOf(db.spec as DatabaseSpec) };
    let verdict: Verdict;
    try {
      verdict = await this.converge(key, db, facts, ctx);
    } catch (err) {
      if (err instanceof NameConflictError) verdict = { ready: false, reason: "NameConflict", message: err.message, requeueAfterMs: 30_000 };
      else if (err instanceof CredentialsProblem) verdict = { ready: false, reason: err.reason, message: err.message, requeueAfterMs: 30_000 };
      else throw err;
    }
    // spec.restoreFrom: a new Database is filled from a Backup's snapshot before it is Ready (controllers/backup/restore-from.ts).
    if (verdict.ready) {
      const gate = await restoreFromGate(this.store, db);
      if (gate.state === "waiting") verdict = { ready: false, reason: gate.reason, message: gate.message, requeueAfterMs: gate.requeueAfterMs };
      if (gate.state === "done") facts.restoredFrom = gate.restoredFrom;
    }
    await this.writeDatabaseStatus(db, facts, verdict, ctx);
    return verdict.requeueAfterMs === undefined ? {} : { requeueAfterMs: verdict.requeueAfterMs };
  }

  /** converge brings the world to the Database's spec, one step after another, and says whether the engine answers. */
  private async converge(key: Key, db: Resource, facts: StatusFacts, ctx: ReconcileContext): Promise<Verdict> {
    const spec = db.spec as DatabaseSpec;
    const ref: OwnerRef = { kind: "Database", namespace: db.metadata.namespace!, name: db.metadata.name };
    const profile = ENGINES[spec.engine];
    const image = facts.image;
    facts.endpoint = { host: ref.name, port: profile.port };

    let imageEnv: string[];
    try {
      await ensureImage(this.docker, image, { signal: ctx.signal });
      imageEnv = (await this.docker.getImage(image).inspect({ abortSignal: withTimeout(ctx.signal) } as object)).Config?.Env ?? [];
      this.pullBackoff.forget(key);
    } catch (err) {
      if (!(err instanceof ImageNotFoundError || err instanceof ImagePullError)) throw err;
      const reason = err instanceof ImageNotFoundError ? "ImageNotFound" : "ImagePullFailed";
      return { ready: false, reason, message: err.message, requeueAfterMs: this.pullBackoff.when(key) };
    }
    const major = majorOf(profile, image, imageEnv);

    const { credentials, secretName } = await ensureCredentials(this.store, db);
    facts.secretName = secretName;
    const network = await this.ensureNetwork(ref.namespace, ctx.signal);
    const volume = await ensureDataVolume(this.docker, ref, spec, profile, major, ctx.signal);
    facts.volume = volume.name;

    const name = containerNameOf(ref);
    const current = await inspectContainer(this.docker, name, ctx.signal);
    if (current && !ownedBy(current.Config.Labels, ref)) throw new NameConflictError("container", name, current.Config.Labels?.[LABELS.owner]);
    if (volume.major !== undefined && major !== undefined && !profile.upgradable(volume.major, major)) {
      // The running engine (if any) is left as it is: the data stays readable by the version that wrote it.
      return {
        ready: false, reason: "UnsupportedUpgrade", requeueAfterMs: 60_000,
        message: `the data in volume ${volume.name} was initialised by ${spec.engine} ${volume.major}; ${spec.engine} ${major} cannot open it in place (dump it, then restore into a new Database)`,
      };
    }

    const desired = buildDatabaseContainer({ ref, uid: db.metadata.uid!, spec, profile, image, credentials, network, volume: volume.name, instance: this.instance });
    let container = current;
    const state = this.stateOf(key);
    if (container && (container.Config.Labels?.[LABELS.specHash] !== desired.hash || container.Config.Labels?.[DATABASE_LABELS.uid] !== db.metadata.uid)) {
      ctx.log.info(`replacing the container of Database ${ref.namespace}/${ref.name}: its configuration changed`);
      if (container.Config.Labels?.[DATABASE_LABELS.credentials] !== desired.spec.Labels?.[DATABASE_LABELS.credentials] && profile.setPassword) state.passwordChanged = true;
      await removeContainer(this.docker, container.Id, this.stopGraceSeconds, ctx.signal);
      this.recorder.record(db, "Normal", "Restarting", `the configuration changed (image ${image}): restarting on volume ${volume.name}`);
      container = undefined;
    }
    if (!container) {
      const id = await this.create(desired.spec, profile, credentials, ctx.signal);
      if (!id) return { ready: false, reason: "Starting", message: "another container of this name is being made", requeueAfterMs: 1_000 };
      const started = await this.start(id, ctx.signal);
      if (started) return started;
      state.startingSince = Date.now();
      state.restartAt = undefined;
      this.recorder.record(db, "Normal", "Created", `started ${image} on volume ${volume.name}`);
      container = await inspectContainer(this.docker, id, ctx.signal);
    } else if (!container.State.Running && db.metadata.annotations?.[RESTORING]) {
      // A restore (controllers/backup) stopped the engine to replace its data files: it starts it again itself.
      return { ready: false, reason: "Restoring", message: "a backup is being restored; the engine is stopped meanwhile", requeueAfterMs: 1_000 };
    } else if (!container.State.Running) {
      const wait = this.restartDelay(key, state, container.State.ExitCode);
      if (wait > 0) {
        return { ready: false, reason: "CrashLoop", requeueAfterMs: wait, message: `the engine exited ${state.exits.length} times in a row (last exit code ${container.State.ExitCode}); restarting in ${Math.ceil(wait / 1000)}s` };
      }
      const started = await this.start(container.Id, ctx.signal);
      if (started) return started;
      state.startingSince = Date.now();
      this.recorder.record(db, "Warning", "Restarted", `the engine's container had stopped (exit code ${container.State.ExitCode}); started it again`);
      container = await inspectContainer(this.docker, container.Id, ctx.signal);
    }
    if (!container?.State.Running) return { ready: false, reason: "Starting", message: "the engine's container is not running", requeueAfterMs: this.startingPollMs };

    return this.check(key, db, container.Id, profile, credentials, state);
  }

  /** check runs the engine's own readiness check and turns its answer into a verdict. */
  private async check(key: Key, db: Resource, id: string, profile: EngineProfile, credentials: Credentials, state: EngineState): Promise<Verdict> {
    // New credentials are set in the engine before it is called Ready: a check over a trusted local address
    // (the official postgres image trusts 127.0.0.1) would pass with the old password still in force.
    if (state.passwordChanged) await this.setPassword(db, id, profile, credentials, state);
    if (state.passwordChanged && profile.setPassword) {
      return { ready: false, reason: "Starting", message: `waiting for ${profile.engine} to take the new password`, requeueAfterMs: this.startingPollMs };
    }
    const check = profile.readiness(credentials);
    let result = await execIn(this.docker, id, check.cmd, check.env, this.checkTimeoutMs).catch(() => ({ exitCode: null }));
    if (result.exitCode !== 0 && (await this.setPassword(db, id, profile, credentials, state))) {
      result = await execIn(this.docker, id, check.cmd, check.env, this.checkTimeoutMs).catch(() => ({ exitCode: null }));
    }
    if (result.exitCode === 0) {
      state.startingSince = undefined;
      state.exits = [];
      this.crashBackoff.forget(key);
      return { ready: true, reason: "Ready", message: `${profile.engine} accepts connections`, requeueAfterMs: this.checkIntervalMs };
    }
    if (state.startingSince !== undefined) {
      // Poll often while the engine starts, so Ready follows it closely; less after a minute (a slow init).
      const poll = Date.now() - state.startingSince < 60_000 ? this.startingPollMs : 2_000;
      return { ready: false, reason: "Starting", message: `waiting for ${profile.engine} to accept connections`, requeueAfterMs: poll };
    }
    const why = result.exitCode === null ? "did not answer in time" : "refused the check";
    return { ready: false, reason: "NotResponding", message: `${profile.engine} ${why}`, requeueAfterMs: 1_000 };
  }

  /**
   * setPassword tells the engine the Secret's password when its data may know another: right after the
   * container was replaced with new credentials, and, should that have been missed (berthd restarted), every
   * 5 s while the engine refuses the check (after its first 10 s when this process started it). True when set.
   */
  private async setPassword(db: Resource, id: string, profile: EngineProfile, credentials: Credentials, state: EngineState): Promise<boolean> {
    if (!profile.setPassword) return false;
    const now = Date.now();
    // Not started by this process (berthd restarted), or starting for long: the password may be what is wrong.
    const stuck = state.startingSince === undefined || now - state.startingSince > 10_000;
    if (!state.passwordChanged && !stuck) return false;
    if (state.passwordAttemptAt !== undefined && now - state.passwordAttemptAt < (state.passwordChanged ? 500 : 5_000)) return false;
    state.passwordAttemptAt = now;
    const set = profile.setPassword(credentials);
    const result = await execIn(this.docker, id, set.cmd, set.env, this.checkTimeoutMs).catch(() => ({ exitCode: null }));
    if (result.exitCode !== 0) return false;
    const announced = state.passwordChanged;
    state.passwordChanged = false;
    if (announced) this.recorder.record(db, "Normal", "PasswordChanged", `set the password of user ${credentials.user} from Secret ${(db.status?.secretName as string | undefined) ?? "its credentials Secret"}`);
    return true;
  }

  /** create makes the container and puts the credential files in before it ever starts; undefined when the name was taken meanwhile. */
  private async create(spec: Parameters<typeof createContainer>[1], profile: EngineProfile, credentials: Credentials, signal: AbortSignal): Promise<string | undefined> {
    let id: string;
    try {
      id = await createContainer(this.docker, spec, signal);
    } catch (err) {
      if (isConflict(err)) return undefined;
      throw err;
    }
    try {
      await putSecretFiles(this.docker, id, profile.files(credentials), signal);
    } catch (err) {
      await removeContainer(this.docker, id, 0).catch(() => undefined);
      throw err;
    }
    return id;
  }

  /** start starts the container; a failure the user must fix (a host port taken) is a verdict, not a retry storm. */
  private async start(id: string, signal: AbortSignal): Promise<Verdict | undefined> {
    try {
      await startContainer(this.docker, id, signal);
      return undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (isStaleTask(err)) {
        // Docker kept a task of this container from before it restarted and refuses every start; the data is on
        // the volume, so the container is removed and the next pass makes a fresh one.
        await removeContainer(this.docker, id, 0, signal);
        return { ready: false, reason: "Starting", message: `replaced the engine's container: Docker could not start it again (${message.slice(0, 200)})`, requeueAfterMs: 500 };
      }
      if (/port is already allocated|address already in use/i.test(message)) return { ready: false, reason: "PortInUse", message: `spec.expose.port: ${message}`, requeueAfterMs: 30_000 };
      throw err;
    }
  }

  /** restartDelay records an unexpected exit and says how long to wait before starting again (0: now). */
  private restartDelay(key: Key, state: EngineState, _exitCode: number): number {
    const now = Date.now();
    if (state.restartAt !== undefined) return Math.max(0, state.restartAt - now);
    state.exits = [...state.exits.filter((t) => now - t < CRASH_LOOP_WINDOW_MS), now];
    if (state.exits.length < CRASH_LOOP_EXITS) return 0;
    const wait = this.crashBackoff.when(key);
    state.restartAt = now + wait;
    return wait;
  }

  private stateOf(key: Key): EngineState {
    let state = this.state.get(key);
    if (!state) this.state.set(key, (state = { exits: [] }));
    if (state.restartAt !== undefined && state.restartAt <= Date.now()) state.restartAt = undefined;
    return state;
  }

  /** writeDatabaseStatus writes the status once, with an event when the Ready condition changes. */
  private async writeDatabaseStatus(db: Resource, facts: StatusFacts, verdict: Verdict, ctx: ReconcileContext): Promise<void> {
    const generation = db.metadata.generation;
    let written: Resource;
    try {
      written = await writeStatus(this.store, db, (status) => {
        const next = setCondition(status, { type: "Ready", status: verdict.ready ? "True" : "False", reason: verdict.reason, message: verdict.message }, generation, ctx.now());
        next.observedGeneration = generation;
        if (facts.endpoint) next.endpoint = facts.endpoint;
        if (facts.secretName) next.secretName = facts.secretName;
        next.image = facts.image;
        if (facts.volume) next.volume = facts.volume;
        if (facts.restoredFrom) next.restoredFrom = facts.restoredFrom;
        return next;
      });
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    const before = db.status?.conditions?.find((c) => c.type === "Ready");
    if (before?.status === (verdict.ready ? "True" : "False") && before.reason === verdict.reason) return;
    // Starting is the normal way to Ready: it is not worth an event of its own after creation.
    if (!before && verdict.reason === "Starting") return;
    const type: EventType = verdict.ready || verdict.reason === "Starting" ? "Normal" : "Warning";
    this.recorder.record(written, type, verdict.reason, verdict.message);
  }

  /** finalize removes the container, and the volume with `deletionPolicy: Delete`, then lets the Database go. */
  private async finalize(key: Key, db: Resource, ctx: ReconcileContext): Promise<Result> {
    if (!(db.metadata.finalizers ?? []).includes(DATABASE_FINALIZER)) return {};
    const spec = db.spec as DatabaseSpec;
    const ref: OwnerRef = { kind: "Database", namespace: db.metadata.namespace!, name: db.metadata.name };
    const removed = await this.removeContainers(ref, ctx.signal);
    let volumes: string[] = [];
    if (spec.deletionPolicy === "Delete") volumes = await removeDataVolume(this.docker, ref, spec, ctx.signal);
    else await releaseCredentials(this.store, db);
    this.state.delete(key);
    this.pullBackoff.forget(key);
    this.crashBackoff.forget(key);
    const kept = spec.deletionPolicy === "Delete" ? "" : "; the data volume and its credentials Secret are kept (deletionPolicy: Retain)";
    this.recorder.record(db, "Normal", "Deleted", `removed ${removed} container(s)${volumes.length > 0 ? ` and volume ${volumes.join(", ")}` : ""}${kept}`);
    await removeFinalizer(this.store, db, DATABASE_FINALIZER);
    ctx.log.info(`cleaned up Database ${ref.namespace}/${ref.name}: ${removed} container(s), ${volumes.length} volume(s)`);
    return {};
  }

  /** removeOrphans removes the containers this berthd made for a Database that no longer exists; volumes are kept. */
  private async removeOrphans(key: Key, ref: OwnerRef, ctx: ReconcileContext): Promise<Result> {
    this.state.delete(key);
    const containers = await listContainers(this.docker, [ownerFilter(ref), instanceFilter(this.instance)], ctx.signal, false);
    await Promise.all(containers.map((c) => removeContainer(this.docker, c.id, this.stopGraceSeconds, ctx.signal)));
    if (containers.length > 0) ctx.log.info(`removed ${containers.length} orphan container(s) of missing Database ${ref.namespace}/${ref.name}`);
    return {};
  }

  private async removeContainers(ref: OwnerRef, signal: AbortSignal): Promise<number> {
    const containers = await listContainers(this.docker, ownerFilter(ref), signal, false);
    await Promise.all(containers.map((c) => removeContainer(this.docker, c.id, this.stopGraceSeconds, signal)));
    return containers.length;
  }

  /** ensureNetwork makes the namespace network (see NamespaceNetworks: one pool and one creation at a time, shared with Apps). */
  private ensureNetwork(namespace: string, signal: AbortSignal): Promise<string> {
    return this.networks.ensure(namespace, signal);
  }

}

/** StatusFacts are the status fields a reconcile learned, written with the Ready condition. */
interface StatusFacts {
  image: string;
  endpoint?: { host: string; port: number };
  secretName?: string;
  volume?: string;
  restoredFrom?: RestoredFrom;
}

/** createDatabaseController returns the Database controller, for `Manager.add`. */
export function createDatabaseController(options: DatabaseControllerOptions): DatabaseController {
  return new DatabaseController(options);
}
