import { hostname } from "node:os";
import { join } from "node:path";
import type { DaemonConfig } from "../resources/config.ts";
import { openDurableStore, type ResourceStore, type Watch } from "../store/index.ts";
import type { Logger } from "../lib/logger.ts";
import type { DockerClient } from "../controllers/docker/index.ts";
// From the modules themselves, not proxy/index.ts: the daemon's thread runs no forwarding code (the proxy's threads do), so it
// does not load the data plane and http-proxy.
import { startProxy } from "../proxy/start.ts";
import type { ProxyControl } from "../proxy/control.ts";
import {
  BusEventRecorder, JetStreamEventLog, connectBus, loadNatsClientAuth, publishStoreChanges, startEmbeddedNats,
  type EmbeddedNats, type EventBus,
} from "../controllers/events/index.ts";
import type { ManifestSync } from "../controllers/manifests/index.ts";
import { ensureServingCertificate, startApiServer, TokenStore, type ApiServer } from "../api/index.ts";
import { AuditLog } from "../api/audit/audit-log.ts";
import { combineExtensions } from "../api/app.ts";
import { statsExtension } from "../api/routes/app-stats.ts";
import { logsExtension } from "../api/routes/logs.ts";
import { backupActionsExtension } from "../api/routes/backup-actions.ts";
import { uiExtension } from "../api/routes/ui.ts";
import { buildLogsExtension } from "../api/routes/build-logs.ts";
import { hookRoutes } from "../api/routes/hooks.ts";
import { DeliveryLog } from "../api/hooks/delivery-log.ts";
import { accessFilesIn, readCliToken, writeAccessFiles, type AccessFiles } from "../api/access-files.ts";

/** Daemon is a running berthd: every part, in the order it was started, so it can be stopped in reverse. */
export interface Daemon {
  store: ResourceStore;
  api: ApiServer;
  proxy: ProxyControl;
  access: AccessFiles;
  stop(): Promise<void>;
}

/**
 * startDaemon brings berthd up: store (crash-safe, loaded before anything reads it), NATS (embedded unless
 * `--nats-url`), the event bus and recorder, the API with its certificate and tokens, then the controllers and
 * the manifests directory. Anything that fails half-way stops what was already started.
 */
export async function startDaemon(config: DaemonConfig, log: Logger): Promise<Daemon> {
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => log.warn({ err: error }, "error while stopping"));
  };
  // The proxy's threads start in the background: the controllers wait for them, the API does not.
  let proxyStarting: Promise<ProxyControl> | undefined;
  let proxyInStops = false;
  try {
    const started = Date.now();
    // The store and NATS start side by side, with the API's credentials.
    const [opened, messaging, credentials] = await Promise.allSettled([openStore(config, log), startMessaging(config, log), loadCredentials(config)]);
    // Stops are registered in dependency order whatever finished first: on the way down, the bus goes first
    // (flushing into NATS), then NATS, then the store; the proxy is stopped before all three.
    if (opened.status === "fulfilled") stops.push(() => opened.value.close());
    if (messaging.status === "fulfilled") {
      const { nats, bus } = messaging.value;
      if (nats) stops.push(() => nats.stop());
      stops.push(() => bus.close());
    }
    for (const result of [opened, messaging, credentials]) if (result.status === "rejected") throw result.reason;
    const store = (opened as PromiseFulfilledResult<ResourceStore>).value;
    const { bus } = (messaging as PromiseFulfilledResult<Awaited<ReturnType<typeof startMessaging>>>).value;
    const { tokens, tls } = (credentials as PromiseFulfilledResult<Awaited<ReturnType<typeof loadCredentials>>>).value;
    log.info({ revision: store.revision(), ms: Date.now() - started }, "store and NATS started");

    const changes: Watch = publishStoreChanges(store, bus);
    stops.push(async () => changes.close());
    const recorder = new BusEventRecorder({ sink: bus, component: "berthd", logger: log.child({ component: "events" }) });
    const eventLog = new JetStreamEventLog({ connection: bus.connection, logger: log.child({ component: "event-log" }) });

    // The API serves before Docker's client is loaded (only its logs and stats endpoints need it, and wait for it).
    const dockerLoading = deferred<DockerClient>();
    // /readyz says what is still starting: the proxy's threads, then the controllers, then the manifests directory.
    let starting: string | undefined = "proxy";
    // Users' writes and refused requests, as JSON lines (docs/api-security.md).
    const audit = await AuditLog.open({ dir: join(config.dataDir, "audit"), logger: log.child({ component: "audit" }) });
    stops.push(() => audit.close());
    const api = await startApiServer({
      store, eventLog, tokens, audit, maxWatchesPerToken: config.maxWatchesPerToken,
      logger: log.child({ component: "api" }), tls, port: config.apiPort, host: config.apiHost,
      extend: combineExtensions(
        logsExtension({ store, docker: dockerLoading.promise }), statsExtension({ store, docker: dockerLoading.promise }),
        buildLogsExtension({ store, dataDir: config.dataDir }), backupActionsExtension({ store }), uiExtension(),
      ),
      readiness: () => starting,
      hooks: hookRoutes({
        store, logger: log.child({ component: "webhooks" }),
        recorder: new BusEventRecorder({ sink: bus, component: "webhooks", logger: log.child({ component: "events" }) }),
        deliveries: new DeliveryLog({ file: join(config.dataDir, "webhook-deliveries.json") }),
      }),
    });
    stops.push(() => api.close());
    // The proxy's threads start once the API serves: booting them (~400 ms of CPU each) alongside the store's
    // load would slow the daemon's start on a small machine. Its fallback certificate is the API's.
    proxyStarting = startProxy({ http: { port: config.httpPort }, https: { port: config.httpsPort }, fallback: { cert: tls.cert, key: tls.key }, logger: log.child({ component: "proxy" }), logLevel: config.logLevel });
    proxyStarting.catch(() => {}); // awaited below; this only keeps an early failure from being reported as unhandled
    const access = accessFilesIn(config.clientConfigDir);
    await ensureAdminAccess(tokens, access, { server: clientUrl(config, api.port), ca: tls.ca }, log);

    const proxy = await proxyStarting;
    stops.push(() => proxy.close());
    proxyInStops = true;
    log.info({ ms: Date.now() - started }, "proxy started");
    starting = "controllers";
    // The controllers and the Docker client are imported only now: the API serves without them, and loading them
    // before it listens would put their modules' load on the path to serving.
    const { createDockerClient, startControllers } = await import("./controllers.ts");
    // Loading dockerode blocks the event loop for ~150 ms: done once the API has been answering for a while.
    createDockerClient(config.dockerHost).then(dockerLoading.resolve, dockerLoading.reject);
    const docker = await dockerLoading.promise;
    await startControllers({ config, store, bus, proxy, docker, log, onStop: (stop) => void stops.push(stop) });

    starting = config.manifests ? "manifests directory" : undefined;
    let manifests: ManifestSync | undefined;
    if (config.manifests) {
      // Imported only when used: the directory watcher and YAML parser are not needed by most daemons.
      const { startManifestSync } = await import("../controllers/manifests/index.ts");
      manifests = await startManifestSync({ dir: config.manifests, store, recorder, logger: log.child({ component: "manifests" }) });
      stops.push(() => manifests!.close());
    }
    starting = undefined;
    log.info({ api: api.url, ms: Date.now() - started, objects: "loaded" }, `berthd ready on ${api.url}`);
    return { store, api, proxy, access, stop: stopAll };
  } catch (error) {
    if (!proxyInStops) await proxyStarting?.then((proxy) => proxy.close(), () => {});
    await stopAll();
    throw error;
  }
}

/** deferred is a promise with its settle functions, for a dependency made after its first user is. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => ((resolve = ok), (reject = fail)));
  promise.catch(() => {}); // a failure is awaited where Docker is first needed
  return { promise, resolve, reject };
}

/** clientUrl is the API address written into client configs: loopback when listening on every address. */
function clientUrl(config: DaemonConfig, port: number): string {
  const host = config.apiHost === "0.0.0.0" || config.apiHost === "::" ? "127.0.0.1" : config.apiHost;
  return `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * ensureAdminAccess writes the CLI config and kubeconfig on first start. Later starts keep both, unless the
 * token they hold no longer authenticates (revoked, or a new data directory): then a new admin token is made.
 */
async function ensureAdminAccess(tokens: TokenStore, files: AccessFiles, target: { server: string; ca: string }, log: Logger): Promise<void> {
  const existing = await readCliToken(files);
  if (existing && tokens.authenticate(existing)) return;
  const taken = new Set(tokens.list().map((t) => t.name));
  let name = "admin";
  for (let i = 2; taken.has(name); i++) name = `admin-${i}`;
  const { token } = await tokens.create(name, [{ namespace: "*", role: "admin" }]);
  await writeAccessFiles(files, { server: target.server, token, ca: target.ca });
  log.info({ cliConfig: files.cliConfig, kubeconfig: files.kubeconfig, tokenName: name }, "wrote an admin token to the CLI config and kubeconfig");
}

/** openStore opens the durable store; a failed journal write makes berthd exit so the next start recovers from disk. */
function openStore(config: DaemonConfig, log: Logger): Promise<ResourceStore> {
  return openDurableStore({
    dataDir: config.dataDir,
    logger: log.child({ component: "store" }),
    onPersistenceFailure: (error) => {
      log.fatal({ err: error }, "the store could not write its journal; exiting so that a restart recovers from disk");
      log.flush();
      setTimeout(() => process.exit(70), 100).unref();
    },
  });
}

/**
 * startMessaging starts the embedded nats-server (unless `--nats-url`) and connects the event bus: with the
 * embedded server's own credentials, or with `--nats-creds` and `--nats-ca` for a server of the operator's.
 */
async function startMessaging(config: DaemonConfig, log: Logger): Promise<{ nats?: EmbeddedNats; bus: EventBus }> {
  if (!config.natsUrl && (config.natsCreds || config.natsCa)) log.warn("--nats-creds and --nats-ca apply to --nats-url only; the embedded nats-server uses its own credentials");
  const external = config.natsUrl ? await loadNatsClientAuth({ credsFile: config.natsCreds, caFile: config.natsCa }) : undefined;
  const nats = config.natsUrl ? undefined : await startEmbeddedNats({ dataDir: config.dataDir, logger: log.child({ component: "nats-server" }) });
  try {
    const bus = await connectBus({ url: config.natsUrl ?? nats!.url, auth: nats ? nats.auth : external!, logger: log.child({ component: "bus" }) });
    return nats ? { nats, bus } : { bus };
  } catch (error) {
    await nats?.stop();
    throw error;
  }
}

/** loadCredentials loads the API's tokens and serving certificate (made on first start); the proxy's fallback certificate is the same. */
async function loadCredentials(config: DaemonConfig) {
  const tokens = await TokenStore.open(join(config.dataDir, "tokens.json"));
  const tls = await ensureServingCertificate(join(config.dataDir, "tls"), [hostname(), ...(config.apiHost === "0.0.0.0" ? [] : [config.apiHost])]);
  return { tokens, tls };
}
