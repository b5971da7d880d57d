import { test } from "node:test";
import assert from "node:assert/strict";
import { h2RequestProblem } from "../../../proxy/http2/request-checks.ts";

test("h2RequestProblem refuses what would break the HTTP/1.1 head the request becomes", () => {
  assert.equal(h2RequestProblem("GET", "/a?b=c%20d", [":method", "GET", "accept", "*/*", "x-tab", "a\tb"]), "");
  assert.equal(h2RequestProblem("OPTIONS", "*", []), "");
  assert.match(h2RequestProblem("GET /x HTTP/1.1", "/", []), /:method/);
  assert.match(h2RequestProblem("GET", "/a HTTP/1.1\r\nHost: x", []), /:path/);
  assert.match(h2RequestProblem("GET", "/a b", []), /:path/);
  assert.match(h2RequestProblem("GET", "*", []), /:path/);
  assert.match(h2RequestProblem("GET", "/", ["x-a", "a\r\nTransfer-Encoding: chunked"]), /control character/);
  assert.match(h2RequestProblem("GET", "/", ["x-a", "a\x00"]), /control character/);
  assert.match(h2RequestProblem("GET", "/", ["Transfer-Encoding", "chunked"]), /lowercase token/);
  assert.match(h2RequestProblem("GET", "/", ["x a", "b"]), /lowercase token/);
});
