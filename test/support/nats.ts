import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect as tcpConnect } from "node:net";
import { freePort } from "../../controllers/events/free-port.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** TestNats is a real nats-server with JetStream, on 127.0.0.1 and a free port, storing under a temp dir. */
export interface TestNats {
  url: string;
  port: number;
  /** storeDir is the JetStream store directory (it survives stop() so a restart keeps the streams). */
  storeDir: string;
  /** stop ends the server (SIGTERM, then SIGKILL after 5 s); the port and store stay reserved for start(). */
  stop(): Promise<void>;
  /** start starts it again on the same port and store. */
  start(): Promise<void>;
}

/** TestNatsOptions secure a test server: users it admits (no anonymous client then), and a TLS certificate. */
export interface TestNatsOptions {
  users?: Array<{ user: string; password: string }>;
  /** tls: PEM certificate and key the server presents; clients must then use TLS. */
  tls?: { cert: string; key: string };
}

/** NATS_SERVER is the binary the tests run: `nats-server` from Debian (scripts/install.sh installs it). */
const NATS_SERVER = ["/usr/sbin/nats-server", "/usr/bin/nats-server"].find((p) => spawnSync(p, ["--version"]).status === 0) ?? "nats-server";

/**
 * startTestNats starts a nats-server for one test and registers its teardown with `t.after`: the server is
 * stopped and its directory removed even when the test fails.
 */
export async function startTestNats(t: { after(fn: () => unknown): void }, options: TestNatsOptions = {}): Promise<TestNats> {
  const dir = await mkdtemp(join(tmpdir(), "berth-nats-test-"));
  const storeDir = join(dir, "jetstream");
  const port = await freePort();
  const secured = options.users !== undefined || options.tls !== undefined;
  let args = ["-js", "-sd", storeDir, "-a", "127.0.0.1", "-p", String(port)];
  if (secured) {
    const q = (value: string) => JSON.stringify(value);
    const lines = [`host: "127.0.0.1"`, `port: ${port}`, `jetstream { store_dir: ${q(storeDir)} }`];
    if (options.users) lines.push(`authorization { users: [ ${options.users.map((u) => `{ user: ${q(u.user)}, password: ${q(u.password)} }`).join(", ")} ] }`);
    if (options.tls) {
      await writeFile(join(dir, "cert.pem"), options.tls.cert);
      await writeFile(join(dir, "key.pem"), options.tls.key, { mode: 0o600 });
      lines.push(`tls { cert_file: ${q(join(dir, "cert.pem"))}, key_file: ${q(join(dir, "key.pem"))} }`);
    }
    await writeFile(join(dir, "server.conf"), `${lines.join("\n")}\n`, { mode: 0o600 });
    args = ["-c", join(dir, "server.conf")];
  }
  let child: ChildProcess | undefined;

  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGTERM");
    const timer = setTimeout(() => running.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  const start = async () => {
    if (child) throw new Error("test nats-server is already running");
    const spawned = spawn(NATS_SERVER, args, { stdio: ["ignore", "ignore", "pipe"] });
    child = spawned;
    let stderr = "";
    spawned.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const failed = new Promise<never>((_, reject) => {
      spawned.once("error", (err) => reject(new Error(`cannot run ${NATS_SERVER}: nats-server is missing (scripts/install.sh installs it): ${err.message}`)));
      spawned.once("exit", (code) => reject(new Error(`nats-server exited with ${code}: ${stderr}`)));
    });
    failed.catch(() => undefined);
    const probing = new AbortController();
    try {
      await Promise.race([failed, waitForInfo(port, 10_000, probing.signal)]);
    } finally {
      probing.abort();
    }
  };

  t.after(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });
  await start();
  return { url: `nats://127.0.0.1:${port}`, port, storeDir, stop, start };
}

/** waitForInfo polls until the server greets a client with its INFO line, JetStream on. */
async function waitForInfo(port: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal.aborted) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect({ host: "127.0.0.1", port });
      socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
      socket.on("error", () => resolve(false));
      socket.once("data", (chunk) => (socket.destroy(), resolve(chunk.toString().includes('"jetstream":true'))));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server on port ${port} not ready within ${timeoutMs} ms`);
}
