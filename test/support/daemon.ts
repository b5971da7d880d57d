import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { freePort } from "../../controllers/events/free-port.ts";

/** freePort is the one free-port finder, the one the daemon itself uses. */
export { freePort };

/** REPO is the repository root (tests run from dist/test/...). */
export const REPO = resolve(import.meta.dirname, "../../..");

/** eventually polls `check` until it returns a truthy value or the timeout passes, then throws its last error. */
export async function eventually<T>(check: () => Promise<T> | T, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = new Error(`${options.what ?? "condition"} not met`);
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? "condition"}: ${String((last as Error)?.message ?? last)}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

/** Daemon is a berthd child process started for a test, with the CLI environment that talks to it. */
export interface Daemon {
  dataDir: string;
  clientDir: string;
  port: number;
  url: string;
  process: ChildProcess;
  /** env for `berth` and kubectl child processes: BERTH_CONFIG points at the daemon's CLI config. */
  env: NodeJS.ProcessEnv;
  /** logs collected from the daemon's stdout and stderr. */
  logs(): string;
  /** stop sends SIGTERM and waits (bounded) for the exit code. */
  stop(): Promise<number | null>;
  /** kill9 sends SIGKILL and waits for the process to be gone. */
  kill9(): Promise<void>;
}

export interface DaemonOptions {
  dataDir?: string;
  clientDir?: string;
  port?: number;
  args?: string[];
  timeoutMs?: number;
  /** node is the Node binary to run berthd with (default: the one `bin/berthd`'s shebang finds on PATH). */
  node?: string;
}

/** startDaemon starts `bin/berthd` on a free port with its own data and client-config directories and waits for /readyz (every part started). */
export async function startDaemon(options: DaemonOptions = {}): Promise<Daemon> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "berth-e2e-data-")));
  const clientDir = options.clientDir ?? (await mkdtemp(join(tmpdir(), "berth-e2e-client-")));
  const port = options.port ?? (await freePort());
  const args = ["--data-dir", dataDir, "--api-port", String(port), "--api-host", "127.0.0.1", "--client-config-dir", clientDir, "--http-port", "0", "--https-port", "0", ...(options.args ?? [])];
  const berthd = join(REPO, "bin/berthd");
  const child = spawn(options.node ?? berthd, options.node ? [berthd, ...args] : args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? "info" } });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
  const url = `https://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`berthd exited with ${child.exitCode}:\n${output}`);
      return healthy(url, clientDir);
    },
    { timeoutMs: options.timeoutMs ?? 20_000, what: `berthd on ${url} to be healthy` },
  );
  const env = { ...process.env, BERTH_CONFIG: join(clientDir, "config.yaml"), KUBECONFIG: join(clientDir, "kubeconfig"), BERTH_SERVER: "", BERTH_TOKEN: "", BERTH_CA: "" };
  return {
    dataDir, clientDir, port, url, process: child, env,
    logs: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** healthy checks /readyz over HTTPS with the CA the daemon wrote into the CLI config. */
async function healthy(url: string, clientDir: string): Promise<boolean> {
  const text = await readFile(join(clientDir, "config.yaml"), "utf8").catch(() => undefined);
  if (text === undefined) return false;
  const config = parse(text) as { ca: string };
  const { request } = await import("node:https");
  return new Promise((ok) => {
    const req = request(`${url}/readyz`, { ca: config.ca, timeout: 1000 }, (res) => {
      res.resume();
      ok(res.statusCode === 200);
    });
    req.on("error", () => ok(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/**
 * reapNats kills the embedded nats-server a killed daemon left behind (its pid file is in the data dir): a
 * daemon killed with -9 cannot stop its child, and the next start would, but a test's last kill has no next start.
 */
export async function reapNats(dataDir: string): Promise<void> {
  const pid = Number(await readFile(join(dataDir, "nats", "nats-server.pid"), "utf8").catch(() => ""));
  if (pid > 0) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** removeDirs deletes test directories, ignoring what is already gone. */
export async function removeDirs(...dirs: string[]): Promise<void> {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
}
