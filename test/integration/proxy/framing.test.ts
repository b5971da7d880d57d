import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { ERROR_HEADER } from "../../../proxy/index.ts";
import { backendBehindProxy, DATA_PLANES, LIMIT, route, upstreamsOf } from "./support.ts";

/**
 * exchange writes raw bytes to the proxy and resolves with everything it answers, once it has seen `until`
 * (a pattern over the whole answer so far) or the connection closed; it fails after 5 s.
 */
function exchange(port: number, parts: string[], until?: RegExp, pauseMs = 0): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within 5 s; got: ${JSON.stringify(text)}`));
    }, 5_000);
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (until?.test(text)) done(false);
    });
    socket.on("close", () => done(true));
    socket.on("error", () => {});
    socket.once("connect", async () => {
      for (const part of parts) {
        socket.write(part);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
  });
}

// Each test runs against both data planes (see proxy/data-plane.ts).
for (const plane of DATA_PLANES) {
  test(`[${plane}] proxy relays chunked bodies both ways, answers HEAD without a body, and keeps the connection for the next request`, LIMIT, async (t) => {
    const { backend, proxy } = await backendBehindProxy(t, "frames", undefined, plane);
    await proxy.setRoutes([route("frames.test", upstreamsOf(backend))]);
    const chunkedPost = "POST /upload HTTP/1.1\r\nHost: frames.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    const head = "HEAD / HTTP/1.1\r\nHost: frames.test\r\n\r\n";
    const stream = "GET /stream HTTP/1.1\r\nHost: frames.test\r\n\r\n";
    const { text, closed } = await exchange(proxy.httpPort, [chunkedPost, head, stream], /two\r\n0\r\n\r\n$/, 30);
    assert.equal(closed, false, "one keep-alive connection carried all three");
    const answers = text.split(/(?=HTTP\/1\.1 )/);
    assert.equal(answers.length, 3, text);
    assert.match(answers[0]!, /"body":"hello world"/, "the chunked request body reached the upstream whole");
    assert.match(answers[0]!, /"transfer-encoding":"chunked"/);
    assert.match(answers[1]!, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(answers[1]!, /\r\n\r\n$/, "HEAD: a head and no body");
    assert.match(answers[2]!, /Transfer-Encoding: chunked\r\n/i);
    assert.match(answers[2]!, /\r\n\r\n4\r\none,\r\n3\r\ntwo\r\n0\r\n\r\n$/, "the upstream's chunks arrive as chunks");
  });

  test(`[${plane}] proxy answers pipelined requests in order, closes after Connection: close and HTTP/1.0, and answers Expect: 100-continue`, LIMIT, async (t) => {
    const { backend, proxy } = await backendBehindProxy(t, "pipe", undefined, plane);
    await proxy.setRoutes([route("pipe.test", upstreamsOf(backend))]);
    const req = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: pipe.test\r\n${extra}\r\n`;
    const pipelined = await exchange(proxy.httpPort, [req("/1") + req("/slow-2") + req("/3", "Connection: close\r\n") + req("/never")]);
    assert.equal(pipelined.closed, true, "Connection: close ends the connection after its answer");
    assert.ok(pipelined.text.length > 0, "answered");
    const urls = [...pipelined.text.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(urls, ["/1", "/slow-2", "/3"], "answers in request order; nothing after the closing request");
    assert.match(pipelined.text.split(/(?=HTTP\/1\.1 )/)[2]!, /Connection: close\r\n/);

    const http10 = await exchange(proxy.httpPort, ["GET /old HTTP/1.0\r\nHost: pipe.test\r\n\r\n"]);
    assert.equal(http10.closed, true);
    assert.match(http10.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(http10.text, /"url":"\/old"/);

    const expect = await exchange(
      proxy.httpPort,
      ["POST /form HTTP/1.1\r\nHost: pipe.test\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n", "data"],
      /"body":"data"/,
      100,
    );
    assert.match(expect.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(expect.text, /"expect"/, "the proxy answered the expectation itself");
  });

  test(`[${plane}] proxy answers 400 to malformed requests and a missing Host, 504 when the upstream stays silent, and 502 at once to a 101 nobody asked for`, LIMIT, async (t) => {
    const { backend, proxy } = await backendBehindProxy(t, "quiet", { upstreamTimeoutMs: 500 }, plane);
    await proxy.setRoutes([route("quiet.test", upstreamsOf(backend))]);
    const smuggled = await exchange(proxy.httpPort, ["POST / HTTP/1.1\r\nHost: quiet.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"]);
    assert.match(smuggled.text, /^HTTP\/1\.1 400 /, "Content-Length with Transfer-Encoding is refused, as Node refuses it");
    assert.equal(smuggled.closed, true);
    const garbage = await exchange(proxy.httpPort, ["NOT HTTP AT ALL\r\n\r\n"]);
    assert.match(garbage.text, /^HTTP\/1\.1 400 /);
    const noHost = await exchange(proxy.httpPort, ["GET / HTTP/1.1\r\n\r\n"]);
    assert.match(noHost.text, /^HTTP\/1\.1 400 .*no Host header/s);
    assert.equal(backend.hits, 0, "none of them reached the upstream");

    const started = Date.now();
    const silent = await exchange(proxy.httpPort, ["GET /silent HTTP/1.1\r\nHost: quiet.test\r\n\r\n"], /\r\n\r\n[\s\S]*<\/html>/);
    assert.match(silent.text, /^HTTP\/1\.1 504 /);
    assert.match(silent.text, new RegExp(`${ERROR_HEADER}: upstream-timeout`, "i"));
    assert.ok(Date.now() - started < 3_000, "the upstream timeout bounds the wait");

    const switched = Date.now();
    const broken = await exchange(proxy.httpPort, ["GET /switch HTTP/1.1\r\nHost: quiet.test\r\n\r\nGET / HTTP/1.1\r\nHost: quiet.test\r\n\r\n"], /"backend":"quiet"/);
    assert.match(broken.text, /^HTTP\/1\.1 502 /, "a 101 to a request that asked for no upgrade is the upstream's error");
    assert.match(broken.text, new RegExp(`${ERROR_HEADER}: upstream-error`, "i"));
    assert.ok(Date.now() - switched < 400, "answered at once, not after the upstream timeout");
    assert.match(broken.text, /HTTP\/1\.1 200 [\s\S]*"url":"\/"/, "the client connection goes on serving");
  });
}
