import { X509Certificate } from "node:crypto";
import { request as httpsRequest } from "node:https";
import type { TestContext } from "node:test";
import { admit, type Resource } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { Manager } from "../../../controllers/runtime/index.ts";
import { createDomainController, type DomainController } from "../../../controllers/domain/index.ts";
import { createGarbageCollector } from "../../../controllers/gc/index.ts";
import { trustDirectoryCa } from "../../../proxy/acme/index.ts";
import type { ProxyControl } from "../../../proxy/index.ts";
import { startPebble, type PebbleOptions, type TestPebble } from "../../support/pebble.ts";
import { startBackend, startTestProxy, type Backend } from "../proxy/support.ts";

/** LIMIT bounds every test in this folder. */
export const LIMIT = { timeout: 45_000 } as const;

/** ACME_TIMINGS are the test's order poll and failure backoff (production: 5 s and 5 min). */
export const ACME_TIMINGS = { pollMinMs: 50, retryMinMs: 400, retryMaxMs: 2_000 } as const;

/** AcmeScene is what every ACME test starts from: a backend, a proxy, Pebble validating through that proxy, and a store. */
export interface AcmeScene {
  backend: Backend;
  proxy: ProxyControl;
  pebble: TestPebble;
  store: MemoryStore;
}

/**
 * startAcmeScene starts an AcmeScene (an in-process proxy unless one is given); everything stops after the
 * test. `pebble` adds options such as a short certificate lifetime or refused hosts.
 */
export async function startAcmeScene(t: TestContext, pebble: Omit<PebbleOptions, "httpPort"> = {}, proxy?: ProxyControl): Promise<AcmeScene> {
  const backend = await startBackend("web-0");
  const serving = proxy ?? (await startTestProxy());
  t.after(async () => {
    await serving.close();
    await backend.close();
  });
  return { backend, proxy: serving, pebble: await startPebble(t, { httpPort: serving.httpPort, ...pebble }), store: await MemoryStore.open() };
}

/** startController runs the Domain controller (and the garbage collector) with ACME from `directoryUrl` (trusting `listenerCa`) under a Manager; `stop` ends it. */
export async function startController(
  store: MemoryStore, proxy: ProxyControl, directoryUrl: string, listenerCa: string, timings: { pollMinMs?: number; retryMinMs?: number; retryMaxMs?: number } = {},
): Promise<{ controller: DomainController; stop(): Promise<void> }> {
  trustDirectoryCa(directoryUrl, listenerCa);
  const manager = new Manager({ store, logger: silentLogger() });
  const controller = createDomainController({ store, proxy, logger: silentLogger(), acme: { directoryUrl, ...ACME_TIMINGS, ...timings } });
  manager.add(controller);
  manager.add(createGarbageCollector(store, silentLogger()));
  await manager.start();
  return {
    controller,
    stop: async () => {
      controller.acme?.stop();
      await manager.stop();
    },
  };
}

/** createAcmeDomain stores an App with one ready endpoint on `backendPort` and a Domain for `host` with `tls.mode: acme`. */
export async function createAcmeDomain(store: MemoryStore, name: string, host: string, backendPort: number, tls: Record<string, unknown> = {}): Promise<Resource> {
  const app = await store.create(admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name }, spec: { image: "test:1", port: 8080 } }));
  await store.updateStatus({ ...app, status: { endpoints: [{ replica: `${name}-0`, host: "127.0.0.1", port: backendPort }], readyReplicas: 1 } });
  return store.create(admit({ apiVersion: "berth.dev/v1", kind: "Domain", metadata: { name }, spec: { host, appRef: { name }, tls: { mode: "acme", email: "admin@berth.dev", ...tls } } }));
}

/** conditionOf reads one condition of a stored Domain. */
export async function conditionOf(store: MemoryStore, name: string, type: string): Promise<{ status: string; reason: string; message: string } | undefined> {
  const domain = await store.get({ kind: "Domain", namespace: "default", name });
  return domain.status?.conditions?.find((c) => c.type === type);
}

/** ServedCertificate is an HTTPS answer through the proxy and the certificate it was served with. */
export interface ServedCertificate {
  status: number;
  body: string;
  serial: string;
  issuer: string;
}

/** httpsThroughProxy GETs `https://host/` via the proxy's HTTPS port with SNI `host`, verifying the chain against `root` only. */
export function httpsThroughProxy(port: number, host: string, root: string): Promise<ServedCertificate> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port, path: "/", servername: host, headers: { host }, ca: root, agent: false, timeout: 5_000 }, (res) => {
      const peer = (res.socket as import("node:tls").TLSSocket).getPeerX509Certificate();
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), serial: peer?.serialNumber ?? "", issuer: peer?.issuer ?? "" }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET https://${host}/ timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** storedSerial is the serial of the certificate in a TLS Secret. */
export function storedSerial(secret: Resource): string {
  const pem = Buffer.from((secret.data as Record<string, string>)["tls.crt"]!, "base64").toString("utf8");
  return new X509Certificate(pem).serialNumber;
}
