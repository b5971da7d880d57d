import { test } from "node:test";
import assert from "node:assert/strict";
import { clientResponseHead, connectionTokens, endToEnd, equalsLowercase, hasHeader, requestFacts, upstreamRequestHead } from "../../../proxy/http1/heads.ts";

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
  assert.deepEqual(requestFacts(["HOST", "a.test", "host", "b.test", "EXPECT", "100-Continue", "Content-LENGTH", "3"]), { host: "a.test", expectContinue: true, body: "length" });
  assert.deepEqual(requestFacts(["Host", "a.test", "Transfer-Encoding", "chunked"]), { host: "a.test", expectContinue: false, body: "chunked" });
  assert.deepEqual(requestFacts(["X-Host", "a.test"]), { host: "", expectContinue: false, body: "none" });
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
