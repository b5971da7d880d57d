import type { CertificateSpec, PemPair } from "./cert-map.ts";
import type { DataPlaneName } from "./data-plane.ts";
import type { ProxyLimits } from "./limits.ts";
import type { RouteSpec } from "./route-table.ts";
import type { ListenTarget } from "./server.ts";

/** ThreadConfig is what a proxy thread is started with (as its workerData, with the state to apply before it listens). */
export interface ThreadConfig {
  /**
   * listen: bind the ports (`reusePort`: join the sockets other threads bound on them), or listen on duplicates
   * of another thread's listening sockets, given as that thread's descriptors and their ports.
   */
  listen: { http: ListenTarget & { reusePort?: boolean }; https: ListenTarget & { reusePort?: boolean } } | { fds: { http: number; https: number }; ports: { http: number; https: number } };
  fallback: PemPair;
  limits?: Partial<ProxyLimits>;
  publicHttpsPort?: number;
  dataPlane?: DataPlaneName;
  /** logLevel: records below it are not posted to the daemon at all. */
  logLevel: string;
  state: UpdateMessage;
}

/**
 * UpdateMessage carries what changed since the last update (a new thread gets every part): parts absent are
 * unchanged. `version` grows with every update; the thread acknowledges it once applied.
 */
export interface UpdateMessage {
  type: "update";
  version: number;
  routes?: RouteSpec[];
  certs?: CertificateSpec[];
  challenges?: Array<[string, string]>;
}

/** Messages from the daemon to a thread. `stop` closes its listeners, lets in-flight requests finish for `graceMs`, then ends the thread. */
export type ToThread = UpdateMessage | { type: "stop"; graceMs: number };

/** LogRecord is one log line of a thread, logged by the daemon's logger. */
export interface LogRecord {
  type: "log";
  level: "debug" | "info" | "warn" | "error";
  fields: Record<string, unknown>;
  message: string;
}

/** Messages from a thread to the daemon. */
export type FromThread =
  | { type: "listening"; httpPort: number; httpsPort: number; fds: { http: number; https: number } }
  | { type: "applied"; version: number }
  | { type: "failed"; version?: number; message: string }
  | LogRecord;
