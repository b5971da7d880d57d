import type { TestContext } from "node:test";
import { admit, type Resource } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { Manager } from "../../../controllers/runtime/index.ts";
import { createDomainController } from "../../../controllers/domain/index.ts";
import type { ProxyControl } from "../../../proxy/index.ts";
import assert from "node:assert/strict";
import { constantLoad, eventually, get, sleep, startBackend, type Backend } from "./support.ts";

/** startRouting runs a MemoryStore and the Domain controller (under a Manager) feeding `proxy`; both stop after the test. */
export async function startRouting(t: TestContext, proxy: ProxyControl): Promise<MemoryStore> {
  const store = await MemoryStore.open();
  const manager = new Manager({ store, logger: silentLogger() });
  manager.add(createDomainController({ store, proxy, logger: silentLogger() }));
  await manager.start();
  t.after(() => manager.stop());
  return store;
}

/** createApp stores an App (admitted, with defaults) whose ready endpoints are `backends`. */
export async function createApp(store: MemoryStore, name: string, backends: Backend[]): Promise<Resource> {
  const created = await store.create(admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name }, spec: { image: "test:1", port: 8080 } }));
  return setEndpoints(store, name, backends, created);
}

/** setEndpoints publishes `backends` as the App's ready endpoints, as the App controller does. */
export async function setEndpoints(store: MemoryStore, name: string, backends: Backend[], current?: Resource): Promise<Resource> {
  const latest = current ?? (await store.get({ kind: "App", namespace: "default", name }));
  const endpoints = backends.map((b) => ({ replica: b.name, host: "127.0.0.1", port: b.port }));
  return store.updateStatus({ ...latest, status: { ...latest.status, endpoints, readyReplicas: endpoints.length } });
}

/** createDomain stores a Domain (admitted, with defaults). */
export async function createDomain(store: MemoryStore, name: string, spec: Record<string, unknown>): Promise<Resource> {
  return store.create(admit({ apiVersion: "berth.dev/v1", kind: "Domain", metadata: { name }, spec: { tls: { mode: "none" }, ...spec } }));
}

/** condition reads one condition of a stored Domain. */
export async function condition(store: MemoryStore, name: string, type: string): Promise<{ status: string; reason: string; message: string } | undefined> {
  const domain = await store.get({ kind: "Domain", namespace: "default", name });
  return domain.status?.conditions?.find((c) => c.type === type);
}

/**
 * rollEndpointsUnderLoad runs the rollout the App controller does, against any proxy: 100 req/s to `roll.test`
 * for 4 s while the App's endpoints move from backends a-0/a-1 to b-0/b-1 (new ones added first, old ones
 * removed, drained, then stopped), and asserts that not one request failed and both sets served.
 */
export async function rollEndpointsUnderLoad(t: TestContext, proxy: ProxyControl): Promise<void> {
  const backends = await Promise.all(["a-0", "a-1", "b-0", "b-1"].map((n) => startBackend(n)));
  const [a0, a1, b0, b1] = backends as [Backend, Backend, Backend, Backend];
  t.after(async () => {
    await proxy.close();
    await Promise.all(backends.map((b) => b.close()));
  });
  const store = await startRouting(t, proxy);
  await createApp(store, "roll", [a0, a1]);
  await createDomain(store, "roll", { host: "roll.test", appRef: { name: "roll" } });
  await eventually(async () => assert.equal((await get(proxy.httpPort, "roll.test")).status, 200));
  const load = constantLoad(proxy.httpPort, "roll.test", 100, 4_000);
  await sleep(1_000);
  await setEndpoints(store, "roll", [a0, a1, b0]);
  await sleep(300);
  await setEndpoints(store, "roll", [a1, b0, b1]);
  await sleep(500); // drain
  await a0.close();
  await sleep(300);
  await setEndpoints(store, "roll", [b0, b1]);
  await sleep(500); // drain
  await a1.close();
  const result = await load;
  t.diagnostic(`sent ${result.sent}, ok ${result.ok}, by backend ${JSON.stringify(result.byBackend)}`);
  assert.deepEqual(result.failures, []);
  assert.ok(result.sent >= 390, `the load ran (${result.sent} requests)`);
  assert.ok((result.byBackend["b-1"] ?? 0) > 0 && (result.byBackend["a-0"] ?? 0) > 0, "both sets served");
}
