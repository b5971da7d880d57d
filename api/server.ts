import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { RequestHandler } from "express";
import type { Logger } from "pino";
import type { EventLog } from "../controllers/events/types.ts";
import type { ResourceStore } from "../store/index.ts";
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
  /** hooks serves webhook deliveries under `/hooks`, without bearer tokens (see hookRoutes). */
  hooks?: RequestHandler;
}

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
    ...(options.hooks ? { hooks: options.hooks } : {}),
  });
  const server = createServer({ cert: options.tls.cert, key: options.tls.key }, app.handler);
  // Watches are long-lived: no request or idle timeouts on the server; each watch enforces its own timeoutSeconds.
  server.requestTimeout = 0;
  server.timeout = 0;
  server.keepAliveTimeout = 65_000;
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
