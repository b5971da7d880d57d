import { test } from "node:test";
import assert from "node:assert/strict";
import { ERROR_HEADER } from "../../../proxy/index.ts";
import { backendBehindProxy, DATA_PLANES, freePort, get, LIMIT, route, startBackend, startTestProxy, upstreamsOf, wsEcho } from "./support.ts";

// Each test runs against both data planes (see proxy/data-plane.ts).
for (const plane of DATA_PLANES) {
  test(`[${plane}] proxy routes by Host and longest path prefix, with wildcards and a clear 404`, LIMIT, async (t) => {
    const [web, api, wild] = await Promise.all([startBackend("web"), startBackend("api"), startBackend("wild")]);
    const proxy = await startTestProxy(undefined, plane);
    t.after(async () => {
      await proxy.close();
      await Promise.all([web, api, wild].map((b) => b.close()));
    });
    await proxy.setRoutes([
      route("app.test", upstreamsOf(web)),
      route("app.test", upstreamsOf(api), { path: "/api", name: "test/api" }),
      route("*.apps.test", upstreamsOf(wild)),
    ]);
    const port = proxy.httpPort;
    assert.equal((await get(port, "app.test", "/")).json().backend, "web");
    assert.equal((await get(port, "app.test", "/api/users?limit=1")).json().backend, "api");
    assert.equal((await get(port, "app.test", "/api/users?limit=1")).json().url, "/api/users?limit=1", "the path and query reach the upstream unchanged");
    assert.equal((await get(port, "app.test", "/apiary")).json().backend, "web");
    assert.equal((await get(port, "Foo.Apps.Test:80", "/x")).json().backend, "wild");
    const miss = await get(port, "nobody.test", "/");
    assert.equal(miss.status, 404);
    assert.equal(miss.headers[ERROR_HEADER], "no-route");
    assert.match(miss.body, /No Domain routes this host/);
    assert.equal((await get(port, "a.b.apps.test", "/")).status, 404, "a wildcard covers one label");
  });

  test(`[${plane}] proxy answers 503 without ready endpoints and 502 when no endpoint can be reached`, LIMIT, async (t) => {
    const proxy = await startTestProxy(undefined, plane);
    t.after(() => proxy.close());
    const dead = await freePort();
    await proxy.setRoutes([route("empty.test", []), route("dead.test", [{ id: "dead-0", host: "127.0.0.1", port: dead }])]);
    const empty = await get(proxy.httpPort, "empty.test");
    assert.equal(empty.status, 503);
    assert.equal(empty.headers[ERROR_HEADER], "no-endpoint");
    assert.match(empty.body, /no ready replica/);
    const refused = await get(proxy.httpPort, "dead.test");
    assert.equal(refused.status, 502);
    assert.equal(refused.headers[ERROR_HEADER], "upstream-error");
  });

  test(`[${plane}] proxy sets X-Forwarded-For/-Proto/-Host, drops hop-by-hop headers, and relays status, headers and bodies`, LIMIT, async (t) => {
    const { backend, proxy } = await backendBehindProxy(t, "echo", undefined, plane);
    await proxy.setRoutes([route("fwd.test", upstreamsOf(backend))]);
    const reply = await get(proxy.httpPort, "fwd.test:8080", "/status/201", {
      method: "POST",
      body: "hello",
      headers: { "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https", connection: "keep-alive, x-secret-hop", "x-secret-hop": "1", "content-type": "text/plain" },
    });
    assert.equal(reply.status, 201);
    assert.equal(reply.headers["x-backend"], "echo");
    const seen = reply.json();
    assert.equal(seen.body, "hello");
    assert.equal(seen.method, "POST");
    assert.equal(seen.headers["x-forwarded-for"], "203.0.113.9, 127.0.0.1", "the client's address is appended");
    assert.equal(seen.headers["x-forwarded-proto"], "http", "the proxy says what it saw, whatever the client claimed");
    assert.equal(seen.headers["x-forwarded-host"], "fwd.test:8080");
    assert.equal(seen.headers["x-forwarded-port"], String(proxy.httpPort));
    assert.equal(seen.headers.host, "fwd.test:8080", "the Host header reaches the upstream unchanged");
    assert.equal(seen.headers["x-secret-hop"], undefined, "headers named in Connection are hop-by-hop");
    assert.equal(seen.headers["content-type"], "text/plain");
  });

  test(`[${plane}] proxy balances round-robin over endpoints and retries a refused endpoint for idempotent requests only`, LIMIT, async (t) => {
    const [a, b] = await Promise.all([startBackend("a"), startBackend("b")]);
    const proxy = await startTestProxy(undefined, plane);
    t.after(async () => {
      await proxy.close();
      await Promise.all([a.close(), b.close()]);
    });
    const dead = { id: "dead", host: "127.0.0.1", port: await freePort() };
    await proxy.setRoutes([route("rr.test", upstreamsOf(a, b)), route("retry.test", [dead, ...upstreamsOf(a)])]);
    const names: string[] = [];
    for (let i = 0; i < 6; i++) names.push((await get(proxy.httpPort, "rr.test")).json().backend);
    assert.deepEqual(names.sort(), ["a", "a", "a", "b", "b", "b"]);

    for (let i = 0; i < 6; i++) {
      const reply = await get(proxy.httpPort, "retry.test");
      assert.equal(reply.status, 200, "a GET on the dead endpoint is retried on the live one");
    }
    const posts = await Promise.all([1, 2, 3, 4].map(() => get(proxy.httpPort, "retry.test", "/", { method: "POST", body: "x" })));
    assert.deepEqual(posts.map((p) => p.status).sort(), [200, 200, 502, 502], "a POST with a body is never sent twice");
  });

  test(`[${plane}] proxy tunnels WebSockets to the routed App, with X-Forwarded-For`, LIMIT, async (t) => {
    const { backend, proxy } = await backendBehindProxy(t, "ws", undefined, plane);
    await proxy.setRoutes([route("ws.test", upstreamsOf(backend)), route("ws-empty.test", [])]);
    const { reply, head } = await wsEcho(proxy.httpPort, "ws.test", "ping");
    assert.equal(reply, "ws:ping");
    assert.match(head, /X-Seen-Forwarded-For: 127\.0\.0\.1/i);
    await assert.rejects(wsEcho(proxy.httpPort, "ws-empty.test", "ping"), /no upgrade: HTTP\/1\.1 503/);
    await assert.rejects(wsEcho(proxy.httpPort, "nobody.test", "ping"), /no upgrade: HTTP\/1\.1 404/);
  });

  test(`[${plane}] proxy answers ACME HTTP-01 challenges before routes and redirects, then redirects TLS routes to HTTPS`, LIMIT, async (t) => {
    const { backend, proxy } = await backendBehindProxy(t, "secure", undefined, plane);
    await proxy.setRoutes([route("secure.test", upstreamsOf(backend), { tls: true, redirectHttp: true }), route("plain.test", upstreamsOf(backend), { tls: true, redirectHttp: false })]);
    const redirect = await get(proxy.httpPort, "Secure.Test", "/a/b?c=d", { method: "POST", body: "x" });
    assert.equal(redirect.status, 308, "308 keeps the method");
    assert.equal(redirect.headers.location, `https://secure.test:${proxy.httpsPort}/a/b?c=d`);
    assert.equal((await get(proxy.httpPort, "plain.test")).status, 200, "redirectHttp: false serves plain HTTP too");

    await proxy.setChallenge("tok-123", "tok-123.thumbprint");
    const challenge = await get(proxy.httpPort, "secure.test", "/.well-known/acme-challenge/tok-123");
    assert.equal(challenge.status, 200);
    assert.equal(challenge.body, "tok-123.thumbprint");
    assert.equal((await get(proxy.httpPort, "unrouted.test", "/.well-known/acme-challenge/tok-123")).body, "tok-123.thumbprint", "challenges are answered for any host");
    assert.equal((await get(proxy.httpPort, "secure.test", "/.well-known/acme-challenge/other")).status, 308, "unknown tokens fall through to the routes");
    await proxy.deleteChallenge("tok-123");
    assert.equal((await get(proxy.httpPort, "unrouted.test", "/.well-known/acme-challenge/tok-123")).status, 404);
  });
}
