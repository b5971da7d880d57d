import type Docker from "dockerode";
import { DockerUnavailableError } from "./errors.ts";
import { withTimeout } from "./signals.ts";

/** DockerClient is the dockerode client every controller shares. */
export type DockerClient = Docker;

/**
 * createDockerClient builds a client for `--docker-host` (BERTH_DOCKER_HOST): `unix:///path/docker.sock`, a bare
 * socket path, `tcp://host:port` or `http://host:port`; absent → DOCKER_HOST, then `/var/run/docker.sock`.
 * No client-wide timeout is set: every call carries its own signal, and the event stream is long-lived.
 * dockerode is loaded here, on first use: with ssh2 under it, it is the slowest import of the daemon
 * (~150 ms), and berthd serves its API before it needs Docker.
 */
export async function createDockerClient(host?: string): Promise<DockerClient> {
  const { default: Docker } = await import("dockerode");
  const target = host ?? process.env.DOCKER_HOST;
  if (!target) return new Docker({ socketPath: "/var/run/docker.sock" });
  if (target.startsWith("unix://")) return new Docker({ socketPath: target.slice("unix://".length) });
  if (target.startsWith("/")) return new Docker({ socketPath: target });
  const url = new URL(target.replace(/^tcp:\/\//, "http://"));
  const protocol = url.protocol === "https:" ? "https" : "http";
  return new Docker({ protocol, host: url.hostname, port: Number(url.port || (protocol === "https" ? 2376 : 2375)) });
}

/** pingDocker checks that the Engine answers within `timeoutMs`; it throws DockerUnavailableError otherwise. */
export async function pingDocker(docker: DockerClient, timeoutMs = 3_000, signal?: AbortSignal): Promise<void> {
  try {
    // The typings miss ping's options; dockerode passes `abortSignal` through to the request.
    await (docker.ping as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>).call(docker, { abortSignal: withTimeout(signal, timeoutMs) });
  } catch (err) {
    throw new DockerUnavailableError(`the Docker Engine does not answer: ${(err as Error).message}`, { cause: err });
  }
}
