import { createServer, type Server } from "node:net";
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import { ChallengeTokens } from "./challenges.ts";
import { CertMap, type CertificateSpec } from "./cert-map.ts";
import type { ProxyControl } from "./control.ts";
import { ProxyClosedError, ProxyStartError, ProxyUpdateTimeoutError } from "./errors.ts";
import type { InProcessProxyOptions } from "./in-process.ts";
import type { FromThread, ThreadConfig, ToThread, UpdateMessage } from "./ipc.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import type { RouteSpec } from "./route-table.ts";
import type { ListeningPorts } from "./server.ts";

/**
 * ListenerSharing is how the threads share a listening port: `reuse-port` gives each thread a socket of its own
 * bound to the port (SO_REUSEPORT: the kernel spreads connections evenly; Node 22.12 or later); `duplicate` has
 * the first thread bind the port and each other thread listen on a duplicate descriptor of that one socket
 * (proxy/duplicate.ts; whichever thread calls accept first gets a connection, as node:cluster's SCHED_NONE).
 */
export type ListenerSharing = "reuse-port" | "duplicate";

/** ProxyThreadsOptions: the in-process options plus how many threads, and bounds on starting and updating them. */
export interface ProxyThreadsOptions extends InProcessProxyOptions {
  /** workers is how many proxy threads serve (default: one per core). */
  workers?: number;
  /** logLevel: thread log records below it are not even posted (default info). */
  logLevel?: string;
  /** startTimeoutMs bounds a thread's start, listeners included (default 15 s). */
  startTimeoutMs?: number;
  /** updateTimeoutMs bounds the wait for every thread to apply an update (default 5 s). */
  updateTimeoutMs?: number;
  /** sharing forces how listeners are shared (default: reuse-port where Node supports it). */
  sharing?: ListenerSharing;
}

/**
 * THREAD_LIMITS size each thread's V8 heap. The young generation is where a proxy's short-lived request objects
 * die: 16 MB (semi-spaces of ~5 MB) keeps scavenges rare under load, while an idle thread stays small.
 */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 16 };

/**
 * ownYoungGeneration lets THREAD_LIMITS apply. bin/berthd runs with `--max-semi-space-size=1` (a small young
 * generation keeps the daemon's own thread small idle), and V8 gives that flag precedence over a worker's
 * `resourceLimits`; measured with the proxy bench under that flag, each proxied request cost ~17% more CPU
 * (35.9 µs against 30.7 µs). Every heap is sized when its isolate is created, so clearing the flag once the
 * daemon's heap exists keeps its young generation small and lets each thread's be THREAD_LIMITS'.
 */
function ownYoungGeneration(): void {
  if (process.execArgv.some((flag) => flag.startsWith("--max-semi-space-size"))) setFlagsFromString("--max-semi-space-size=0");
}
const MAX_RESPAWN_DELAY_MS = 30_000;

interface Thread {
  worker: Worker;
  /** id is the worker's threadId (gone from the Worker once it exited). */
  id: number;
  applied: number;
  /** fds are the thread's listening sockets, which a joining thread duplicates. */
  fds?: { http: number; https: number };
  /** stopping: the thread was told to stop, so its exit is no failure. */
  stopping: boolean;
}

interface Waiter {
  version: number;
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** reusePortSupported tells whether this Node's net.Server.listen takes `reusePort` (22.12+, 23.1+). */
export function reusePortSupported(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/**
 * ProxyThreads serves from worker threads inside the daemon's process, one per core: each thread runs only the
 * data plane (proxy/thread-main.ts) with a heap of its own, and the daemon's thread keeps the desired state
 * (routes, certificates, challenge tokens), posts each change to every thread and resolves an update once every
 * live thread has acknowledged it. A new thread starts with the full current state, applied before it listens.
 * The first thread binds the ports; every other thread joins it (see ListenerSharing), and each thread owns
 * its own listening sockets, so a thread that dies closes only its own: the others keep serving, and it is
 * replaced (with backoff) by a thread that joins a live one, or binds the same ports anew if none is left.
 */
export class ProxyThreads implements ProxyControl {
  private readonly options: ProxyThreadsOptions;
  private readonly sharing: ListenerSharing;
  private readonly threads = new Set<Thread>();
  private readonly waiters = new Set<Waiter>();
  private routes: readonly RouteSpec[] = [];
  private certs: readonly CertificateSpec[] = [];
  private challenges = new ChallengeTokens();
  private version = 0;
  private ports: ListeningPorts = { httpPort: 0, httpsPort: 0 };
  private closing = false;
  private readonly desired: number;
  private respawnDelayMs = 1_000;
  private respawnTimer: NodeJS.Timeout | undefined;

  private constructor(options: ProxyThreadsOptions) {
    this.options = options;
    this.sharing = options.sharing ?? (reusePortSupported() ? "reuse-port" : "duplicate");
    this.desired = Math.max(1, options.workers ?? availableParallelism());
  }

  /** start starts the threads and waits until every one listens; it throws ProxyStartError (after cleaning up) if one cannot. */
  static async start(options: ProxyThreadsOptions): Promise<ProxyThreads> {
    const proxy = new ProxyThreads(options);
    try {
      if (proxy.sharing === "reuse-port") {
        // SO_REUSEPORT lets a socket of this user join one already bound: fail, as a plain bind would, on a port in use.
        await Promise.all([options.http, options.https].map((t) => (t.port === 0 ? undefined : probe(t.port, t.host))));
      }
      const first = await proxy.spawn(proxy.bind(options.http.port, options.https.port));
      proxy.ports = { httpPort: first.httpPort, httpsPort: first.httpsPort };
      await Promise.all(Array.from({ length: proxy.desired - 1 }, () => proxy.spawn(proxy.join(first))));
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

  /** workers lists the live threads (tests end one to see it replaced). */
  get workers(): Worker[] {
    return [...this.threads].filter((t) => !t.stopping).map((t) => t.worker);
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

  /** close stops every thread; each lets in-flight requests finish for the grace period, bounded. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.respawnTimer);
    for (const waiter of this.waiters) this.settle(waiter, new ProxyClosedError("the proxy was closed"));
    const graceMs = this.options.limits?.closeGraceMs ?? DEFAULT_LIMITS.closeGraceMs;
    await Promise.all([...this.threads].map((thread) => this.stop(thread, graceMs)));
  }

  /** bind is how a thread binds the ports itself (with SO_REUSEPORT where every thread does). */
  private bind(httpPort: number, httpsPort: number): ThreadConfig["listen"] {
    const reusePort = this.sharing === "reuse-port" ? { reusePort: true } : {};
    return { http: { ...this.options.http, port: httpPort, ...reusePort }, https: { ...this.options.https, port: httpsPort, ...reusePort } };
  }

  /** join is how a thread joins the listening `thread`: on the same ports (reuse-port), or on duplicates of its sockets. */
  private join(thread: Thread): ThreadConfig["listen"] {
    if (this.sharing === "reuse-port" || !thread.fds) return this.bind(this.ports.httpPort, this.ports.httpsPort);
    return { fds: thread.fds, ports: { http: this.ports.httpPort, https: this.ports.httpsPort } };
  }

  private broadcast(parts: Omit<UpdateMessage, "type" | "version">): Promise<void> {
    if (this.closing) return Promise.reject(new ProxyClosedError("the proxy was closed"));
    const message: UpdateMessage = { type: "update", version: ++this.version, ...parts };
    for (const thread of this.threads) if (!thread.stopping) post(thread, message);
    return new Promise<void>((resolve, reject) => {
      const timeoutMs = this.options.updateTimeoutMs ?? 5_000;
      const waiter: Waiter = {
        version: message.version,
        resolve,
        reject,
        timer: setTimeout(() => this.settle(waiter, new ProxyUpdateTimeoutError(`proxy update ${message.version} not applied by every thread within ${timeoutMs}ms`)), timeoutMs),
      };
      this.waiters.add(waiter);
      this.check();
    });
  }

  /** check resolves the updates every live thread has applied. */
  private check(): void {
    for (const waiter of this.waiters) {
      if ([...this.threads].every((t) => t.stopping || t.applied >= waiter.version)) this.settle(waiter);
    }
  }

  private settle(waiter: Waiter, error?: Error): void {
    if (!this.waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }

  /** spawn starts one thread with the current state and resolves once it listens. */
  private spawn(listen: ThreadConfig["listen"]): Promise<Thread & ListeningPorts> {
    const config: ThreadConfig = {
      listen,
      fallback: this.options.fallback,
      logLevel: this.options.logLevel ?? "info",
      state: { type: "update", version: this.version, routes: [...this.routes], certs: [...this.certs], challenges: this.challenges.entries() },
      ...(this.options.limits ? { limits: this.options.limits } : {}),
      ...(this.options.dataPlane ? { dataPlane: this.options.dataPlane } : {}),
      ...(this.options.publicHttpsPort ? { publicHttpsPort: this.options.publicHttpsPort } : {}),
    };
    const url = new URL(import.meta.url);
    const entry = new URL(`./thread-main${url.pathname.endsWith(".ts") ? ".ts" : ".js"}`, url);
    ownYoungGeneration();
    const worker = new Worker(entry, { workerData: config, resourceLimits: THREAD_LIMITS, name: "berth-proxy" });
    const thread: Thread = { worker, id: worker.threadId, applied: this.version, stopping: false };
    this.threads.add(thread);
    const log = this.options.logger;
    return new Promise((resolve, reject) => {
      const timeoutMs = this.options.startTimeoutMs ?? 15_000;
      const timer = setTimeout(() => reject(new ProxyStartError(`a proxy thread did not listen within ${timeoutMs}ms`)), timeoutMs);
      worker.on("message", (message: FromThread) => {
        if (message.type === "log") log[message.level]({ thread: thread.id, ...message.fields }, message.message);
        else if (message.type === "listening") {
          clearTimeout(timer);
          thread.fds = message.fds;
          resolve({ ...thread, httpPort: message.httpPort, httpsPort: message.httpsPort });
        } else if (message.type === "applied") {
          thread.applied = Math.max(thread.applied, message.version);
          this.check();
        } else if (message.version === undefined) {
          clearTimeout(timer);
          reject(new ProxyStartError(`a proxy thread failed to start: ${message.message}`));
        } else log.error({ thread: thread.id, version: message.version }, `a proxy thread could not apply an update: ${message.message}`);
      });
      // An error that escaped the thread's own handlers (out of memory, most likely): its exit follows.
      worker.on("error", (error) => log.error({ err: error, thread: thread.id }, "proxy thread failed"));
      worker.once("exit", (code) => {
        clearTimeout(timer);
        reject(new ProxyStartError(`a proxy thread exited with code ${code} while starting`));
        this.exited(thread, code);
      });
    });
  }

  private exited(thread: Thread, code: number): void {
    const started = thread.fds !== undefined;
    this.threads.delete(thread);
    this.check();
    // A thread that failed to start is reported by spawn (and a replacement retried by replace).
    if (thread.stopping || this.closing || !started) return;
    this.options.logger.error({ thread: thread.id, code }, `proxy thread exited; starting a new one in ${this.respawnDelayMs}ms`);
    this.scheduleReplace();
  }

  private scheduleReplace(): void {
    clearTimeout(this.respawnTimer);
    if (this.closing) return;
    this.respawnTimer = setTimeout(() => this.replace(), this.respawnDelayMs);
    this.respawnDelayMs = Math.min(this.respawnDelayMs * 2, MAX_RESPAWN_DELAY_MS);
  }

  /** replace starts threads until the desired count serves again, joining a live thread, or binding the ports if none is left. */
  private replace(): void {
    for (let i = this.threads.size; i < this.desired && !this.closing; i++) {
      const live = [...this.threads].find((t) => t.fds && !t.stopping);
      this.spawn(live ? this.join(live) : this.bind(this.ports.httpPort, this.ports.httpsPort)).then(
        () => (this.respawnDelayMs = 1_000),
        (error: unknown) => {
          this.options.logger.error({ err: error }, `a replacement proxy thread did not start; trying again in ${this.respawnDelayMs}ms`);
          this.scheduleReplace();
        },
      );
      // Without a live thread the first replacement binds the ports; the others join it on the next round.
      if (!live) break;
    }
  }

  /** stop asks a thread to stop (it lets in-flight requests finish for `graceMs`), terminating it if it outlives the bound. */
  private stop(thread: Thread, graceMs: number): Promise<void> {
    thread.stopping = true;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => void thread.worker.terminate(), graceMs + 5_000);
      thread.worker.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      post(thread, { type: "stop", graceMs });
    });
  }
}

function post(thread: Thread, message: ToThread): void {
  // A thread that already exited has closed its port: the message is dropped, and its "exit" is handled.
  thread.worker.postMessage(message);
}

/** probe fails with ProxyStartError if the port cannot be bound without SO_REUSEPORT (it is in use). */
function probe(port: number, host?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer((socket) => socket.destroy());
    server.once("error", (error) => reject(new ProxyStartError(`proxy listener on port ${port}: ${error.message}`, { cause: error })));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}
