import type { TestContext } from "node:test";
import { admit, NotFoundError, type Resource } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { silentLogger, type Logger } from "../../../lib/logger.ts";
import { Manager } from "../../../controllers/runtime/index.ts";
import { createAppController, type AppController, type AppControllerOptions } from "../../../controllers/app/index.ts";
import { LABELS, listContainers, ownerFilter, type DockerClient, type ObservedContainer } from "../../../controllers/docker/index.ts";
import { MemoryEventLog } from "../../support/memory-event-log.ts";
import { cleanupNamespace, connectTestDocker, randomNamespace, SKIP_NO_DOCKER } from "../../support/docker.ts";
import { dependencyMissing } from "../../support/ci.ts";
import { ensureTestImages } from "../../support/images.ts";

/** LIMIT bounds every test of this folder. */
export const LIMIT = { timeout: 60_000 } as const;

/** Harness is one test's world: a store, the App controller driven by a manager, Docker, and a fresh namespace. */
export interface Harness {
  store: MemoryStore;
  docker: DockerClient;
  namespace: string;
  events: MemoryEventLog;
  controller: AppController;
  /** apply creates or updates App `name` with `spec` (through admission, as the API would). */
  apply(name: string, spec: Record<string, unknown>): Promise<Resource>;
  get(name: string): Promise<Resource | undefined>;
  containers(name: string): Promise<ObservedContainer[]>;
  /** restart stops the manager and starts a new one with a new controller, as a restarted berthd would (in-memory state lost). */
  restart(): Promise<void>;
}

/**
 * startHarness returns undefined (and skips the test, loudly; under CI it fails) when Docker is not reachable.
 * Everything the test makes in Docker is removed in `t.after`, whatever happens.
 */
export async function startHarness(t: TestContext, options: Partial<AppControllerOptions> = {}): Promise<Harness | undefined> {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  await ensureTestImages(docker);
  const namespace = randomNamespace("app");
  const store = await MemoryStore.open();
  const events = new MemoryEventLog();
  const logger: Logger = options.logger ?? silentLogger();
  const launch = async () => {
    const controller = createAppController({ store, docker, recorder: events, logger, stopGraceSeconds: 2, ...options });
    const manager = new Manager({ store, logger });
    manager.add(controller);
    await manager.start();
    return { controller, manager };
  };
  let running = await launch();
  // One hook, in this order: a controller still running would put back what the cleanup removes.
  t.after(async () => {
    await running.manager.stop();
    await cleanupNamespace(docker, namespace);
  });
  const get = async (name: string) => {
    try {
      return await store.get({ kind: "App", namespace, name });
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  };
  return {
    store, docker, namespace, events, get,
    get controller() {
      return running.controller;
    },
    async restart() {
      await running.manager.stop();
      running = await launch();
    },
    async apply(name, spec) {
      const obj = admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name, namespace }, spec });
      const existing = await get(name);
      if (!existing) return store.create(obj);
      return store.update({ ...obj, metadata: { ...existing.metadata, ...obj.metadata, resourceVersion: existing.metadata.resourceVersion! } });
    },
    containers: (name) => listContainers(docker, ownerFilter({ kind: "App", namespace, name })),
  };
}

/** eventually polls `check` until it returns without throwing (or returns true), failing after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false) return value;
      last = new Error("condition returned false");
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs}ms: ${(last as Error)?.message}`, { cause: last });
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** condition reads a condition of an object. */
export function condition(obj: Resource | undefined, type: string) {
  return obj?.status?.conditions?.find((c) => c.type === type);
}

/** isReady: converged, as docs/architecture.md defines it (observedGeneration = generation and Ready=True). */
export function isReady(obj: Resource | undefined): boolean {
  return !!obj && obj.status?.observedGeneration === obj.metadata.generation && condition(obj, "Ready")?.status === "True";
}

/** httpGet fetches `http://host:port/path` with a 2 s bound and returns status and body. */
export async function httpGet(host: string, port: number, path = "/"): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${host}:${port}${path}`, { signal: AbortSignal.timeout(2_000) });
  return { status: res.status, body: (await res.text()).trim() };
}

/** revisionOf reads the revision label of a container. */
export function revisionOf(c: ObservedContainer): number {
  return Number(c.labels[LABELS.revision]);
}
