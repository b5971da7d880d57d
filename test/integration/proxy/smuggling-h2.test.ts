import { test } from "node:test";
import assert from "node:assert/strict";
import { sendRawH2 } from "./raw-h2.ts";
import { startRecordingBackend } from "./recording-backend.ts";
import { eventually, issue, LIMIT, makeCa, route, startTestProxy } from "./support.ts";

const HOST = "h2smuggle.test";

/**
 * H2_CASES are HTTP/2 requests that would smuggle a second request, or an ambiguous one, into the HTTP/1.1
 * request the proxy makes of them (h2 → h1 downgrade smuggling): each must be refused (RST_STREAM or 400) and
 * reach the upstream as no complete request. `dropped` marks a field `node:http2` (nghttp2) silently drops
 * instead of refusing the request: then exactly the one request must reach the upstream, without that field.
 */
const H2_CASES: Array<{ name: string; why: string; headers: Array<[string, string]>; body?: string; dropped?: string }> = [
  { name: "transfer-encoding", why: "connection-specific in HTTP/2 (RFC 9113 §8.2.2): an h1 upstream would read the DATA as chunks", headers: [["transfer-encoding", "chunked"]], body: "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n" },
  { name: "content-length-short", why: "more DATA than the Content-Length: the rest is a second request upstream", headers: [["content-length", "5"]], body: "helloGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n" },
  { name: "content-length-long", why: "less DATA than the Content-Length: the upstream waits for the next client's bytes", headers: [["content-length", "50"]], body: "hello" },
  { name: "content-length-repeated", why: "two Content-Lengths, read either way by an h1 upstream", headers: [["content-length", "5"], ["content-length", "5"]], body: "hello" },
  { name: "content-length-sign", why: "a length that is not plain digits", headers: [["content-length", "+5"]], body: "hello" },
  { name: "crlf-in-value", why: "a CR LF in a value becomes a header line of its own in HTTP/1.1", headers: [["x-a", "a\r\nTransfer-Encoding: chunked"]], body: "0\r\n\r\n", dropped: "x-a" },
  { name: "lf-in-value", why: "a bare LF in a value ends the header line for some h1 parsers", headers: [["x-a", "a\nContent-Length: 0"]], dropped: "x-a" },
  { name: "connection-header", why: "connection-specific (RFC 9113 §8.2.2)", headers: [["connection", "keep-alive, x-a"]] },
  { name: "te-not-trailers", why: "TE other than trailers is connection-specific (RFC 9113 §8.2.2)", headers: [["te", "chunked"]] },
  { name: "uppercase-name", why: "HTTP/2 field names are lowercase (RFC 9113 §8.2.1)", headers: [["Transfer-Encoding", "chunked"]], body: "0\r\n\r\n" },
  { name: "space-in-name", why: "a name an h1 parser would split", headers: [["transfer-encoding ", "chunked"]], body: "0\r\n\r\n", dropped: "transfer-encoding " },
  { name: "crlf-in-path", why: "a CR LF in :path ends the HTTP/1.1 request line and starts a request of its own", headers: [[":path", "/a HTTP/1.1\r\nHost: x\r\n\r\nGET /smuggled"]] },
  { name: "space-in-path", why: "a space in :path splits the HTTP/1.1 request line", headers: [[":path", "/a HTTP/1.0"]] },
  { name: "space-in-method", why: "a space in :method splits the HTTP/1.1 request line", headers: [[":method", "GET /smuggled HTTP/1.1\r\nX:"]] },
  { name: "nul-in-value", why: "a NUL ends the value for C parsers upstream", headers: [["x-a", "a\x00b"]], dropped: "x-a" },
  { name: "crlf-in-authority", why: "the authority becomes the upstream's Host header", headers: [[":authority", `${HOST}\r\nX-Injected: 1`]] },
  { name: "duplicate-host", why: "two Host headers: routed by :authority, read as another site upstream", headers: [["host", HOST], ["host", "evil.test"]] },
  { name: "host-not-authority", why: "a Host naming another site than :authority (RFC 9113 §8.3.1)", headers: [["host", "evil.test"]] },
];

test("HTTP/2 requests that would smuggle into the HTTP/1.1 upstream request are refused, and nothing reaches the upstream", LIMIT, async (t) => {
  const backend = await startRecordingBackend();
  const proxy = await startTestProxy(undefined, "llhttp");
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
  const ca = await makeCa();
  await proxy.setCertificates([{ name: "test/h2smuggle", hosts: [HOST], ...(await issue(ca, [HOST])) }]);
  await proxy.setRoutes([route(HOST, [{ id: "recorder", host: "127.0.0.1", port: backend.port }], { tls: true })]);
  const pseudo = (method: string): Array<[string, string]> => [[":method", method], [":scheme", "https"], [":authority", HOST], [":path", "/target"]];

  const fine = await sendRawH2(proxy.httpsPort, HOST, ca.cert, [...pseudo("POST"), ["content-length", "5"]], "hello");
  assert.equal(fine.status, 200, "a well-formed request through the same raw client is served");
  await eventually(() => assert.equal(backend.requests.length, 1));
  assert.equal(backend.requests[0]!.body, "hello");

  for (const c of H2_CASES) {
    await t.test(c.name, async () => {
      backend.reset();
      // A case's own pseudo-headers replace the defaults (a repeated one would be refused for that alone).
      const own = new Set(c.headers.map(([name]) => name));
      const defaults = pseudo(c.body === undefined ? "GET" : "POST").filter(([name]) => !own.has(name));
      const headers = [...defaults, ...c.headers.filter(([name]) => name.startsWith(":")), ...c.headers.filter(([name]) => !name.startsWith(":"))];
      const outcome = await sendRawH2(proxy.httpsPort, HOST, ca.cert, headers, c.body);
      const why = `${c.name}: ${c.why}; outcome ${JSON.stringify(outcome)}`;
      if (c.dropped !== undefined) {
        assert.equal(outcome.status, 200, why);
        await eventually(() => assert.equal(backend.requests.length, 1, why));
        const [seen] = backend.requests;
        assert.equal(seen!.url, "/target", why);
        assert.deepEqual(seen!.headers.filter(([name]) => name.trim() === c.dropped!.trim()), [], `${why}: the field is dropped`);
        assert.equal(seen!.body, c.body ?? "", why);
      } else {
        assert.ok(outcome.status === 400 || outcome.reset !== undefined || outcome.goaway !== undefined, why);
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(backend.requests.length, 0, `${why}: reached the upstream as ${JSON.stringify(backend.requests)}`);
      }
      await eventually(() => {
        for (const connection of backend.connections) {
          if (connection.rest !== "") assert.equal(connection.closed, true, `${why}: partial request ${JSON.stringify(connection.rest)} left on an open upstream connection`);
        }
      }, 2_000);
    });
  }
});
