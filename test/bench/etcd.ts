/**
 * etcd runs a real single-node etcd for the store benchmark's baseline: Debian's `etcd-server`, installed with
 * apt if missing, on loopback ports in a temp directory, talked to through its v3 HTTP/JSON gateway with
 * keep-alive connections (a process per put, as with etcdctl, would measure process start-up, not etcd).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { freePort } from "../../controllers/events/free-port.ts";
import path from "node:path";

/** EtcdUnavailableError means etcd could not be installed or started here. */
export class EtcdUnavailableError extends Error {
  override name = "EtcdUnavailableError";
}

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** ensureEtcd installs etcd-server and etcd-client with apt when `etcd` is not on the PATH. */
export function ensureEtcd(log: (line: string) => void): void {
  if (spawnSync("which", ["etcd"]).status === 0) return;
  log("etcd missing: installing etcd-server and etcd-client with apt-get");
  const install = () => spawnSync("apt-get", ["install", "-y", "-q", "etcd-server", "etcd-client"], { stdio: "ignore", timeout: 120_000, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (install().status !== 0) {
    spawnSync("apt-get", ["update", "-q"], { stdio: "ignore", timeout: 120_000 });
    if (install().status !== 0) throw new EtcdUnavailableError("apt-get install etcd-server failed (root and Debian's mirror are needed)");
  }
  if (spawnSync("which", ["etcd"]).status !== 0) throw new EtcdUnavailableError("etcd is still not on the PATH after installing etcd-server");
}

/** EtcdServer is a running etcd and a keep-alive client for it. */
export class EtcdServer {
  readonly url: string;
  readonly dir: string;
  private readonly child: ChildProcess;
  private readonly agent: Agent;
  private readonly killOnExit: () => void;

  private constructor(url: string, dir: string, child: ChildProcess, connections: number) {
    this.url = url;
    this.dir = dir;
    this.child = child;
    this.agent = new Agent({ keepAlive: true, maxSockets: connections });
    this.killOnExit = () => void child.kill("SIGKILL");
    process.on("exit", this.killOnExit);
  }

  /** start launches etcd in a new directory under `parent` (the same file system the store is measured on). */
  static async start(parent: string, connections: number): Promise<EtcdServer> {
    const dir = await mkdtemp(path.join(parent, "berth-etcd-"));
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const client = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const child = spawn("etcd", [
      "--name", "bench", "--data-dir", path.join(dir, "data"),
      "--listen-client-urls", client, "--advertise-client-urls", client,
      "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", `bench=${peer}`,
      "--log-level", "error",
    ], { stdio: "ignore" });
    const server = new EtcdServer(client, dir, child, connections);
    try {
      await server.waitReady();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** put stores one key; it resolves once etcd has committed it (fsynced to its WAL). */
  async put(key: string, value: Buffer | string): Promise<void> {
    const body = JSON.stringify({ key: Buffer.from(key).toString("base64"), value: Buffer.from(value).toString("base64") });
    const { status, text } = await this.post("/v3/kv/put", body);
    if (status !== 200) throw new Error(`etcd put failed (${status}): ${text}`);
  }

  /** cpuSeconds is the CPU time (user + system) the etcd process has used so far, from /proc. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }

  /** stop ends etcd (SIGTERM, then SIGKILL) and removes its directory. */
  async stop(): Promise<void> {
    this.agent.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, "exit");
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    process.off("exit", this.killOnExit);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let last: unknown;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new EtcdUnavailableError(`etcd exited with code ${this.child.exitCode}`);
      try {
        const { status } = await this.post("/v3/maintenance/status", "{}");
        if (status === 200) return;
      } catch (error) {
        last = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new EtcdUnavailableError(`etcd did not answer within ${START_TIMEOUT_MS} ms: ${String(last)}`);
  }

  private post(urlPath: string, body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.url}${urlPath}`, { method: "POST", agent: this.agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`etcd request timed out after ${REQUEST_TIMEOUT_MS} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }
}

/** CLOCK_TICKS is the unit of CPU times in /proc (USER_HZ). */
const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

