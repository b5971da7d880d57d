/**
 * heads builds the message heads the proxy writes: the request head it sends upstream and the response head it
 * sends the client, each as one latin1 string (header bytes pass through one to one). The proxy frames bodies
 * itself, so hop-by-hop headers (RFC 9110 §7.6.1) are dropped on both sides and framing headers are written
 * from what the parser saw.
 */

/** HOP_BY_HOP describe one connection, not the message, plus Proxy-Connection. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization"]);

/** NOT_FORWARDED: `Expect: 100-continue` is answered by the proxy itself. */
const NOT_FORWARDED = new Set(["expect"]);

/** FORWARDED are set by the proxy from what it saw; what a client sends for them is replaced (For is appended to). */
const FORWARDED = new Set(["x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"]);

/** BodyFraming is how a request's body is framed: none, a Content-Length, or chunks. */
export type BodyFraming = "none" | "length" | "chunked";

/** RequestFacts are the headers of a request the proxy acts on, read in one pass. */
export interface RequestFacts {
  /** host is the first Host header, as sent ("" when absent). */
  host: string;
  /** expectContinue: the client waits for `100 Continue` before sending its body. */
  expectContinue: boolean;
  body: BodyFraming;
}

/**
 * requestFacts reads the Host, Expect, Transfer-Encoding and Content-Length headers of a request's raw headers
 * (the parser has already refused a request with both framing headers).
 */
export function requestFacts(raw: readonly string[]): RequestFacts {
  let host: string | undefined;
  let expectContinue = false;
  let body: BodyFraming = "none";
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && host === undefined && name.toLowerCase() === "host") host = raw[i + 1]!;
    else if (name.length === 6 && name.toLowerCase() === "expect") expectContinue = raw[i + 1]!.toLowerCase() === "100-continue";
    else if (name.length === 17 && name.toLowerCase() === "transfer-encoding") body = "chunked";
    else if (name.length === 14 && body === "none" && name.toLowerCase() === "content-length") body = "length";
  }
  return { host: host ?? "", expectContinue, body };
}

/** ForwardedFrom is what the upstream is told about the client's connection. */
export interface ForwardedFrom {
  clientAddress: string;
  proto: "http" | "https";
  port: number;
}

/**
 * upstreamRequestHead is the HTTP/1.1 request head sent upstream (keep-alive): the client's headers without
 * hop-by-hop ones, `X-Forwarded-For` appended to, `X-Forwarded-Proto`/`-Host`/`-Port` set from what the proxy
 * saw, and `Transfer-Encoding: chunked` for a chunked body (a Content-Length passes through as it is).
 */
export function upstreamRequestHead(method: string, url: string, raw: readonly string[], host: string, body: BodyFraming, from: ForwardedFrom): string {
  let head = `${method} ${url} HTTP/1.1\r\n`;
  let forwardedFor: string | undefined;
  const extra = connectionTokens(raw);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === "x-forwarded-for") {
      forwardedFor = forwardedFor === undefined ? raw[i + 1]! : `${forwardedFor}, ${raw[i + 1]!}`;
      continue;
    }
    if (HOP_BY_HOP.has(lower) || NOT_FORWARDED.has(lower) || FORWARDED.has(lower) || extra?.has(lower)) continue;
    head += `${name}: ${raw[i + 1]!}\r\n`;
  }
  head += `X-Forwarded-For: ${forwardedFor === undefined ? from.clientAddress : `${forwardedFor}, ${from.clientAddress}`}\r\n`;
  head += `X-Forwarded-Proto: ${from.proto}\r\nX-Forwarded-Host: ${host}\r\nX-Forwarded-Port: ${from.port}\r\n`;
  if (body === "chunked") head += "Transfer-Encoding: chunked\r\n";
  return `${head}\r\n`;
}

/**
 * ResponseFraming is how the client response's body is sent: as the upstream framed it with a Content-Length
 * (or it has none), re-chunked, or delimited by closing the connection (an HTTP/1.0 client and no length).
 */
export type ResponseFraming = "as-is" | "chunked" | "close";

/**
 * clientResponseHead is the response head sent to the client: the upstream's status and headers without
 * hop-by-hop ones, the body framing, and `Connection: close` when the proxy closes after it (or
 * `Connection: keep-alive` for an HTTP/1.0 client it keeps).
 */
export function clientResponseHead(statusCode: number, statusMessage: string, raw: readonly string[], framing: ResponseFraming, close: boolean, clientVersionMinor: number): string {
  let head = `HTTP/1.1 ${statusCode} ${statusMessage}\r\n`;
  const extra = connectionTokens(raw);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (endToEnd(name.toLowerCase(), extra)) head += `${name}: ${raw[i + 1]!}\r\n`;
  }
  if (framing === "chunked") head += "Transfer-Encoding: chunked\r\n";
  if (close) head += "Connection: close\r\n";
  else if (clientVersionMinor === 0) head += "Connection: keep-alive\r\n";
  return `${head}\r\n`;
}

/**
 * upgradeRequestHead rebuilds an Upgrade request's head exactly as the client sent it (Connection and Upgrade
 * included), for the WebSocket tunnel to parse again.
 */
export function upgradeRequestHead(method: string, url: string, versionMinor: number, raw: readonly string[]): string {
  let head = `${method} ${url} HTTP/1.${versionMinor}\r\n`;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]!}: ${raw[i + 1]!}\r\n`;
  return `${head}\r\n`;
}

/** hasHeader says whether a raw header list names `lower` (a lowercase name). */
export function hasHeader(raw: readonly string[], lower: string): boolean {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === lower.length && raw[i]!.toLowerCase() === lower) return true;
  return false;
}

/** endToEnd says whether a response header, by its lowercase name, is passed on: neither hop-by-hop nor named by a Connection header (`extra`). */
export function endToEnd(lower: string, extra: Set<string> | undefined): boolean {
  return !HOP_BY_HOP.has(lower) && !extra?.has(lower);
}

/** connectionTokens are the extra hop-by-hop header names the Connection headers list (`Connection: close, X-Foo`). */
export function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 10 || name.toLowerCase() !== "connection") continue;
    const value = raw[i + 1]!.toLowerCase();
    if (value === "keep-alive" || value === "close") continue;
    for (const token of value.split(",")) {
      const t = token.trim();
      if (t && t !== "keep-alive" && t !== "close") (tokens ??= new Set()).add(t);
    }
  }
  return tokens;
}
