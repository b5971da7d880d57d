import { randomBytes } from "node:crypto";
import { STREAM_BUFFER } from "./tee.ts";
import { PassThrough, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Duplex } from "node:stream";
import type { DockerClient } from "../docker/index.ts";
import { withTimeout } from "../docker/index.ts";
import { DockerDemux } from "./demux.ts";

/** STDERR_LIMIT bounds how much of a tool's stderr is kept for its error message. */
const STDERR_LIMIT = 16 * 1024;

/** ExecOptions describe one command run inside a container. */
export interface ExecOptions {
  container: string;
  cmd: string[];
  /** env carries secrets (PGPASSWORD, MYSQL_PWD, REDISCLI_AUTH): an exec's environment is never on a command line. */
  env?: Record<string, string>;
  /**
   * stdin opens the command's standard input: RunningExec.stdin takes it, with backpressure, and its end
   * closes it. Once the command has exited, what is still written is discarded (pg_restore --list stops
   * reading after the table of contents), so the writer upstream can finish hashing.
   */
  stdin?: boolean;
  user?: string;
  signal?: AbortSignal;
}

/** RunningExec is a started command: its stdout as a stream, and its end (exit code and stderr). */
export interface RunningExec {
  stdout: Readable;
  /** stdin is the command's standard input, when asked for. */
  stdin?: Writable;
  /** done resolves once the command has exited: its exit code and the tail of its stderr. */
  done: Promise<ExecResult>;
}

/** ExecResult is how a command ended. */
export interface ExecResult {
  exitCode: number;
  stderr: string;
}

/** ExecFailedError is a command that exited non-zero: its message is the tool's own error text. */
export class ExecFailedError extends Error {
  readonly tool: string;
  readonly exitCode: number;
  readonly stderr: string;

  constructor(tool: string, exitCode: number, stderr: string) {
    super(`${tool} exited with code ${exitCode}${stderr.trim() ? `: ${stderr.trim().split("\n").slice(-5).join(" | ")}` : ""}`);
    this.name = "ExecFailedError";
    this.tool = tool;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/**
 * startExec runs `cmd` in a container through the Engine's exec API and returns its stdout as a stream that
 * the caller must consume (it is what the dump tools write their dumps to). The signal reaches Docker: an
 * abort closes the attach connection, and the tool gets EPIPE and exits.
 */
export async function startExec(docker: DockerClient, options: ExecOptions): Promise<RunningExec> {
  // Tags the command's process so an abort can find and kill it (see killTagged).
  const tag = randomBytes(8).toString("hex");
  const env = Object.entries({ ...options.env, [EXEC_TAG]: tag }).map(([k, v]) => `${k}=${v}`);
  const exec = await docker.getContainer(options.container).exec({
    Cmd: options.cmd,
    Env: env,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: options.stdin === true,
    ...(options.user ? { User: options.user } : {}),
    abortSignal: withTimeout(options.signal),
  } as Parameters<ReturnType<DockerClient["getContainer"]>["exec"]>[0]);
  const stream = (await exec.start({ hijack: true, stdin: options.stdin === true, abortSignal: options.signal } as never)) as unknown as Duplex;
  const abort = () => stream.destroy(new Error(`${options.cmd[0]} aborted`));
  options.signal?.addEventListener("abort", abort, { once: true });
  let stderr = "";
  const demux = new DockerDemux((chunk) => {
    if (stderr.length < STDERR_LIMIT) stderr += chunk.toString("utf8");
  });
  const stdout = new PassThrough({ highWaterMark: STREAM_BUFFER });
  const stdin = options.stdin ? new ExecStdin(stream) : undefined;
  const draining = pipeline(stream, demux, stdout);
  const done = (async (): Promise<ExecResult> => {
    // A connection reset while input is still being written (the tool exited first) is not the tool's
    // failure: its exit code says how it ended.
    let cut: unknown;
    try {
      await draining;
    } catch (error) {
      cut = error;
      stdout.end();
    } finally {
      options.signal?.removeEventListener("abort", abort);
    }
    if (options.signal?.aborted) {
      await killTagged(docker, options.container, tag);
      throw options.signal.reason ?? new Error("aborted");
    }
    // The attach stream can end a moment before the Engine records the exit code.
    for (let i = 0; i < 50; i++) {
      const info = (await exec.inspect({ abortSignal: withTimeout(options.signal) } as never)) as unknown as { Running: boolean; ExitCode: number | null };
      if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode ?? 0, stderr };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw cut ?? new Error(`${options.cmd[0]}: the Engine never reported an exit code`);
  })();
  done.catch(() => {});
  return { stdout, ...(stdin ? { stdin } : {}), done };
}

/** EXEC_TAG is the environment variable that tags each exec'd command with an id of its own. */
const EXEC_TAG = "BERTH_EXEC_ID";

/**
 * killTagged ends the command tagged `tag` in the container. Closing the attach connection is not enough: a
 * tool that writes nothing (pg_dump waiting on a table lock) never sees the broken pipe and would stay, with
 * its database session, until what it waits for comes. The Engine has no API to kill an exec, so a second
 * exec finds the process by its tag in /proc and sends SIGTERM. Best effort: it fails quietly.
 */
async function killTagged(docker: DockerClient, container: string, tag: string): Promise<void> {
  const script = `for p in /proc/[0-9]*; do tr '\\0' '\\n' < "$p/environ" 2>/dev/null | grep -qx "${EXEC_TAG}=$BERTH_KILL_TAG" && kill -TERM "\${p#/proc/}" 2>/dev/null; done; true`;
  await execToString(docker, { container, cmd: ["sh", "-c", script], env: { BERTH_KILL_TAG: tag } }).catch(() => {});
}

/** execToString runs a short command and returns its stdout; a non-zero exit throws ExecFailedError. */
export async function execToString(docker: DockerClient, options: ExecOptions, tool = options.cmd[0] ?? "command"): Promise<string> {
  const running = await startExec(docker, options);
  const chunks: Buffer[] = [];
  running.stdout.on("data", (c: Buffer) => chunks.push(c));
  const result = await running.done;
  if (result.exitCode !== 0) throw new ExecFailedError(tool, result.exitCode, result.stderr);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * ExecStdin writes into a hijacked exec connection with backpressure; its end half-closes the connection (the
 * tool sees end of input, its output still flows back). After the connection is gone, writes are discarded.
 */
class ExecStdin extends Writable {
  private readonly connection: Duplex;
  private gone = false;

  constructor(connection: Duplex) {
    super({ highWaterMark: STREAM_BUFFER });
    this.connection = connection;
    const cut = () => {
      this.gone = true;
      this.connection.emit("drain");
    };
    // The output side ending means the command has exited: nothing written after that is read by anyone.
    connection.once("end", cut);
    connection.once("close", cut);
    connection.once("error", cut);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.gone || this.connection.destroyed) return callback();
    if (this.connection.write(chunk)) return callback();
    this.connection.once("drain", () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.gone && !this.connection.destroyed && !this.connection.writableEnded) this.connection.end();
    callback();
  }
}
