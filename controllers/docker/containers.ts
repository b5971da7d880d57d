import type Docker from "dockerode";
import type { DockerClient } from "./client.ts";
import { DockerError, isConflict, isNotFound, isNotModified, statusCodeOf } from "./errors.ts";
import { withTimeout } from "./signals.ts";

/** ContainerState is Docker's lifecycle state of a container. */
export type ContainerState = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

/** ObservedContainer is what a controller needs to know about one container it owns. */
export interface ObservedContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: ContainerState;
  imageId: string;
  /** ips maps network name → the container's address on it. */
  ips: Record<string, string>;
  /** exit is the last exit of a container that is not running (read with an inspect). */
  exit?: { code: number; oomKilled: boolean; startedAt: string; finishedAt: string };
}

/** ContainerSpec is a container to create: Docker's own create options, with the name. */
export type ContainerSpec = Docker.ContainerCreateOptions & { name: string };

/**
 * listContainers returns every container (running or not) that carries the `label` filter (`key=value`).
 * With `inspect` (the default) each one is inspected too, for its exit details and because the list lags the
 * Engine's events: right after a `die` event the list may still say "running", an inspect never does.
 */
export async function listContainers(docker: DockerClient, label: string | readonly string[], signal?: AbortSignal, inspect = true): Promise<ObservedContainer[]> {
  const labels = typeof label === "string" ? [label] : [...label];
  const infos = await call(`list containers ${labels.join(",")}`, () => docker.listContainers({ all: true, filters: { label: labels }, abortSignal: withTimeout(signal) } as Docker.ContainerListOptions));
  const observed: ObservedContainer[] = [];
  for (const info of infos) {
    const container: ObservedContainer = {
      id: info.Id,
      name: (info.Names[0] ?? "").replace(/^\//, ""),
      labels: info.Labels ?? {},
      state: info.State as ContainerState,
      imageId: info.ImageID,
      ips: Object.fromEntries(Object.entries(info.NetworkSettings?.Networks ?? {}).map(([net, n]) => [net, n.IPAddress])),
    };
    if (inspect) {
      const details = await inspectContainer(docker, info.Id, signal);
      if (!details) continue;
      container.state = details.State.Status as ContainerState;
      container.ips = Object.fromEntries(Object.entries(details.NetworkSettings?.Networks ?? {}).map(([net, n]) => [net, n.IPAddress]));
      if (container.state !== "running") container.exit = { code: details.State.ExitCode, oomKilled: details.State.OOMKilled, startedAt: details.State.StartedAt, finishedAt: details.State.FinishedAt };
    }
    observed.push(container);
  }
  return observed;
}

/** inspectContainer returns Docker's full view of a container, or undefined when it is gone. */
export async function inspectContainer(docker: DockerClient, id: string, signal?: AbortSignal): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(id).inspect({ abortSignal: withTimeout(signal) });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new DockerError(`inspect container ${id}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}

/** createContainer creates (does not start) a container and returns its ID. A name in use is a DockerError with status 409. */
export async function createContainer(docker: DockerClient, spec: ContainerSpec, signal?: AbortSignal): Promise<string> {
  const created = await call(`create container ${spec.name}`, () => docker.createContainer({ ...spec, abortSignal: withTimeout(signal) } as Docker.ContainerCreateOptions));
  return created.id;
}

/** startContainer starts a container; one already running is fine. */
export async function startContainer(docker: DockerClient, id: string, signal?: AbortSignal): Promise<void> {
  try {
    await docker.getContainer(id).start({ abortSignal: withTimeout(signal) });
  } catch (err) {
    if (isNotModified(err)) return;
    throw new DockerError(`start container ${id}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}

/**
 * removeContainer stops (SIGTERM, then SIGKILL after `graceSeconds`) and removes a container; a container
 * that is already gone is fine.
 */
export async function removeContainer(docker: DockerClient, id: string, graceSeconds = 10, signal?: AbortSignal): Promise<void> {
  const container = docker.getContainer(id);
  try {
    await container.stop({ t: graceSeconds, abortSignal: withTimeout(signal, graceSeconds * 1000 + 15_000) });
  } catch (err) {
    if (isNotFound(err)) return;
    if (!isNotModified(err)) throw new DockerError(`stop container ${id}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
  try {
    await container.remove({ force: true, v: false, abortSignal: withTimeout(signal) });
  } catch (err) {
    // 409: a removal of the same container is already in progress, which is what we want.
    if (isNotFound(err) || isConflict(err)) return;
    throw new DockerError(`remove container ${id}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}

/** tailLogs returns the last `lines` lines of a container's stdout and stderr, as text. */
export async function tailLogs(docker: DockerClient, id: string, lines: number, signal?: AbortSignal): Promise<string[]> {
  try {
    const raw = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false, abortSignal: withTimeout(signal) } as Docker.ContainerLogsOptions & { follow: false })) as unknown as Buffer;
    return demux(raw).split("\n").map((l) => l.trimEnd()).filter((l) => l !== "").slice(-lines);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw new DockerError(`logs of container ${id}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}

/** demux strips Docker's 8-byte stream headers from a non-TTY log or exec buffer, and reads the rest as UTF-8. */
export function demux(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new DockerError(`${what}: ${(err as Error).message}`, statusCodeOf(err), { cause: err });
  }
}
