import { request } from "node:http";
import { connect } from "node:net";
import type { AppSpec } from "../../resources/index.ts";
import { withTimeout, type DockerClient } from "../docker/index.ts";

/** ProbeSpec is an App's health check made concrete: what to probe, and how often and how hard. */
export interface ProbeSpec {
  check: { type: "http"; port: number; path: string } | { type: "tcp"; port: number } | { type: "exec"; command: string[] } | { type: "none" };
  initialDelayMs: number;
  intervalMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** ProbeResult is one probe's outcome; `message` says why a failed probe failed. */
export type ProbeResult = { ok: true } | { ok: false; message: string };

/** ProbeTarget is where a replica is probed: its container and its address on the namespace network. */
export interface ProbeTarget {
  containerId: string;
  host: string;
}

/**
 * probeSpecOf turns `spec.healthCheck` into a ProbeSpec. With no health check it probes tcp on `port`; with
 * neither, a running container counts as healthy (`none`).
 */
export function probeSpecOf(spec: Pick<AppSpec, "healthCheck" | "port">): ProbeSpec {
  const hc = spec.healthCheck;
  const port = spec.port;
  const timing = {
    initialDelayMs: (hc?.initialDelaySeconds ?? 0) * 1000,
    intervalMs: (hc?.intervalSeconds ?? 10) * 1000,
    timeoutMs: (hc?.timeoutSeconds ?? 5) * 1000,
    successThreshold: hc?.successThreshold ?? 1,
    failureThreshold: hc?.failureThreshold ?? 3,
  };
  if (hc?.exec) return { check: { type: "exec", command: hc.exec.command }, ...timing };
  if (hc?.http) {
    const httpPort = hc.http.port ?? port;
    if (httpPort) return { check: { type: "http", port: httpPort, path: hc.http.path }, ...timing };
  }
  const tcpPort = hc?.tcp?.port ?? port;
  if (tcpPort) return { check: { type: "tcp", port: tcpPort }, ...timing };
  return { check: { type: "none" }, ...timing };
}

/** probe runs one check against a replica, bounded by the spec's timeout and `signal`. */
export async function probe(docker: DockerClient, spec: ProbeSpec, target: ProbeTarget, signal?: AbortSignal): Promise<ProbeResult> {
  const bounded = withTimeout(signal, spec.timeoutMs);
  const check = spec.check;
  try {
    if (check.type === "http") return await probeHttp(target.host, check.port, check.path, bounded);
    if (check.type === "tcp") return await probeTcp(target.host, check.port, bounded);
    if (check.type === "exec") return await probeExec(docker, target.containerId, check.command, bounded);
    return { ok: true };
  } catch (err) {
    if (bounded.aborted && !signal?.aborted) return { ok: false, message: `${check.type} probe timed out after ${spec.timeoutMs}ms` };
    return { ok: false, message: `${check.type} probe failed: ${(err as Error).message}` };
  }
}

/** probeHttp GETs `path`: a status from 200 to 399 is healthy. */
export function probeHttp(host: string, port: number, path: string, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: "GET", signal, headers: { "user-agent": "berth-health/1" }, agent: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? { ok: true } : { ok: false, message: `GET ${path} on port ${port} answered HTTP ${status}` });
    });
    req.on("error", reject);
    req.end();
  });
}

/** probeTcp opens a connection to `port` and closes it. */
export function probeTcp(host: string, port: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, signal });
    socket.once("connect", () => {
      socket.destroy();
      resolve({ ok: true });
    });
    socket.once("error", (err) => reject(new Error(`tcp port ${port}: ${err.message}`)));
  });
}

/** probeExec runs `command` inside the container: exit code 0 is healthy. */
export async function probeExec(docker: DockerClient, containerId: string, command: string[], signal: AbortSignal): Promise<ProbeResult> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: command, AttachStdout: true, AttachStderr: true, abortSignal: signal } as Parameters<ReturnType<DockerClient["getContainer"]>["exec"]>[0]);
  const stream = await exec.start({ Detach: false, hijack: true, stdin: false, abortSignal: signal } as Parameters<typeof exec.start>[0]);
  await new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
    stream.resume();
  });
  const info = await exec.inspect({ abortSignal: signal } as Parameters<typeof exec.inspect>[0]);
  return info.ExitCode === 0 ? { ok: true } : { ok: false, message: `exec ${command.join(" ")} exited with code ${info.ExitCode}` };
}
