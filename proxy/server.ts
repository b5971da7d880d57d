import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createServer as createTlsServer, type SecureContext, type Server as TlsServer, type TLSSocket } from "node:tls";
import type { ProxyLog } from "./log.ts";
import { ChallengeTokens } from "./challenges.ts";
import { chooseDataPlane, type DataPlaneName } from "./data-plane.ts";
import { CertMap, type PemPair } from "./cert-map.ts";
import { ProxyStartError } from "./errors.ts";
import { ClientConnection, type ListenerContext } from "./http1/client-connection.ts";
import { pageAnswer, textAnswer, type LocalAnswer } from "./http1/local-answer.ts";
import { UpstreamPools } from "./http1/upstream-pools.ts";
import { H2Sessions } from "./http2/sessions.ts";
import { DEFAULT_LIMITS, type ProxyLimits } from "./limits.ts";
import { NodeHttpPlane } from "./node-http/plane.ts";
import { normalizeHost, RouteTable, type Route } from "./route-table.ts";
import { UpgradeProxy, type UpgradeContext } from "./upgrade.ts";

/** ListenTarget is where a listener binds: port 0 takes any free port. */
export interface ListenTarget {
  port: number;
  host?: string;
}

/**
 * SharedListen is how a proxy thread listens (see proxy/threads.ts): on a port, with `reusePort` to join
 * sockets other threads bound (Node 22.12 or later), or on `handle`, a listening socket already bound
 * (a duplicate of another thread's, see proxy/duplicate.ts), which must be on `port`.
 */
export type SharedListen = (ListenTarget & { reusePort?: boolean }) | { handle: object; port: number };

/** ProxyServerOptions configure one serving process's proxy. */
export interface ProxyServerOptions {
  logger: ProxyLog;
  /** fallback is the certificate served to names without one (see createFallbackCertificate). */
  fallback: PemPair;
  limits?: Partial<ProxyLimits>;
  /** publicHttpsPort is the HTTPS port redirects point at (default: the port the HTTPS listener got). */
  publicHttpsPort?: number;
  /** dataPlane forces a data plane (default: BERTH_PROXY_DATA_PLANE, else llhttp when it works; see data-plane.ts). */
  dataPlane?: DataPlaneName;
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
 *
 * With the llhttp data plane the listeners are plain TCP and TLS servers: each connection is parsed and answered
 * by the HTTP/1.1 data plane in `http1/` (Node's own parser, pooled upstream connections). A TLS client that
 * chose HTTP/2 by ALPN is served by `http2/`, each stream forwarded through the same pools. An Upgrade
 * request's connection is handed to a `node:http` server that never listens, whose `upgrade` event tunnels it
 * through http-proxy. With the node-http data plane (`node-http/`, when Node's internal parser cannot be used)
 * the listeners are an `http.Server` and an `https.Server`, HTTP/1.1 only, over the same table and answers.
 */
export class ProxyServer {
  /** certs is the current certificate map; assign a new one to swap it. */
  certs: CertMap;
  /** challenges is the current ACME HTTP-01 token map; assign a new one to swap it. */
  challenges = new ChallengeTokens();
  readonly http: NetServer;
  readonly https: TlsServer;
  /** dataPlane is the data plane serving (see data-plane.ts). */
  readonly dataPlane: DataPlaneName;
  private readonly limits: ProxyLimits;
  private readonly log: ProxyLog;
  private readonly pools: UpstreamPools;
  private table: RouteTable = RouteTable.empty();
  private readonly upgrades = new UpgradeProxy();
  private readonly cursors = new WeakMap<Route, { next: number }>();
  private readonly publicHttpsPort: number | undefined;
  private readonly connections = new Set<ClientConnection>();
  private readonly sockets = new Set<Socket>();
  private readonly checker: NodeJS.Timeout;
  private ports: ListeningPorts = { httpPort: 0, httpsPort: 0 };
  private httpCtx!: ListenerContext;
  private httpsCtx!: ListenerContext;
  private readonly tunnels: { http: HttpServer; https: HttpServer } | undefined;
  private readonly h2: H2Sessions | undefined;
  private readonly plane: NodeHttpPlane | undefined;

  constructor(options: ProxyServerOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.log = options.logger;
    this.publicHttpsPort = options.publicHttpsPort;
    this.certs = new CertMap([], options.fallback);
    this.pools = new UpstreamPools({
      connections: this.limits.maxSocketsPerUpstream,
      activeMs: this.limits.upstreamTimeoutMs,
      connectMs: this.limits.upstreamConnectTimeoutMs,
      idleMs: this.limits.upstreamIdleTimeoutMs,
      maxHeaderSize: this.limits.maxHeaderSize,
    });
    this.dataPlane = chooseDataPlane(options.dataPlane, this.log);
    const tls = { ...options.fallback, SNICallback: (name: string, done: (error: Error | null, context: SecureContext) => void) => done(null, this.certs.select(name)) };
    if (this.dataPlane === "node-http") {
      this.plane = new NodeHttpPlane({
        limits: this.limits,
        log: this.log,
        upgrades: this.upgrades,
        tls,
        decide: (url, host, proto) => this.decide(url, host, proto),
        lookup: (host, url) => this.table.lookup(host, url),
        pick: (route) => this.pick(route),
        port: (proto) => (proto === "http" ? this.ports.httpPort : this.ports.httpsPort),
      });
      this.http = this.plane.http;
      this.https = this.plane.https;
      for (const server of [this.http, this.https]) server.on("connection", (socket: Socket) => this.track(socket));
    } else {
      this.http = createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket, this.httpCtx));
      this.https = createTlsServer(
        { ...tls, allowHalfOpen: true, noDelay: true, ALPNProtocols: ["h2", "http/1.1"], handshakeTimeout: this.limits.headersTimeoutMs },
        (socket) => this.acceptTls(socket),
      );
      this.https.on("tlsClientError", (_error: Error, socket: Duplex) => socket.destroy());
      const tunnel = (ctx: () => UpgradeContext) => {
        const server = createHttpServer({ maxHeaderSize: this.limits.maxHeaderSize });
        server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrades.handle(req, socket, head, this.table.lookup(req.headers.host, req.url), ctx()));
        server.on("clientError", (_error: Error, socket: Duplex) => socket.destroy());
        return server;
      };
      this.tunnels = { http: tunnel(() => this.httpCtx), https: tunnel(() => this.httpsCtx) };
    }
    for (const server of [this.http, this.https]) server.maxConnections = this.limits.maxConnections;
    this.checker = setInterval(() => this.checkDeadlines(), this.limits.connectionsCheckingIntervalMs).unref();
    this.contexts();
    if (this.dataPlane === "llhttp") this.h2 = new H2Sessions(() => this.httpsCtx);
  }

  /** routes is the current route table. */
  get routes(): RouteTable {
    return this.table;
  }

  /** Assigning a new table swaps it whole; the pools of upstreams it no longer lists close once idle. */
  set routes(table: RouteTable) {
    this.table = table;
    this.pools.retain(table.routes);
    this.plane?.updated(table.routes);
  }

  /** listen binds both listeners, or listens on sockets already bound (see SharedListen). */
  async listen(http: SharedListen, https: SharedListen): Promise<ListeningPorts> {
    const bind = (server: NetServer, target: SharedListen, what: string) =>
      new Promise<number>((resolve, reject) => {
        const onError = (error: Error) => reject(new ProxyStartError(`proxy ${what} listener on port ${target.port}: ${error.message}`, { cause: error }));
        server.once("error", onError);
        const listening = () => {
          server.off("error", onError);
          const port = (server.address() as AddressInfo).port;
          // A duplicate descriptor is checked: a socket on another port would serve the proxy where it must not.
          if ("handle" in target && port !== target.port) return onError(new Error(`the socket given is on port ${port}`));
          resolve(port);
        };
        // `reusePort` is passed as is: Node releases without it ignore the option, and proxy/threads.ts asks for it only where it works.
        if ("handle" in target) server.listen(target.handle, listening);
        else server.listen({ port: target.port, host: target.host, ...(target.reusePort ? { reusePort: true } : {}) }, listening);
      });
    const httpPort = await bind(this.http, http, "HTTP");
    const httpsPort = await bind(this.https, https, "HTTPS");
    this.ports = { httpPort, httpsPort };
    this.contexts();
    return this.ports;
  }

  /** fds are the listening sockets' file descriptors (for another thread to listen on; see SharedListen). */
  get fds(): { http: number; https: number } {
    const fd = (server: NetServer) => (server as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    return { http: fd(this.http), https: fd(this.https) };
  }

  /** close stops accepting, lets in-flight requests finish for `closeGraceMs` (or `graceMs`), then cuts whatever is left. */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    clearInterval(this.checker);
    const closed = [this.http, this.https].map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())));
    for (const connection of this.connections) connection.close();
    this.h2?.close();
    this.upgrades.close();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.graceMs ?? this.limits.closeGraceMs)));
    await Promise.race([Promise.all(closed), grace]);
    clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(closed);
    this.pools.destroy();
    this.plane?.destroy();
  }

  private accept(socket: Socket, ctx: ListenerContext): void {
    this.track(socket);
    this.connections.add(new ClientConnection(socket, ctx));
  }

  /** acceptTls serves a TLS connection in the protocol its client chose by ALPN: HTTP/2, or HTTP/1.1 (also when it named none). */
  private acceptTls(socket: TLSSocket): void {
    if (socket.alpnProtocol !== "h2") return this.accept(socket, this.httpsCtx);
    this.track(socket);
    this.h2!.accept(socket);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  private checkDeadlines(): void {
    const now = Date.now();
    for (const connection of this.connections) connection.checkDeadline(now);
    this.pools.sweep(now);
  }

  /** decide routes one request: a challenge answer, the proxy's 404/503 page, an HTTPS redirect, or a route. */
  private decide(url: string, host: string, proto: "http" | "https"): Route | LocalAnswer {
    if (proto === "http" && this.challenges.size > 0) {
      const answer = this.challenges.answer(url);
      if (answer !== undefined) return textAnswer(200, answer);
    }
    const route = this.table.lookup(host, url);
    if (!route) return pageAnswer("no-route");
    if (proto === "http" && route.tls && route.redirectHttp) return this.redirect(host, url);
    if (route.upstreams.length === 0) return pageAnswer("no-endpoint");
    return route;
  }

  /** redirect sends a plain-HTTP request to the same URL over HTTPS (308 keeps the method and body). */
  private redirect(host: string, url: string): LocalAnswer {
    const port = this.publicHttpsPort ?? this.ports.httpsPort;
    const location = `https://${normalizeHost(host)}${port === 443 ? "" : `:${port}`}${url || "/"}`;
    return textAnswer(308, `${location}\n`, `Location: ${location}\r\n`);
  }

  private pick(route: Route): number {
    let cursor = this.cursors.get(route);
    if (!cursor) this.cursors.set(route, (cursor = { next: 0 }));
    const index = cursor.next;
    cursor.next = (index + 1) % Math.max(1, route.upstreams.length);
    return index;
  }

  private contexts(): void {
    const context = (proto: "http" | "https", port: number): ListenerContext => ({
      proto,
      port,
      limits: this.limits,
      pools: this.pools,
      log: this.log,
      pick: (route) => this.pick(route),
      decide: (request, host) => this.decide(request.url, host, proto),
      handOff: (socket) => this.handOff(socket, proto),
      forget: (connection) => this.connections.delete(connection),
    });
    this.httpCtx = context("http", this.ports.httpPort);
    this.httpsCtx = context("https", this.ports.httpsPort);
  }

  /** handOff gives a connection whose next request is an Upgrade to the tunnel server of its listener. */
  private handOff(socket: Socket, proto: "http" | "https"): void {
    this.tunnels![proto].emit("connection", socket);
    socket.resume();
  }
}
