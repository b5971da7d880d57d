import { PassThrough, type Readable } from "node:stream";
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
  /** stdin, when given, is streamed into the command (with backpressure) and closed at its end. */
  stdin?: Readable;
  user?: string;
  signal?: AbortSignal;
}

/** RunningExec is a started command: its stdout as a stream, and its end (exit code and stderr). */
export interface RunningExec {
  stdout: Readable;
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
  const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const exec = await docker.getContainer(options.container).exec({
    Cmd: options.cmd,
    Env: env,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: options.stdin !== undefined,
    ...(options.user ? { User: options.user } : {}),
    abortSignal: withTimeout(options.signal),
  } as Parameters<ReturnType<DockerClient["getContainer"]>["exec"]>[0]);
  const stream = (await exec.start({ hijack: true, stdin: options.stdin !== undefined, abortSignal: options.signal } as never)) as unknown as Duplex;
  const abort = () => stream.destroy(new Error(`${options.cmd[0]} aborted`));
  options.signal?.addEventListener("abort", abort, { once: true });
  let stderr = "";
  const demux = new DockerDemux((chunk) => {
    if (stderr.length < STDERR_LIMIT) stderr += chunk.toString("utf8");
  });
  const stdout = new PassThrough({ highWaterMark: 1 << 20 });
  const feeding = options.stdin
    ? pipeline(options.stdin, async function* (source) {
        for await (const chunk of source) {
          if (!stream.write(chunk)) await new Promise<void>((resolve, reject) => {
            const done = () => { stream.off("error", reject); resolve(); };
            stream.once("drain", done);
            stream.once("error", reject);
          });
        }
        // Half-close: the tool sees the end of its standard input, the connection stays open for its output.
        stream.end();
      })
    : Promise.resolve();
  const draining = pipeline(stream, demux, stdout);
  const done = (async (): Promise<ExecResult> => {
    try {
      await Promise.all([feeding, draining]);
    } finally {
      options.signal?.removeEventListener("abort", abort);
    }
    if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
    // The attach stream can end a moment before the Engine records the exit code.
    for (let i = 0; i < 50; i++) {
      const info = (await exec.inspect({ abortSignal: withTimeout(options.signal) } as never)) as unknown as { Running: boolean; ExitCode: number | null };
      if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode ?? 0, stderr };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${options.cmd[0]}: the Engine never reported an exit code`);
  })();
  done.catch(() => {});
  return { stdout, done };
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
