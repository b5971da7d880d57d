import { connect, type Socket } from "node:net";
import { MessageParser, type HeadInfo, type MessageHandler, type ParseError } from "./llhttp.ts";

/**
 * UpstreamUser is the request an upstream connection serves, one at a time: it is handed the connection once
 * it is connected (or taken idle from the pool), then the response as it is parsed, or the error that ended it.
 */
export interface UpstreamUser {
  onUpstream(connection: UpstreamConnection): void;
  onResponseHead(head: HeadInfo): number | void;
  onResponseBody(chunk: Buffer): void;
  onResponseComplete(): void;
  /** onUpstreamError: the connection failed (code: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EUPGRADE, ...); it is gone. */
  onUpstreamError(code: string, error?: Error): void;
  /** clientSocket, when set, is corked while one read's worth of response is relayed, so it leaves in one write. */
  readonly clientSocket: Socket | undefined;
}

/** UpstreamTimeouts bound a connection's connect and its silence while serving (its idle time is the pool's to bound). */
export interface UpstreamTimeouts {
  connectMs: number;
  /** activeMs: an upstream silent this long while it serves a request fails it (504). */
  activeMs: number;
}

/** ConnectionOwner is the pool the connection belongs to: told when it connected and when it is gone. */
export interface ConnectionOwner {
  connected(connection: UpstreamConnection): void;
  gone(connection: UpstreamConnection): void;
}

/**
 * UpstreamConnection is one keep-alive TCP connection to an upstream with its response parser. It serves one
 * request at a time (no pipelining: a request is never sent behind one whose answer could still fail).
 */
export class UpstreamConnection implements MessageHandler {
  readonly socket: Socket;
  /** user is the request served now; undefined while connecting for nobody or idle in the pool. */
  user: UpstreamUser | undefined;
  /** connected: the TCP connect completed. */
  connected = false;
  /** idleSince is when the connection last went idle in the pool (ms since the epoch). */
  idleSince = 0;
  private readonly parser: MessageParser;
  private readonly owner: ConnectionOwner;
  private closed = false;
  /** corked is the client socket corked during the current read (null: none to cork). */
  private corked: Socket | null | undefined;

  constructor(owner: ConnectionOwner, host: string, port: number, timeouts: UpstreamTimeouts, maxHeaderSize: number) {
    this.owner = owner;
    this.parser = new MessageParser("response", maxHeaderSize, this);
    const socket = connect({ host, port, noDelay: true });
    socket.setTimeout(timeouts.connectMs);
    socket.once("connect", () => {
      this.connected = true;
      this.parser.consume(socket, (result) => this.afterRead(result));
      // One timeout for the connection's life, restarted by every read and write: set per request, it would cost
      // a timer each time. While idle it never fires first, since the pool closes idle connections long before.
      socket.setTimeout(timeouts.activeMs);
      owner.connected(this);
    });
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("timeout", () => this.fail(this.connected ? "ETIMEDOUT" : "ECONNTIMEOUT"));
    socket.on("end", () => this.onEnd());
    socket.on("error", (error: Error & { code?: string }) => this.fail(error.code ?? "EPROTO", error));
    socket.on("close", () => this.onClose());
    this.socket = socket;
  }

  /** serve hands the connection to a request and writes nothing yet: the user writes its request. */
  serve(user: UpstreamUser): void {
    this.user = user;
    if (this.connected) user.onUpstream(this);
  }

  /** rest marks the connection idle in the pool, from `now`. */
  rest(now: number): void {
    this.user = undefined;
    this.idleSince = now;
  }

  /** discard closes the connection without telling its user (who gave it up: the client went away). */
  discard(): void {
    this.user = undefined;
    this.socket.destroy();
  }

  get usable(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  onMessageBegin(): void {
    // Bytes while idle are nobody's answer: the connection's state is unknown, so it goes.
    if (!this.user) this.socket.destroy();
  }

  onHead(head: HeadInfo): number | void {
    this.corkClient();
    // Upgrade requests are tunnelled and never sent here: a 101 switches this connection away from HTTP with no
    // answer to come, so it fails the request at once (502) instead of being waited past like an interim answer.
    if (head.statusCode === 101) return void this.fail("EUPGRADE");
    return this.user?.onResponseHead(head);
  }

  onBody(chunk: Buffer): void {
    this.corkClient();
    this.user?.onResponseBody(chunk);
  }

  onMessageComplete(): void {
    this.user?.onResponseComplete();
  }

  private onData(chunk: Buffer): void {
    this.afterRead(this.parser.execute(chunk));
  }

  /**
   * corkClient corks the client's socket at the first piece of a read's response, so that all of the read
   * leaves in one write when `afterRead` uncorks it.
   */
  private corkClient(): void {
    if (this.corked !== undefined) return;
    this.corked = this.user?.clientSocket ?? null;
    this.corked?.cork();
  }

  private afterRead(result: number | ParseError): void {
    const corked = this.corked;
    this.corked = undefined;
    corked?.uncork();
    if (typeof result !== "number") this.fail(result.code, result);
  }

  private onEnd(): void {
    // A response delimited by the connection's end is complete now; anything else in flight is cut short.
    if (this.user) {
      const error = this.parser.finish();
      if (error) return this.fail(error.code, error);
    }
    this.fail("ECONNRESET");
  }

  private fail(code: string, error?: Error): void {
    const user = this.user;
    this.user = undefined;
    this.socket.destroy();
    user?.onUpstreamError(code, error);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail("ECONNRESET");
    this.parser.close();
    this.owner.gone(this);
  }
}
