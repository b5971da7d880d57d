import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** KUBECTL is kubectl 1.20 unpacked from Debian's kubernetes-client (see scripts/ and the README), or $BERTH_KUBECTL. */
export const KUBECTL = process.env.BERTH_KUBECTL ?? "/opt/berth-kubectl/usr/bin/kubectl";

/** kubectlMissing is the reason to skip, or undefined when the binary is there. */
export function kubectlMissing(): string | undefined {
  return existsSync(KUBECTL) ? undefined : `kubectl 1.20 not found at ${KUBECTL} (apt-get download kubernetes-client && dpkg -x kubernetes-client_*.deb /opt/berth-kubectl, or set BERTH_KUBECTL)`;
}

/** KubectlResult is a finished kubectl run. */
export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Kubectl runs kubectl with its own HOME (fresh discovery and HTTP caches) and a kubeconfig for one server. */
export class Kubectl {
  readonly home: string;
  private constructor(home: string) {
    this.home = home;
  }

  /** create writes `$HOME/.kube/config` with the server URL, its CA (certificate-authority-data) and a token. */
  static async create(server: string, ca: string, token: string): Promise<Kubectl> {
    const home = await mkdtemp(join(tmpdir(), "berth-kubectl-home-"));
    await mkdir(join(home, ".kube"));
    const kubeconfig = [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: berth, cluster: {server: "${server}", certificate-authority-data: ${Buffer.from(ca).toString("base64")}}}]`,
      `users: [{name: admin, user: {token: "${token}"}}]`,
      "contexts: [{name: berth, context: {cluster: berth, user: admin}}]",
      "current-context: berth",
      "",
    ].join("\n");
    await writeFile(join(home, ".kube", "config"), kubeconfig, { mode: 0o600 });
    return new Kubectl(home);
  }

  private env(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: this.home, KUBECONFIG: join(this.home, ".kube", "config") };
  }

  /** run runs kubectl to completion (bounded by timeoutMs) and never throws for a non-zero exit. */
  run(args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(KUBECTL, args, { env: this.env(), timeout: options.timeoutMs ?? 30_000, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
        if (error && typeof error.code !== "number" && !(error as { killed?: boolean }).killed) reject(error);
        else resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
      });
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  /** start runs a long-lived kubectl (`get -w`); the caller must stop() it. */
  start(args: string[]): StreamingKubectl {
    return new StreamingKubectl(spawn(KUBECTL, args, { env: this.env(), stdio: ["ignore", "pipe", "pipe"] }));
  }

  async dispose(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
  }
}

/** StreamingKubectl collects a running kubectl's output and waits (bounded) for text to appear in it. */
export class StreamingKubectl {
  stdout = "";
  stderr = "";
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(child: ChildProcess) {
    this.child = child;
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (this.stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  /** waitFor polls stdout until `predicate` holds, or fails after timeoutMs with what was printed. */
  async waitFor(predicate: (stdout: string) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.stdout)) {
      if (Date.now() > deadline) throw new Error(`kubectl did not print what was expected within ${timeoutMs} ms; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** stop kills the process and waits (bounded) for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5_000))]);
  }
}
