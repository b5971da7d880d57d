import { createRequire, Module } from "node:module";
import type Docker from "dockerode";
import { DockerUnavailableError } from "./errors.ts";
import { withTimeout } from "./signals.ts";

/** DockerClient is the dockerode client every controller shares. */
export type DockerClient = Docker;

/**
 * createDockerClient builds a client for `--docker-host` (BERTH_DOCKER_HOST): `unix:///path/docker.sock`, a bare
 * socket path, `tcp://host:port` or `http://host:port`; absent → DOCKER_HOST, then `/var/run/docker.sock`.
 * No client-wide timeout is set: every call carries its own signal, and the event stream is long-lived.
 * dockerode is loaded here, on first use (~90 ms): berthd serves its API before it needs Docker. Its SSH and
 * BuildKit-session modules are never loaded (see withoutUnusedTransports).
 */
export async function createDockerClient(host?: string): Promise<DockerClient> {
  withoutUnusedTransports();
  const { default: Docker } = await import("dockerode");
  const target = host ?? process.env.DOCKER_HOST;
  if (!target) return new Docker({ socketPath: "/var/run/docker.sock" });
  if (target.startsWith("unix://")) return new Docker({ socketPath: target.slice("unix://".length) });
  if (target.startsWith("/")) return new Docker({ socketPath: target });
  const url = new URL(target.replace(/^tcp:\/\//, "http://"));
  const protocol = url.protocol === "https:" ? "https" : "http";
  return new Docker({ protocol, host: url.hostname, port: Number(url.port || (protocol === "https" ? 2376 : 2375)) });
}

const require = createRequire(import.meta.url);

/**
 * UNUSED_TRANSPORTS are dockerode modules loaded with every client for transports Berth never uses: it speaks
 * to the Engine over a unix socket or TCP, and builds no images through BuildKit sessions. Loaded, they cost
 * berthd about 35 MiB resident (ssh2's WebAssembly cipher heap; gRPC and protobufjs) and 70 ms of start-up.
 */
const UNUSED_TRANSPORTS = [
  { module: "docker-modem/lib/ssh.js", what: "ssh:// Docker hosts are not supported: use unix:// or tcp://" },
  { module: "dockerode/lib/session.js", what: "BuildKit build sessions (buildImage with version \"2\") are not supported" },
];

/** withoutUnusedTransports puts a stand-in that throws into the module cache for each of UNUSED_TRANSPORTS. */
function withoutUnusedTransports(): void {
  const fromDockerode = createRequire(require.resolve("dockerode"));
  for (const { module, what } of UNUSED_TRANSPORTS) {
    const file = fromDockerode.resolve(module);
    if (require.cache[file]) continue;
    const standIn = new Module(file);
    standIn.filename = file;
    standIn.loaded = true;
    standIn.exports = () => {
      throw new Error(what);
    };
    require.cache[file] = standIn;
  }
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
