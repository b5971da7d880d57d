import type { Socket } from "node:net";
import type { Route } from "../route-table.ts";
import type { ExchangeContext } from "./exchange.ts";
import { Http1Exchange, type Http1Client } from "./http1-exchange.ts";
import { requestFacts, upgradeRequestHead, type ForwardedFrom } from "./heads.ts";
import { MessageParser, REFUSE, REFUSED, type HeadInfo, type MessageHandler, type ParseError } from "./llhttp.ts";
import { closingAnswer, type LocalAnswer } from "./local-answer.ts";
import { vetRequest } from "./request-rules.ts";
import type { ProxyLimits } from "../limits.ts";

/** ListenerContext is what a client connection needs from the listener that accepted it. */
export interface ListenerContext extends ExchangeContext {
  readonly proto: "http" | "https";
  readonly port: number;
  readonly limits: ProxyLimits;
  /** decide routes a request: the route to forward it on, or the proxy's own answer. */
  decide(request: HeadInfo, host: string): Route | LocalAnswer;
  /** handOff gives an Upgrade request's connection, its head put back in front, to the WebSocket tunnel. */
  handOff(socket: Socket): void;
  /** forget: the connection is closed or handed off. */
  forget(connection: ClientConnection): void;
}

/** MAX_PIPELINED is how many requests a client may have waiting for answers before the proxy stops reading. */
const MAX_PIPELINED = 16;

/** Deadline says what the connection is waiting for, bounded by the limits (checked by `checkDeadline`). */
type Deadline = "none" | "idle" | "head" | "request";

/**
 * ClientConnection is one client's HTTP/1.1 connection: it parses requests in order, answers each through an
 * Http1Exchange, one at a time, and enforces the limits a slow or malformed client could otherwise exhaust the
 * proxy with: a header size limit (431), a header timeout and a request timeout (408), a keep-alive timeout
 * and an idle timeout. A request whose framing or target is ambiguous (see vetRequest) stops the parser: it is
 * answered 400 and the connection closes. An Upgrade request leaves this parser: the connection is handed to the WebSocket
 * tunnel once the answers before it are written.
 */
export class ClientConnection implements MessageHandler, Http1Client {
  readonly socket: Socket;
  readonly from: ForwardedFrom;
  private readonly ctx: ListenerContext;
  private readonly parser: MessageParser;
  /** queue holds the requests not yet answered; the first is being answered. */
  private readonly queue: Http1Exchange[] = [];
  /** parsing is the request whose body is being read. */
  private parsing: Http1Exchange | undefined;
  /** upgrade is an Upgrade request read (always the last: llhttp stops there) and the bytes after its head. */
  private upgrade: { request: HeadInfo; rest: Buffer | undefined } | undefined;
  private closing = false;
  /** closingStatus is the error status written before closing (a malformed request), with why it was refused. */
  private closingStatus: number | undefined;
  private refusal = "";
  private gone = false;
  private deadlineKind: Deadline = "idle";
  private deadline: number;
  private messageBegan = 0;
  private readonly onDataBound = (chunk: Buffer) => this.onData(chunk);
  private readonly onEndBound = () => this.onEnd();
  private readonly onCloseBound = () => this.onClose();
  private readonly onTimeoutBound = () => this.socket.destroy();

  constructor(socket: Socket, ctx: ListenerContext) {
    this.socket = socket;
    this.ctx = ctx;
    const address = socket.remoteAddress ?? "";
    this.from = { clientAddress: address.startsWith("::ffff:") ? address.slice(7) : address, proto: ctx.proto, port: ctx.port };
    this.parser = new MessageParser("request", ctx.limits.maxHeaderSize, this);
    this.deadline = Date.now() + ctx.limits.keepAliveTimeoutMs;
    socket.setTimeout(ctx.limits.idleTimeoutMs);
    // Read by the parser itself where the socket allows it; 'data' (which keeps the stream flowing to its 'end') otherwise.
    this.parser.consume(socket, (result) => this.afterRead(result, undefined));
    socket.on("data", this.onDataBound);
    socket.on("end", this.onEndBound);
    socket.on("close", this.onCloseBound);
    socket.on("timeout", this.onTimeoutBound);
    socket.on("error", () => socket.destroy());
  }

  /** close ends the connection once its in-flight answers are written (at once when idle). */
  close(): void {
    this.closing = true;
    if (this.queue.length === 0) this.finish();
  }

  /** checkDeadline cuts a connection past its header, request or keep-alive deadline. */
  checkDeadline(now: number): void {
    if (this.deadlineKind === "none" || now < this.deadline) return;
    const active = this.queue[0];
    if (this.deadlineKind === "idle") return void this.socket.destroy();
    // Told why when nothing else is being answered on it; cut otherwise.
    if (this.queue.length <= 1 && !active?.responseStarted) {
      active?.abort();
      this.endWith(closingAnswer(408));
    } else this.socket.destroy();
  }

  onMessageBegin(): void {
    this.messageBegan = Date.now();
    this.setDeadline("head", this.messageBegan + this.ctx.limits.headersTimeoutMs);
  }

  onHead(head: HeadInfo): number | void {
    if (this.closing) return;
    const facts = requestFacts(head.headers);
    const problem = vetRequest(head, facts);
    if (problem) {
      // The parser stops here, before this request's body: nothing of it or after it is read as a request.
      this.ctx.log.debug({ client: this.from.clientAddress, reason: problem }, "refused an ambiguous request");
      this.refusal = problem;
      return REFUSE;
    }
    if (head.upgrade) {
      this.upgrade = { request: head, rest: undefined };
      this.setDeadline("none", 0);
      return;
    }
    const exchange = new Http1Exchange(this, this.ctx, head, facts, this.ctx.decide(head, facts.host));
    this.queue.push(exchange);
    this.parsing = exchange;
    this.setDeadline("request", this.messageBegan + this.ctx.limits.requestTimeoutMs);
    if (this.queue.length === 1) exchange.start();
    else if (this.queue.length > MAX_PIPELINED) this.socket.pause();
  }

  onBody(chunk: Buffer): void {
    this.parsing?.onRequestBody(chunk);
  }

  onMessageComplete(): void {
    const exchange = this.parsing;
    this.parsing = undefined;
    if (this.deadlineKind === "request") this.setDeadline("none", 0);
    exchange?.onRequestComplete();
  }

  exchangeDone(exchange: Http1Exchange): void {
    if (this.queue[0] !== exchange) return;
    this.queue.shift();
    if (exchange.closeAfter) {
      for (const rest of this.queue.splice(0)) rest.abort();
      return this.finish();
    }
    const next = this.queue[0];
    if (next) {
      if (this.queue.length === MAX_PIPELINED) this.socket.resume();
      return next.start();
    }
    if (this.closing) return this.finish();
    if (this.upgrade) return this.handOffWhenRead();
    if (this.deadlineKind === "none") this.setDeadline("idle", Date.now() + this.ctx.limits.keepAliveTimeoutMs);
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.upgrade && !this.gone) this.socket.resume();
  }

  private onData(chunk: Buffer): void {
    this.afterRead(this.parser.execute(chunk), chunk);
  }

  /** afterRead handles what parsing one read ended with; `chunk` is the read when it came through the stream. */
  private afterRead(result: number | ParseError, chunk: Buffer | undefined): void {
    if (typeof result !== "number") return this.parseError(result);
    const upgrade = this.upgrade;
    if (upgrade && upgrade.rest === undefined) {
      // llhttp stopped after the Upgrade request's head: what follows is the tunnel's, not HTTP.
      upgrade.rest = (chunk ?? this.parser.currentRead()).subarray(result);
      this.parser.unconsume();
      this.socket.off("data", this.onDataBound);
      this.socket.pause();
      if (this.queue.length === 0) this.handOffWhenRead();
    }
  }

  /** handOffWhenRead gives the connection to the WebSocket tunnel with the Upgrade request's head put back. */
  private handOffWhenRead(): void {
    const upgrade = this.upgrade!;
    if (upgrade.rest === undefined) return;
    const { method, url, versionMinor, headers } = upgrade.request;
    const socket = this.socket;
    this.detach();
    socket.unshift(Buffer.concat([Buffer.from(upgradeRequestHead(method, url, versionMinor, headers), "latin1"), upgrade.rest]));
    this.ctx.handOff(socket);
  }

  /**
   * parseError stops reading a connection whose bytes are not HTTP any more, or whose last request head was
   * refused (REFUSED). The answers to the requests read before are still written; then 400 (431 for an
   * oversized head) says why, and the connection closes. A request whose body broke off (a bad chunk) is never
   * completed upstream: its upstream connection is cut, so the upstream sees a truncated request, and it gets
   * the 400 (or, if its answer had begun, the client connection is cut). Bytes after a `Connection: close`
   * request are just ignored.
   */
  private parseError(error: ParseError): void {
    this.parser.unconsume();
    this.socket.off("data", this.onDataBound);
    this.closing = true;
    if (error.code !== "HPE_CLOSED_CONNECTION") this.closingStatus = error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
    if (error.code !== REFUSED && error.code !== "HPE_CLOSED_CONNECTION") this.ctx.log.debug({ client: this.from.clientAddress, code: error.code }, "unparsable request");
    const broken = this.parsing;
    this.parsing = undefined;
    if (broken) {
      if (broken.responseStarted) return void this.socket.destroy();
      broken.abort();
      this.queue.splice(this.queue.indexOf(broken), 1);
    }
    if (this.queue.length === 0) this.finish();
  }

  /** finish ends the connection, with the status a malformed request earned, if any. */
  private finish(): void {
    this.endWith(this.closingStatus ? closingAnswer(this.closingStatus, this.refusal) : "");
  }

  private endWith(answer: string): void {
    this.closing = true;
    this.socket.off("data", this.onDataBound);
    if (this.socket.writable) this.socket.end(answer, "latin1");
    else this.socket.destroy();
  }

  private onEnd(): void {
    // The client is done sending (a half-close): answer what it asked, then close.
    this.closing = true;
    if (this.queue.length === 0) this.finish();
  }

  private onClose(): void {
    for (const exchange of this.queue) exchange.abort();
    this.queue.length = 0;
    this.detach();
  }

  private detach(): void {
    if (this.gone) return;
    this.gone = true;
    this.setDeadline("none", 0);
    const socket = this.socket;
    socket.off("data", this.onDataBound);
    socket.off("end", this.onEndBound);
    socket.off("close", this.onCloseBound);
    socket.off("timeout", this.onTimeoutBound);
    socket.setTimeout(0);
    this.parser.close();
    this.ctx.forget(this);
  }

  private setDeadline(kind: Deadline, at: number): void {
    this.deadlineKind = kind;
    this.deadline = at;
  }
}
