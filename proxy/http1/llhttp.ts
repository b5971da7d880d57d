/**
 * llhttp is Node's own HTTP/1.1 parser (the one `node:http` parses every request and response with), reached
 * through `_http_common`. The proxy's data plane parses with it directly instead of going through
 * `http.Server` and an HTTP client: the framing, the limits and the request-smuggling defences (conflicting
 * Content-Length and Transfer-Encoding, bad chunk sizes, bare CR/LF in headers) are exactly Node's (with the
 * proxy's own on top, in request-rules.ts), while the per-request streams, IncomingMessage/ServerResponse
 * objects and header objects, which cost about half of the proxy's CPU per request, are gone.
 *
 * This module is the only place that touches that binding; the rest of the proxy sees `MessageParser`. Node
 * deprecated `_http_common` as an API (DEP0199), so it is loaded only when asked for, and `llhttpProblem`
 * proves it is there and behaves before the proxy relies on it (proxy/data-plane.ts falls back otherwise).
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

let HTTPParser: HttpCommon["HTTPParser"];
let METHODS: readonly string[];
let loadProblem: string | undefined;
try {
  ({ HTTPParser, methods: METHODS } = require("_http_common") as HttpCommon);
} catch (error) {
  loadProblem = `require("_http_common") failed: ${(error as Error).message}`;
}

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
 * REFUSE, returned from onHead, stops the parser at once: `execute` (or the consumed read) then fails with the
 * code REFUSED, and nothing after the head (its body, later requests) is parsed.
 */
export const REFUSE = -1;

/** REFUSED is the error code of a parse stopped by REFUSE (llhttp's failed on_headers_complete callback). */
export const REFUSED = "HPE_CB_HEADERS_COMPLETE";

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

/** CALLBACKS are the parser's callback slots MessageParser sets: each must be a distinct integer. */
const CALLBACKS = ["kOnMessageBegin", "kOnHeaders", "kOnHeadersComplete", "kOnBody", "kOnMessageComplete", "kOnExecute"] as const;

let probed: { problem: string | undefined } | undefined;

/**
 * llhttpProblem says why Node's internal parser cannot be used here (undefined when it can): `_http_common`
 * must load, export the parser with its constants and its `consume` (reading a socket without JavaScript in
 * between), and parse a canned request and response, pipelined and chunked, into the heads and bodies expected.
 * Checked once per process.
 */
export function llhttpProblem(): string | undefined {
  probed ??= { problem: probe() };
  return probed.problem;
}

function probe(): string | undefined {
  if (loadProblem) return loadProblem;
  if (typeof HTTPParser !== "function") return "_http_common exports no HTTPParser";
  for (const name of [...CALLBACKS, "REQUEST", "RESPONSE", "kLenientNone"] as const) {
    if (!Number.isInteger(HTTPParser[name])) return `HTTPParser.${name} is not an integer`;
  }
  if (new Set(CALLBACKS.map((name) => HTTPParser[name])).size !== CALLBACKS.length) return "HTTPParser's callback constants are not distinct";
  for (const name of ["initialize", "execute", "finish", "close", "consume", "unconsume", "getCurrentBuffer"]) {
    if (typeof (HTTPParser.prototype as Record<string, unknown>)[name] !== "function") return `HTTPParser has no ${name}()`;
  }
  if (!Array.isArray(METHODS) || !METHODS.includes("GET") || !METHODS.includes("POST")) return "_http_common's methods list is missing or changed";
  try {
    const request = parseCanned("request", "POST /a?b=1 HTTP/1.1\r\nHost: x.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /z HTTP/1.0\r\nX-Y: 1\r\n\r\n");
    const wanted = "POST /a?b=1 1.1 Host=x.test,Transfer-Encoding=chunked keep-alive body=abc|GET /z 1.0 X-Y=1 close body=";
    if (request !== wanted) return `the parser read a canned request as ${JSON.stringify(request)}, not ${JSON.stringify(wanted)}`;
    const response = parseCanned("response", "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    const expected = "201 Created 1.1 Content-Length=2 keep-alive body=ok|204 No Content 1.1 Connection=close close body=";
    if (response !== expected) return `the parser read a canned response as ${JSON.stringify(response)}, not ${JSON.stringify(expected)}`;
    const refused = refusedCanned();
    if (refused) return refused;
  } catch (error) {
    return `the parser failed on a canned message: ${(error as Error).message}`;
  }
  return undefined;
}

/** refusedCanned checks that REFUSE stops the parser after a head with the code REFUSED; it says how it did not. */
function refusedCanned(): string | undefined {
  let heads = 0;
  const parser = new MessageParser("request", 16 * 1024, {
    onMessageBegin: () => {},
    onHead: () => (++heads === 1 ? REFUSE : undefined),
    onBody: () => {},
    onMessageComplete: () => {},
  });
  try {
    const result = parser.execute(Buffer.from("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n", "latin1"));
    if (typeof result === "number" || result.code !== REFUSED || heads !== 1) return `refusing a head did not stop the parser with ${REFUSED} (got ${typeof result === "number" ? result : result.code} after ${heads} heads)`;
  } finally {
    parser.close();
  }
  return undefined;
}

/** parseCanned parses `text` with a MessageParser and describes each message it read, `|`-separated. */
function parseCanned(kind: "request" | "response", text: string): string {
  const messages: string[] = [];
  let body = "";
  let head = "";
  const parser = new MessageParser(kind, 16 * 1024, {
    onMessageBegin: () => (body = ""),
    onHead: (h) => {
      const first = kind === "request" ? `${h.method} ${h.url}` : `${h.statusCode} ${h.statusMessage}`;
      const fields = [];
      for (let i = 0; i < h.headers.length; i += 2) fields.push(`${h.headers[i]}=${h.headers[i + 1]}`);
      head = `${first} 1.${h.versionMinor} ${fields.join(",")} ${h.keepAlive ? "keep-alive" : "close"}`;
    },
    onBody: (chunk) => (body += chunk.toString("latin1")),
    onMessageComplete: () => messages.push(`${head} body=${body}`),
  });
  try {
    const result = parser.execute(Buffer.from(text, "latin1"));
    if (typeof result !== "number") throw new Error(`${result.code}: ${result.message}`);
  } finally {
    parser.close();
  }
  return messages.join("|");
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
