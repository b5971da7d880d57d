import type { Readable } from "node:stream";
import type { DockerClient } from "../docker/index.ts";

/** DockerBuildOptions are what `docker build` gets for one Build. */
export interface DockerBuildOptions {
  tag: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  /** memoryBytes and nanoCpus limit each step's container. */
  memoryBytes: number;
  cpus: number;
  signal: AbortSignal;
  /** onText receives the build's output as it arrives. */
  onText: (text: string) => Promise<void> | void;
}

/** DockerBuildError is a build that Docker ran and that failed; `step` is the Dockerfile step it failed at. */
export class DockerBuildError extends Error {
  override name = "DockerBuildError";
  readonly step: string | undefined;
  constructor(message: string, step: string | undefined) {
    super(message);
    this.step = step;
  }
}

const CPU_PERIOD = 100_000;

/**
 * dockerBuild sends the context to the Engine's classic builder and follows its JSON progress, handing each
 * piece of output to `onText` and remembering the step running (`Step 3/5 : RUN make`) so a failure names it.
 * Aborting `signal` ends the HTTP request, which makes dockerd cancel the build and kill the step's process.
 */
export async function dockerBuild(docker: DockerClient, context: Readable, options: DockerBuildOptions): Promise<{ imageId?: string }> {
  const stream = (await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
    t: options.tag,
    dockerfile: options.dockerfile,
    buildargs: options.buildArgs,
    ...(options.target ? { target: options.target } : {}),
    labels: options.labels,
    memory: options.memoryBytes,
    memswap: options.memoryBytes,
    cpuperiod: CPU_PERIOD,
    cpuquota: Math.max(1_000, Math.round(options.cpus * CPU_PERIOD)),
    rm: true,
    forcerm: true,
    pull: false,
    abortSignal: options.signal,
  } as Parameters<DockerClient["buildImage"]>[1])) as Readable;
  let step: string | undefined;
  let imageId: string | undefined;
  let failure: string | undefined;
  let partial = "";
  const onAbort = () => stream.destroy(options.signal.reason as Error);
  options.signal.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of stream) {
      const lines = (partial + (chunk as Buffer).toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.trim()) continue;
        let message: { stream?: string; error?: string; aux?: { ID?: string } };
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          await options.onText(`${line}\n`);
          continue;
        }
        if (message.stream) {
          const started = /^Step \d+\/\d+ : .*/.exec(message.stream);
          if (started) step = started[0].trim();
          await options.onText(message.stream);
        }
        if (message.aux?.ID) imageId = message.aux.ID;
        if (message.error) {
          failure = message.error;
          await options.onText(`${message.error}\n`);
        }
      }
    }
  } catch (err) {
    if (options.signal.aborted) throw options.signal.reason as Error;
    throw err;
  } finally {
    options.signal.removeEventListener("abort", onAbort);
  }
  if (options.signal.aborted) throw options.signal.reason as Error;
  if (failure !== undefined) throw new DockerBuildError(failure.trim(), step);
  return imageId ? { imageId } : {};
}
