import type { Logger } from "pino";

/**
 * ProxyLog is the part of a logger the data plane uses. The daemon passes its pino logger; a proxy thread passes
 * a small one that posts each record to the daemon's thread (proxy/thread-log.ts), so a thread loads no logger.
 */
export type ProxyLog = Pick<Logger, "debug" | "info" | "warn" | "error">;
