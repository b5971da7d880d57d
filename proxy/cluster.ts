import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { ChallengeTokens } from "./challenges.ts";
import { CertMap, type CertificateSpec } from "./cert-map.ts";
import type { ProxyControl } from "./control.ts";
import { ProxyClosedError, ProxyStartError, ProxyUpdateTimeoutError } from "./errors.ts";
import type { InProcessProxyOptions } from "./in-process.ts";
import { isProxyMessage, type FromWorker, type ToWorker, type UpdateMessage, type WorkerConfig } from "./ipc.ts";
import type { RouteSpec } from "./route-table.ts";

/** ProxyClusterOptions: the in-process options plus how many workers, and bounds on starting and updating them. */
export interface ProxyClusterOptions extends InProcessProxyOptions {
  /** workers is how many proxy processes serve (default: one per core). */
  workers?: number;
  /** logLevel of the workers' own loggers (default info). */
  logLevel?: string;
  /** startTimeoutMs bounds a worker's start, listeners included (default 15 s). */
  startTimeoutMs?: number;
  /** updateTimeoutMs bounds the wait for every worker to apply an update (default 5 s). */
  updateTimeoutMs?: number;
}

interface Waiter {
  version: number;
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const STOP_TIMEOUT_MS = 10_000;
const MAX_RESPAWN_DELAY_MS = 30_000;

/**
 * ProxyCluster serves from worker processes, one per core, forked through node:cluster with `SCHED_NONE`: the
 * primary (the daemon) binds each listening socket once and shares it, and whichever worker wakes first accepts.
 * The spread is uneven under a burst of connects (libuv accepts while any are pending: 9/55 to 32/32 of 64 wrk
 * connections over two workers), but the daemon's event loop stays off the accept path, where `SCHED_RR` would
 * put it; one `reusePort` listener per worker would spread them evenly, and needs Node 22.12 or later.
 * The daemon keeps the desired state (routes, certificates, challenge tokens) and sends each change to every
 * worker; an update resolves once every live worker has acknowledged it. A worker that dies is replaced (with
 * backoff) and starts with the full current state, applied before it listens.
 */
export class ProxyCluster implements ProxyControl {
  private readonly options: ProxyClusterOptions;
  private readonly log: Logger;
  private readonly workers = new Map<number, { worker: Worker; applied: number }>();
  private readonly waiters = new Set<Waiter>();
  private routes: readonly RouteSpec[] = [];
  private certs: readonly CertificateSpec[] = [];
  private challenges = new ChallengeTokens();
  private version = 0;
  private ports = { httpPort: 0, httpsPort: 0 };
  private closing = false;
  private desired = 0;
  private respawnDelayMs = 1_000;
  private respawnTimer: NodeJS.Timeout | undefined;

  private constructor(options: ProxyClusterOptions) {
    this.options = options;
    this.log = options.logger;
  }

  /** start forks the workers and waits until every one listens; it throws ProxyStartError (after cleaning up) if one cannot. */
  static async start(options: ProxyClusterOptions): Promise<ProxyCluster> {
    if (!cluster.isPrimary) throw new ProxyStartError("a proxy cluster can only be started from a primary process");
    const proxy = new ProxyCluster(options);
    // Frozen at the first fork: the daemon forks nothing else through node:cluster.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    const url = new URL(import.meta.url);
    const ext = url.pathname.endsWith(".ts") ? ".ts" : ".js";
    cluster.setupPrimary({ exec: fileURLToPath(new URL(`./worker${ext}`, url)), args: [], execArgv: workerExecArgv(process.execArgv) });
    try {
      proxy.desired = Math.max(1, options.workers ?? availableParallelism());
      const ports = await Promise.all(Array.from({ length: proxy.desired }, () => proxy.spawn()));
      proxy.ports = ports[0]!;
    } catch (error) {
      await proxy.close();
      throw error;
    }
    return proxy;
  }

  get httpPort(): number {
    return this.ports.httpPort;
  }

  get httpsPort(): number {
    return this.ports.httpsPort;
  }

  /** pids lists the live workers' process ids. */
  get pids(): number[] {
    return [...this.workers.values()].map((w) => w.worker.process.pid!).filter((p) => p !== undefined);
  }

  async setRoutes(routes: readonly RouteSpec[]): Promise<void> {
    this.routes = routes.map((r) => ({ ...r, upstreams: r.upstreams.map((u) => ({ ...u })) }));
    return this.broadcast({ routes: [...this.routes] });
  }

  async setCertificates(certs: readonly CertificateSpec[]): Promise<void> {
    new CertMap(certs, this.options.fallback);
    this.certs = certs.map((c) => ({ ...c, hosts: [...c.hosts] }));
    return this.broadcast({ certs: [...this.certs] });
  }

  async setChallenge(token: string, keyAuthorization: string): Promise<void> {
    this.challenges = this.challenges.with(token, keyAuthorization);
    return this.broadcast({ challenges: this.challenges.entries() });
  }

  async deleteChallenge(token: string): Promise<void> {
    this.challenges = this.challenges.without(token);
    return this.broadcast({ challenges: this.challenges.entries() });
  }

  /** close stops every worker (each lets in-flight requests finish first), killing any that outlives the bound. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.respawnTimer);
    for (const waiter of this.waiters) this.settle(waiter, new ProxyClosedError("the proxy was closed"));
    const exits = [...this.workers.values()].map(({ worker }) => this.stopWorker(worker));
    await Promise.all(exits);
  }

  private broadcast(parts: Omit<UpdateMessage, "type" | "version">): Promise<void> {
    if (this.closing) return Promise.reject(new ProxyClosedError("the proxy was closed"));
    const message: UpdateMessage = { type: "berth-proxy:update", version: ++this.version, ...parts };
    for (const { worker } of this.workers.values()) send(worker, message);
    return new Promise<void>((resolve, reject) => {
      const timeoutMs = this.options.updateTimeoutMs ?? 5_000;
      const waiter: Waiter = {
        version: message.version,
        resolve,
        reject,
        timer: setTimeout(() => this.settle(waiter, new ProxyUpdateTimeoutError(`proxy update ${message.version} not applied by every worker within ${timeoutMs}ms`)), timeoutMs),
      };
      this.waiters.add(waiter);
      this.check();
    });
  }

  /** check resolves the updates every live worker has applied. */
  private check(): void {
    for (const waiter of this.waiters) {
      if ([...this.workers.values()].every((w) => w.applied >= waiter.version)) this.settle(waiter);
    }
  }

  private settle(waiter: Waiter, error?: Error): void {
    if (!this.waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }

  /** spawn forks one worker with the current state and resolves with its ports once it listens. */
  private spawn(): Promise<{ httpPort: number; httpsPort: number }> {
    const worker = cluster.fork({ BERTH_PROXY_WORKER: "1" });
    const entry = { worker, applied: 0 };
    this.workers.set(worker.id, entry);
    const config: WorkerConfig = {
      http: this.options.http,
      https: this.options.https,
      fallback: this.options.fallback,
      logLevel: this.options.logLevel ?? "info",
      ...(this.options.limits ? { limits: this.options.limits } : {}),
      ...(this.options.dataPlane ? { dataPlane: this.options.dataPlane } : {}),
      ...(this.options.publicHttpsPort ? { publicHttpsPort: this.options.publicHttpsPort } : {}),
    };
    worker.on("exit", (code, signal) => this.exited(worker, code, signal));
    return new Promise((resolve, reject) => {
      const timeoutMs = this.options.startTimeoutMs ?? 15_000;
      const timer = setTimeout(() => fail(new ProxyStartError(`proxy worker ${worker.process.pid} did not listen within ${timeoutMs}ms`)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        if (!worker.isDead()) worker.process.kill("SIGKILL");
        reject(error);
      };
      worker.on("message", (message: unknown) => {
        if (!isProxyMessage<FromWorker>(message)) return;
        if (message.type === "berth-proxy:ready") send(worker, { type: "berth-proxy:start", config, state: this.currentState() });
        else if (message.type === "berth-proxy:listening") {
          clearTimeout(timer);
          resolve({ httpPort: message.httpPort, httpsPort: message.httpsPort });
        } else if (message.type === "berth-proxy:applied") {
          entry.applied = Math.max(entry.applied, message.version);
          this.check();
        } else if (message.version === undefined) fail(new ProxyStartError(`proxy worker ${worker.process.pid} failed to start: ${message.message}`));
        else this.log.error({ worker: worker.process.pid, version: message.version }, `proxy worker could not apply an update: ${message.message}`);
      });
      worker.once("exit", (code) => {
        clearTimeout(timer);
        reject(new ProxyStartError(`proxy worker ${worker.process.pid} exited with code ${code} while starting`));
      });
    });
  }

  /** currentState is every part of the desired state, as the update a new worker starts from. */
  private currentState(): UpdateMessage {
    return { type: "berth-proxy:update", version: this.version, routes: [...this.routes], certs: [...this.certs], challenges: this.challenges.entries() };
  }

  private exited(worker: Worker, code: number | null, signal: string | null): void {
    this.workers.delete(worker.id);
    this.check();
    if (this.closing) return;
    this.log.error({ worker: worker.process.pid, code, signal }, `proxy worker exited; starting a new one in ${this.respawnDelayMs}ms`);
    clearTimeout(this.respawnTimer);
    this.respawnTimer = setTimeout(() => {
      for (let i = this.workers.size; i < this.desired && !this.closing; i++) {
        this.spawn().then(
          () => (this.respawnDelayMs = 1_000),
          (error: unknown) => this.log.error({ err: error }, "a replacement proxy worker did not start"),
        );
      }
    }, this.respawnDelayMs);
    this.respawnDelayMs = Math.min(this.respawnDelayMs * 2, MAX_RESPAWN_DELAY_MS);
  }

  private stopWorker(worker: Worker): Promise<void> {
    if (worker.isDead()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => worker.process.kill("SIGKILL"), STOP_TIMEOUT_MS);
      worker.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      send(worker, { type: "berth-proxy:stop" });
    });
  }
}

/**
 * workerExecArgv are the Node flags a worker runs with: the daemon's own, minus its small young generation (kept
 * small for the daemon's footprint, it would make a busy proxy collect garbage far more often), plus a garbage
 * collector on the worker's own thread: the helper threads of a parallel collector only contend with the
 * other workers for the same cores (measured: about 15% fewer CPU microseconds per proxied request).
 */
export function workerExecArgv(daemonArgv: readonly string[]): string[] {
  return [...daemonArgv.filter((flag) => !flag.startsWith("--max-semi-space-size") && flag !== "--single-threaded-gc"), "--single-threaded-gc"];
}

function send(worker: Worker, message: ToWorker): void {
  // A worker exiting between the check and the write fails the write (EPIPE) into the callback, not as an
  // unhandled 'error' event; its "exit" is handled on its own.
  if (worker.isConnected()) worker.send(message, undefined, () => {});
}
