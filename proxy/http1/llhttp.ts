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
import type { Socket } from "node:net";

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
  consume(handle: object): void;
  unconsume(): void;
  getCurrentBuffer(): Buffer;
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
    kOnExecute: number;
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
  private consumed: Socket | undefined;
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

  /**
   * consume makes the parser read the socket itself, as `node:http`'s server does: each read goes from libuv into
   * llhttp with no Buffer, stream event or JavaScript in between, and `afterRead` is told what each read parsed.
   * The socket's 'end', 'error' and 'close' events still fire; `socket.pause()` stops reading and
   * `socket.resume()` starts it again. False when the socket's handle cannot be consumed (read it with `execute`).
   */
  consume(socket: Socket, afterRead: (result: number | ParseError) => void): boolean {
    const handle = (socket as unknown as { _handle?: ConsumableHandle })._handle;
    if (!handle?.isStreamBase || handle._consumed) return false;
    handle._consumed = true;
    const timed = socket as unknown as { _unrefTimer(): void };
    this.native[HTTPParser.kOnExecute] = (result: number | ParseError) => {
      // The stream sees no read to restart its timeout on (`setTimeout`), so this does, as `node:http` does.
      timed._unrefTimer();
      afterRead(result);
    };
    this.native.consume(handle);
    socket.on("pause", onPause);
    socket.on("resume", onResume);
    this.consumed = socket;
    return true;
  }

  /** unconsume gives the socket's reads back to its stream (an Upgrade: what follows is not HTTP). */
  unconsume(): void {
    const socket = this.consumed;
    if (!socket) return;
    this.consumed = undefined;
    this.native.unconsume();
    socket.off("pause", onPause);
    socket.off("resume", onResume);
  }

  /** currentRead is the read being parsed, while `afterRead` runs. */
  currentRead(): Buffer {
    return this.native.getCurrentBuffer();
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
    this.unconsume();
    setImmediate(() => this.native.close());
  }
}

/** ConsumableHandle is a socket's libuv stream handle (TCP or TLS). */
interface ConsumableHandle {
  isStreamBase?: boolean;
  _consumed?: boolean;
  reading?: boolean;
  readStart(): number;
  readStop(): number;
}

// A consumed socket's stream never sees the bytes, so pausing it must stop the handle itself (as `node:http` does).
function onPause(this: Socket): void {
  const handle = (this as unknown as { _handle?: ConsumableHandle })._handle;
  if (handle?.reading) {
    handle.reading = false;
    handle.readStop();
  }
}

// 'resume' comes a tick after `resume()`: a socket paused again since then stays paused.
function onResume(this: Socket): void {
  const handle = (this as unknown as { _handle?: ConsumableHandle })._handle;
  if (this.isPaused() || !handle || handle.reading) return;
  handle.reading = true;
  handle.readStart();
}
