import type { IncomingMessage } from "node:http";

/** HOP_BY_HOP are the headers that describe one connection, not the message (RFC 9110 §7.6.1), plus Proxy-Connection. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization"]);

/**
 * NOT_FORWARDED are request headers the proxy consumes itself: the upstream client frames a streamed body on
 * its own (Transfer-Encoding), and the server has already answered `Expect: 100-continue`.
 */
const NOT_FORWARDED = new Set(["transfer-encoding", "expect"]);

/** FORWARDED are set by the proxy itself; what a client sends for them is replaced (For is appended to). */
const FORWARDED = new Set(["x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"]);

/**
 * upstreamRequestHeaders turns a client request's raw headers into the upstream request's, as a flat
 * `[name, value, ...]` array (what undici's dispatch and `writeHead` take without building an object):
 * hop-by-hop headers dropped, `X-Forwarded-For` appended to, and `X-Forwarded-Proto`/`-Host`/`-Port` set from
 * what the proxy saw.
 */
export function upstreamRequestHeaders(req: IncomingMessage, proto: "http" | "https", port: number): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  const extra = connectionTokens(req.headers.connection);
  let forwardedFor: string | undefined;
  let host = "";
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === "host") host = value;
    if (lower === "x-forwarded-for") {
      forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
      continue;
    }
    if (HOP_BY_HOP.has(lower) || NOT_FORWARDED.has(lower) || FORWARDED.has(lower) || extra?.has(lower)) continue;
    out.push(name, value);
  }
  const client = clientAddress(req);
  out.push("X-Forwarded-For", forwardedFor === undefined ? client : `${forwardedFor}, ${client}`);
  out.push("X-Forwarded-Proto", proto, "X-Forwarded-Host", host, "X-Forwarded-Port", String(port));
  return out;
}

/**
 * downstreamResponseHeaders turns an upstream response's raw headers (bytes, as the upstream sent them) into
 * the client response's, dropping hop-by-hop headers: the proxy frames the body itself.
 */
export function downstreamResponseHeaders(raw: ReadonlyArray<Buffer | string>): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i]!);
    const lower = name.toLowerCase();
    if (lower === "connection") connection = latin1(raw[i + 1]!);
    if (HOP_BY_HOP.has(lower)) continue;
    out.push(name, latin1(raw[i + 1]!));
  }
  const extra = connectionTokens(connection);
  return extra ? withoutNames(out, extra) : out;
}

/** withoutNames drops the pairs of a flat header array whose (lowercase) name is in `names`. */
function withoutNames(headers: string[], names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (!names.has(headers[i]!.toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
  return out;
}

/** latin1 reads header bytes one to one, as HTTP/1.1 sends them. */
function latin1(value: Buffer | string): string {
  return typeof value === "string" ? value : value.toString("latin1");
}

/** clientAddress is the peer address, without the IPv4-mapped IPv6 prefix. */
export function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/** connectionTokens are the extra hop-by-hop header names a Connection header lists (`Connection: close, X-Foo`). */
function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (!value || value === "keep-alive" || value === "close") return undefined;
  const tokens = value.split(",").map((t) => t.trim().toLowerCase()).filter((t) => t && t !== "keep-alive" && t !== "close");
  return tokens.length > 0 ? new Set(tokens) : undefined;
}
