/**
 * llhttp is Node's own HTTP/1.1 parser (the one `node:http` parses every request and response with), reached
 * through `_http_common`. The proxy's data plane parses with it directly instead of going through
 * `http.Server` and an HTTP client: the framing, the limits and the request-smuggling defences (conflicting
 * Content-Length and Transfer-Encoding, bad chunk sizes, bare CR/LF in headers) are exactly Node's, while the
 * per-request streams, IncomingMessage/ServerResponse objects and header objects, which cost about half of the
 * proxy's CPU per request, are gone.
 *
 * This module is the only place that touches that binding; the rest of the proxy sees `MessageParser`.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** ParseError is what a failed `execute` returns: llhttp's error code (`HPE_HEADER_OVERFLOW`, ...). */
export interface ParseError extends Error {
  code: string;
  bytesParsed: number;
}

interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | ParseError;
  finish(): number | ParseError | undefined;
  close(): void;
  [callback: number]: unknown;
}

interface HttpCommon {
  HTTPParser: {
    new (): NativeParser;
    REQUEST: number;
    RESPONSE: number;
    kOnMessageBegin: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kLenientNone: number;
  };
  methods: readonly string[];
}

const { HTTPParser, methods: METHODS } = require("_http_common") as HttpCommon;

/** HeadInfo is one parsed message head. Headers are flat `[name, value, ...]`, bytes read as latin1, as sent. */
export interface HeadInfo {
  versionMinor: number;
  headers: string[];
  /** method and url are set on requests. */
  method: string;
  url: string;
  /** statusCode and statusMessage are set on responses. */
  statusCode: number;
  statusMessage: string;
  /** upgrade: an Upgrade (or CONNECT) request; parsing stops after its head. */
  upgrade: boolean;
  /** keepAlive: the connection may carry another message after this one (HTTP version and Connection header). */
  keepAlive: boolean;
}

/** MessageHandler receives one connection's messages, in order. */
export interface MessageHandler {
  onMessageBegin(): void;
  /** onHead may return SKIP_BODY for a response that has none whatever its headers say (an answer to HEAD). */
  onHead(head: HeadInfo): number | void;
  onBody(chunk: Buffer): void;
  onMessageComplete(): void;
}

/** SKIP_BODY, returned from onHead, tells the parser the message has no body. */
export const SKIP_BODY = 1;

/**
 * MessageParser parses one connection's messages, requests or responses, and calls its handler as it goes.
 * `execute` returns the bytes it consumed (fewer than given after an upgrade request's head) or a ParseError.
 */
export class MessageParser {
  private readonly native: NativeParser;
  // llhttp hands over headers in batches of 32 pairs before the head completes: collected here.
  private headers: string[] = [];
  private url = "";

  constructor(kind: "request" | "response", maxHeaderSize: number, handler: MessageHandler) {
    const native = new HTTPParser();
    native.initialize(kind === "request" ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, maxHeaderSize, HTTPParser.kLenientNone);
    native[HTTPParser.kOnMessageBegin] = () => handler.onMessageBegin();
    native[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      for (const h of headers) this.headers.push(h);
      this.url += url;
    };
    native[HTTPParser.kOnHeadersComplete] = (
      _major: number,
      versionMinor: number,
      headers: string[] | undefined,
      method: number | undefined,
      url: string | undefined,
      statusCode: number | undefined,
      statusMessage: string | undefined,
      upgrade: boolean,
      keepAlive: boolean,
    ) => {
      if (headers === undefined) {
        headers = this.headers;
        this.headers = [];
      }
      if (url === undefined) {
        url = this.url;
        this.url = "";
      }
      return handler.onHead({
        versionMinor,
        headers,
        method: method === undefined ? "" : (METHODS[method] ?? ""),
        url,
        statusCode: statusCode ?? 0,
        statusMessage: statusMessage ?? "",
        upgrade,
        keepAlive,
      });
    };
    native[HTTPParser.kOnBody] = (chunk: Buffer) => handler.onBody(chunk);
    native[HTTPParser.kOnMessageComplete] = () => handler.onMessageComplete();
    this.native = native;
  }

  execute(data: Buffer): number | ParseError {
    return this.native.execute(data);
  }

  /** finish tells the parser the peer closed: it completes a body delimited by the connection's end. */
  finish(): ParseError | undefined {
    const result = this.native.finish();
    return typeof result === "object" ? result : undefined;
  }

  /** close frees the native parser; call it once the connection is gone, outside the parser's own callbacks. */
  close(): void {
    setImmediate(() => this.native.close());
  }
}
