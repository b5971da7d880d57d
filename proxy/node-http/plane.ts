import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerOptions, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { SecureContextOptions, TlsOptions } from "node:tls";
import type { ProxyLog } from "../log.ts";
import { requestFacts } from "../http1/heads.ts";
import { closingAnswer, type LocalAnswer } from "../http1/local-answer.ts";
import { vetRequest, type VettedRequest } from "../http1/request-rules.ts";
import type { ProxyLimits } from "../limits.ts";
import type { Route } from "../route-table.ts";
import type { UpgradeProxy } from "../upgrade.ts";
import { UpstreamAgents } from "./agents.ts";
import { writeAnswer } from "./answers.ts";
import { forward, type ForwardContext } from "./forward.ts";

/** PlaneHost is what the data plane needs from the proxy server that owns it. */
export interface PlaneHost {
  readonly limits: ProxyLimits;
  readonly log: ProxyLog;
  readonly upgrades: UpgradeProxy;
  /** tls configures the HTTPS listener: the fallback certificate and the SNI callback. */
  readonly tls: SecureContextOptions & Pick<TlsOptions, "SNICallback">;
  /** decide routes a request: the route to forward it on, or the proxy's own answer. */
  decide(url: string, host: string, proto: "http" | "https"): Route | LocalAnswer;
  lookup(host: string, url: string): Route | undefined;
  pick(route: Route): number;
  /** port is the port a listener got (for X-Forwarded-Port). */
  port(proto: "http" | "https"): number;
}

/**
 * NodeHttpPlane is the proxy's data plane built only on public `node:http`/`node:https` APIs: an `http.Server`
 * and an `https.Server` (HTTP/1.1 only: no HTTP/2) whose requests are vetted, routed and forwarded through a
 * keep-alive `http.Agent` per upstream, with the same route table, answers, limits and smuggling defences as
 * the llhttp plane. It serves when Node's internal parser binding is missing or changed (see data-plane.ts).
 * The limits map onto the server's own: `maxHeaderSize` (431), `headersTimeout` and `requestTimeout` (408),
 * `keepAliveTimeout`, and the socket timeout for idle connections.
 */
export class NodeHttpPlane {
  readonly http: HttpServer;
  readonly https: HttpsServer;
  private readonly host: PlaneHost;
  private readonly agents: UpstreamAgents;
  private readonly forwarding: ForwardContext;
  /** whenAnswered is what to do once a connection's answers are all written (write the error that ends it). */
  private readonly whenAnswered = new WeakMap<Duplex, () => void>();
  /** refused holds the connections whose request was refused: nothing after it on them is served. */
  private readonly refused = new WeakSet<Duplex>();
  /** responses are each connection's exchanges not yet finished (several when the client pipelines). */
  private readonly responses = new WeakMap<Duplex, Set<{ req: IncomingMessage; res: ServerResponse }>>();

  constructor(host: PlaneHost) {
    this.host = host;
    const limits = host.limits;
    this.agents = new UpstreamAgents({ maxSockets: limits.maxSocketsPerUpstream, idleMs: limits.upstreamIdleTimeoutMs });
    this.forwarding = { agents: this.agents, limits, log: host.log, pick: (route) => host.pick(route) };
    const options: ServerOptions = {
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
      noDelay: true,
      insecureHTTPParser: false,
      // vetRequest decides about Host (an absolute-form target needs none).
      requireHostHeader: false,
    };
    this.http = createHttpServer(options, (req, res) => this.serve(req, res, "http"));
    this.https = createHttpsServer({ ...options, ...host.tls, ALPNProtocols: ["http/1.1"], handshakeTimeout: limits.headersTimeoutMs }, (req, res) => this.serve(req, res, "https"));
    for (const [server, proto] of [[this.http, "http"], [this.https, "https"]] as const) {
      server.setTimeout(limits.idleTimeoutMs);
      server.on("clientError", (error: Error & { code?: string }, socket: Duplex) => this.clientError(error, socket));
      server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head, proto));
    }
    this.https.on("tlsClientError", (_error: Error, socket: Duplex) => socket.destroy());
  }

  /** updated drops the agents of upstreams the new route table no longer lists. */
  updated(routes: readonly Route[]): void {
    this.agents.retain(routes);
  }

  /** destroy cuts every upstream connection (the listeners are closed by the owner). */
  destroy(): void {
    this.agents.destroy();
  }

  private serve(req: IncomingMessage, res: ServerResponse, proto: "http" | "https"): void {
    const socket = req.socket;
    // After a refused request the connection is closing: a request node:http read behind it is not served.
    if (this.refused.has(socket)) return;
    res.sendDate = false;
    const head = this.vetted(req, socket, proto);
    if (typeof head === "string") return this.refuse(res, socket, head);
    this.track(socket, req, res);
    const target = this.host.decide(head.request.url, head.facts.host, proto);
    if (!isRoute(target)) return writeAnswer(req, res, target);
    forward(req, res, target, { method: head.request.method, url: head.request.url, headers: head.request.headers, facts: head.facts, from: head.from }, this.forwarding);
  }

  /** track remembers a response until it is finished, so that a client error while it is written cuts the connection. */
  private track(socket: Duplex, req: IncomingMessage, res: ServerResponse): void {
    let open = this.responses.get(socket);
    if (!open) this.responses.set(socket, (open = new Set()));
    const exchange = { req, res };
    open.add(exchange);
    res.once("close", () => {
      open.delete(exchange);
      if (open.size === 0) this.whenAnswered.get(socket)?.();
    });
  }

  /** vetted reads and vets a request's head (see vetRequest); a string says why it is refused. */
  private vetted(req: IncomingMessage, socket: Socket, proto: "http" | "https") {
    const request: VettedRequest = { method: req.method ?? "", url: req.url ?? "", versionMinor: req.httpVersionMinor, headers: req.rawHeaders.slice() };
    const facts = requestFacts(request.headers);
    const problem = vetRequest(request, facts);
    if (problem) return problem;
    const address = socket.remoteAddress ?? "";
    const from = { clientAddress: address.startsWith("::ffff:") ? address.slice(7) : address, proto, port: this.host.port(proto) };
    return { request, facts, from };
  }

  /** refuse answers 400 with why, and closes the connection: nothing after the request can be trusted to be framed as meant. */
  private refuse(res: ServerResponse, socket: Duplex, problem: string): void {
    this.refused.add(socket);
    this.host.log.debug({ reason: problem }, "refused an ambiguous request");
    const body = `400 Bad Request: ${problem}\n`;
    res.shouldKeepAlive = false;
    res.writeHead(400, ["Content-Type", "text/plain", "Content-Length", String(Buffer.byteLength(body, "latin1")), "Connection", "close"]);
    res.end(body, "latin1");
  }

  /**
   * clientError answers what node:http could not parse, or a client too slow to send its request, and closes:
   * 431 for an oversized head, 408 past the header or request timeout, 400 otherwise; the answers to the
   * requests read before are written first. A request whose body broke off gets the error at once (its
   * upstream request is cut when the connection closes), or the connection is cut if its answer had begun.
   * Bytes after a `Connection: close` or a refused request are ignored: its answer closes the connection.
   */
  private clientError(error: Error & { code?: string }, socket: Duplex): void {
    // After a refused request (its answer closes the connection) or `Connection: close`, what follows is ignored.
    if (error.code === "HPE_CLOSED_CONNECTION" || this.refused.has(socket)) return;
    if (error.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
    this.refused.add(socket);
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const open = [...(this.responses.get(socket) ?? [])];
    const end = (): void => {
      if (socket.writable) socket.end(closingAnswer(status));
      else socket.destroy();
    };
    if (open.length === 0) return end();
    if (open.every(({ req }) => req.complete)) return void this.whenAnswered.set(socket, end);
    if (open.some(({ res }) => res.headersSent)) return void socket.destroy();
    end();
  }

  /** upgrade vets an Upgrade request and tunnels it through http-proxy, as the llhttp plane's tunnel does. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, proto: "http" | "https"): void {
    socket.on("error", () => socket.destroy());
    const vetted = this.vetted(req, req.socket, proto);
    if (typeof vetted === "string") return void socket.end(closingAnswer(400, vetted));
    // An absolute-form target was rewritten to its path and Host: the tunnel sees what was routed.
    req.url = vetted.request.url;
    req.headers.host = vetted.facts.host;
    const route = this.host.lookup(vetted.facts.host, vetted.request.url);
    this.host.upgrades.handle(req, socket, head, route, { proto, port: this.host.port(proto), log: this.host.log, pick: (r) => this.host.pick(r) });
  }
}

function isRoute(target: Route | LocalAnswer): target is Route {
  return (target as Route).upstreams !== undefined;
}
