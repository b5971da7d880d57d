import { test } from "node:test";
import assert from "node:assert/strict";
import { clientResponseHead, connectionTokens, endToEnd, equalsLowercase, hasHeader, requestFacts, upstreamRequestHead } from "../../../proxy/http1/heads.ts";
import { vetRequest } from "../../../proxy/http1/request-rules.ts";

const FROM = { clientAddress: "10.0.0.9", proto: "https", port: 443 } as const;

test("equalsLowercase ignores the case of letters only", () => {
  assert.equal(equalsLowercase("Content-Length", "content-length"), true);
  assert.equal(equalsLowercase("CONTENT-LENGTH", "content-length"), true);
  assert.equal(equalsLowercase("X_Custom_1", "x_custom_1"), true);
  assert.equal(equalsLowercase("Content-Lengtx", "content-length"), false);
  assert.equal(equalsLowercase("Content-Lengt", "content-length"), false);
  // '\r' + 32 is '-', and '?' + 32 is '_': only letters may differ by case.
  assert.equal(equalsLowercase("a\rb", "a-b"), false);
  assert.equal(equalsLowercase("a?b", "a_b"), false);
});

test("requestFacts reads Host, Expect and the body's framing in any case", () => {
  assert.deepEqual(requestFacts(["HOST", "a.test", "EXPECT", "100-Continue", "Content-LENGTH", "3"]), { host: "a.test", expectContinue: true, body: "length", problem: "" });
  assert.deepEqual(requestFacts(["Host", "a.test", "Transfer-Encoding", "CHUNKED"]), { host: "a.test", expectContinue: false, body: "chunked", problem: "" });
  assert.deepEqual(requestFacts(["X-Host", "a.test"]), { host: "", expectContinue: false, body: "none", problem: "" });
  assert.deepEqual(requestFacts(["Host", "[::1]:8080", "X_Forwarded_For", "1.2.3.4"]).problem, "", "IPv6 literals and other underscore names are fine");
});

test("requestFacts names what makes a request's Host or framing ambiguous", () => {
  const problem = (...raw: string[]) => requestFacts(raw).problem;
  assert.equal(problem("HOST", "a.test", "host", "a.test"), "more than one Host header");
  assert.equal(problem("Host", "a.test, b.test"), 'Host "a.test, b.test" is not a host[:port]');
  assert.equal(problem("Host", "u@a.test"), 'Host "u@a.test" is not a host[:port]');
  assert.equal(problem("Content-Length", "3", "content-length", "3"), "more than one Content-Length header");
  for (const value of ["+3", "-3", "3, 3", "0x3", "3 3", "", "1234567890123456", "03", "1Z"]) assert.match(problem("Content-Length", value), /is not a number/, value);
  assert.equal(problem("Transfer-Encoding", "chunked", "Content-Length", "3"), "both Transfer-Encoding and Content-Length");
  assert.equal(problem("Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked"), "more than one Transfer-Encoding header");
  for (const value of ["identity", "gzip, chunked", "chunked, identity", '"chunked"', "xchunked"]) assert.match(problem("Transfer-Encoding", value), /is not exactly "chunked"/, value);
  assert.equal(problem("Transfer_Encoding", "chunked"), 'header "Transfer_Encoding" reads as Transfer-Encoding to some upstreams');
  assert.equal(problem("content_length", "3"), 'header "content_length" reads as content-length to some upstreams');
});

test("vetRequest routes an absolute-form target by its authority, and refuses what HTTP/1.x forbids", () => {
  const head = { method: "GET", url: "http://A.test:8080/x?y", versionMinor: 1, headers: ["Host", "evil.test", "Accept", "*/*"] };
  const facts = requestFacts(head.headers);
  assert.equal(vetRequest(head, facts), "");
  assert.deepEqual(head, { method: "GET", url: "/x?y", versionMinor: 1, headers: ["Host", "A.test:8080", "Accept", "*/*"] }, "origin-form, Host from the authority");
  assert.equal(facts.host, "A.test:8080");
  const vet = (url: string, headers: string[], versionMinor = 1, method = "GET") => vetRequest({ method, url, versionMinor, headers }, requestFacts(headers));
  assert.equal(vet("http://a.test", []), "", "an absolute-form target without a path, and no Host");
  assert.equal(vet("*", ["Host", "a.test"], 1, "OPTIONS"), "");
  assert.equal(vet("/", []), "no Host header in an HTTP/1.1 request");
  assert.equal(vet("/", [], 0), "", "HTTP/1.0 needs no Host");
  assert.equal(vet("/", ["Transfer-Encoding", "chunked"], 0), "Transfer-Encoding in an HTTP/1.0 request");
  assert.match(vet("http://u@a.test/", ["Host", "a.test"]), /has no valid authority/);
  assert.match(vet("http:///x", ["Host", "a.test"]), /has no valid authority/);
  assert.match(vet("ftp://a.test/", ["Host", "a.test"]), /neither a path nor an http\(s\) URI/);
  assert.match(vet("*", ["Host", "a.test"]), /neither a path/);
});

test("the upstream request head drops hop-by-hop headers in any case, and those Connection names, and sets X-Forwarded-*", () => {
  const head = upstreamRequestHead("POST", "/x?y=1", [
    "Host", "a.test",
    "CONNECTION", "keep-alive, X-Secret",
    "x-secret", "s",
    "Keep-Alive", "timeout=5",
    "TE", "trailers",
    "Upgrade", "h2c",
    "Proxy-Authorization", "Basic x",
    "Expect", "100-continue",
    "X-Forwarded-For", "1.2.3.4",
    "x-forwarded-for", "5.6.7.8",
    "X-Forwarded-Proto", "http",
    "X-FORWARDED-HOST", "evil.test",
    "Accept", "*/*",
    "Content-Length", "3",
  ], "a.test", "length", FROM);
  assert.equal(head, [
    "POST /x?y=1 HTTP/1.1",
    "Host: a.test",
    "Accept: */*",
    "Content-Length: 3",
    "X-Forwarded-For: 1.2.3.4, 5.6.7.8, 10.0.0.9",
    "X-Forwarded-Proto: https",
    "X-Forwarded-Host: a.test",
    "X-Forwarded-Port: 443",
    "", "",
  ].join("\r\n"));
  assert.match(upstreamRequestHead("PUT", "/", ["Host", "a.test", "Transfer-Encoding", "chunked"], "a.test", "chunked", FROM), /\r\nTransfer-Encoding: chunked\r\n\r\n$/);
});

test("the client response head drops hop-by-hop headers in any case and frames the body as told", () => {
  const raw = ["Server", "nginx", "Connection", "Keep-Alive", "TRANSFER-ENCODING", "chunked", "Trailer", "X-T", "Set-Cookie", "a=1", "Set-Cookie", "b=2"];
  assert.equal(clientResponseHead(200, "OK", raw, "chunked", false, 1), "HTTP/1.1 200 OK\r\nServer: nginx\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nTransfer-Encoding: chunked\r\n\r\n");
  assert.equal(clientResponseHead(200, "OK", ["Content-Length", "0"], "as-is", true, 1), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  assert.equal(clientResponseHead(204, "No Content", [], "as-is", false, 0), "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
  const named = ["Connection", "close, X-Hop", "X-HOP", "1", "X-Kept", "2"];
  assert.equal(clientResponseHead(200, "OK", named, "as-is", false, 1), "HTTP/1.1 200 OK\r\nX-Kept: 2\r\n\r\n");
});

test("Connection tokens, hasHeader and endToEnd compare names in any case", () => {
  assert.equal(connectionTokens(["Connection", "keep-alive"]), undefined);
  assert.equal(connectionTokens(["connection", "CLOSE"]), undefined);
  assert.deepEqual(connectionTokens(["CONNECTION", "Keep-Alive, X-A ,x-b"]), new Set(["x-a", "x-b"]));
  assert.equal(hasHeader(["content-LENGTH", "1"], "content-length"), true);
  assert.equal(hasHeader(["content-lengths", "1"], "content-length"), false);
  assert.equal(endToEnd("Transfer-Encoding", undefined), false);
  assert.equal(endToEnd("X-A", new Set(["x-a"])), false);
  assert.equal(endToEnd("Content-Type", new Set(["x-a"])), true);
});
