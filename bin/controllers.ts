import { randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DaemonConfig } from "../resources/config.ts";
import type { ResourceStore } from "../store/index.ts";
import { Manager, SharedInformers } from "../controllers/runtime/index.ts";
import type { Logger } from "../lib/logger.ts";
import { createGarbageCollector } from "../controllers/gc/index.ts";
import { NamespaceNetworks, parseAddressPool, pingDocker, type DockerClient } from "../controllers/docker/index.ts";
import { createAppController } from "../controllers/app/index.ts";
import { createNetworkController } from "../controllers/network/index.ts";
import { createDatabaseController } from "../controllers/database/index.ts";
import { createDomainController } from "../controllers/domain/index.ts";
import { RoutedUpstreams } from "../controllers/workloads/routed-upstreams.ts";
import { createGeneratedDomainController } from "../controllers/generated-domain/index.ts";
import { createPreviewsController } from "../controllers/previews/index.ts";
import { createBackupController } from "../controllers/backup/index.ts";
import type { ProxyControl } from "../proxy/control.ts";
import { trustDirectoryCa } from "../proxy/acme/index.ts";
import { BusEventRecorder, type EventBus } from "../controllers/events/index.ts";
import { createBuildControllers } from "../controllers/build/create.ts";
import type { DetectDockerfile } from "../controllers/build/context.ts";
import { detectDockerfile, parseBaseImages } from "../controllers/build/detect/index.ts";

export { createDockerClient } from "../controllers/docker/index.ts";

/** ControllerParts are what the controllers are started with: the daemon's store, bus, proxy and Docker client. */
export interface ControllerParts {
  config: DaemonConfig;
  store: ResourceStore;
  bus: EventBus;
  proxy: ProxyControl;
  docker: DockerClient;
  log: Logger;
  /** onStop registers what stops a part, in start order (the daemon stops them in reverse). */
  onStop(stop: () => Promise<unknown>): void;
}

/**
 * startControllers starts every controller under one manager, with one shared informer per kind. berthd imports
 * this module once its API serves: nothing the API needs is here, and its modules (Docker, ACME, builds,
 * backups, schedules) would otherwise be loaded on the way to serving.
 */
export async function startControllers(parts: ControllerParts): Promise<void> {
  const { config, store, bus, proxy, docker, log, onStop } = parts;
  // Without Docker berthd still serves its API; the controllers retry with backoff and say why in each App's status.
  await pingDocker(docker).catch((error: unknown) => log.warn({ err: error }, `Docker does not answer${config.dockerHost ? ` at ${config.dockerHost}` : ""}: apps will not run until it does (start it with scripts/start-docker.sh)`));
  const manager = new Manager({ store, logger: log });
  // One list, watch and cache per kind, whichever controllers watch it.
  const informers = new SharedInformers(store, { logger: log.child({ component: "informers" }) });
  manager.add(createGarbageCollector(store, log, { informers }));
  const appEvents = new BusEventRecorder({ sink: bus, component: "app-controller", logger: log.child({ component: "events" }) });
  const instance = await ensureInstanceId(config.dataDir);
  // One address pool and one creation at a time per namespace network, for every workload controller.
  const networks = new NamespaceNetworks(docker, { pool: parseAddressPool(config.networkPool), instance });
  // What the proxy routes to, learnt by the Domain controller: the App controller stops no replica still routed.
  const routed = new RoutedUpstreams();
  manager.add(createAppController({ store, docker, instance, networks, informers, routed, recorder: appEvents, logger: log.child({ component: "apps" }) }));
  manager.add(createNetworkController({ store, docker, instance, informers, logger: log }));
  const databaseEvents = new BusEventRecorder({ sink: bus, component: "database-controller", logger: log.child({ component: "events" }) });
  manager.add(createDatabaseController({ store, docker, instance, networks, informers, recorder: databaseEvents, logger: log.child({ component: "databases" }) }));
  const buildEvents = new BusEventRecorder({ sink: bus, component: "build-controller", logger: log.child({ component: "events" }) });
  const settings = { parallelism: config.buildParallelism, memory: config.buildMemory, cpus: config.buildCpus, timeout: config.buildTimeout };
  const baseImages = parseBaseImages(config.buildBaseImages);
  const detect: DetectDockerfile = (dir, app) => detectDockerfile(dir, { baseImages, ...app });
  for (const controller of createBuildControllers({ store, docker, instance, informers, recorder: buildEvents, logger: log.child({ component: "builds" }), dataDir: config.dataDir, settings, detect })) manager.add(controller);
  const domainEvents = new BusEventRecorder({ sink: bus, component: "domain-controller", logger: log.child({ component: "events" }) });
  if (config.acmeCa) trustDirectoryCa(config.acmeDirectory, await readFile(config.acmeCa, "utf8"));
  // ACME account key in Secret berth-system/berth-acme-account; certificates in owned `<domain>-tls` Secrets.
  const domains = createDomainController({ store, proxy, informers, routed, recorder: domainEvents, logger: log.child({ component: "domains" }), acme: { directoryUrl: config.acmeDirectory } });
  manager.add(domains);
  onStop(async () => domains.acme?.stop());
  manager.add(createGeneratedDomainController({
    store, informers, recorder: domainEvents, logger: log.child({ component: "generated-domains" }),
    ...(config.baseDomain ? { generate: { baseDomain: config.baseDomain, tls: config.baseDomainTls } } : {}),
  }));
  manager.add(createPreviewsController({ store, informers, recorder: appEvents, logger: log.child({ component: "previews" }) }));
  const backupEvents = new BusEventRecorder({ sink: bus, component: "backup-controller", logger: log.child({ component: "events" }) });
  const backups = createBackupController({ store, docker, informers, recorder: backupEvents, logger: log.child({ component: "backups" }) });
  manager.add(backups);
  await manager.start();
  onStop(() => manager.stop());
  // Runs and restores under way are aborted (their partial files removed) before the manager's stop is awaited.
  onStop(() => backups.stop());
}

/**
 * ensureInstanceId returns this installation's id, made on first start and kept in the data directory. It is
 * written on the Docker objects berthd makes, so that it never removes another installation's as orphans.
 */
async function ensureInstanceId(dataDir: string): Promise<string> {
  const file = join(dataDir, "instance-id");
  const existing = (await readFile(file, "utf8").catch(() => "")).trim();
  if (existing) return existing;
  const id = randomUUID();
  await writeFile(file, `${id}\n`, { mode: 0o644 });
  return id;
}
