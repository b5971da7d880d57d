import { test } from "node:test";
import assert from "node:assert/strict";
import { ERROR_HEADER } from "../../../proxy/index.ts";
import { backendBehindProxy, freePort, h2Connect, httpsGet, issue, LIMIT, makeCa, route, upstreamsOf } from "./support.ts";

test("an HTTPS client that chooses HTTP/2 is served over it: routing, X-Forwarded-*, cookies joined, bodies both ways, many streams on one connection", LIMIT, async (t) => {
  const { backend, proxy } = await backendBehindProxy(t, "h2");
  const ca = await makeCa();
  await proxy.setCertificates([{ name: "default/shop", hosts: ["shop.test"], ...(await issue(ca, ["shop.test"])) }]);
  await proxy.setRoutes([route("shop.test", upstreamsOf(backend), { tls: true })]);
  const client = await h2Connect(proxy.httpsPort, "shop.test", ca.cert);
  t.after(() => client.close());
  assert.equal(client.session.alpnProtocol, "h2");

  const cart = await client.request({ ":path": "/cart?id=7", cookie: ["a=1", "b=2"] });
  assert.equal(cart.status, 200);
  assert.equal(cart.headers["x-backend"], "h2", "the upstream's headers come back");
  const seen = cart.json();
  assert.equal(seen.url, "/cart?id=7");
  assert.equal(seen.headers.host, "shop.test", "the upstream gets Host from :authority");
  assert.equal(seen.headers.cookie, "a=1; b=2", "split cookie fields reach an HTTP/1.1 upstream as one header");
  assert.equal(seen.headers["x-forwarded-proto"], "https");
  assert.equal(seen.headers["x-forwarded-for"], "127.0.0.1");

  const unsized = (await client.request({ ":method": "POST", ":path": "/orders" }, "one order")).json();
  assert.equal(unsized.body, "one order");
  assert.equal(unsized.headers["transfer-encoding"], "chunked", "a body of no announced length goes upstream chunked");
  const big = "x".repeat(1024 * 1024);
  const sized = (await client.request({ ":method": "PUT", ":path": "/blob", "content-length": big.length }, big)).json();
  assert.equal(sized.headers["content-length"], String(big.length));
  assert.equal(sized.body.length, big.length, "a 1 MiB body crosses whole, both ways");

  const streamed = await client.request({ ":path": "/stream" });
  assert.equal(streamed.body, "one,two", "a chunked upstream response arrives as DATA frames");
  const head = await client.request({ ":method": "HEAD", ":path": "/" });
  assert.equal(head.status, 200);
  assert.equal(head.body, "");

  const before = backend.hits;
  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => client.request({ ":path": `/n/${i}` })));
  assert.deepEqual(many.map((r) => r.status), Array(50).fill(200));
  assert.deepEqual(many.map((r) => r.json().url), Array.from({ length: 50 }, (_, i) => `/n/${i}`), "each stream gets its own answer");
  assert.equal(backend.hits - before, 50);

  const miss = await client.request({ ":path": "/", ":authority": "nowhere.test" });
  assert.equal(miss.status, 404);
  assert.equal(miss.headers[ERROR_HEADER], "no-route");
  const smuggled = await client.request({ ":path": "/", host: "other.test" });
  assert.equal(smuggled.status, 400, "a Host header naming another site than :authority is refused");

  const h1 = await httpsGet(proxy.httpsPort, "shop.test", ca.cert, "/old");
  assert.equal(h1.status, 200, "a client that offers no h2 still gets HTTP/1.1 on the same port");
  assert.equal(h1.json().url, "/old");
});

test("over HTTP/2 a refused replica is retried on the next one, a dead route answers 502, a silent one 504, and a reset stream leaves the connection serving", LIMIT, async (t) => {
  const { backend, proxy } = await backendBehindProxy(t, "h2-live", { upstreamTimeoutMs: 500 });
  const ca = await makeCa();
  await proxy.setCertificates([{ name: "default/api", hosts: ["api.test", "dead.test"], ...(await issue(ca, ["api.test", "dead.test"])) }]);
  const dead = { id: "dead", host: "127.0.0.1", port: await freePort() };
  await proxy.setRoutes([route("api.test", [dead, ...upstreamsOf(backend)], { tls: true }), route("dead.test", [dead], { tls: true })]);
  const client = await h2Connect(proxy.httpsPort, "api.test", ca.cert);
  t.after(() => client.close());

  const answers = await Promise.all(Array.from({ length: 6 }, () => client.request({ ":path": "/" })));
  assert.deepEqual(answers.map((r) => r.status), Array(6).fill(200), "requests that reach the dead replica first are retried on the live one");
  const refused = await client.request({ ":path": "/", ":authority": "dead.test" });
  assert.equal(refused.status, 502);
  assert.equal(refused.headers[ERROR_HEADER], "upstream-error");
  const started = Date.now();
  const silent = await client.request({ ":path": "/silent" });
  assert.equal(silent.status, 504);
  assert.ok(Date.now() - started < 2_000, "the upstream timeout bounds a silent upstream");

  await assert.rejects(client.request({ ":path": "/silent" }, undefined, 100), /no response/, "the client gives up on a stream");
  assert.equal((await client.request({ ":path": "/after" })).json().url, "/after", "the connection still serves after a stream was reset");
});

test("HTTP/2 limits: a header list over the limit gets 431 without reaching the upstream, the connection keeps serving, and an idle one closes after the keep-alive timeout", LIMIT, async (t) => {
  const { backend, proxy } = await backendBehindProxy(t, "h2-limits", { keepAliveTimeoutMs: 500 });
  const ca = await makeCa();
  await proxy.setCertificates([{ name: "default/big", hosts: ["big.test"], ...(await issue(ca, ["big.test"])) }]);
  await proxy.setRoutes([route("big.test", upstreamsOf(backend), { tls: true })]);
  const client = await h2Connect(proxy.httpsPort, "big.test", ca.cert);
  t.after(() => client.close());

  const oversized = await client.request({ ":path": "/", "x-big": "y".repeat(20 * 1024) });
  assert.equal(oversized.status, 431);
  assert.equal(backend.hits, 0, "the oversized request never reaches the upstream");
  assert.equal((await client.request({ ":path": "/after" })).status, 200, "the connection keeps serving");
  const idleSince = Date.now();
  await new Promise<void>((resolve) => client.session.once("close", () => resolve()));
  const idleMs = Date.now() - idleSince;
  assert.ok(idleMs >= 400 && idleMs < 3_000, `an idle connection closes after the keep-alive timeout (closed after ${idleMs} ms)`);
});
