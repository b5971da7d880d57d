import type { TestContext } from "node:test";
import { admit, type Resource } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { Manager, silentLogger } from "../../../controllers/runtime/index.ts";
import { createDomainController } from "../../../controllers/domain/index.ts";
import type { ProxyControl } from "../../../proxy/index.ts";
import type { Backend } from "./support.ts";

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
