import type { CertificateSpec, PemPair } from "./cert-map.ts";
import type { DataPlaneName } from "./data-plane.ts";
import type { ProxyLimits } from "./limits.ts";
import type { RouteSpec } from "./route-table.ts";
import type { ListenTarget } from "./server.ts";

/** WorkerConfig is what a proxy worker is started with (with the current state, applied before it listens). */
export interface WorkerConfig {
  http: ListenTarget;
  https: ListenTarget;
  fallback: PemPair;
  limits?: Partial<ProxyLimits>;
  publicHttpsPort?: number;
  dataPlane?: DataPlaneName;
  logLevel: string;
}

/**
 * UpdateMessage carries what changed since the last update (a new worker gets every part): parts absent are
 * unchanged. `version` grows with every update; the worker acknowledges it once applied.
 */
export interface UpdateMessage {
  type: "berth-proxy:update";
  version: number;
  routes?: RouteSpec[];
  certs?: CertificateSpec[];
  challenges?: Array<[string, string]>;
}

/** Messages from the daemon to a worker. */
export type ToWorker = { type: "berth-proxy:start"; config: WorkerConfig; state: UpdateMessage } | UpdateMessage | { type: "berth-proxy:stop" };

/** Messages from a worker to the daemon. */
export type FromWorker =
  | { type: "berth-proxy:ready" }
  | { type: "berth-proxy:listening"; httpPort: number; httpsPort: number }
  | { type: "berth-proxy:applied"; version: number }
  | { type: "berth-proxy:failed"; version?: number; message: string };

/** isProxyMessage tells the proxy's messages from anything else on an IPC channel (both directions use the prefix). */
export function isProxyMessage<T extends ToWorker | FromWorker>(message: unknown): message is T {
  const type = typeof message === "object" && message !== null ? (message as { type?: unknown }).type : undefined;
  return typeof type === "string" && type.startsWith("berth-proxy:");
}
