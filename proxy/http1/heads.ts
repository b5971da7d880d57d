/**
 * heads builds the message heads the proxy writes: the request head it sends upstream and the response head it
 * sends the client, each as one latin1 string (header bytes pass through one to one). The proxy frames bodies
 * itself, so hop-by-hop headers (RFC 9110 §7.6.1) are dropped on both sides and framing headers are written
 * from what the parser saw.
 */

/**
 * HeaderNames classifies header names, in any case, without lowercasing them: a lowercased copy of every name
 * of every head (a new string, hashed again for a Set lookup) was a measurable share of the proxy's work per
 * request. Names are looked up among the few of the same length.
 */
class HeaderNames<Role> {
  private readonly byLength: Array<Array<[lower: string, role: Role]> | undefined> = [];

  constructor(roles: Record<string, Role>) {
    for (const [lower, role] of Object.entries(roles)) (this.byLength[lower.length] ??= []).push([lower, role]);
  }

  /** roleOf is the role of `name` (compared ignoring case), or undefined for a name not listed. */
  roleOf(name: string): Role | undefined {
    const candidates = this.byLength[name.length];
    if (candidates) for (const [lower, role] of candidates) if (equalsLowercase(name, lower)) return role;
    return undefined;
  }
}

/** equalsLowercase compares `text` with a lowercase string, ignoring the case of ASCII letters. */
export function equalsLowercase(text: string, lower: string): boolean {
  if (text.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = text.charCodeAt(i);
    const l = lower.charCodeAt(i);
    if (c !== l && (c + 32 !== l || l < 97 || l > 122)) return false;
  }
  return true;
}

/** HOP_BY_HOP describe one connection, not the message, plus Proxy-Connection. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization"];

/**
 * REQUEST_HEADERS are the request headers not passed upstream as they are: hop-by-hop ones; `Expect:
 * 100-continue`, which the proxy answers itself; `X-Forwarded-Proto`/`-Host`/`-Port`, which the proxy sets from
 * what it saw; and `X-Forwarded-For`, which it appends the client's address to.
 */
const REQUEST_HEADERS = new HeaderNames<"drop" | "forwarded-for">({
  ...Object.fromEntries(HOP_BY_HOP.map((name) => [name, "drop" as const])),
  expect: "drop",
  "x-forwarded-proto": "drop",
  "x-forwarded-host": "drop",
  "x-forwarded-port": "drop",
  "x-forwarded-for": "forwarded-for",
});

/** RESPONSE_HEADERS are the response headers not passed to the client: the hop-by-hop ones. */
const RESPONSE_HEADERS = new HeaderNames<"drop">(Object.fromEntries(HOP_BY_HOP.map((name) => [name, "drop" as const])));

/** BodyFraming is how a request's body is framed: none, a Content-Length, or chunks. */
export type BodyFraming = "none" | "length" | "chunked";

/** RequestFacts are the headers of a request the proxy acts on, read in one pass. */
export interface RequestFacts {
  /** host is the Host header, as sent ("" when absent). */
  host: string;
  /** expectContinue: the client waits for `100 Continue` before sending its body. */
  expectContinue: boolean;
  body: BodyFraming;
  /**
   * problem says what makes the request's framing or Host ambiguous ("" when nothing does): a repeated Host,
   * Content-Length or Transfer-Encoding, a Transfer-Encoding other than exactly `chunked`, both framing
   * headers, a Content-Length that is not plain digits, a Host that is not a host[:port], or a header name that
   * reads as one of those to an upstream mapping `_` to `-` (CGI and many frameworks do).
   */
  problem: string;
}

/**
 * requestFacts reads the Host, Expect, Transfer-Encoding and Content-Length headers of a request's raw headers,
 * and notes what makes them ambiguous (`problem`). A repeated Content-Length is refused even when its values
 * are equal, and a Content-Length list even of equal values, which RFC 9110 §8.6 allows a recipient to do
 * (instead of collapsing them): upstreams disagree about such requests.
 */
export function requestFacts(raw: readonly string[]): RequestFacts {
  let host: string | undefined;
  let expectContinue = false;
  let body: BodyFraming = "none";
  let problem = "";
  let lengths = 0;
  let encodings = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (equalsLowercase(name, "host")) {
      if (host === undefined) host = value;
      else problem ||= "more than one Host header";
    } else if (equalsLowercase(name, "expect")) expectContinue = equalsLowercase(value, "100-continue");
    else if (equalsLowercase(name, "transfer-encoding")) {
      encodings++;
      body = "chunked";
      if (!equalsLowercase(value, "chunked")) problem ||= `Transfer-Encoding ${JSON.stringify(value)} is not exactly "chunked"`;
    } else if (equalsLowercase(name, "content-length")) {
      lengths++;
      if (body === "none") body = "length";
      if (!isDigits(value)) problem ||= `Content-Length ${JSON.stringify(value)} is not a number`;
    } else if (name.indexOf("_") >= 0 && aliasesFraming(name)) problem ||= `header ${JSON.stringify(name)} reads as ${name.replaceAll("_", "-")} to some upstreams`;
  }
  if (!problem) {
    if (encodings > 1) problem = "more than one Transfer-Encoding header";
    else if (lengths > 1) problem = "more than one Content-Length header";
    else if (encodings && lengths) problem = "both Transfer-Encoding and Content-Length";
    else if (host && !isHost(host)) problem = `Host ${JSON.stringify(host)} is not a host[:port]`;
  }
  return { host: host ?? "", expectContinue, body, problem };
}

/**
 * isDigits: 1 to 15 ASCII digits (a length up to 10^15 - 1: no sign, space, list or overflow), without leading
 * zeros: RFC 9110 allows them, but the length goes upstream as sent, and `010` is 8 to a `strtoll(, , 0)`.
 */
function isDigits(value: string): boolean {
  if (value.length === 0 || value.length > 15 || (value.length > 1 && value.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * isHost: a DNS name or IPv4 address with an optional port, or a bracketed IPv6 literal (RFC 3986 host, without
 * the rarely used sub-delims): no whitespace, list, userinfo or path that two parsers could read differently.
 */
export function isHost(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const letterOrDigit = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
    // - . _ ~ : [ ] %
    if (!letterOrDigit && c !== 45 && c !== 46 && c !== 95 && c !== 126 && c !== 58 && c !== 91 && c !== 93 && c !== 37) return false;
  }
  return true;
}

/** aliasesFraming: a name with `_` that reads as Host, Content-Length or Transfer-Encoding once `_` is read as `-`. */
function aliasesFraming(name: string): boolean {
  const dashed = name.replaceAll("_", "-");
  return equalsLowercase(dashed, "host") || equalsLowercase(dashed, "content-length") || equalsLowercase(dashed, "transfer-encoding");
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
    const role = REQUEST_HEADERS.roleOf(name);
    if (role === "forwarded-for") {
      forwardedFor = forwardedFor === undefined ? raw[i + 1]! : `${forwardedFor}, ${raw[i + 1]!}`;
      continue;
    }
    if (role === "drop" || extra?.has(name.toLowerCase())) continue;
    head += `${name}: ${raw[i + 1]!}\r\n`;
  }
  head += `X-Forwarded-For: ${forwardedFor === undefined ? from.clientAddress : `${forwardedFor}, ${from.clientAddress}`}\r\n`;
  head += `X-Forwarded-Proto: ${from.proto}\r\nX-Forwarded-Host: ${host}\r\nX-Forwarded-Port: ${from.port}\r\n`;
  if (body === "chunked") head += "Transfer-Encoding: chunked\r\n";
  return `${head}\r\n`;
}

/**
 * upstreamRequestHeaders are the same headers as `upstreamRequestHead` writes, as a flat `[name, value, ...]`
 * list for `node:http`'s client (the node-http data plane).
 */
export function upstreamRequestHeaders(raw: readonly string[], host: string, body: BodyFraming, from: ForwardedFrom): string[] {
  const headers: string[] = [];
  let forwardedFor: string | undefined;
  const extra = connectionTokens(raw);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const role = REQUEST_HEADERS.roleOf(name);
    if (role === "forwarded-for") forwardedFor = forwardedFor === undefined ? raw[i + 1]! : `${forwardedFor}, ${raw[i + 1]!}`;
    else if (role !== "drop" && !extra?.has(name.toLowerCase())) headers.push(name, raw[i + 1]!);
  }
  headers.push("X-Forwarded-For", forwardedFor === undefined ? from.clientAddress : `${forwardedFor}, ${from.clientAddress}`);
  headers.push("X-Forwarded-Proto", from.proto, "X-Forwarded-Host", host, "X-Forwarded-Port", String(from.port));
  if (body === "chunked") headers.push("Transfer-Encoding", "chunked");
  return headers;
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
    if (endToEnd(name, extra)) head += `${name}: ${raw[i + 1]!}\r\n`;
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

/** hasHeader says whether a raw header list names `lower` (a lowercase name), in any case. */
export function hasHeader(raw: readonly string[], lower: string): boolean {
  for (let i = 0; i < raw.length; i += 2) if (equalsLowercase(raw[i]!, lower)) return true;
  return false;
}

/**
 * endToEnd says whether a response header, by its name in any case, is passed on: neither hop-by-hop nor named
 * by a Connection header (`extra`, lowercase tokens).
 */
export function endToEnd(name: string, extra: Set<string> | undefined): boolean {
  return RESPONSE_HEADERS.roleOf(name) === undefined && !extra?.has(name.toLowerCase());
}

/** connectionTokens are the extra hop-by-hop header names the Connection headers list (`Connection: close, X-Foo`). */
export function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (!equalsLowercase(raw[i]!, "connection")) continue;
    const value = raw[i + 1]!;
    if (equalsLowercase(value, "keep-alive") || equalsLowercase(value, "close")) continue;
    for (const token of value.toLowerCase().split(",")) {
      const t = token.trim();
      if (t && t !== "keep-alive" && t !== "close") (tokens ??= new Set()).add(t);
    }
  }
  return tokens;
}
