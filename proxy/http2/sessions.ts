import { constants, createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { TLSSocket } from "node:tls";
import type { ListenerContext } from "../http1/client-connection.ts";
import type { ExchangeClient } from "../http1/exchange.ts";
import { requestFacts, type ForwardedFrom } from "../http1/heads.ts";
import type { HeadInfo } from "../http1/llhttp.ts";
import { BAD_REQUEST } from "../http1/local-answer.ts";
import { h2RequestProblem } from "./request-checks.ts";
import { StreamExchange } from "./stream-exchange.ts";

/** MAX_CONCURRENT_STREAMS is how many requests one client may have in flight on one connection. */
const MAX_CONCURRENT_STREAMS = 128;

/**
 * H2Sessions serves the HTTPS listener's connections that chose `h2` by ALPN. Each stream is one request,
 * forwarded to an HTTP/1.1 upstream through the same pools, retries and routing as HTTP/1.1 requests. The
 * `node:http2` server here never listens: the TLS listener hands it each negotiated connection.
 *
 * Limits: the header list is bounded like an HTTP/1.1 head (a larger one resets the stream), a session with
 * no traffic closes after the keep-alive timeout (gracefully: its streams finish), a stream with no traffic is
 * reset after the idle timeout, and Node's own flood defences (invalid frames, rejected streams, session
 * memory) apply.
 */
export class H2Sessions {
  private readonly server: Http2Server;
  private readonly sessions = new Set<Http2Session>();
  private readonly from = new WeakMap<Http2Session, ForwardedFrom>();
  private readonly ctx: () => ListenerContext;

  /** ctx is read per stream: the listener's context changes once it knows its port. */
  constructor(ctx: () => ListenerContext) {
    this.ctx = ctx;
    const limits = ctx().limits;
    this.server = createServer({
      settings: { maxHeaderListSize: limits.maxHeaderSize, maxConcurrentStreams: MAX_CONCURRENT_STREAMS, enablePush: false },
    });
    this.server.on("session", (session: Http2Session) => this.onSession(session));
    this.server.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, raw: string[]) => this.onStream(stream, headers, raw));
    this.server.on("sessionError", () => {});
  }

  /** accept serves one TLS connection that negotiated `h2`. */
  accept(socket: TLSSocket): void {
    this.server.emit("connection", socket);
  }

  /** close asks every session to finish: no new streams (GOAWAY), the ones in flight complete. */
  close(): void {
    for (const session of this.sessions) session.close();
  }

  private onSession(session: Http2Session): void {
    const address = session.socket?.remoteAddress ?? "";
    const ctx = this.ctx();
    this.from.set(session, { clientAddress: address.startsWith("::ffff:") ? address.slice(7) : address, proto: "https", port: ctx.port });
    this.sessions.add(session);
    session.once("close", () => this.sessions.delete(session));
    session.on("error", () => session.destroy());
    session.setTimeout(ctx.limits.keepAliveTimeoutMs, () => session.close());
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[]): void {
    const ctx = this.ctx();
    stream.on("error", () => {});
    stream.setTimeout(ctx.limits.idleTimeoutMs, () => stream.close(constants.NGHTTP2_CANCEL));
    const method = headers[":method"] ?? "";
    if (method === "CONNECT") {
      // Tunnels (and WebSockets over HTTP/2) are not offered: the client falls back to HTTP/1.1 for those.
      stream.respond({ ":status": 405, allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" }, { endStream: true });
      return;
    }
    const authority = headers[":authority"] ?? headers.host ?? "";
    const url = headers[":path"] ?? "/";
    const problem = h2RequestProblem(method, url, rawHeaders);
    const request: HeadInfo = {
      versionMinor: 1,
      headers: upstreamHeaders(rawHeaders, authority),
      method,
      url,
      statusCode: 0,
      statusMessage: "",
      upgrade: false,
      keepAlive: true,
    };
    const facts = requestFacts(request.headers);
    // HTTP/2 frames the body itself: one the client announced no length for goes upstream chunked.
    facts.body = stream.endAfterHeaders ? "none" : facts.body === "length" ? "length" : "chunked";
    // A Host header naming another site than :authority is malformed (RFC 9113 §8.3.1): it could route around a
    // check. So is a repeated Host or Content-Length, which an HTTP/1.1 upstream could read another way.
    const valid = authority && !problem && !facts.problem && facts.host.toLowerCase() === authority.toLowerCase();
    const target = valid ? ctx.decide(request, authority) : BAD_REQUEST;
    const client: ExchangeClient = {
      from: this.from.get(stream.session!)!,
      exchangeDone: () => {},
      pauseReading: () => stream.pause(),
      resumeReading: () => stream.resume(),
    };
    const exchange = new StreamExchange(stream, client, ctx, request, facts, target);
    stream.on("data", (chunk: Buffer) => exchange.onRequestBody(chunk));
    stream.once("end", () => exchange.onRequestComplete());
    stream.once("close", () => {
      if (!exchange.responseComplete) exchange.abort();
    });
    exchange.start();
  }
}

/**
 * upstreamHeaders are an HTTP/2 request's headers as an HTTP/1.1 request's: pseudo-headers dropped, `Host` from
 * `:authority` unless the client sent one, and the cookie fields HTTP/2 lets a client split joined back into
 * one header (RFC 9113 §8.2.3), as HTTP/1.1 servers expect.
 */
function upstreamHeaders(raw: readonly string[], authority: string): string[] {
  const headers: string[] = [];
  let hasHost = false;
  let cookies: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    if (name === "cookie") (cookies ??= []).push(raw[i + 1]!);
    else {
      if (name === "host") hasHost = true;
      headers.push(name, raw[i + 1]!);
    }
  }
  if (cookies) headers.push("cookie", cookies.join("; "));
  if (!hasHost && authority) headers.unshift("host", authority);
  return headers;
}
