import { equalsLowercase, isHost, type RequestFacts } from "./heads.ts";

/** VettedRequest is the part of a request head `vetRequest` reads and may rewrite. */
export interface VettedRequest {
  method: string;
  url: string;
  versionMinor: number;
  headers: string[];
}

/** ABSOLUTE_FORM is an http(s) absolute URI: scheme, authority, and the rest (path, query). */
const ABSOLUTE_FORM = /^(https?):\/\/([^/?#]*)([^#]*)/i;

/**
 * vetRequest decides whether an HTTP/1.x request head can be forwarded without an upstream reading it
 * differently from the proxy, and returns why not ("" when it can); a refused request is answered 400 and its
 * connection closed, since nothing after it on the connection can be trusted to be framed as the client meant.
 * Beyond what `requestFacts` found, it refuses a Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1),
 * an HTTP/1.1 request without Host, and a request target that is neither origin-form (`/path`), `*` for
 * OPTIONS, nor an http(s) absolute URI.
 *
 * An absolute-form target (`GET http://a.example/x`) is what RFC 9112 §3.2.2 says wins over the Host header:
 * the request is routed by its authority, and forwarded in origin-form (`/x`) with the Host header replaced by
 * the authority, so that the proxy and the upstream agree on the site whatever Host said. The head (`url`,
 * `headers`) and `facts.host` are rewritten in place. A target with userinfo (`http://user@host/`) or an
 * empty authority is refused (RFC 9110 §4.2.4, §4.2.1).
 */
export function vetRequest(request: VettedRequest, facts: RequestFacts): string {
  if (facts.problem) return facts.problem;
  if (facts.body === "chunked" && request.versionMinor === 0) return "Transfer-Encoding in an HTTP/1.0 request";
  const url = request.url;
  if (url.charCodeAt(0) !== 47 /* "/" */ && !(url === "*" && request.method === "OPTIONS")) {
    const absolute = ABSOLUTE_FORM.exec(url);
    if (!absolute || absolute[0].length !== url.length) return `request target ${JSON.stringify(url)} is neither a path nor an http(s) URI`;
    const authority = absolute[2]!;
    if (!authority || authority.includes("@") || !isHost(authority)) return `request target ${JSON.stringify(url)} has no valid authority`;
    const rest = absolute[3]!;
    request.url = rest.startsWith("/") ? rest : `/${rest}`;
    facts.host = authority;
    setHost(request.headers, authority);
  }
  if (!facts.host && request.versionMinor === 1) return "no Host header in an HTTP/1.1 request";
  return "";
}

/** setHost replaces the (single) Host header's value, or adds one. */
function setHost(headers: string[], host: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (equalsLowercase(headers[i]!, "host")) {
      headers[i + 1] = host;
      return;
    }
  }
  headers.push("Host", host);
}
