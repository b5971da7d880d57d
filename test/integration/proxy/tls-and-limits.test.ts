import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { CertificateError } from "../../../proxy/index.ts";
import { backendBehindProxy, DATA_PLANES, get, httpsGet, issue, LIMIT, makeCa, route, upstreamsOf, wsEcho } from "./support.ts";

// Each test runs against both data planes (see proxy/data-plane.ts).
for (const plane of DATA_PLANES) {
  test(`[${plane}] proxy selects certificates by SNI (exact, then wildcard, then the fallback) and forwards HTTPS and WebSockets over TLS with X-Forwarded-Proto`, LIMIT, async (t) => {
    const { backend, proxy } = await backendBehindProxy(t, "tls", undefined, plane);
    const ca = await makeCa();
    const [exact, wildcard] = await Promise.all([issue(ca, ["shop.test"]), issue(ca, ["*.apps.test"])]);
    await proxy.setCertificates([
      { name: "default/shop", hosts: ["shop.test"], ...exact },
      { name: "default/apps", hosts: ["*.apps.test"], ...wildcard },
    ]);
    await proxy.setRoutes([route("shop.test", upstreamsOf(backend), { tls: true, redirectHttp: true }), route("*.apps.test", upstreamsOf(backend), { tls: true })]);

    const shop = await httpsGet(proxy.httpsPort, "shop.test", ca.cert, "/cart");
    assert.equal(shop.status, 200);
    assert.equal(shop.peerSubject, "shop.test");
    assert.equal(shop.json().headers["x-forwarded-proto"], "https");
    assert.equal(shop.json().url, "/cart");
    const secure = await wsEcho(proxy.httpsPort, "shop.test", "secure", { ca: ca.cert });
    assert.equal(secure.reply, "tls:secure", "a WebSocket over TLS (wss://) is tunnelled like one over plain HTTP");
    assert.match(secure.head, /X-Seen-Forwarded-Proto: https/i);
    const wild = await httpsGet(proxy.httpsPort, "one.apps.test", ca.cert);
    assert.equal(wild.status, 200);
    assert.equal(wild.peerSubject, "*.apps.test");
    await assert.rejects(httpsGet(proxy.httpsPort, "unknown.test", ca.cert), /self[- ]signed|unable to verify|certificate/i, "unknown names get the fallback, which the CA did not sign");

    await assert.rejects(proxy.setCertificates([{ name: "default/broken", hosts: ["broken.test"], cert: exact.cert, key: wildcard.key }]), CertificateError);
    assert.equal((await httpsGet(proxy.httpsPort, "shop.test", ca.cert)).status, 200, "a rejected update leaves the served certificates alone");
  });

  test(`[${plane}] a slow-header client is cut off by the header timeout and does not block other clients`, LIMIT, async (t) => {
    const { backend, proxy } = await backendBehindProxy(t, "busy", { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000, connectionsCheckingIntervalMs: 100 }, plane);
    await proxy.setRoutes([route("busy.test", upstreamsOf(backend))]);

    const opened = Date.now();
    const slow = connect(proxy.httpPort, "127.0.0.1");
    const request = "GET / HTTP/1.1\r\nHost: busy.test\r\nX-Slow: ";
    let sent = 0;
    // Sends one byte every 50 ms and never finishes the head.
    const drip = setInterval(() => {
      if (!slow.destroyed) slow.write(request[sent++ % request.length] ?? "a");
    }, 50);
    let answer = "";
    slow.on("data", (d: Buffer) => (answer += d.toString("latin1")));
    slow.on("error", () => {});
    const closed = new Promise<number>((resolve) => slow.once("close", () => resolve(Date.now() - opened)));
    t.after(() => {
      clearInterval(drip);
      slow.destroy();
    });

    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      const reply = await get(proxy.httpPort, "busy.test");
      assert.equal(reply.status, 200);
      assert.ok(Date.now() - started < 500, "other clients are served at once");
    }
    const after = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 5_000))]);
    clearInterval(drip);
    assert.ok(after > 0, "the slow client was disconnected");
    assert.ok(after >= 900 && after < 3_000, `cut off after the 1 s header timeout (took ${after}ms)`);
    assert.match(answer, /^HTTP\/1\.1 408/, "it is told why");
  });

  test(`[${plane}] a request head over maxHeaderSize gets 431 and the proxy keeps serving`, LIMIT, async (t) => {
    const { backend, proxy } = await backendBehindProxy(t, "big", { maxHeaderSize: 4096 }, plane);
    await proxy.setRoutes([route("big.test", upstreamsOf(backend))]);
    await assert.rejects(get(proxy.httpPort, "big.test", "/", { headers: { "x-big": "a".repeat(8000) } }).then((r) => {
      if (r.status === 431) throw new Error("431");
      return r;
    }), /431|ECONNRESET|socket hang up/);
    assert.equal((await get(proxy.httpPort, "big.test", "/", { headers: { "x-ok": "a".repeat(1000) } })).status, 200);
  });
}
