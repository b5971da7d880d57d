import type { Socket } from "node:net";
import type { Route } from "../route-table.ts";
import { Exchange, LAST_CHUNK, writeFramed, type ExchangeClient, type ExchangeContext } from "./exchange.ts";
import { clientResponseHead, hasHeader, type RequestFacts, type ResponseFraming } from "./heads.ts";
import { SKIP_BODY, type HeadInfo } from "./llhttp.ts";
import { renderAnswer, type LocalAnswer } from "./local-answer.ts";

/** Http1Client is the HTTP/1.x connection an exchange answers on. */
export interface Http1Client extends ExchangeClient {
  readonly socket: Socket;
}

/**
 * Http1Exchange answers one request of an HTTP/1.x connection: the response is re-framed for the client (a
 * Content-Length passes through, anything else is chunked for HTTP/1.1 and delimited by closing for HTTP/1.0).
 *
 * Requests arrive in order on a connection and are answered in order: an exchange starts once the one before
 * it is done, and until then it buffers its body (a pipelining client).
 */
export class Http1Exchange extends Exchange {
  /** closeAfter: the client connection closes once this response is written. */
  closeAfter: boolean;
  private readonly socket: Socket;
  private framing: ResponseFraming = "as-is";

  constructor(client: Http1Client, ctx: ExchangeContext, request: HeadInfo, facts: RequestFacts, target: Route | LocalAnswer) {
    super(client, ctx, request, facts, target);
    this.socket = client.socket;
    this.closeAfter = !request.keepAlive;
  }

  get clientSocket(): Socket {
    return this.socket;
  }

  protected sendContinue(): void {
    if (this.request.versionMinor === 1) this.socket.write("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
  }

  protected sendInterim(head: HeadInfo): void {
    if (this.request.versionMinor === 1) this.socket.write(clientResponseHead(head.statusCode, head.statusMessage, head.headers, "as-is", false, 1), "latin1");
  }

  protected sendHead(head: HeadInfo): number | void {
    const bodiless = this.request.method === "HEAD" || head.statusCode === 204 || head.statusCode === 304;
    this.framing = bodiless || hasHeader(head.headers, "content-length") ? "as-is" : this.request.versionMinor === 1 ? "chunked" : "close";
    if (this.framing === "close") this.closeAfter = true;
    this.socket.write(clientResponseHead(head.statusCode, head.statusMessage, head.headers, this.framing, this.closeAfter, this.request.versionMinor), "latin1");
    return this.request.method === "HEAD" ? SKIP_BODY : undefined;
  }

  protected sendBody(chunk: Buffer): boolean {
    return writeFramed(this.socket, chunk, this.framing === "chunked");
  }

  protected onceDrained(resume: () => void): void {
    this.socket.once("drain", resume);
  }

  protected sendEnd(): void {
    if (this.framing === "chunked") this.socket.write(LAST_CHUNK, "latin1");
  }

  protected sendAnswer(answer: LocalAnswer): void {
    // A client waiting for `100 Continue` will not send the body the parser expects: the connection ends here.
    if (this.expectContinue && !this.requestComplete) this.closeAfter = true;
    this.socket.write(renderAnswer(answer, this.closeAfter, this.request.versionMinor, this.request.method !== "HEAD"));
  }

  protected cut(): void {
    this.socket.destroy();
  }

  protected override closesAfter(): boolean {
    return this.closeAfter;
  }
}
