import { test } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../../../lib/logger.ts";
import { createFallbackCertificate, ProxyThreads } from "../../../proxy/index.ts";
import { eventually } from "../proxy/support.ts";
import { conditionOf, createAcmeDomain, httpsThroughProxy, LIMIT, startAcmeScene, startController } from "./support.ts";

test("with the proxy on two threads, challenges reach every thread and every thread serves the issued certificate", LIMIT, async (t) => {
  const threads = await ProxyThreads.start({ workers: 2, http: { port: 0, host: "127.0.0.1" }, https: { port: 0, host: "127.0.0.1" }, fallback: await createFallbackCertificate(), logger: silentLogger(), logLevel: "silent" });
  const { backend, proxy, pebble, store } = await startAcmeScene(t, {}, threads);
  const root = await pebble.root();
  const running = await startController(store, proxy, pebble.directoryUrl, pebble.listenerCa);
  t.after(() => running.stop());

  await createAcmeDomain(store, "web", "cluster.example.test", backend.port);
  await eventually(async () => assert.equal((await conditionOf(store, "web", "CertificateReady"))?.status, "True"), 20_000, 25);
  const serial = ((await store.get({ kind: "Domain", namespace: "default", name: "web" })).status?.certificate as { serial: string }).serial;
  // Fresh connections land on either thread; each must present the certificate.
  for (let i = 0; i < 12; i++) {
    const served = await httpsThroughProxy(proxy.httpsPort, "cluster.example.test", root);
    assert.equal(served.status, 200);
    assert.equal(served.serial, serial);
  }
  assert.equal(running.controller.acme?.orders, 1);
});
