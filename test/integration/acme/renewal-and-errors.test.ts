import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually, get, sleep } from "../proxy/support.ts";
import { ACME_TIMINGS, conditionOf, createAcmeDomain, httpsThroughProxy, LIMIT, startAcmeScene, startController } from "./support.ts";

test("a certificate is renewed when a third of its lifetime remains: a new serial is served and reported", LIMIT, async (t) => {
  const lifetimeSeconds = 9;
  const { backend, proxy, pebble, store } = await startAcmeScene(t, { validitySeconds: lifetimeSeconds });
  const root = await pebble.root();
  const running = await startController(store, proxy, pebble.directoryUrl, pebble.listenerCa);
  t.after(() => running.stop());

  await createAcmeDomain(store, "short", "short.example.test", backend.port);
  let firstSerial = "";
  await eventually(async () => {
    const served = await httpsThroughProxy(proxy.httpsPort, "short.example.test", root);
    assert.equal(served.status, 200);
    firstSerial = served.serial;
  }, 20_000, 25);
  const domain = await store.get({ kind: "Domain", namespace: "default", name: "short" });
  const first = domain.status?.certificate as { notBefore: string; notAfter: string; serial: string };
  assert.equal(first.serial, firstSerial);
  const lifetimeMs = Date.parse(first.notAfter) - Date.parse(first.notBefore);
  assert.ok(lifetimeMs <= lifetimeSeconds * 1000 && lifetimeMs >= (lifetimeSeconds - 2) * 1000, `lifetime ${lifetimeMs} ms`);
  const renewAt = Date.parse(first.notAfter) - lifetimeMs / 3;

  let renewedSerial = "";
  await eventually(async () => {
    const served = await httpsThroughProxy(proxy.httpsPort, "short.example.test", root);
    assert.notEqual(served.serial, firstSerial);
    renewedSerial = served.serial;
  }, lifetimeSeconds * 1000 + 5_000, 50);
  const servedAt = Date.now();
  t.diagnostic(`renewal due ${Math.round(renewAt - Date.parse(first.notBefore))} ms after notBefore; new serial served ${Math.round(servedAt - renewAt)} ms after it was due`);
  assert.ok(servedAt >= renewAt - 1_000, "not renewed before a third of the lifetime remained");
  assert.ok(servedAt < Date.parse(first.notAfter), "the new certificate was served before the old one expired");
  await eventually(async () => {
    const status = (await store.get({ kind: "Domain", namespace: "default", name: "short" })).status;
    assert.notEqual((status?.certificate as { serial: string }).serial, first.serial);
    assert.equal((await conditionOf(store, "short", "CertificateReady"))?.status, "True");
  });
  assert.ok(renewedSerial);
  assert.ok((running.controller.acme?.orders ?? 0) >= 2);
});

test("a CA refusal is reported in CertificateReady with the CA's message and retried with backoff; the Domain keeps serving plain HTTP", LIMIT, async (t) => {
  const { backend, proxy, pebble, store } = await startAcmeScene(t, { blocklist: ["blocked.test"] });
  const running = await startController(store, proxy, pebble.directoryUrl, pebble.listenerCa);
  t.after(() => running.stop());

  await createAcmeDomain(store, "shop", "shop.blocked.test", backend.port);
  await eventually(async () => assert.equal((await conditionOf(store, "shop", "CertificateReady"))?.reason, "IssuanceFailed"), 10_000, 25);
  const failed = await conditionOf(store, "shop", "CertificateReady");
  t.diagnostic(`condition message: ${failed?.message}`);
  assert.equal(failed?.status, "False");
  assert.match(failed!.message, /blocked|policy|forbidden/i);
  assert.match(failed!.message, /retrying at \d{4}-/);
  assert.doesNotMatch(failed!.message, /BEGIN|PRIVATE/);
  assert.equal((await conditionOf(store, "shop", "Ready"))?.status, "False");
  assert.equal((await get(proxy.httpPort, "shop.blocked.test")).status, 200, "served over plain HTTP meanwhile");
  await assert.rejects(store.get({ kind: "Secret", namespace: "default", name: "shop-tls" }));

  // Retries back off: 400 ms, 800 ms, 1.6 s, then 2 s apart.
  const started = Date.now();
  const ordersAtFailure = running.controller.acme!.orders;
  await eventually(() => assert.ok(running.controller.acme!.orders >= ordersAtFailure + 2), 10_000, 25);
  const elapsed = Date.now() - started;
  t.diagnostic(`two more attempts after ${elapsed} ms`);
  assert.ok(elapsed >= ACME_TIMINGS.retryMinMs, `retried too fast (${elapsed} ms)`);
  assert.equal((await conditionOf(store, "shop", "CertificateReady"))?.reason, "IssuanceFailed");

  // A Domain's own issuer: a URL where the CA serves no directory fails on its own, with the CA's answer.
  const wrongIssuer = new URL("/no-such-directory", pebble.directoryUrl).href;
  await createAcmeDomain(store, "lost", "lost.example.test", backend.port, { issuer: wrongIssuer });
  await eventually(async () => assert.equal((await conditionOf(store, "lost", "CertificateReady"))?.reason, "IssuanceFailed"), 10_000, 25);
  const lost = await conditionOf(store, "lost", "CertificateReady");
  t.diagnostic(`wrong issuer message: ${lost?.message}`);
  assert.match(lost!.message, /404/);

  // A wildcard host cannot be validated over HTTP-01: said plainly, no order.
  const before = running.controller.acme!.orders;
  await createAcmeDomain(store, "wild", "*.wild.example.test", backend.port);
  await eventually(async () => assert.equal((await conditionOf(store, "wild", "CertificateReady"))?.reason, "WildcardNotSupported"));
  assert.ok(running.controller.acme!.orders - before <= 1, "the wildcard Domain itself started no order");
});

test("the backoff after a failed order is kept in the Domain's status: a restarted controller waits it out, and a changed spec retries at once", LIMIT, async (t) => {
  const { backend, proxy, pebble, store } = await startAcmeScene(t, { blocklist: ["blocked.test"] });
  const slow = { retryMinMs: 60_000, retryMaxMs: 60_000 };
  const first = await startController(store, proxy, pebble.directoryUrl, pebble.listenerCa, slow);
  await createAcmeDomain(store, "shop", "shop.blocked.test", backend.port);
  type Issuance = { failures: number; lastError: string; retryAt: string; generation: number };
  const issuanceOf = async () => (await store.get({ kind: "Domain", namespace: "default", name: "shop" })).status?.issuance as Issuance | undefined;
  await eventually(async () => assert.equal((await issuanceOf())?.failures, 1), 10_000, 25);
  const recorded = (await issuanceOf())!;
  assert.match(recorded.lastError, /blocked|policy|forbidden/i);
  assert.ok(Date.parse(recorded.retryAt) > Date.now() + 50_000, `retry at ${recorded.retryAt}`);
  await first.stop();

  // A new controller over the same store (a restarted daemon) orders nothing before retryAt and says when it will.
  const second = await startController(store, proxy, pebble.directoryUrl, pebble.listenerCa, slow);
  t.after(() => second.stop());
  await eventually(async () => assert.match((await conditionOf(store, "shop", "CertificateReady"))?.message ?? "", new RegExp(`retrying at ${recorded.retryAt}`)));
  await sleep(1_500);
  assert.equal(second.controller.acme!.orders, 0, "no order during the recorded backoff");

  // Changing the Domain's spec (a new generation) is a fresh start: it is ordered at once.
  const domain = await store.get({ kind: "Domain", namespace: "default", name: "shop" });
  await store.update({ ...domain, spec: { ...(domain.spec as object), tls: { mode: "acme", email: "ops@berth.dev" } } } as typeof domain);
  await eventually(() => assert.equal(second.controller.acme!.orders, 1), 10_000, 25);
  await eventually(async () => assert.equal((await issuanceOf())?.generation, domain.metadata.generation! + 1), 10_000, 25);
});
