/** TOKEN is an HTTP token (RFC 9110 §5.6.2): a method, or a field name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** LOWER_TOKEN is a field name as HTTP/2 carries it: a token without uppercase letters (RFC 9113 §8.2.1). */
const LOWER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** BAD_VALUE_CHAR is a character no field value may hold: controls other than HTAB, and DEL (RFC 9110 §5.5). */
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;
/** PATH is an origin-form target: no whitespace or controls, which would break the HTTP/1.1 request line. */
const PATH = /^\/[\x21-\x7e\x80-\xff]*$/;

/**
 * h2RequestProblem says why an HTTP/2 request cannot be rewritten as an HTTP/1.1 request without changing its
 * meaning ("" when it can). HTTP/2 carries fields as length-delimited strings, so a CR LF, a space in a name or
 * in `:path` would survive into the HTTP/1.1 head the proxy writes and start a header, or a request, of its own
 * there (h2 → h1 downgrade smuggling); `node:http2` does not refuse all of them. Pseudo-headers are checked by
 * name (`:method`, `:path`), the rest all alike.
 */
export function h2RequestProblem(method: string, path: string, raw: readonly string[]): string {
  if (!TOKEN.test(method)) return `:method ${JSON.stringify(method)} is not a token`;
  if (!PATH.test(path) && !(path === "*" && method === "OPTIONS")) return `:path ${JSON.stringify(path)} is not an origin-form target`;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.charCodeAt(0) !== 58 /* ":" */ && !LOWER_TOKEN.test(name)) return `field name ${JSON.stringify(name)} is not a lowercase token`;
    if (BAD_VALUE_CHAR.test(raw[i + 1]!)) return `field ${JSON.stringify(name)} holds a control character`;
  }
  return "";
}
