import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { ACCOUNT_SECRET } from "../../../proxy/acme/index.ts";
import { eventually, get, startTestProxy } from "../proxy/support.ts";
import { conditionOf, createAcmeDomain, httpsThroughProxy, LIMIT, startAcmeScene, startController, storedSerial } from "./support.ts";

test("an acme Domain gets a certificate from Pebble over HTTP-01 answered by the proxy, served by SNI and kept across a restart without a new order", LIMIT, async (t) => {
  const { backend, proxy, pebble, store } = await startAcmeScene(t);
  const root = await pebble.root();
  const first = await startController(store, proxy, pebble.directoryUrl, pebble.listenerCa);
  t.after(() => first.stop());

  const applied = Date.now();
  await createAcmeDomain(store, "web", "web.example.test", backend.port);
  await eventually(async () => assert.equal((await conditionOf(store, "web", "CertificateReady"))?.status, "True"), 20_000, 25);
  const issuedMs = Date.now() - applied;
  t.diagnostic(`Domain applied → CertificateReady=True (Pebble order, HTTP-01 through the proxy): ${issuedMs} ms`);
  assert.equal(first.controller.acme?.orders, 1);

  const secret = await store.get({ kind: "Secret", namespace: "default", name: "web-tls" });
  const domain = await store.get({ kind: "Domain", namespace: "default", name: "web" });
  assert.equal(secret.type, "kubernetes.io/tls");
  assert.deepEqual(secret.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]), [["Domain", "web", domain.metadata.uid, true]]);
  const certificate = domain.status?.certificate as { notBefore: string; notAfter: string; issuer: string; serial: string };
  assert.equal(certificate.serial, storedSerial(secret));
  assert.match(certificate.issuer, /Pebble/i);
  assert.ok(Date.parse(certificate.notAfter) > Date.now() + 24 * 3600_000, `notAfter ${certificate.notAfter}`);
  assert.equal(domain.status?.url, `https://web.example.test:${proxy.httpsPort}/`);
  await store.get({ kind: "Secret", ...ACCOUNT_SECRET });

  const served = await httpsThroughProxy(proxy.httpsPort, "web.example.test", root);
  assert.equal(served.status, 200);
  assert.equal(JSON.parse(served.body).backend, "web-0");
  assert.equal(served.serial, certificate.serial);
  assert.ok(new X509Certificate(Buffer.from((secret.data as Record<string, string>)["tls.crt"]!, "base64")).checkHost("web.example.test"));

  // With TLS live, plain HTTP redirects, but challenge answers still come first.
  assert.equal((await get(proxy.httpPort, "web.example.test")).status >= 300, true);
  await proxy.setChallenge("probe-token", "probe-token.thumbprint");
  const challenge = await get(proxy.httpPort, "web.example.test", "/.well-known/acme-challenge/probe-token");
  assert.equal(challenge.status, 200);
  assert.equal(challenge.body, "probe-token.thumbprint");
  await proxy.deleteChallenge("probe-token");

  // Restart: a new controller and a new proxy (empty certificate map) over the same store.
  await first.stop();
  const restartedProxy = await startTestProxy();
  t.after(() => restartedProxy.close());
  const second = await startController(store, restartedProxy, pebble.directoryUrl, pebble.listenerCa);
  t.after(() => second.stop());
  await eventually(async () => assert.equal((await httpsThroughProxy(restartedProxy.httpsPort, "web.example.test", root)).serial, certificate.serial), 10_000, 25);
  await eventually(async () => assert.equal((await store.get({ kind: "Domain", namespace: "default", name: "web" })).status?.url, `https://web.example.test:${restartedProxy.httpsPort}/`));
  assert.equal(second.controller.acme?.orders, 0, "the restarted controller ordered nothing");
  assert.equal(storedSerial(await store.get({ kind: "Secret", namespace: "default", name: "web-tls" })), certificate.serial);

  // The certificate Secret is owned by the Domain: deleting the Domain deletes it, and the host's certificate is unloaded.
  await store.delete({ kind: "Domain", namespace: "default", name: "web" });
  await eventually(async () => assert.equal(await store.get({ kind: "Secret", namespace: "default", name: "web-tls" }).then(() => "present", () => "gone"), "gone"), 10_000, 25);
  await eventually(async () => assert.equal(await httpsThroughProxy(restartedProxy.httpsPort, "web.example.test", root).then(() => "trusted", () => "untrusted"), "untrusted"));
});

test("Domains with and without an email share the daemon's ACME account, registered once, whichever orders first", LIMIT, async (t) => {
  const { backend, proxy, pebble, store } = await startAcmeScene(t);
  const running = await startController(store, proxy, pebble.directoryUrl, pebble.listenerCa);
  t.after(() => running.stop());

  await createAcmeDomain(store, "first", "first.example.test", backend.port);
  await eventually(async () => assert.equal((await conditionOf(store, "first", "CertificateReady"))?.status, "True"), 20_000, 25);
  // A known account must not be sent an empty update (Pebble refuses one, as a CA may).
  await createAcmeDomain(store, "later", "later.example.test", backend.port, { email: undefined });
  await eventually(async () => assert.equal((await conditionOf(store, "later", "CertificateReady"))?.status, "True"), 20_000, 25);
  // Two at once, neither with an email: they race to the account.
  await Promise.all([
    createAcmeDomain(store, "left", "left.example.test", backend.port, { email: undefined }),
    createAcmeDomain(store, "right", "right.example.test", backend.port, { email: undefined }),
  ]);
  for (const name of ["left", "right"]) {
    await eventually(async () => assert.equal((await conditionOf(store, name, "CertificateReady"))?.status, "True", name), 20_000, 25);
  }
});
