import type { DockerClient } from "../docker/index.ts";
import { demux, withTimeout } from "../docker/index.ts";

/** ExecResult is how a command run in a container ended. */
export interface ExecResult {
  exitCode: number | null;
  output: string;
}

/**
 * execIn runs `cmd` in a running container with `env` added to its environment, and waits for it to end,
 * at most `timeoutMs` (then the result has exitCode null). Passwords go in `env`, never in `cmd`: an exec's
 * environment is not shown by `docker inspect` nor in Docker's events.
 */
export async function execIn(docker: DockerClient, containerId: string, cmd: string[], env: string[], timeoutMs: number, signal?: AbortSignal): Promise<ExecResult> {
  const bounded = withTimeout(signal, timeoutMs);
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true, abortSignal: bounded } as Parameters<ReturnType<DockerClient["getContainer"]>["exec"]>[0]);
  const stream = await exec.start({ hijack: true, stdin: false, abortSignal: bounded } as Parameters<typeof exec.start>[0]);
  const chunks: Buffer[] = [];
  const ended = await new Promise<boolean>((resolve) => {
    const onAbort = () => {
      stream.destroy();
      resolve(false);
    };
    bounded.addEventListener("abort", onAbort, { once: true });
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => (bounded.removeEventListener("abort", onAbort), resolve(true)));
    stream.on("close", () => (bounded.removeEventListener("abort", onAbort), resolve(true)));
    stream.on("error", () => (bounded.removeEventListener("abort", onAbort), resolve(false)));
  });
  if (!ended) return { exitCode: null, output: demux(Buffer.concat(chunks)) };
  const info = await exec.inspect({ abortSignal: withTimeout(signal, 5_000) } as Parameters<typeof exec.inspect>[0]);
  return { exitCode: info.ExitCode ?? null, output: demux(Buffer.concat(chunks)) };
}
