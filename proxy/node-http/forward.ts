import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { ProxyLog } from "../log.ts";
import { connectionTokens, endToEnd, upstreamRequestHeaders, type ForwardedFrom, type RequestFacts } from "../http1/heads.ts";
import { pageAnswer } from "../http1/local-answer.ts";
import type { ProxyLimits } from "../limits.ts";
import type { Route } from "../route-table.ts";
import type { UpstreamAgents } from "./agents.ts";
import { writeAnswer } from "./answers.ts";

/** ForwardContext is what forwarding needs from the data plane. */
export interface ForwardContext {
  readonly agents: UpstreamAgents;
  readonly limits: ProxyLimits;
  readonly log: ProxyLog;
  /** pick returns the index of the upstream to try first (round-robin per route). */
  pick(route: Route): number;
}

/** Forwarded is one vetted request: its (origin-form) target and headers, and what the proxy read of them. */
export interface Forwarded {
  method: string;
  url: string;
  headers: readonly string[];
  facts: RequestFacts;
  from: ForwardedFrom;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
const MAX_ATTEMPTS = 3;
/** NEVER_ANSWERED are the failures before any response byte, after which a request without a body is retried. */
const NEVER_ANSWERED = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ECONNTIMEOUT", "ECONNRESET", "EPIPE"]);

/**
 * forward sends one request to the route's upstreams with `node:http`'s client and relays the answer: the same
 * rules as the llhttp plane's Exchange (proxy/http1/exchange.ts). An idempotent request without a body is
 * retried on the next upstream when one failed before answering anything; otherwise 502 (504 on timeout), or
 * the client connection is cut if the answer had begun. Hop-by-hop headers are dropped both ways and the body
 * is re-framed by `node:http` (a Content-Length passes through).
 */
export function forward(req: IncomingMessage, res: ServerResponse, route: Route, request: Forwarded, ctx: ForwardContext): void {
  const first = ctx.pick(route);
  const retryable = request.facts.body === "none" && IDEMPOTENT.has(request.method);
  const attempts = retryable ? Math.min(MAX_ATTEMPTS, route.upstreams.length + 1) : 1;
  const headers = upstreamRequestHeaders(request.headers, request.facts.host, request.facts.body, request.from);
  let attempt = 0;
  let started = false;
  const clientGone = () => res.destroyed || res.writableEnded;

  const send = (): void => {
    const upstream = route.upstreams[(first + attempt) % route.upstreams.length]!;
    const proxied = httpRequest({
      host: upstream.host.startsWith("[") ? upstream.host.slice(1, -1) : upstream.host,
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers,
      setHost: false,
      agent: ctx.agents.for(upstream),
    });
    // The client went away (or its request broke off): the upstream must not see a request completed for it.
    const abandon = () => {
      if (!req.complete || !res.writableFinished) proxied.destroy();
    };
    res.once("close", abandon);
    proxied.on("socket", (socket: Socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => failed(Object.assign(new Error("connect timeout"), { code: "ECONNTIMEOUT" })), ctx.limits.upstreamConnectTimeoutMs);
      socket.once("connect", () => clearTimeout(timer));
      socket.once("close", () => clearTimeout(timer));
    });
    proxied.setTimeout(ctx.limits.upstreamTimeoutMs, () => failed(Object.assign(new Error("upstream timeout"), { code: "ETIMEDOUT" })));
    let failedOnce = false;
    const failed = (error: Error & { code?: string }): void => {
      if (failedOnce) return;
      failedOnce = true;
      res.off("close", abandon);
      proxied.destroy();
      if (clientGone()) return;
      const code = error.code ?? "EPROTO";
      if (!started && NEVER_ANSWERED.has(code) && ++attempt < attempts) {
        ctx.log.debug({ upstream: upstream.id, code, route: route.name }, "upstream never answered, trying the next one");
        return send();
      }
      ctx.log.warn({ upstream: upstream.id, route: route.name, code, err: error.message }, "upstream request failed");
      if (started || res.headersSent) return void res.destroy();
      writeAnswer(req, res, pageAnswer(code === "ETIMEDOUT" ? "upstream-timeout" : "upstream-error"));
    };
    proxied.on("error", failed);
    // A 101 to a request that asked for no upgrade: the connection is no longer HTTP (and the request emits no error).
    proxied.on("upgrade", (_response: IncomingMessage, socket: Socket) => {
      socket.destroy();
      failed(Object.assign(new Error("unexpected 101"), { code: "EUPGRADE" }));
    });
    proxied.on("response", (response: IncomingMessage) => {
      const raw = response.rawHeaders;
      const extra = connectionTokens(raw);
      const passed: string[] = [];
      for (let i = 0; i < raw.length; i += 2) if (endToEnd(raw[i]!, extra)) passed.push(raw[i]!, raw[i + 1]!);
      if (clientGone()) return void response.destroy();
      try {
        res.writeHead(response.statusCode ?? 502, response.statusMessage, passed);
      } catch (error) {
        // A header value node:http refuses to write: the upstream's answer cannot be relayed.
        response.destroy();
        return failed(Object.assign(error as Error, { code: "EBADHEADER" }));
      }
      started = true;
      response.pipe(res);
      // An answer cut short upstream is cut short for the client too: it must see it failed, not end early.
      response.on("aborted", () => res.destroy());
      response.on("error", () => res.destroy());
    });
    if (request.facts.body === "none") proxied.end();
    else req.pipe(proxied);
  };

  send();
}
