import type { TestContext } from "node:test";
import { admit, NotFoundError, secretValue, type Resource } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { Manager } from "../../../controllers/runtime/index.ts";
import { createAppController } from "../../../controllers/app/index.ts";
import { createGarbageCollector } from "../../../controllers/gc/index.ts";
import { createDatabaseController, containerNameOf, execIn } from "../../../controllers/database/index.ts";
import { inspectContainer, listContainers, ownerFilter, tailLogs, type DockerClient, type ObservedContainer } from "../../../controllers/docker/index.ts";
import { MemoryEventLog } from "../../support/memory-event-log.ts";
import { cleanupNamespace, connectTestDocker, randomNamespace, SKIP_NO_DOCKER } from "../../support/docker.ts";
import { dependencyMissing } from "../../support/ci.ts";
import { ensureDatabaseImage, type DatabaseImageEngine } from "../../support/database-images.ts";

/** LIMIT bounds every test of this folder (the first run builds the engine's image, about a minute). */
export const LIMIT = { timeout: 240_000 } as const;

/** DatabaseHarness is one test's world: a store, the Database, App and garbage controllers, Docker, a fresh namespace. */
export interface DatabaseHarness {
  store: MemoryStore;
  docker: DockerClient;
  namespace: string;
  events: MemoryEventLog;
  /** image is the engine's local image. */
  image: string;
  apply(kind: "Database" | "App" | "Secret", name: string, body: Record<string, unknown>): Promise<Resource>;
  /** restart stops the controllers and starts new ones, as a restarted (or upgraded) berthd would: in-memory state is lost. */
  restart(): Promise<void>;
  get(kind: string, name: string): Promise<Resource | undefined>;
  remove(kind: string, name: string): Promise<void>;
  /** container is the Database's container as Docker sees it (undefined when there is none). */
  container(name: string): Promise<Awaited<ReturnType<typeof inspectContainer>>>;
  appContainers(name: string): Promise<ObservedContainer[]>;
  appLogs(name: string): Promise<string[]>;
  /** password reads a key of the Database's credentials Secret. */
  secret(name: string, key: string): Promise<string | undefined>;
  /** exec runs a command in the Database's container with `env` (passwords go there, as the controller does). */
  exec(name: string, cmd: string[], env?: string[]): Promise<{ exitCode: number | null; output: string }>;
}

/**
 * startDatabaseHarness builds the engine's local image if needed, then starts the controllers. Without Docker
 * the test is skipped loudly, unless CI=true, where it fails. Everything made in Docker is removed in `t.after`.
 */
export async function startDatabaseHarness(t: TestContext, engine: DatabaseImageEngine): Promise<DatabaseHarness | undefined> {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  const image = await ensureDatabaseImage(docker, engine);
  const namespace = randomNamespace("db");
  const store = await MemoryStore.open();
  const events = new MemoryEventLog();
  const logger = silentLogger();
  const launch = async () => {
    const manager = new Manager({ store, logger });
    manager.add(createGarbageCollector(store, logger));
    manager.add(createDatabaseController({ store, docker, recorder: events, logger, stopGraceSeconds: 10, resyncMs: 5_000 }));
    manager.add(createAppController({ store, docker, recorder: events, logger, stopGraceSeconds: 1 }));
    await manager.start();
    return manager;
  };
  let manager = await launch();
  t.after(async () => {
    await manager.stop();
    await cleanupNamespace(docker, namespace);
  });
  const get = async (kind: string, name: string) => {
    try {
      return await store.get({ kind, namespace, name });
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  };
  const ref = (name: string) => ({ kind: "Database", namespace, name });
  return {
    store, docker, namespace, events, image, get,
    async restart() {
      await manager.stop();
      manager = await launch();
    },
    async apply(kind, name, body) {
      const obj = admit({ apiVersion: "berth.dev/v1", kind, metadata: { name, namespace }, ...body });
      const existing = await get(kind, name);
      if (!existing) return store.create(obj);
      return store.update({ ...obj, metadata: { ...existing.metadata, ...obj.metadata, resourceVersion: existing.metadata.resourceVersion! } });
    },
    async remove(kind, name) {
      await store.delete({ kind, namespace, name });
    },
    container: (name) => inspectContainer(docker, containerNameOf(ref(name))),
    appContainers: (name) => listContainers(docker, ownerFilter({ kind: "App", namespace, name })),
    async appLogs(name) {
      const [c] = await listContainers(docker, ownerFilter({ kind: "App", namespace, name }), undefined, false);
      return c ? tailLogs(docker, c.id, 20) : [];
    },
    async secret(name, key) {
      const s = await get("Secret", `${name}-credentials`);
      return s ? secretValue(s as { data?: unknown }, key) : undefined;
    },
    async exec(name, cmd, env = []) {
      return execIn(docker, containerNameOf(ref(name)), cmd, env, 15_000);
    },
  };
}

/** eventually polls `check` until it returns without throwing (or returns true), failing after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
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

/** readyCondition reads the Ready condition of an object. */
export function readyCondition(obj: Resource | undefined) {
  return obj?.status?.conditions?.find((c) => c.type === "Ready");
}

/** isReady: converged and Ready=True. */
export function isReady(obj: Resource | undefined): boolean {
  return !!obj && obj.status?.observedGeneration === obj.metadata.generation && readyCondition(obj)?.status === "True";
}

/**
 * assertNoSecretIn fails when `secret` appears in the container's labels, Env, Cmd, Entrypoint, Args or
 * anything else `docker inspect` shows, or in any recorded event.
 */
export async function secretLeaks(h: DatabaseHarness, dbName: string, secret: string): Promise<string[]> {
  const leaks: string[] = [];
  const info = await h.container(dbName);
  if (info && JSON.stringify(info).includes(secret)) {
    for (const [field, value] of Object.entries({ Labels: info.Config.Labels, Env: info.Config.Env, Cmd: info.Config.Cmd, Entrypoint: info.Config.Entrypoint, Args: info.Args, Path: info.Path }))
      if (JSON.stringify(value ?? null).includes(secret)) leaks.push(`container ${field}`);
    if (leaks.length === 0) leaks.push("docker inspect");
  }
  for (const e of await h.events.list({})) if (JSON.stringify(e).includes(secret)) leaks.push(`event ${e.reason}`);
  const db = await h.get("Database", dbName);
  if (JSON.stringify(db ?? {}).includes(secret)) leaks.push("Database object");
  return leaks;
}
