import type { Socket } from "node:net";
import type { ProxyLog } from "../log.ts";
import type { Route, Upstream } from "../route-table.ts";
import { upstreamRequestHead, type BodyFraming, type ForwardedFrom, type RequestFacts } from "./heads.ts";
import type { HeadInfo } from "./llhttp.ts";
import { pageAnswer, type LocalAnswer } from "./local-answer.ts";
import type { UpstreamConnection, UpstreamUser } from "./upstream-connection.ts";
import type { UpstreamPool, UpstreamPools } from "./upstream-pools.ts";

/** ExchangeContext is what an exchange needs from its listener. */
export interface ExchangeContext {
  readonly pools: UpstreamPools;
  readonly log: ProxyLog;
  /** pick returns the index of the upstream to try first (round-robin per route). */
  pick(route: Route): number;
}

/** ExchangeClient is the client an exchange answers: an HTTP/1.1 connection or one HTTP/2 stream. */
export interface ExchangeClient {
  readonly from: ForwardedFrom;
  /** done: the exchange's response is written (and its request read, or the connection is to close). */
  exchangeDone(exchange: Exchange): void;
  pauseReading(): void;
  resumeReading(): void;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** MAX_ATTEMPTS bounds how many upstreams one request tries. */
const MAX_ATTEMPTS = 3;

/**
 * NEVER_ANSWERED are the failures of an upstream connection before any response byte: refused or unreachable,
 * a connect timeout, or a keep-alive connection the upstream had already closed or reset.
 */
const NEVER_ANSWERED = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ECONNTIMEOUT", "ECONNRESET", "EPIPE"]);

/** MAX_BUFFERED is how much request body is held while the upstream connects; past it the client is paused. */
const MAX_BUFFERED = 64 * 1024;

const CRLF = "\r\n";
export const LAST_CHUNK = "0\r\n\r\n";

/**
 * Exchange is one request and its response, forwarded to an HTTP/1.1 upstream. A routed request goes to one of
 * the route's upstreams through its pool, and the response is relayed as it arrives. A request that is
 * idempotent and has no body is retried on the next upstream when the upstream failed before answering anything
 * (refused, or a kept-alive connection it had closed): that is what keeps a replica leaving the route table from
 * failing requests. Anything else answers 502 (504 on timeout), or cuts the response if it had already begun.
 *
 * This class is the upstream side, the same whatever the client speaks; a subclass writes the response in the
 * client's protocol (`Http1Exchange` on an HTTP/1.x connection, `StreamExchange` on an HTTP/2 stream).
 */
export abstract class Exchange implements UpstreamUser {
  readonly request: HeadInfo;
  requestComplete = false;
  responseStarted = false;
  responseComplete = false;
  /** clientSocket, when set, is corked while one read's worth of response is relayed to it. */
  abstract readonly clientSocket: Socket | undefined;
  protected readonly client: ExchangeClient;
  protected readonly expectContinue: boolean;
  private readonly ctx: ExchangeContext;
  private readonly target: Route | LocalAnswer;
  private readonly host: string;
  /** body is how the request's body is framed, and so how it is framed upstream. */
  private readonly body: BodyFraming;
  private pending: Buffer[] | undefined;
  private pendingBytes = 0;
  /** pool is the current attempt's upstream pool. */
  private pool: UpstreamPool | undefined;
  private connection: UpstreamConnection | undefined;
  private aborted = false;
  private attempt = 0;
  private first = 0;
  private interim = false;
  private upstreamKeepAlive = false;

  constructor(client: ExchangeClient, ctx: ExchangeContext, request: HeadInfo, facts: RequestFacts, target: Route | LocalAnswer) {
    this.client = client;
    this.ctx = ctx;
    this.request = request;
    this.host = facts.host;
    this.expectContinue = facts.expectContinue;
    this.body = facts.body;
    this.target = target;
  }

  /** start answers the request: called once every earlier exchange on the connection is done. */
  start(): void {
    const target = this.target;
    if (!isRoute(target)) return this.answer(target);
    if (this.expectContinue && !this.requestComplete) this.sendContinue();
    this.first = this.ctx.pick(target);
    this.acquire();
  }

  /** abort gives up: the client went away. */
  abort(): void {
    this.aborted = true;
    this.pool?.cancel(this);
    this.connection?.discard();
    this.connection = undefined;
  }

  onRequestBody(chunk: Buffer): void {
    if (this.responseComplete || !isRoute(this.target)) return;
    if (!this.connection) {
      (this.pending ??= []).push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes > MAX_BUFFERED) this.client.pauseReading();
      return;
    }
    this.writeBody(this.connection.socket, chunk);
  }

  onRequestComplete(): void {
    this.requestComplete = true;
    if (this.connection && this.body === "chunked") this.connection.socket.write(LAST_CHUNK, "latin1");
    this.maybeDone();
  }

  onUpstream(connection: UpstreamConnection): void {
    // Withdrawn while it connected: nothing was written on it, so it serves the next request.
    if (this.aborted) return this.pool!.release(connection, true);
    this.connection = connection;
    const socket = connection.socket;
    socket.write(upstreamRequestHead(this.request.method, this.request.url, this.request.headers, this.host, this.body, this.client.from), "latin1");
    const pending = this.pending;
    if (pending) {
      this.pending = undefined;
      this.pendingBytes = 0;
      for (const chunk of pending) this.writeBody(socket, chunk);
      this.client.resumeReading();
    }
    if (this.requestComplete && this.body === "chunked") socket.write(LAST_CHUNK, "latin1");
  }

  onResponseHead(head: HeadInfo): number | void {
    if (head.statusCode < 200) {
      // Interim answers (103 Early Hints) pass on; 100 Continue was the proxy's own to send.
      this.interim = true;
      if (head.statusCode !== 100) this.sendInterim(head);
      return;
    }
    this.responseStarted = true;
    this.upstreamKeepAlive = head.keepAlive;
    return this.sendHead(head);
  }

  onResponseBody(chunk: Buffer): void {
    const upstream = this.connection?.socket;
    if (this.sendBody(chunk) || !upstream) return;
    upstream.pause();
    // Once the response is done the connection is resumed and may serve another request: not this one's to resume.
    this.onceDrained(() => this.connection?.socket === upstream && upstream.resume());
  }

  onResponseComplete(): void {
    if (this.interim) {
      this.interim = false;
      return;
    }
    this.sendEnd();
    this.responseComplete = true;
    const connection = this.connection!;
    this.connection = undefined;
    // Paused while the client could take no more, it must read again: idle in the pool or serving the next request.
    if (connection.socket.isPaused()) connection.socket.resume();
    // The upstream may still be reading a body it answered before receiving whole: that connection cannot be reused.
    this.pool!.release(connection, this.upstreamKeepAlive && this.requestComplete);
    this.maybeDone();
  }

  onUpstreamError(code: string, error?: Error): void {
    this.connection = undefined;
    if (this.aborted) return;
    const route = this.target as Route;
    const retryable = this.body === "none" && IDEMPOTENT.has(this.request.method);
    const attempts = retryable ? Math.min(MAX_ATTEMPTS, route.upstreams.length + 1) : 1;
    if (!this.responseStarted && NEVER_ANSWERED.has(code) && ++this.attempt < attempts) {
      this.ctx.log.debug({ upstream: this.upstreamAt(this.attempt - 1).id, code, route: route.name }, "upstream never answered, trying the next one");
      return this.acquire();
    }
    this.ctx.log.warn({ upstream: this.upstreamAt(this.attempt).id, route: route.name, code, err: error?.message }, "upstream request failed");
    if (this.responseStarted) return this.cut();
    this.answer(pageAnswer(code === "ETIMEDOUT" ? "upstream-timeout" : "upstream-error"));
  }

  /** sendContinue tells a client waiting for `100 Continue` to send its body. */
  protected abstract sendContinue(): void;
  /** sendInterim passes on a 1xx answer other than 100. */
  protected abstract sendInterim(head: HeadInfo): void;
  /** sendHead writes the response head; it returns SKIP_BODY when no body is to be read (an answer to HEAD). */
  protected abstract sendHead(head: HeadInfo): number | void;
  /** sendBody writes one piece of the response body; false means the client's buffer is full. */
  protected abstract sendBody(chunk: Buffer): boolean;
  /** onceDrained calls `resume` once the client's buffer has room again. */
  protected abstract onceDrained(resume: () => void): void;
  /** sendEnd ends the response body. */
  protected abstract sendEnd(): void;
  /** sendAnswer writes a whole response the proxy makes itself. */
  protected abstract sendAnswer(answer: LocalAnswer): void;
  /** cut ends a response that had begun and cannot be finished: the client must see it failed, not end early. */
  protected abstract cut(): void;

  private acquire(): void {
    const pool = this.ctx.pools.for(this.upstreamAt(this.attempt));
    this.pool = pool;
    pool.acquire(this);
  }

  private upstreamAt(attempt: number): Upstream {
    const upstreams = (this.target as Route).upstreams;
    return upstreams[(this.first + attempt) % upstreams.length]!;
  }

  /** answer writes a response the proxy makes itself; a body the client has not sent yet is read and dropped. */
  private answer(answer: LocalAnswer): void {
    this.responseStarted = true;
    this.responseComplete = true;
    this.sendAnswer(answer);
    this.maybeDone();
  }

  private writeBody(socket: Socket, chunk: Buffer): void {
    if (writeFramed(socket, chunk, this.body === "chunked")) return;
    this.client.pauseReading();
    socket.once("drain", () => this.client.resumeReading());
  }

  private maybeDone(): void {
    // responseComplete is only ever set once started, so a queued exchange never reports done.
    if (this.responseComplete && (this.requestComplete || this.closesAfter())) this.client.exchangeDone(this);
  }

  /** closesAfter: the client's connection closes once this response is written, so its request need not be read whole. */
  protected closesAfter(): boolean {
    return false;
  }
}

/** writeFramed writes one piece of a body, as a chunk when `chunked`; false means the socket's buffer is full. */
export function writeFramed(socket: Socket, chunk: Buffer, chunked: boolean): boolean {
  if (!chunked) return socket.write(chunk);
  socket.write(chunk.length.toString(16) + CRLF, "latin1");
  socket.write(chunk);
  return socket.write(CRLF, "latin1");
}

function isRoute(target: Route | LocalAnswer): target is Route {
  return (target as Route).upstreams !== undefined;
}
