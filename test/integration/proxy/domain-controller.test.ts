import { test } from "node:test";
import assert from "node:assert/strict";
import { condition, createApp, createDomain, rollEndpointsUnderLoad, setEndpoints, startRouting } from "./controller-support.ts";
import { eventually, get, httpsGet, issue, LIMIT, makeCa, sleep, startBackend, startTestProxy } from "./support.ts";

test("a Domain applied with the controller running serves its first 200 through the proxy in under 1 s, then reports Routed", LIMIT, async (t) => {
  const backend = await startBackend("web-0");
  const proxy = await startTestProxy();
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
  const store = await startRouting(t, proxy);
  await createApp(store, "web", [backend]);
  await sleep(50);

  const applied = Date.now();
  await createDomain(store, "web", { host: "web.test", appRef: { name: "web" } });
  let firstOk = 0;
  await eventually(async () => {
    const reply = await get(proxy.httpPort, "web.test", "/", { timeoutMs: 1_000 });
    assert.equal(reply.status, 200);
    firstOk = Date.now() - applied;
  }, 2_000, 5);
  t.diagnostic(`route change → first 200: ${firstOk} ms`);
  assert.ok(firstOk < 1_000, `first 200 after ${firstOk}ms`);

  await eventually(async () => assert.equal((await condition(store, "web", "Ready"))?.status, "True"));
  const domain = await store.get({ kind: "Domain", namespace: "default", name: "web" });
  assert.equal(domain.status?.routed, true);
  assert.equal(domain.status?.url, `http://web.test:${proxy.httpPort}/`);
  assert.equal(domain.status?.observedGeneration, domain.metadata.generation);
  assert.equal((await condition(store, "web", "Routed"))?.reason, "RouteActive");
  assert.equal(await condition(store, "web", "CertificateReady"), undefined, "tls mode none has no certificate condition");
});

test("App endpoint changes re-route the Domains pointing at it; no endpoint is 503 and NoReadyEndpoints; a missing App is AppNotFound", LIMIT, async (t) => {
  const [a, b] = await Promise.all([startBackend("a"), startBackend("b")]);
  const proxy = await startTestProxy();
  t.after(async () => {
    await proxy.close();
    await Promise.all([a.close(), b.close()]);
  });
  const store = await startRouting(t, proxy);
  await createDomain(store, "orphan", { host: "orphan.test", appRef: { name: "later" } });
  await eventually(async () => assert.equal((await condition(store, "orphan", "Routed"))?.reason, "AppNotFound"));
  assert.equal((await get(proxy.httpPort, "orphan.test")).status, 503);

  await createApp(store, "later", [a]);
  await eventually(async () => assert.equal((await get(proxy.httpPort, "orphan.test")).json().backend, "a"));
  await eventually(async () => assert.equal((await condition(store, "orphan", "Ready"))?.status, "True"));

  await setEndpoints(store, "later", [b]);
  await eventually(async () => assert.equal((await get(proxy.httpPort, "orphan.test")).json().backend, "b"));
  await setEndpoints(store, "later", []);
  await eventually(async () => assert.equal((await get(proxy.httpPort, "orphan.test")).status, 503));
  await eventually(async () => assert.equal((await condition(store, "orphan", "Routed"))?.reason, "NoReadyEndpoints"));
  assert.equal((await condition(store, "orphan", "Ready"))?.status, "False");

  await store.delete({ kind: "Domain", namespace: "default", name: "orphan" });
  await eventually(async () => assert.equal((await get(proxy.httpPort, "orphan.test")).status, 404));
});

test("two Domains claiming one host: the later is Ready=False HostConflict until the earlier is deleted", LIMIT, async (t) => {
  const [first, second] = await Promise.all([startBackend("first"), startBackend("second")]);
  const proxy = await startTestProxy();
  t.after(async () => {
    await proxy.close();
    await Promise.all([first.close(), second.close()]);
  });
  const store = await startRouting(t, proxy);
  await createApp(store, "first", [first]);
  await createApp(store, "second", [second]);
  await createDomain(store, "claim-a", { host: "shared.test", appRef: { name: "first" } });
  await eventually(async () => assert.equal((await condition(store, "claim-a", "Ready"))?.status, "True"));
  await sleep(5);
  await createDomain(store, "claim-b", { host: "shared.test", appRef: { name: "second" } });
  await eventually(async () => {
    const ready = await condition(store, "claim-b", "Ready");
    assert.equal(ready?.status, "False");
    assert.equal(ready?.reason, "HostConflict");
    assert.match(ready?.message ?? "", /default\/claim-a/);
  });
  assert.equal((await get(proxy.httpPort, "shared.test")).json().backend, "first");
  assert.equal((await condition(store, "claim-a", "Ready"))?.status, "True", "the earlier Domain keeps serving");

  await store.delete({ kind: "Domain", namespace: "default", name: "claim-a" });
  await eventually(async () => assert.equal((await condition(store, "claim-b", "Ready"))?.status, "True"));
  assert.equal((await get(proxy.httpPort, "shared.test")).json().backend, "second");
});

test("tls.mode secret: the Domain's certificate comes from its Secret, HTTPS verifies with the CA, HTTP redirects", LIMIT, async (t) => {
  const backend = await startBackend("shop-0");
  const proxy = await startTestProxy();
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
  const store = await startRouting(t, proxy);
  const ca = await makeCa();
  const pems = await issue(ca, ["shop.test"]);
  await createApp(store, "shop", [backend]);
  await createDomain(store, "shop", { host: "shop.test", appRef: { name: "shop" }, tls: { mode: "secret", secretRef: { name: "shop-tls" } } });
  await eventually(async () => assert.equal((await condition(store, "shop", "CertificateReady"))?.reason, "SecretNotFound"));
  assert.equal((await get(proxy.httpPort, "shop.test")).status, 200, "without its certificate the Domain is served over HTTP");

  const b64 = (s: string) => Buffer.from(s).toString("base64");
  await store.create({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: "shop-tls", namespace: "default" }, type: "kubernetes.io/tls", data: { "tls.crt": b64(pems.cert), "tls.key": b64(pems.key) } });
  await eventually(async () => assert.equal((await condition(store, "shop", "Ready"))?.status, "True"));
  const reply = await httpsGet(proxy.httpsPort, "shop.test", ca.cert, "/basket");
  assert.equal(reply.status, 200);
  assert.equal(reply.peerSubject, "shop.test");
  assert.equal(reply.json().headers["x-forwarded-proto"], "https");
  const redirect = await get(proxy.httpPort, "shop.test", "/basket");
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.location, `https://shop.test:${proxy.httpsPort}/basket`);
  const domain = await store.get({ kind: "Domain", namespace: "default", name: "shop" });
  const certificate = domain.status?.certificate as { notAfter: string; serial: string; secretName: string };
  assert.equal(certificate.secretName, "shop-tls");
  assert.ok(Date.parse(certificate.notAfter) > Date.now());
  assert.equal(domain.status?.url, `https://shop.test:${proxy.httpsPort}/`);
});

test("zero failed requests under constant load while the App's endpoints move from set A to set B", LIMIT, async (t) => {
  await rollEndpointsUnderLoad(t, await startTestProxy());
});
