import { request, type Agent, type ClientRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import { downstreamResponseHeaders, upstreamRequestHeaders } from "./headers.ts";
import { ERROR_HEADER, PAGES, type ProxyErrorKind } from "./pages.ts";
import type { Route, Upstream } from "./route-table.ts";

/** ForwardContext is what forwarding needs from the server: the upstream pool, the listener's scheme and port, limits. */
export interface ForwardContext {
  agent: Agent;
  proto: "http" | "https";
  port: number;
  upstreamTimeoutMs: number;
  log: Logger;
  /** pick returns the index of the upstream to try first (round-robin per route). */
  pick(route: Route): number;
}

/** UpstreamTimeoutError is an upstream that sent nothing for `upstreamTimeoutMs`. */
export class UpstreamTimeoutError extends Error {
  override readonly name = "UpstreamTimeoutError";
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** MAX_ATTEMPTS bounds how many upstreams one request tries. */
const MAX_ATTEMPTS = 3;

/**
 * forward sends a request to one of the route's upstreams and streams the answer back. A request that is
 * idempotent and has no body is retried on the next upstream when the connection is refused, or when a reused
 * keep-alive connection turns out to have been closed by the upstream (the request never reached it): that is
 * what keeps a replica leaving the pool from failing requests. Anything else answers 502 (504 on timeout), or
 * cuts the client connection if the response had already begun.
 *
 * This is the proxy's hot path: it deliberately uses `http.request` with flat raw-header arrays instead of
 * http-proxy's `web()`, whose per-request passes cost a third of the throughput here (measured with wrk);
 * WebSockets still go through http-proxy.
 */
export function forward(req: IncomingMessage, res: ServerResponse, route: Route, ctx: ForwardContext): void {
  const upstreams = route.upstreams;
  if (upstreams.length === 0) return sendPage(res, "no-endpoint");
  const headers = upstreamRequestHeaders(req, ctx.proto, ctx.port);
  const retryable = IDEMPOTENT.has(req.method ?? "") && !hasBody(req);
  const first = ctx.pick(route);
  const attempts = Math.min(MAX_ATTEMPTS, upstreams.length + 1);
  let current: ClientRequest | undefined;
  res.once("close", () => {
    if (!res.writableFinished) current?.destroy();
  });

  const attempt = (n: number): void => {
    const upstream = upstreams[(first + n) % upstreams.length]!;
    const upReq = request(
      { host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers, agent: ctx.agent, setHost: false },
      (upRes) => relay(upRes, res, upstream, ctx),
    );
    current = upReq;
    upReq.setTimeout(ctx.upstreamTimeoutMs, () => upReq.destroy(new UpstreamTimeoutError(`${upstream.id} sent nothing for ${ctx.upstreamTimeoutMs}ms`)));
    upReq.on("error", (error: NodeJS.ErrnoException) => {
      if (res.destroyed) return;
      if (retryable && n + 1 < attempts && neverReached(error, upReq) && !res.headersSent) {
        ctx.log.debug({ upstream: upstream.id, code: error.code, route: route.name }, "upstream unreachable, trying the next one");
        return attempt(n + 1);
      }
      ctx.log.warn({ upstream: upstream.id, route: route.name, err: error.message }, "upstream request failed");
      if (res.headersSent) res.destroy(error);
      else sendPage(res, error instanceof UpstreamTimeoutError ? "upstream-timeout" : "upstream-error");
    });
    if (retryable) upReq.end();
    else req.pipe(upReq);
  };
  attempt(0);
}

function relay(upRes: IncomingMessage, res: ServerResponse, upstream: Upstream, ctx: ForwardContext): void {
  upRes.on("error", (error) => {
    ctx.log.warn({ upstream: upstream.id, err: error.message }, "upstream response broke off");
    res.destroy(error);
  });
  upRes.on("aborted", () => res.destroy());
  res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, downstreamResponseHeaders(upRes));
  upRes.pipe(res);
}

/**
 * neverReached tells whether a failed upstream request certainly did not reach the application: the connection
 * was refused, or a reused keep-alive socket was already closed (reset before any response byte).
 */
function neverReached(error: NodeJS.ErrnoException, upReq: ClientRequest): boolean {
  if (error.code === "ECONNREFUSED" || error.code === "EHOSTUNREACH" || error.code === "ENETUNREACH") return true;
  return upReq.reusedSocket && (error.code === "ECONNRESET" || error.code === "EPIPE");
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
}

/** sendPage answers with one of the proxy's own error pages. */
export function sendPage(res: ServerResponse, kind: ProxyErrorKind): void {
  const page = PAGES[kind];
  if (res.headersSent) return void res.destroy();
  res.writeHead(page.status, [ERROR_HEADER, kind, "Content-Type", "text/html; charset=utf-8", "Content-Length", String(page.body.length), "Cache-Control", "no-store"]);
  res.end(page.body);
}
