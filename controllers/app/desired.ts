import { createHash } from "node:crypto";
import type { AppSpec } from "../../resources/index.ts";
import type { RevisionTemplate } from "../../resources/app-history.ts";
import { LABELS, objectName, ownerLabels, type ContainerSpec, type OwnerRef } from "../docker/index.ts";

/** EnvVar is one resolved environment variable, its value read from the spec, a Secret or a Database. */
export interface EnvVar {
  name: string;
  value: string;
}

/** DesiredReplica is everything needed to create replica `index` of revision `revision`. */
export interface DesiredReplicaInput {
  app: OwnerRef;
  template: RevisionTemplate;
  env: readonly EnvVar[];
  revision: number;
  specHash: string;
  index: number;
  network: string;
  /** instance is the berthd that makes the container (LABELS.instance). */
  instance: string;
  /** volumeNames maps a template volume to the Docker volume it mounts (default: volumeName); see resolveVolumes. */
  volumeNames?: ReadonlyMap<string, string>;
}

/** DesiredVolume is a named volume an App owns; it outlives rollouts. */
export interface DesiredVolume {
  name: string;
  labels: Record<string, string>;
}

/** templateOf extracts the revision template from a spec. */
export function templateOf(spec: AppSpec): RevisionTemplate {
  const { image, command, args, env, port, resources, volumes, healthCheck } = spec;
  return JSON.parse(JSON.stringify({ image, command, args, env, port, resources, volumes, healthCheck })) as RevisionTemplate;
}

/**
 * specHash identifies a revision: a hash of the template with its env resolved (so a changed Secret value is a
 * new revision and rolls out), rendered as 12 hex digits. Keys are sorted, so it is stable across restarts.
 */
export function specHash(template: RevisionTemplate, env: readonly EnvVar[]): string {
  const { env: _references, ...rest } = template;
  return createHash("sha256").update(canonicalJson({ ...rest, env })).digest("hex").slice(0, 12);
}

/** containerName is the deterministic name of a replica: `berth-<ns>-<app>-<hash6>-<revision>-<index>` (see objectName). */
export function containerName(app: OwnerRef, revision: number, index: number): string {
  return objectName(app, revision, index);
}

/** volumeName is the deterministic name of an App's volume: `berth-<ns>-<app>-<hash6>-<volume>`. */
export function volumeName(app: OwnerRef, volume: string): string {
  return objectName(app, volume);
}

/** buildDesiredVolumes lists the named volumes an App's template mounts, labelled with their owner. */
export function buildDesiredVolumes(app: OwnerRef, template: RevisionTemplate): DesiredVolume[] {
  return template.volumes.map((v) => ({ name: volumeName(app, v.name), labels: ownerLabels(app) }));
}

/**
 * buildDesiredContainer is the Docker create request of one replica: labels tracing it to its App and
 * revision, limits from `resources`, the App's volumes, and the namespace network with the App's name as an
 * alias (so apps of a namespace reach each other by name). Docker does not restart it: the controller does,
 * with backoff, so crash loops are seen and reported.
 */
export function buildDesiredContainer(input: DesiredReplicaInput): ContainerSpec {
  const { app, template, revision, index, network } = input;
  const port = template.port;
  return {
    name: containerName(app, revision, index),
    Image: template.image!,
    ...(template.command ? { Entrypoint: template.command } : {}),
    ...(template.args ? { Cmd: template.args } : {}),
    Env: input.env.map((e) => `${e.name}=${e.value}`),
    Hostname: `${app.name}-${index}`,
    Labels: {
      ...ownerLabels(app),
      [LABELS.instance]: input.instance,
      [LABELS.specHash]: input.specHash,
      [LABELS.revision]: String(revision),
      [LABELS.replica]: String(index),
    },
    ...(port ? { ExposedPorts: { [`${port}/tcp`]: {} } } : {}),
    HostConfig: {
      NetworkMode: network,
      RestartPolicy: { Name: "no" },
      ...(template.resources?.cpu !== undefined ? { NanoCpus: Math.round(parseCpu(template.resources.cpu) * 1e9) } : {}),
      ...(template.resources?.memory !== undefined ? { Memory: parseMemory(template.resources.memory) } : {}),
      Mounts: template.volumes.map((v) => ({ Type: "volume" as const, Source: input.volumeNames?.get(v.name) ?? volumeName(app, v.name), Target: v.mountPath })),
      LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } },
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [app.name] } } },
  };
}

/** parseCpu reads cores (`0.5`, `2`) or millicores (`500m`). */
export function parseCpu(cpu: number | string): number {
  if (typeof cpu === "number") return cpu;
  return cpu.endsWith("m") ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu);
}

const MEMORY_UNITS: Record<string, number> = {
  "": 1, b: 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9, T: 1e12,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
};

/** parseMemory reads a size such as `512Mi`, `1G` or `1048576` into bytes. */
export function parseMemory(memory: string): number {
  const match = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(memory);
  const factor = match ? MEMORY_UNITS[match[2]!] : undefined;
  if (!match || factor === undefined) throw new RangeError(`invalid memory size "${memory}"`);
  return Math.round(Number(match[1]) * factor);
}

/**
 * resolveIntOrPercent turns `maxSurge`/`maxUnavailable` into a count of replicas: a percentage of `replicas`,
 * rounded up for surge and down for unavailability, as Kubernetes does.
 */
export function resolveIntOrPercent(value: number | string, replicas: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  const exact = (Number(value.slice(0, -1)) / 100) * replicas;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** canonicalJson is JSON with object keys sorted and undefined dropped, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
