import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { ChallengeTokens } from "./challenges.ts";
import { CertMap, type PemPair } from "./cert-map.ts";
import { ProxyStartError } from "./errors.ts";
import { forward, sendPage, type ForwardContext } from "./forward.ts";
import { DEFAULT_LIMITS, type ProxyLimits } from "./limits.ts";
import { normalizeHost, RouteTable, type Route } from "./route-table.ts";
import { UpgradeProxy, type UpgradeContext } from "./upgrade.ts";
import { UpstreamPools } from "./upstream-pools.ts";

/** ListenTarget is where a listener binds: port 0 takes any free port. */
export interface ListenTarget {
  port: number;
  host?: string;
}

/** ProxyServerOptions configure one serving process's proxy. */
export interface ProxyServerOptions {
  logger: Logger;
  /** fallback is the certificate served to names without one (see createFallbackCertificate). */
  fallback: PemPair;
  limits?: Partial<ProxyLimits>;
  /** publicHttpsPort is the HTTPS port redirects point at (default: the port the HTTPS listener got). */
  publicHttpsPort?: number;
}

/** ListeningPorts are the ports the listeners got. */
export interface ListeningPorts {
  httpPort: number;
  httpsPort: number;
}

/**
 * ProxyServer is the proxy in one process: an HTTP and an HTTPS listener over one route table, one certificate
 * map and one challenge-token map. Each is an immutable value held by one reference and replaced whole
 * (`routes = ...`), so a request sees the old table or the new one, never half of each. ACME HTTP-01 answers
 * come first (plain HTTP, any host), then the route lookup, then the HTTPS redirect, then forwarding.
 */
export class ProxyServer {
  /** certs is the current certificate map; assign a new one to swap it. */
  certs: CertMap;
  /** challenges is the current ACME HTTP-01 token map; assign a new one to swap it. */
  challenges = new ChallengeTokens();
  readonly http: HttpServer;
  readonly https: HttpsServer;
  private readonly limits: ProxyLimits;
  private readonly log: Logger;
  private readonly pools: UpstreamPools;
  private table: RouteTable = RouteTable.empty();
  private readonly upgrades = new UpgradeProxy();
  private readonly cursors = new WeakMap<Route, { next: number }>();
  private readonly publicHttpsPort: number | undefined;
  private ports: ListeningPorts = { httpPort: 0, httpsPort: 0 };
  private httpCtx!: ForwardContext & UpgradeContext;
  private httpsCtx!: ForwardContext & UpgradeContext;

  constructor(options: ProxyServerOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.log = options.logger;
    this.publicHttpsPort = options.publicHttpsPort;
    this.certs = new CertMap([], options.fallback);
    this.pools = new UpstreamPools({ connections: this.limits.maxSocketsPerUpstream, timeoutMs: this.limits.upstreamTimeoutMs, connectTimeoutMs: this.limits.upstreamConnectTimeoutMs });
    const serverOptions = {
      maxHeaderSize: this.limits.maxHeaderSize,
      connectionsCheckingInterval: this.limits.connectionsCheckingIntervalMs,
      requestTimeout: this.limits.requestTimeoutMs,
      headersTimeout: this.limits.headersTimeoutMs,
      keepAliveTimeout: this.limits.keepAliveTimeoutMs,
      noDelay: true,
    };
    this.http = createHttpServer(serverOptions, (req, res) => this.handle(req, res, this.httpCtx));
    this.https = createHttpsServer(
      { ...serverOptions, ...options.fallback, SNICallback: (name, done) => done(null, this.certs.select(name)) },
      (req, res) => this.handle(req, res, this.httpsCtx),
    );
    for (const server of [this.http, this.https]) {
      server.timeout = this.limits.idleTimeoutMs;
      server.keepAliveTimeout = this.limits.keepAliveTimeoutMs;
      server.maxConnections = this.limits.maxConnections;
      server.on("clientError", (error: Error, socket: Duplex) => clientError(socket, error));
    }
    this.http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head, this.httpCtx));
    this.https.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head, this.httpsCtx));
    this.contexts();
  }

  /** routes is the current route table. */
  get routes(): RouteTable {
    return this.table;
  }

  /** Assigning a new table swaps it whole; the pools of upstreams it no longer lists close once idle. */
  set routes(table: RouteTable) {
    this.table = table;
    this.pools.retain(table.routes);
  }

  /** listen binds both listeners (in a cluster worker, the primary shares one socket among workers). */
  async listen(http: ListenTarget, https: ListenTarget): Promise<ListeningPorts> {
    const bind = (server: HttpServer | HttpsServer, target: ListenTarget, what: string) =>
      new Promise<number>((resolve, reject) => {
        const onError = (error: Error) => reject(new ProxyStartError(`proxy ${what} listener on port ${target.port}: ${error.message}`, { cause: error }));
        server.once("error", onError);
        server.listen({ port: target.port, host: target.host }, () => {
          server.off("error", onError);
          resolve((server.address() as AddressInfo).port);
        });
      });
    const httpPort = await bind(this.http, http, "HTTP");
    const httpsPort = await bind(this.https, https, "HTTPS");
    this.ports = { httpPort, httpsPort };
    this.contexts();
    return this.ports;
  }

  /** close stops accepting, lets in-flight requests finish for `closeGraceMs`, then cuts whatever is left. */
  async close(): Promise<void> {
    const closed = [this.http, this.https].map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())));
    for (const server of [this.http, this.https]) server.closeIdleConnections();
    this.upgrades.close();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.limits.closeGraceMs)));
    await Promise.race([Promise.all(closed), grace]);
    clearTimeout(timer);
    for (const server of [this.http, this.https]) server.closeAllConnections();
    await Promise.all(closed);
    await this.pools.destroy();
  }

  private handle(req: IncomingMessage, res: ServerResponse, ctx: ForwardContext): void {
    if (ctx.proto === "http" && this.challenges.size > 0) {
      const answer = this.challenges.answer(req.url);
      if (answer !== undefined) return void res.writeHead(200, ["Content-Type", "text/plain", "Content-Length", String(Buffer.byteLength(answer))]).end(answer);
    }
    const route = this.table.lookup(req.headers.host, req.url);
    if (!route) return sendPage(res, "no-route");
    if (ctx.proto === "http" && route.tls && route.redirectHttp) return this.redirect(req, res);
    forward(req, res, route, ctx);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: UpgradeContext): void {
    this.upgrades.handle(req, socket, head, this.table.lookup(req.headers.host, req.url), ctx);
  }

  /** redirect sends a plain-HTTP request to the same URL over HTTPS (308 keeps the method and body). */
  private redirect(req: IncomingMessage, res: ServerResponse): void {
    const port = this.publicHttpsPort ?? this.ports.httpsPort;
    const location = `https://${normalizeHost(req.headers.host ?? "")}${port === 443 ? "" : `:${port}`}${req.url ?? "/"}`;
    res.writeHead(308, ["Location", location, "Content-Type", "text/plain", "Content-Length", String(location.length + 1)]).end(`${location}\n`);
  }

  private pick(route: Route): number {
    let cursor = this.cursors.get(route);
    if (!cursor) this.cursors.set(route, (cursor = { next: 0 }));
    const index = cursor.next;
    cursor.next = (index + 1) % Math.max(1, route.upstreams.length);
    return index;
  }

  private contexts(): void {
    const base = { pools: this.pools, log: this.log, pick: (route: Route) => this.pick(route) };
    this.httpCtx = { ...base, proto: "http", port: this.ports.httpPort };
    this.httpsCtx = { ...base, proto: "https", port: this.ports.httpsPort };
  }
}

/** clientError answers a malformed or oversized request head (400/431) or a header timeout (408), then closes. */
function clientError(socket: Duplex, error: Error & { code?: string }): void {
  if (!socket.writable) return void socket.destroy();
  const status =
    error.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : "400 Bad Request";
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
