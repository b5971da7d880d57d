import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import httpProxy from "http-proxy";
import type { ProxyLog } from "./log.ts";
import { ERROR_HEADER, PAGES, type ProxyErrorKind } from "./pages.ts";
import type { Route } from "./route-table.ts";

/** UpgradeContext is what tunnelling an upgrade needs from the server. */
export interface UpgradeContext {
  proto: "http" | "https";
  port: number;
  log: ProxyLog;
  pick(route: Route): number;
}

/**
 * UpgradeProxy tunnels WebSocket (and other HTTP/1.1 Upgrade) requests to an upstream through http-proxy,
 * which handles the handshake relay and the two-way pipe. Upgraded sockets leave the HTTP server's
 * bookkeeping, so it tracks them itself to cut them on close.
 */
export class UpgradeProxy {
  private readonly proxy = httpProxy.createProxyServer({ ws: true, xfwd: false });
  private readonly sockets = new Set<Duplex>();

  constructor() {
    // http-proxy ends the upstream socket only when the client's closes cleanly: tie both ends' lifetimes together.
    this.proxy.on("proxyReqWs", (proxyReq, _req, socket) => {
      proxyReq.on("upgrade", (_res, upstream: Duplex) => {
        socket.once("close", () => upstream.destroy());
        upstream.once("close", () => socket.destroy());
      });
    });
  }

  /** handle tunnels one upgrade request on `route` (undefined → 404). */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, route: Route | undefined, ctx: UpgradeContext): void {
    socket.on("error", () => socket.destroy());
    if (!route) return reject(socket, "no-route");
    if (route.upstreams.length === 0) return reject(socket, "no-endpoint");
    const upstream = route.upstreams[ctx.pick(route) % route.upstreams.length]!;
    const previous = req.headers["x-forwarded-for"];
    const client = clientAddress(req);
    req.headers["x-forwarded-for"] = previous ? `${String(previous)}, ${client}` : client;
    req.headers["x-forwarded-proto"] = ctx.proto;
    req.headers["x-forwarded-host"] = req.headers.host ?? "";
    req.headers["x-forwarded-port"] = String(ctx.port);
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    this.proxy.ws(req, socket, head, { target: { host: upstream.host, port: upstream.port } }, (error: Error) => {
      ctx.log.warn({ upstream: upstream.id, route: route.name, err: error.message }, "upgrade to upstream failed");
      reject(socket, "upstream-error");
    });
  }

  /** close cuts every tunnelled connection. */
  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.proxy.close();
  }

  /** open counts the tunnelled connections. */
  get open(): number {
    return this.sockets.size;
  }
}

/** clientAddress is the peer address, without the IPv4-mapped IPv6 prefix. */
function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/** reject answers an upgrade request with one of the proxy's error pages and closes the connection. */
function reject(socket: Duplex, kind: ProxyErrorKind): void {
  if (!socket.writable) return void socket.destroy();
  const page = PAGES[kind];
  socket.write(
    `HTTP/1.1 ${page.status} ${kind}\r\n${ERROR_HEADER}: ${kind}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${page.body.length}\r\nConnection: close\r\n\r\n`,
  );
  socket.end(page.body);
}
