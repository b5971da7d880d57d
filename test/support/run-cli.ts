import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { admit, type Resource } from "../../resources/index.ts";
import { startTestApi, type TestApi, type TestApiOptions } from "./api-harness.ts";

/** BERTH_BIN is the real executable under test (bin/berth, which loads dist/). */
export const BERTH_BIN = fileURLToPath(new URL("../../../bin/berth", import.meta.url));

/** CliResult is what one run of the CLI did. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** CliApi is a test API plus the environment that points the CLI at it, and a scratch directory. */
export interface CliApi extends TestApi {
  env: NodeJS.ProcessEnv;
  work: string;
  run(args: string[], options?: { stdin?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<CliResult>;
  spawn(args: string[]): CliProcess;
  /** seed admits and stores an object as the API would. */
  seed(raw: Record<string, unknown>): Promise<Resource>;
}

/** startCliApi starts the API and a scratch HOME (with no config file), so only BERTH_* variables configure the CLI. */
export async function startCliApi(options: TestApiOptions = {}): Promise<CliApi> {
  const api = await startTestApi(options);
  const work = await mkdtemp(join(tmpdir(), "berth-cli-"));
  await writeFile(join(work, "ca.pem"), api.ca);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: work,
    BERTH_CONFIG: join(work, "no-config.yaml"),
    BERTH_SERVER: api.url,
    BERTH_TOKEN: api.adminToken,
    BERTH_CA: join(work, "ca.pem"),
  };
  const processes: CliProcess[] = [];
  return Object.assign(Object.create(null) as object, api, {
    env,
    work,
    run: (args: string[], options: { stdin?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) => runCli(args, { ...options, env: { ...env, ...options.env } }),
    spawn: (args: string[]) => {
      const p = new CliProcess(args, env);
      processes.push(p);
      return p;
    },
    seed: (raw: Record<string, unknown>) => api.store.create(admit(raw)),
    async close() {
      for (const p of processes) p.stop();
      await api.close();
      await rm(work, { recursive: true, force: true });
    },
  }) as CliApi;
}

/** runCli runs `node bin/berth ARGS` to completion (bounded by timeoutMs) and captures its output. */
export function runCli(args: string[], options: { env: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BERTH_BIN, ...args], { env: options.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`berth ${args.join(" ")} did not finish within ${options.timeoutMs ?? 20_000} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

/** CliProcess is a long-running CLI (`get -w`, `events -w`) whose output a test waits on. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [BERTH_BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.on("data", (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
  }

  /** waitFor resolves with stdout once it matches, or fails after timeoutMs. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.stdout)) {
      if (Date.now() > deadline) throw new Error(`no output matching ${pattern} within ${timeoutMs} ms; stdout: ${JSON.stringify(this.stdout)}; stderr: ${JSON.stringify(this.stderr)}`);
      if (this.child.exitCode !== null) throw new Error(`the CLI exited (${this.child.exitCode}) before printing ${pattern}; stdout: ${this.stdout}; stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.stdout;
  }

  /** exited resolves with the exit code once the process ends, or fails after timeoutMs. */
  exited(timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the CLI did not exit within ${timeoutMs} ms; stdout: ${this.stdout}; stderr: ${this.stderr}`)), timeoutMs);
      this.child.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}
