/**
 * The request-smuggling corpus: raw HTTP/1.x requests whose framing, target or headers could be read one way by
 * the proxy and another by an upstream. Each case says where it comes from (the Transfer-Encoding mutations of
 * defparam/smuggler, the bugs http-garden found in real servers (its TROPHIES list, by number), PortSwigger's
 * request-smuggling research, the RFC clause it breaks) and why it matters.
 *
 * `reject`: the client gets one `400` and the connection closes, and no complete request reaches the upstream.
 * `forward`: exactly one request reaches the upstream, re-framed by the proxy, with `body` as its body; the
 * client gets exactly one answer (the upstream's).
 *
 * Requests are written as latin1 bytes, to CORPUS_HOST.
 */
export interface SmugglingCase {
  name: string;
  /** source is where the case comes from. */
  source: string;
  /** why is what an upstream could be made to do with it. */
  why: string;
  request: string;
  expect: "reject" | { forward: { body: string; host?: string; url?: string } };
}

/** CORPUS_HOST is the host every case is sent to (the proxy routes it to the recording backend). */
export const CORPUS_HOST = "smuggle.test";

const REJECT = "reject" as const;
const H = `Host: ${CORPUS_HOST}\r\n`;
/** post is a POST head with the given header lines, then `body`. */
const post = (lines: string, body: string, version = "1.1") => `POST /target HTTP/${version}\r\n${H}${lines}\r\n${body}`;
/** SMUGGLED is a second request hidden in a body: it must never reach the upstream as a request of its own. */
const SMUGGLED = `GET /smuggled HTTP/1.1\r\n${H}\r\n`;
/** CHUNKED_SMUGGLE is a chunked body ending early, followed by the smuggled request. */
const CHUNKED_SMUGGLE = `0\r\n\r\n${SMUGGLED}`;
/** clte is the classic CL.TE / TE.CL payload around a Transfer-Encoding header line written `te`. */
const clte = (te: string) => post(`Content-Length: ${CHUNKED_SMUGGLE.length}\r\n${te}\r\n`, CHUNKED_SMUGGLE);

/** SMUGGLING_CORPUS is every case, grouped by what it attacks: Host, the target, Content-Length, Transfer-Encoding, syntax, chunks. */
export const SMUGGLING_CORPUS: readonly SmugglingCase[] = [
  // Host
  { name: "duplicate-host", source: "RFC 9112 §3.2", why: "two Host headers: routed by one, read by the upstream as the other", request: `GET / HTTP/1.1\r\n${H}Host: evil.test\r\n\r\n`, expect: REJECT },
  { name: "duplicate-host-same-value", source: "RFC 9112 §3.2", why: "a repeated Host is malformed even when equal: some upstreams join the values", request: `GET / HTTP/1.1\r\n${H}${H}\r\n`, expect: REJECT },
  { name: "duplicate-host-other-case", source: "RFC 9112 §3.2", why: "header names are case-insensitive: hOST is a second Host", request: `GET / HTTP/1.1\r\n${H}hOST: evil.test\r\n\r\n`, expect: REJECT },
  { name: "host-list", source: "RFC 9112 §3.2", why: "a comma list in Host: one side takes the first name, another the last", request: `GET / HTTP/1.1\r\nHost: ${CORPUS_HOST}, evil.test\r\n\r\n`, expect: REJECT },
  { name: "host-with-space", source: "RFC 9112 §3.2", why: "a Host that is not a host[:port] cannot be routed consistently", request: `GET / HTTP/1.1\r\nHost: ${CORPUS_HOST} evil.test\r\n\r\n`, expect: REJECT },
  { name: "host-userinfo", source: "RFC 9110 §4.2.4", why: "userinfo@ in Host: parsers disagree about which part is the host", request: `GET / HTTP/1.1\r\nHost: evil.test@${CORPUS_HOST}\r\n\r\n`, expect: REJECT },
  { name: "missing-host", source: "RFC 9112 §3.2", why: "an HTTP/1.1 request without Host cannot be routed", request: "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", expect: REJECT },
  // Absolute-form targets
  { name: "absolute-form-other-host", source: "RFC 9112 §3.2.2; PortSwigger 'routing-based SSRF'", why: "the proxy must route by the authority, not the Host header, and the upstream must see the same", request: `GET http://${CORPUS_HOST}/abs?q=1 HTTP/1.1\r\nHost: evil.test\r\n\r\n`, expect: { forward: { body: "", host: CORPUS_HOST, url: "/abs?q=1" } } },
  { name: "absolute-form-userinfo", source: "RFC 9110 §4.2.4", why: "userinfo in the target hides the real authority", request: `GET http://evil.test@${CORPUS_HOST}/ HTTP/1.1\r\n${H}\r\n`, expect: REJECT },
  { name: "absolute-form-other-scheme", source: "RFC 9112 §3.2.2", why: "only http and https targets can be served", request: `GET ftp://${CORPUS_HOST}/ HTTP/1.1\r\n${H}\r\n`, expect: REJECT },
  { name: "absolute-form-no-authority", source: "RFC 9110 §4.2.1", why: "an http URI with an empty host is invalid", request: `GET http:///x HTTP/1.1\r\n${H}\r\n`, expect: REJECT },
  // Content-Length
  { name: "cl-repeated-equal", source: "RFC 9112 §6.3 (rejected rather than collapsed)", why: "a repeated Content-Length, even equal, is read as one value by some and as a list by others", request: post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), expect: REJECT },
  { name: "cl-conflicting", source: "RFC 9112 §6.3; PortSwigger CL.CL", why: "two lengths: each side frames the body with a different one", request: post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), expect: REJECT },
  { name: "cl-list", source: "RFC 9110 §8.6", why: "a list of lengths", request: post("Content-Length: 5, 6\r\n", "hello!"), expect: REJECT },
  { name: "cl-list-equal", source: "RFC 9110 §8.6 (rejected rather than collapsed)", why: "a list of equal lengths is allowed to be collapsed, but upstreams differ", request: post("Content-Length: 5, 5\r\n", "hello"), expect: REJECT },
  { name: "cl-plus-sign", source: "http-garden trophy 10", why: "a sign is not a digit: strtol-style parsers accept it", request: post("Content-Length: +5\r\n", "hello"), expect: REJECT },
  { name: "cl-negative", source: "http-garden trophy 26", why: "a negative length", request: post("Content-Length: -1\r\n", "hello"), expect: REJECT },
  { name: "cl-hex", source: "http-garden trophy 32", why: "0x5 reads as 0 or 5 depending on the parser", request: post("Content-Length: 0x5\r\n", "hello"), expect: REJECT },
  { name: "cl-inner-space", source: "http-garden trophy 29 (longest valid prefix)", why: "digits with a space between: 5 or 50", request: post("Content-Length: 5 0\r\n", "hello"), expect: REJECT },
  { name: "cl-empty", source: "http-garden trophy 16", why: "an empty length: 0 to some, an error to others", request: post("Content-Length: \r\n", ""), expect: REJECT },
  { name: "cl-overflow", source: "integer overflow in length parsers", why: "a length past 2^64 wraps around in some parsers", request: post("Content-Length: 18446744073709551621\r\n", "hello"), expect: REJECT },
  { name: "cl-space-before-colon", source: "http-garden (CVE-2023-40518)", why: "whitespace between name and colon: ignored by some, a different header to others", request: post("Content-Length : 5\r\n", "hello"), expect: REJECT },
  { name: "cl-leading-zero", source: "http-garden trophy 32 (rejected although RFC 9110 allows it)", why: "010 is 8 to a strtoll(,,0) upstream: the length goes upstream as sent", request: post("Content-Length: 010\r\n", "0123456789"), expect: REJECT },
  { name: "cl-trailing-garbage", source: "http-garden trophy 29", why: "1Z read as its longest valid prefix, 1", request: post("Content-Length: 1Z\r\n", "Z"), expect: REJECT },
  { name: "cl-no-colon", source: "http-garden", why: "a header line without a colon: dropped by some, a Content-Length to others", request: post("Content-Length 10\r\n", "0123456789"), expect: REJECT },
  { name: "cl-name-nel", source: "http-garden (a 0x85 NEL byte stripped as whitespace)", why: "a non-ASCII byte after the name", request: post("Content-Length\x85: 10\r\n", "0123456789"), expect: REJECT },
  { name: "cl-first-line-fold", source: "http-garden", why: "a tab-led first header line: a fold of the request line to some", request: `GET / HTTP/1.1\r\n\tContent-Length: 1\r\n${H}\r\nX`, expect: REJECT },
  { name: "cl-underscore", source: "CGI header mapping", why: "Content_Length is CONTENT_LENGTH to a CGI-style upstream", request: post("Content_Length: 40\r\nContent-Length: 5\r\n", "hello"), expect: REJECT },
  { name: "get-body-looks-like-request", source: "PortSwigger 'CL.0'", why: "a GET's body is its body, never a second request", request: `GET / HTTP/1.1\r\n${H}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`, expect: { forward: { body: SMUGGLED } } },
  // Transfer-Encoding (the defparam/smuggler mutations, each with a Content-Length as the tool sends them)
  { name: "te-cl", source: "PortSwigger CL.TE / TE.CL", why: "both framings: each side picks another", request: clte("Transfer-Encoding: chunked"), expect: REJECT },
  { name: "te-identity", source: "RFC 9112 §6.1", why: "identity is no coding at all: the body's end is unknown", request: post("Transfer-Encoding: identity\r\n", "hello"), expect: REJECT },
  { name: "te-chunked-identity", source: "RFC 9112 §6.3", why: "the final coding is not chunked", request: post("Transfer-Encoding: chunked, identity\r\n", "5\r\nhello\r\n0\r\n\r\n"), expect: REJECT },
  { name: "te-cow-chunked", source: "smuggler cowComma", why: "an unknown coding before chunked: the body cannot be decoded", request: post("Transfer-Encoding: cow, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), expect: REJECT },
  { name: "te-chunked-cow", source: "smuggler commaCow", why: "chunked not last", request: clte("Transfer-Encoding: chunked, cow"), expect: REJECT },
  { name: "te-xchunked", source: "smuggler", why: "a prefix: substring matchers see chunked", request: post("Transfer-Encoding: xchunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), expect: REJECT },
  { name: "te-lazygrep", source: "smuggler lazygrep", why: "a truncated coding name", request: clte("Transfer-Encoding: chunk"), expect: REJECT },
  { name: "te-quoted", source: "smuggler quoted", why: "a quoted coding", request: post('Transfer-Encoding: "chunked"\r\n', "5\r\nhello\r\n0\r\n\r\n"), expect: REJECT },
  { name: "te-aposed", source: "smuggler aposed", why: "an apostrophe-quoted coding", request: post("Transfer-Encoding: 'chunked'\r\n", "5\r\nhello\r\n0\r\n\r\n"), expect: REJECT },
  { name: "te-nested", source: "smuggler nested", why: "chunked among other words", request: post("Transfer-Encoding: cow chunked bar\r\n", "5\r\nhello\r\n0\r\n\r\n"), expect: REJECT },
  { name: "te-duplicated", source: "smuggler revdualchunk", why: "two Transfer-Encoding headers: joined by some, last-wins for others", request: post("Transfer-Encoding: cow\r\nTransfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), expect: REJECT },
  { name: "te-duplicated-chunked", source: "RFC 9112 §6.1", why: "chunked applied twice", request: post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), expect: REJECT },
  { name: "te-http10", source: "RFC 9112 §6.1", why: "HTTP/1.0 has no chunked coding: an HTTP/1.0 upstream reads the body differently", request: post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n", "1.0"), expect: REJECT },
  { name: "te-space-before-colon", source: "smuggler space1", why: "whitespace between name and colon", request: clte("Transfer-Encoding : chunked"), expect: REJECT },
  { name: "te-tab-before-colon", source: "smuggler tabprefix2", why: "a tab between name and colon", request: clte("Transfer-Encoding\t:\tchunked"), expect: REJECT },
  { name: "te-name-prefix-space", source: "smuggler nameprefix1", why: "a leading space makes the line a continuation of the previous header", request: clte(" Transfer-Encoding: chunked"), expect: REJECT },
  { name: "te-obs-fold", source: "smuggler linewrapped1", why: "obs-fold: the value on the next line", request: clte("Transfer-Encoding:\r\n chunked"), expect: REJECT },
  { name: "te-obs-fold-lf", source: "smuggler linewrapped1", why: "obs-fold after a bare LF", request: clte("Transfer-Encoding:\n chunked"), expect: REJECT },
  { name: "te-vertical-tab", source: "smuggler vertprefix1", why: "a vertical tab is whitespace to some parsers", request: clte("Transfer-Encoding:\x0bchunked"), expect: REJECT },
  { name: "te-form-feed-suffix", source: "smuggler endspace-0c", why: "a control character after the coding", request: clte("Transfer-Encoding: chunked\x0c"), expect: REJECT },
  { name: "te-tab-suffix", source: "smuggler tabsuffix", why: "chunked followed by a tab (odd whitespace)", request: clte("Transfer-Encoding: chunked\t"), expect: REJECT },
  { name: "te-cr-suffix", source: "smuggler 0dsuffix", why: "a bare CR after the value", request: clte("Transfer-Encoding: chunked\r"), expect: REJECT },
  { name: "te-cr-in-name", source: "smuggler 0dspam", why: "a bare CR inside the header name", request: clte("Transfer\r-Encoding: chunked"), expect: REJECT },
  { name: "te-ff-prefix", source: "smuggler spaceFF", why: "a 0xFF byte before the coding", request: clte("Transfer-Encoding:\xffchunked"), expect: REJECT },
  { name: "te-accented", source: "smuggler accentCH", why: "a non-ASCII byte inside the coding", request: clte("Transfer-Encoding: ch\x96nked"), expect: REJECT },
  { name: "te-accented-name", source: "smuggler accentTE", why: "a non-ASCII byte inside the name", request: clte("Transf\x82r-Encoding: chunked"), expect: REJECT },
  { name: "te-underscore", source: "smuggler underjoin1", why: "Transfer_Encoding is HTTP_TRANSFER_ENCODING to a CGI-style upstream", request: clte("Transfer_Encoding: chunked"), expect: REJECT },
  { name: "te-space-in-name", source: "smuggler spacejoin1", why: "a space inside a header name", request: clte("Transfer Encoding: chunked"), expect: REJECT },
  { name: "te-after-bare-cr", source: "smuggler x-rout", why: "a bare CR ends the previous header for some parsers", request: clte("X: X\rTransfer-Encoding: chunked"), expect: REJECT },
  { name: "te-after-bare-lf", source: "smuggler x-nout", why: "a bare LF ends the previous header for some parsers", request: clte("X: X\nTransfer-Encoding: chunked"), expect: REJECT },
  { name: "te-nbsp", source: "http-garden", why: "non-breaking spaces around chunked: stripped by some, an unknown coding to others", request: post("Transfer-Encoding: \xa0chunked\xa0\r\n", "0\r\n\r\n"), expect: REJECT },
  { name: "te-leading-comma", source: "http-garden trophy 21", why: ",chunked: an empty list element, then chunked", request: clte("Transfer-Encoding: ,chunked"), expect: REJECT },
  { name: "te-split-name", source: "http-garden", why: "the name broken over two lines", request: clte("Transfer-\r\nEncoding: chunked"), expect: REJECT },
  { name: "te-yelling", source: "smuggler yelling", why: "coding names are case-insensitive: this is plain chunked, framed as such", request: post("TRANSFER-ENCODING: CHUNKED\r\n", "5\r\nhello\r\n0\r\n\r\n"), expect: { forward: { body: "hello" } } },
  { name: "content-encoding-chunked", source: "smuggler contentEnc", why: "Content-Encoding does not frame: the Content-Length does", request: post("Content-Encoding: chunked\r\nContent-Length: 5\r\n", "hello"), expect: { forward: { body: "hello" } } },
  // Line endings and header syntax
  { name: "request-line-bare-lf", source: "RFC 9112 §2.2", why: "a bare LF line ending", request: `GET / HTTP/1.1\nHost: ${CORPUS_HOST}\r\n\r\n`, expect: REJECT },
  { name: "bare-cr-line", source: "http-garden", why: "a line of a bare CR and a request: the head ends there for some", request: `GET / HTTP/1.1\r\n${H}\rZGET /evil: HTTP/1.1\r\n${H}\r\n`, expect: REJECT },
  { name: "request-line-bare-cr", source: "RFC 9112 §2.2", why: "a bare CR inside the request line", request: `GET /\rx HTTP/1.1\r\nHost: ${CORPUS_HOST}\r\n\r\n`, expect: REJECT },
  { name: "header-bare-lf", source: "RFC 9112 §2.2", why: "headers ending in bare LF", request: `GET / HTTP/1.1\r\nHost: ${CORPUS_HOST}\nX-A: b\n\n`, expect: REJECT },
  { name: "header-obs-fold", source: "RFC 9112 §5.2", why: "a folded header value", request: `GET / HTTP/1.1\r\n${H}X-A: one\r\n two\r\n\r\n`, expect: REJECT },
  { name: "header-space-before-colon", source: "RFC 9112 §5.1", why: "whitespace between a header name and the colon", request: `GET / HTTP/1.1\r\n${H}X-A : b\r\n\r\n`, expect: REJECT },
  { name: "header-empty-name", source: "RFC 9110 §5.1", why: "a line with no name", request: `GET / HTTP/1.1\r\n${H}: b\r\n\r\n`, expect: REJECT },
  { name: "header-nul", source: "RFC 9110 §5.5", why: "a NUL byte ends the value for C parsers", request: `GET / HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`, expect: REJECT },
  { name: "header-control-char", source: "RFC 9110 §5.5", why: "a control character in a value", request: `GET / HTTP/1.1\r\n${H}X-A: a\x01b\r\n\r\n`, expect: REJECT },
  { name: "header-del", source: "RFC 9110 §5.5", why: "DEL in a value", request: `GET / HTTP/1.1\r\n${H}X-A: a\x7fb\r\n\r\n`, expect: REJECT },
  { name: "target-with-space", source: "RFC 9112 §3", why: "a space inside the target: the rest reads as the version to some", request: `GET /a b HTTP/1.1\r\n${H}\r\n`, expect: REJECT },
  { name: "bad-version", source: "RFC 9112 §2.3", why: "an HTTP version that is not 1.0 or 1.1", request: `GET / HTTP/1.10\r\n${H}\r\n`, expect: REJECT },
  { name: "lowercase-version", source: "RFC 9112 §2.3", why: "the protocol name is case-sensitive", request: `GET / http/1.1\r\n${H}\r\n`, expect: REJECT },
  // Chunked bodies
  { name: "chunk-size-overflow", source: "integer overflow in chunk-size parsers", why: "a size past 64 bits wraps to a small one in some parsers", request: post("Transfer-Encoding: chunked\r\n", `10000000000000005\r\nhello\r\n0\r\n\r\n`), expect: REJECT },
  { name: "chunk-size-0x", source: "http-garden trophies 22, 25", why: "a 0x prefix: 0 to some, 5 to others", request: post("Transfer-Encoding: chunked\r\n", `0x5\r\nhello\r\n0\r\n\r\n`), expect: REJECT },
  { name: "chunk-size-negative", source: "http-garden trophy 25", why: "a negative size", request: post("Transfer-Encoding: chunked\r\n", `-5\r\nhello\r\n0\r\n\r\n`), expect: REJECT },
  { name: "chunk-size-empty", source: "http-garden trophy 17", why: "an empty size line", request: post("Transfer-Encoding: chunked\r\n", `\r\nhello\r\n0\r\n\r\n`), expect: REJECT },
  { name: "chunk-size-underscore", source: "http-garden trophies 1, 22 (CVE-2023-47627)", why: "0_2e is 46 to Python's int(), 0 to others", request: post("Transfer-Encoding: chunked\r\n", `0_2e\r\n\r\n${SMUGGLED}`), expect: REJECT },
  { name: "chunk-ext-cr-ows", source: "http-garden trophies 31, 36", why: "a CR inside the whitespace of a chunk extension ends the line for some", request: post("Transfer-Encoding: chunked\r\n", `5\r\r;ABCD\r\nhello\r\n0\r\n\r\n`), expect: REJECT },
  { name: "chunk-ext-bare-cr", source: "RFC 9112 §7.1.1", why: "a bare CR in a chunk extension ends the size line for some", request: post("Transfer-Encoding: chunked\r\n", `5;a\rb\r\nhello\r\n0\r\n\r\n`), expect: REJECT },
  { name: "chunk-ext-bare-lf", source: "RFC 9112 §7.1.1 (the 'funky chunks' research)", why: "a bare LF in a chunk extension", request: post("Transfer-Encoding: chunked\r\n", `5;a\nb\r\nhello\r\n0\r\n\r\n`), expect: REJECT },
  { name: "chunk-size-bare-lf", source: "RFC 9112 §7.1", why: "a size line ended by a bare LF", request: post("Transfer-Encoding: chunked\r\n", `5\nhello\r\n0\r\n\r\n`), expect: REJECT },
  { name: "chunk-data-overrun", source: "RFC 9112 §7.1", why: "more data than the size: the rest would be read as the next chunk size or request", request: post("Transfer-Encoding: chunked\r\n", `3\r\nhello\r\n0\r\n\r\n`), expect: REJECT },
  { name: "chunk-last-bare-lf", source: "RFC 9112 §7.1", why: "the last chunk ended by bare LFs", request: post("Transfer-Encoding: chunked\r\n", `5\r\nhello\r\n0\n\n`), expect: REJECT },
];
