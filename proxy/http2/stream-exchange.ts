import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { Route } from "../route-table.ts";
import { Exchange, type ExchangeClient, type ExchangeContext } from "../http1/exchange.ts";
import { connectionTokens, endToEnd, type RequestFacts } from "../http1/heads.ts";
import { SKIP_BODY, type HeadInfo } from "../http1/llhttp.ts";
import type { LocalAnswer } from "../http1/local-answer.ts";

/**
 * StreamExchange answers one HTTP/2 stream from an HTTP/1.1 upstream: the upstream's status and end-to-end
 * headers become the stream's response headers (names lowercase, repeated ones kept apart), its body the
 * stream's DATA frames. HTTP/2 frames bodies itself, so the upstream's chunking is simply undone.
 */
export class StreamExchange extends Exchange {
  readonly clientSocket = undefined;
  private readonly stream: ServerHttp2Stream;

  constructor(stream: ServerHttp2Stream, client: ExchangeClient, ctx: ExchangeContext, request: HeadInfo, facts: RequestFacts, target: Route | LocalAnswer) {
    super(client, ctx, request, facts, target);
    this.stream = stream;
  }

  protected sendContinue(): void {
    this.stream.additionalHeaders({ ":status": 100 });
  }

  protected sendInterim(head: HeadInfo): void {
    this.respond(() => this.stream.additionalHeaders(responseHeaders(head)));
  }

  protected sendHead(head: HeadInfo): number | void {
    this.respond(() => this.stream.respond(responseHeaders(head)));
    return this.request.method === "HEAD" ? SKIP_BODY : undefined;
  }

  protected sendBody(chunk: Buffer): boolean {
    // A stream the client reset takes no more data: the exchange is aborted when its close is seen.
    return this.gone || this.stream.write(chunk);
  }

  protected onceDrained(resume: () => void): void {
    this.stream.once("drain", resume);
  }

  protected sendEnd(): void {
    if (!this.gone) this.stream.end();
  }

  protected sendAnswer(answer: LocalAnswer): void {
    const headers = answerHeaders(answer);
    const withBody = this.request.method !== "HEAD";
    this.respond(() => {
      this.stream.respond(headers, { endStream: !withBody });
      if (withBody) this.stream.end(answer.body);
    });
  }

  protected cut(): void {
    if (!this.gone) this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }

  /** gone: the stream is closed (reset by the client, or by the proxy) and takes nothing more. */
  private get gone(): boolean {
    return this.stream.closed || this.stream.destroyed;
  }

  /**
   * respond writes headers unless the stream is gone; headers HTTP/2 cannot carry (a value Node refuses) reset
   * the stream instead of throwing into the upstream's parser.
   */
  private respond(write: () => void): void {
    if (this.gone) return;
    try {
      write();
    } catch {
      this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    }
  }
}

/** responseHeaders are an upstream response's status and end-to-end headers as an HTTP/2 header object. */
export function responseHeaders(head: HeadInfo): OutgoingHttpHeaders {
  const raw = head.headers;
  const headers: OutgoingHttpHeaders = { ":status": head.statusCode };
  const extra = connectionTokens(raw);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!endToEnd(name, extra)) continue;
    const value = raw[i + 1]!;
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[name] = [String(seen), value];
  }
  return headers;
}

/** answerHeaders are the headers of one of the proxy's own answers, with its status and length. */
function answerHeaders(answer: LocalAnswer): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ":status": answer.status, "content-length": answer.body.length };
  for (const line of answer.headers.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}
