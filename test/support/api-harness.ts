import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RequestHandler } from "express";
import { silentLogger, type Logger } from "../../lib/logger.ts";
import { MemoryStore, type ResourceStore } from "../../store/index.ts";
import { TokenStore } from "../../api/auth/token-store.ts";
import { startApiServer, type ApiTimeouts } from "../../api/server.ts";
import type { AppExtension } from "../../api/app.ts";
import { AuditLog } from "../../api/audit/audit-log.ts";
import { ensureServingCertificate, type ServingCertificate } from "../../api/tls.ts";
import { MemoryEventLog } from "./memory-event-log.ts";

/** TestApiOptions tune startTestApi; everything is optional. */
export interface TestApiOptions {
  /** store to serve (default: a fresh MemoryStore, closed by close()). A given store is left open. */
  store?: ResourceStore;
  /** logger for the server (default: silent). */
  logger?: Logger;
  /** bookmarkIntervalMs overrides the watch BOOKMARK period (default ~10 s). */
  bookmarkIntervalMs?: number;
  /** readiness backs /readyz (default: ready). */
  readiness?: () => string | undefined;
  /** extend mounts extra routes, as berthd's logs endpoint does. */
  extend?: AppExtension;
  /** audit keeps an audit log under `<dir>/audit` (see TestApi.audit). */
  audit?: boolean;
  maxWatchesPerToken?: number;
  timeouts?: Partial<ApiTimeouts>;
  /** hooks builds the webhook routes from the test API's store and event log (default: none). */
  hooks?: (world: { store: ResourceStore; eventLog: MemoryEventLog }) => RequestHandler;
}

/** TestApi is a running API over real HTTPS on a free port, with an admin token and the CA to trust. */
export interface TestApi {
  url: string;
  /** ca is the PEM of the CA that signed the serving certificate. */
  ca: string;
  /** adminToken is a token bound to `admin` in every namespace. */
  adminToken: string;
  store: ResourceStore;
  tokens: TokenStore;
  /** eventLog feeds the events endpoints; call `record()` on it to add events. */
  eventLog: MemoryEventLog;
  /** dir is the temporary directory holding the token file; removed by close(). */
  dir: string;
  /** audit is the audit log, when asked for. */
  audit?: AuditLog;
  close(): Promise<void>;
}

let certificate: Promise<ServingCertificate> | undefined;

/** sharedCertificate makes one serving certificate per test process: creating one per test would only cost time. */
function sharedCertificate(): Promise<ServingCertificate> {
  certificate ??= mkdtemp(join(tmpdir(), "berth-api-tls-")).then((dir) => ensureServingCertificate(dir));
  return certificate;
}

/** startTestApi starts the HTTPS API on 127.0.0.1 and a free port, for tests and benchmarks. */
export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const dir = await mkdtemp(join(tmpdir(), "berth-api-test-"));
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await MemoryStore.open());
  const tokens = await TokenStore.open(join(dir, "tokens.json"));
  const { token: adminToken } = await tokens.create("admin", [{ namespace: "*", role: "admin" }]);
  const eventLog = new MemoryEventLog();
  const tls = await sharedCertificate();
  const audit = options.audit ? await AuditLog.open({ dir: join(dir, "audit"), logger: silentLogger() }) : undefined;
  const server = await startApiServer({
    store, eventLog, tokens, tls, port: 0,
    logger: options.logger ?? silentLogger(),
    ...(options.extend ? { extend: options.extend } : {}),
    ...(audit ? { audit } : {}),
    ...(options.maxWatchesPerToken !== undefined ? { maxWatchesPerToken: options.maxWatchesPerToken } : {}),
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
    ...(options.readiness ? { readiness: options.readiness } : {}),
    ...(options.hooks ? { hooks: options.hooks({ store, eventLog }) } : {}),
  });
  let closing: Promise<void> | undefined;
  const close = async () => {
    await server.close();
    await audit?.close();
    if (ownsStore) await store.close();
    await rm(dir, { recursive: true, force: true });
  };
  return {
    url: server.url,
    ca: tls.ca,
    adminToken,
    store,
    tokens,
    eventLog,
    dir,
    ...(audit ? { audit } : {}),
    close: () => (closing ??= close()),
  };
}
