import type { ResourceStore } from "../../store/index.ts";
import type { ExponentialBackoff } from "../runtime/index.ts";
import type { EventRecorder } from "../events/types.ts";
import type { DockerClient, NamespaceNetworks } from "../docker/index.ts";
import type { DatabaseResolver } from "./database-resolver.ts";
import type { HealthMonitor } from "./health-monitor.ts";
import type { RestartTracker } from "./restarts.ts";
import type { RoutedUpstreams } from "../workloads/routed-upstreams.ts";

/** AppDeps are what the App controller's steps share: clients, and the in-memory state that outlives one pass. */
export interface AppDeps {
  store: ResourceStore;
  docker: DockerClient;
  recorder: EventRecorder;
  databases: DatabaseResolver;
  health: HealthMonitor;
  restarts: RestartTracker;
  /** draining maps a container ID to its App's key and when it left the endpoints (ms); it is removed `drainSeconds` later. */
  draining: Map<string, { owner: string; since: number }>;
  /** pullBackoff paces retries of failed image pulls, per App. */
  pullBackoff: ExponentialBackoff;
  /** networks makes namespace networks from the daemon's address pool, shared with the other workload controllers. */
  networks: NamespaceNetworks;
  /** instance is this berthd's id, written on the containers it makes; only its own orphans are removed. */
  instance: string;
  /** stopGraceSeconds is how long a stopped replica gets between SIGTERM and SIGKILL. */
  stopGraceSeconds: number;
  /** routed is what the proxy routes to (absent: no proxy in this process); a routed replica is not stopped yet. */
  routed?: RoutedUpstreams;
}
