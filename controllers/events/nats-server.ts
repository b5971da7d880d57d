import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdir } from "node:fs/promises";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../lib/logger.ts";
import { NatsServerError } from "./errors.ts";
import { freePort } from "./free-port.ts";
import type { NatsClientAuth } from "./nats-client-auth.ts";
import { ensureEmbeddedCredentials, writePrivateFile, type EmbeddedCredentials } from "./nats-credentials.ts";
import { stopStaleProcess } from "./stale-process.ts";

/** EmbeddedNatsOptions configure the nats-server child that berthd runs when no `--nats-url` is given. */
export interface EmbeddedNatsOptions {
  /** dataDir is berthd's data directory; JetStream keeps its store in `<dataDir>/nats`. */
  dataDir: string;
  logger: Logger;
  /** port to listen on (127.0.0.1 only); default: a free one, kept across restarts so clients reconnect. */
  port?: number;
  /** binary is the nats-server executable (default `nats-server` from PATH, /usr/sbin included). */
  binary?: string;
  /** readyTimeoutMs bounds each start (default 15 s). */
  readyTimeoutMs?: number;
  /** stopTimeoutMs is how long stop() waits after SIGTERM before SIGKILL (default 5 s). */
  stopTimeoutMs?: number;
}

/**
 * EmbeddedNats is a running nats-server child: restarted if it dies, stopped with stop() or when berthd exits.
 * It listens on 127.0.0.1 only and admits one user, whose credentials `auth` holds: no anonymous client.
 */
export interface EmbeddedNats {
  /** url has no credentials in it: connect with `auth` (see connectOptionsFor). */
  readonly url: string;
  readonly port: number;
  /** auth is the user and password berthd connects with (from `<dataDir>/nats/credentials`, mode 0600). */
  readonly auth: NatsClientAuth;
  /** pid of the current nats-server process (undefined while it is being restarted). */
  pid(): number | undefined;
  /** restarts counts the unexpected exits that were followed by a restart. */
  restarts(): number;
  stop(): Promise<void>;
}

const FIRST_START_ATTEMPTS = 3;
const MAX_BACKOFF_MS = 10_000;
/** STABLE_MS: a server that ran this long is healthy again, and the restart backoff starts over. */
const STABLE_MS = 30_000;

/** startEmbeddedNats starts nats-server with JetStream under `<dataDir>/nats` and resolves once it accepts clients. */
export async function startEmbeddedNats(options: EmbeddedNatsOptions): Promise<EmbeddedNats> {
  const server = new NatsServerProcess(options);
  await server.start();
  return server;
}

class NatsServerProcess implements EmbeddedNats {
  port = 0;
  private readonly options: Required<Omit<EmbeddedNatsOptions, "port">> & { port?: number };
  private readonly storeDir: string;
  private readonly pidFile: string;
  private readonly configFile: string;
  private readonly credentialsFile: string;
  private credentials: EmbeddedCredentials | undefined;
  private child: ChildProcess | undefined;
  private stopping = false;
  /** running: the first start succeeded; only from then on is an exit a crash to recover from. */
  private running = false;
  private restartCount = 0;
  private failuresInRow = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly onParentExit = () => void this.child?.kill("SIGTERM");

  constructor(options: EmbeddedNatsOptions) {
    this.options = {
      ...options,
      binary: options.binary ?? "nats-server",
      readyTimeoutMs: options.readyTimeoutMs ?? 15_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 5000,
    };
    this.storeDir = join(options.dataDir, "nats");
    this.pidFile = join(this.storeDir, "nats-server.pid");
    this.configFile = join(this.storeDir, "nats-server.conf");
    this.credentialsFile = join(this.storeDir, "credentials");
  }

  get auth(): NatsClientAuth {
    return { user: this.credentials!.user, password: this.credentials!.password };
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  restarts(): number {
    return this.restartCount;
  }

  async start(): Promise<void> {
    // Owner-only: the JetStream files hold every namespace's changes, readable on disk without the password.
    await mkdir(this.storeDir, { recursive: true, mode: 0o700 });
    await chmod(this.storeDir, 0o700);
    this.credentials = await ensureEmbeddedCredentials(this.credentialsFile);
    // Two servers on one store would corrupt it: end one a killed berthd left behind.
    await stopStaleProcess(this.pidFile, ["nats-server", this.storeDir], this.options.logger);
    process.on("exit", this.onParentExit);
    for (let attempt = 1; ; attempt++) {
      this.port = this.options.port ?? (await freePort());
      try {
        await this.spawnAndWait();
        this.running = true;
        return;
      } catch (err) {
        await this.killChild();
        // A free port can be taken before nats-server binds it; choose again unless the port was given
        // (or the binary cannot even run).
        const retry = this.options.port === undefined && attempt < FIRST_START_ATTEMPTS && !this.stopping && this.child?.pid !== undefined;
        if (!retry) {
          await this.stop();
          throw err;
        }
        this.options.logger.warn({ err: (err as Error).message, port: this.port }, "nats-server did not start; trying another port");
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    process.removeListener("exit", this.onParentExit);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    if (!(await within(exited, this.options.stopTimeoutMs))) {
      this.options.logger.warn({ pid: child.pid }, "nats-server did not stop on SIGTERM; killing it");
      child.kill("SIGKILL");
      await within(exited, 2000);
    }
  }

  /** killChild ends a child that failed to start (it may still be running, e.g. not ready in time). */
  private async killChild(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await within(exited, 2000);
  }

  /** spawnAndWait starts one nats-server process and resolves once it accepts clients with JetStream on. */
  private async spawnAndWait(): Promise<void> {
    // Everything goes in a config file (mode 0600): the password on the command line would be readable by
    // every local user in /proc.
    await writePrivateFile(this.configFile, serverConfig({ port: this.port, storeDir: this.storeDir, pidFile: this.pidFile, credentials: this.credentials! }));
    const args = ["-c", this.configFile];
    // detached: its own process group, so a Ctrl-C meant for berthd does not also kill nats-server mid-shutdown;
    // berthd stops it itself, in order, after the bus has flushed.
    const child = spawn(this.options.binary, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PATH: `${process.env.PATH ?? ""}:/usr/sbin:/usr/local/sbin` } });
    this.child = child;
    const startedAt = Date.now();
    const failed = new Promise<never>((_, reject) => {
      child.once("error", (err) => reject(new NatsServerError(`cannot run ${this.options.binary} (install it: scripts/install.sh): ${err.message}`, { cause: err })));
      child.once("exit", (code, signal) => reject(new NatsServerError(`nats-server exited during start-up (${signal ?? `code ${code}`})`)));
    });
    failed.catch(() => undefined);
    child.on("error", (err) => this.options.logger.error({ err: err.message }, "nats-server process error"));
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream! }).on("line", (line) => this.logLine(line));
    child.once("exit", (code, signal) => this.exited(child, startedAt, code, signal));
    const probing = new AbortController();
    try {
      await Promise.race([failed, acceptsClients(this.port, this.options.readyTimeoutMs, probing.signal)]);
    } finally {
      probing.abort();
    }
    this.options.logger.info({ url: this.url, pid: child.pid, storeDir: this.storeDir }, "nats-server is ready");
  }

  private exited(child: ChildProcess, startedAt: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || !this.running || child !== this.child) return;
    this.failuresInRow = Date.now() - startedAt >= STABLE_MS ? 1 : this.failuresInRow + 1;
    const delay = Math.min(250 * 2 ** (this.failuresInRow - 1), MAX_BACKOFF_MS);
    this.options.logger.warn({ code, signal, restartInMs: delay }, "nats-server exited unexpectedly; restarting it");
    this.restartTimer = setTimeout(() => void this.restart(), delay);
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    this.restartCount++;
    try {
      await this.spawnAndWait();
    } catch (err) {
      if (this.stopping) return;
      // A failed start also exits (that schedules the next try); one that hangs is ended so that it does.
      this.options.logger.error({ err: (err as Error).message, port: this.port }, "nats-server restart failed");
      if (this.pid() !== undefined) this.child?.kill("SIGKILL");
    }
  }

  private logLine(line: string): void {
    const log = this.options.logger;
    if (/\[(ERR|FTL)\]/.test(line)) log.error({ component: "nats-server" }, line);
    else if (line.includes("[WRN]")) log.warn({ component: "nats-server" }, line);
    else log.debug({ component: "nats-server" }, line);
  }
}

/**
 * serverConfig is nats-server's configuration: JetStream in the store directory, loopback only, and an
 * `authorization` block with berthd's user. With users listed and no `no_auth_user`, a client without
 * credentials is refused (`Authorization Violation`).
 */
export function serverConfig(options: { port: number; storeDir: string; pidFile: string; credentials: EmbeddedCredentials }): string {
  const q = (value: string) => JSON.stringify(value);
  return [
    `server_name: "berthd"`,
    `host: "127.0.0.1"`,
    `port: ${options.port}`,
    `pid_file: ${q(options.pidFile)}`,
    `jetstream {`,
    `  store_dir: ${q(options.storeDir)}`,
    `}`,
    `authorization {`,
    `  users: [`,
    `    { user: ${q(options.credentials.user)}, password: ${q(options.credentials.password)} }`,
    `  ]`,
    `}`,
    ``,
  ].join("\n");
}

/** within resolves true when `promise` settles within `timeoutMs`, false otherwise; it leaves no timer behind. */
async function within(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([promise.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** PROBE_INTERVAL_MS is the pause between two probes of a starting nats-server. */
const PROBE_INTERVAL_MS = 5;

/** acceptsClients resolves once a client connecting to the port gets an INFO line that has JetStream on. */
async function acceptsClients(port: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal.aborted) {
    if (await probe(port, Math.min(1000, deadline - Date.now()))) return;
    // nats-server is usually ready some tens of milliseconds after it is spawned, and berthd's start waits for
    // it: a short pause between probes (each is one refused loopback connection) keeps that wait close to it.
    await sleep(PROBE_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
  }
  throw new NatsServerError(`nats-server did not accept clients on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

function probe(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    let received = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("error", () => done(false));
    socket.on("data", (chunk) => {
      received += chunk.toString("utf8");
      if (received.includes("\r\n")) done(received.startsWith("INFO ") && received.includes('"jetstream":true'));
    });
  });
}
