import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { RequestHandler } from "express";
import type { Logger } from "pino";
import type { EventLog } from "../controllers/events/types.ts";
import type { ResourceStore } from "../store/index.ts";
import type { AuditLog } from "./audit/audit-log.ts";
import type { TokenStore } from "./auth/token-store.ts";
import { createApp, type AppExtension } from "./app.ts";
import type { Readiness } from "./routes/health.ts";

/** ApiServerOptions are the dependencies and listener settings of the HTTPS API. */
export interface ApiServerOptions {
  store: ResourceStore;
  eventLog: EventLog;
  tokens: TokenStore;
  logger: Logger;
  /** tls is the serving certificate and key (PEM), e.g. from ensureServingCertificate. */
  tls: { cert: string; key: string };
  /** port to listen on; 0 picks any free port. */
  port: number;
  /** host to bind (default 127.0.0.1). */
  host?: string;
  /** extend mounts extra routes (logs, the web UI) on the same listener; see AppExtension. */
  extend?: AppExtension;
  /** bookmarkIntervalMs is the period of watch BOOKMARK events (default 10 s). */
  bookmarkIntervalMs?: number;
  /** readiness backs `/readyz` (absent: ready as soon as the API serves). */
  readiness?: Readiness;
  /** audit records users' writes and refused requests (absent: no audit log). */
  audit?: AuditLog;
  /** maxWatchesPerToken bounds the watches one token may hold open (default 100). */
  maxWatchesPerToken?: number;
  /** timeouts override DEFAULT_API_TIMEOUTS (tests use short ones). */
  timeouts?: Partial<ApiTimeouts>;
  /** hooks serves webhook deliveries under `/hooks`, without bearer tokens (see hookRoutes). */
  hooks?: RequestHandler;
}

/**
 * ApiTimeouts bound what a client may hold a connection for without finishing a request, so slow or idle
 * clients (slowloris) cannot use up the server's sockets. Watches and followed logs are not subject to
 * `requestMs` (it bounds receiving a request, which for them is over at once) nor to `idleMs` (they may stay
 * silent for hours): they end at their own timeoutSeconds, when TCP keepalive finds the client gone, or when
 * the client falls too far behind.
 */
export interface ApiTimeouts {
  /** headersMs: the request line and headers must arrive within this (else 408 and the connection closes). */
  headersMs: number;
  /** requestMs: the whole request, body included, must arrive within this. */
  requestMs: number;
  /** keepAliveMs: an idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /** idleMs: a connection on which nothing moves for this long (a request being served included) is closed. */
  idleMs: number;
}

/** DEFAULT_API_TIMEOUTS: headers 10 s, request 60 s, keep-alive 65 s (longer than the usual client pools' idle), idle 120 s. */
export const DEFAULT_API_TIMEOUTS: ApiTimeouts = { headersMs: 10_000, requestMs: 60_000, keepAliveMs: 65_000, idleMs: 120_000 };

/** ApiServer is a running HTTPS API. */
export interface ApiServer {
  /** url is `https://host:port`, with the port actually bound. */
  url: string;
  port: number;
  /** close stops accepting connections, ends open watches and keep-alive connections, and resolves when all are gone. */
  close(): Promise<void>;
}

/** CLOSE_GRACE_MS bounds how long close() waits for in-flight requests before destroying their sockets. */
const CLOSE_GRACE_MS = 2_000;
/** METRICS_LOAD_DELAY_MS is how long the API serves before its metrics library is loaded (see ApiMetrics). */
const METRICS_LOAD_DELAY_MS = 1_000;

/** startApiServer starts the Kubernetes-style HTTPS API and resolves once it listens. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? "127.0.0.1";
  const app = createApp({
    store: options.store,
    eventLog: options.eventLog,
    tokens: options.tokens,
    logger: options.logger,
    ...(options.extend ? { extend: options.extend } : {}),
    ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
    ...(options.readiness ? { readiness: options.readiness } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.maxWatchesPerToken !== undefined ? { maxWatchesPerToken: options.maxWatchesPerToken } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  });
  const timeouts = { ...DEFAULT_API_TIMEOUTS, ...options.timeouts };
  // The header and request deadlines are checked every connectionsCheckingInterval: a fraction of the shortest.
  const checkEveryMs = Math.max(100, Math.min(1000, Math.floor(timeouts.headersMs / 4)));
  const server = createServer({ cert: options.tls.cert, key: options.tls.key, connectionsCheckingInterval: checkEveryMs }, app.handler);
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = timeouts.requestMs;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  // Watches and followed logs turn the idle timeout off on their own socket (see openWatchStream).
  server.timeout = timeouts.idleMs;
  const sockets = new Set<Socket>();
  server.on("secureConnection", (socket: Socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await listen(server, options.port, host);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  options.logger.info({ url: `https://${urlHost}:${port}` }, "API listening");
  const loadMetrics = setTimeout(() => void app.metrics.load().catch((error: unknown) => options.logger.warn({ err: error }, "could not load the metrics library")), METRICS_LOAD_DELAY_MS);
  loadMetrics.unref();
  let closing: Promise<void> | undefined;
  return {
    url: `https://${urlHost}:${port}`,
    port,
    close: () => {
      clearTimeout(loadMetrics);
      return (closing ??= closeServer(server, sockets, app.shutdown));
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function closeServer(server: Server, sockets: Set<Socket>, shutdown: () => void): Promise<void> {
  shutdown();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const grace = setTimeout(() => {
    for (const socket of sockets) socket.destroy();
  }, CLOSE_GRACE_MS);
  try {
    await closed;
  } finally {
    clearTimeout(grace);
  }
}
