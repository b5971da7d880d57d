import type { Request, Response } from "express";
import type { ResourceStore } from "../../store/index.ts";
import type { DockerClient } from "../../controllers/docker/index.ts";
import { withTimeout } from "../../controllers/docker/signals.ts";
import { NoLogSourceError, selectLogSources } from "../../controllers/app/logs.ts";
import type { AppExtension } from "../app.ts";
import { authorize } from "../auth/authorize.ts";
import { identityOf } from "../auth/middleware.ts";
import { noteRequest } from "../context.ts";
import { sendJson } from "../respond.ts";
import type { Target } from "../status.ts";
import { GROUP_PATH } from "./begin.ts";

/** STATS_PATH is an App's resource usage: one sample per replica of its current revision. */
export const STATS_PATH = `${GROUP_PATH}/namespaces/:namespace/apps/:name/stats`;

/** STATS_TIMEOUT_MS bounds one container's sample: Docker takes about a second to measure CPU over an interval. */
const STATS_TIMEOUT_MS = 5_000;

/** ReplicaStats is one replica's sample, or why there is none. */
export interface ReplicaStats {
  replica: number;
  container: string;
  /** cpuPercent is of one core (200 = two cores busy), as `docker stats` prints it. */
  cpuPercent?: number;
  /** memoryBytes is the working set: usage minus the inactive page cache, as `docker stats` counts it. */
  memoryBytes?: number;
  memoryLimitBytes?: number;
  error?: string;
}

/** AppStats is the body of the stats endpoint. */
export interface AppStats {
  kind: "AppStats";
  apiVersion: "berth.dev/v1";
  timestamp: string;
  items: ReplicaStats[];
}

/** StatsDependencies: the App comes from the store, its containers' usage from Docker. */
export interface StatsDependencies {
  store: ResourceStore;
  docker: DockerClient | Promise<DockerClient>;
}

/**
 * statsExtension mounts `GET .../namespaces/NS/apps/NAME/stats` (see AppExtension): Docker's stats of every
 * replica of the current revision, read once each (`stream: false`) in parallel and bounded by a timeout, so a
 * slow Engine answers with per-replica errors instead of a hanging request. Readers need the viewer role.
 */
export function statsExtension(deps: StatsDependencies): AppExtension {
  return (app, { authenticate }) => {
    app.get(STATS_PATH, authenticate, (req: Request, res: Response) => serveStats(deps, req, res));
  };
}

async function serveStats(deps: StatsDependencies, req: Request, res: Response): Promise<void> {
  const { namespace = "", name = "" } = req.params as Record<string, string | undefined>;
  noteRequest(res, "get", "apps/stats");
  res.locals.target = { plural: "apps", kind: "App", name } satisfies Target;
  authorize(identityOf(res), "get", "apps/stats", namespace);
  const app = await deps.store.get({ kind: "App", namespace, name });
  const docker = await deps.docker;
  const abort = new AbortController();
  res.once("close", () => abort.abort());
  let items: ReplicaStats[] = [];
  try {
    const sources = await selectLogSources(docker, app, { follow: false, timestamps: false, previous: false }, abort.signal);
    items = await Promise.all(sources.map((s) => sample(docker, s.id, s.name, s.replica, abort.signal)));
  } catch (err) {
    // No containers yet is an empty sample, not an error: the charts simply have nothing to plot.
    if (!(err instanceof NoLogSourceError)) throw err;
  }
  const body: AppStats = { kind: "AppStats", apiVersion: "berth.dev/v1", timestamp: new Date().toISOString(), items };
  res.setHeader("Cache-Control", "no-store");
  sendJson(res, body);
}

/** DockerStats is the part of Docker's stats document read here. */
interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
}

async function sample(docker: DockerClient, id: string, container: string, replica: number, signal: AbortSignal): Promise<ReplicaStats> {
  try {
    const stats = (await docker.getContainer(id).stats({ stream: false, abortSignal: withTimeout(signal, STATS_TIMEOUT_MS) } as never)) as unknown as DockerStats;
    return { replica, container, ...usageOf(stats) };
  } catch (err) {
    return { replica, container, error: (err as Error).message };
  }
}

/** usageOf computes what `docker stats` prints: CPU over the sampling interval, memory without the inactive cache. */
export function usageOf(stats: DockerStats): Pick<ReplicaStats, "cpuPercent" | "memoryBytes" | "memoryLimitBytes"> {
  const cpu = stats.cpu_stats;
  const pre = stats.precpu_stats;
  const cpuDelta = (cpu?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  const cpus = cpu?.online_cpus ?? cpu?.cpu_usage?.percpu_usage?.length ?? 1;
  const out: Pick<ReplicaStats, "cpuPercent" | "memoryBytes" | "memoryLimitBytes"> = {};
  if (systemDelta > 0 && cpuDelta >= 0) out.cpuPercent = Math.round((cpuDelta / systemDelta) * cpus * 100 * 100) / 100;
  const memory = stats.memory_stats;
  if (memory?.usage !== undefined) {
    // cgroup v2 reports inactive_file, v1 total_inactive_file; Docker's CLI subtracts whichever is there.
    const inactive = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? 0;
    out.memoryBytes = Math.max(0, memory.usage - inactive);
  }
  if (memory?.limit !== undefined) out.memoryLimitBytes = memory.limit;
  return out;
}
