import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import { admit, NotFoundError, type Resource } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { Manager } from "../../../controllers/runtime/index.ts";
import {
  createContainer, ensureNamespaceNetwork, objectName, ownerLabels, removeContainer, startContainer, type DockerClient,
} from "../../../controllers/docker/index.ts";
import { createBackupController, type BackupController, RUN_REQUESTED, RESTORE_REQUESTED } from "../../../controllers/backup/index.ts";
import { execToString } from "../../../controllers/backup/exec.ts";
import { createDatabaseController } from "../../../controllers/database/index.ts";
import { MemoryEventLog } from "../../support/memory-event-log.ts";
import { cleanupNamespace, connectTestDocker, randomNamespace, SKIP_NO_DOCKER } from "../../support/docker.ts";
import { ensureDatabaseImage, type DatabaseImageEngine } from "../../support/database-images.ts";

/** LIMIT bounds every test of this folder. */
export const LIMIT = { timeout: 300_000 } as const;

/** TestDatabase is a database container started the way the Database controller starts one, with its objects in the store. */
export interface TestDatabase {
  name: string;
  engine: DatabaseImageEngine;
  container: string;
  password: string;
  /** sql runs SQL (psql or mariadb) as the database's user and returns its tab-separated output. */
  sql(query: string): Promise<string>;
  /** redis runs one redis-cli command. */
  redis(...args: string[]): Promise<string>;
}

/** BackupHarness is one test's world: a store, the Backup controller under a manager, Docker and a fresh namespace. */
export interface BackupHarness {
  store: MemoryStore;
  docker: DockerClient;
  namespace: string;
  events: MemoryEventLog;
  /** controller is the running Backup controller (a new one after `restart`). */
  controller: BackupController;
  /** stopControllers stops the controllers and their manager, as a berthd that goes down does. */
  stopControllers(): Promise<void>;
  /** startControllers starts them again on the same store, as a berthd that comes back does. */
  startControllers(): Promise<void>;
  database(engine: DatabaseImageEngine, name?: string): Promise<TestDatabase>;
  apply(kind: string, name: string, body: Record<string, unknown>): Promise<Resource>;
  get(kind: string, name: string): Promise<Resource | undefined>;
  /** runNow asks for a run (as `berth backup run` does) and waits until it ends; returns lastRun. */
  runNow(backup: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** restoreNow asks for a restore (as `berth restore` does) and waits until it ends; returns lastRestore. */
  restoreNow(backup: string, database: string, snapshot?: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** requireDocker connects to Docker; without it the test fails under CI and skips (loudly) elsewhere. */
export async function requireDocker(t: TestContext): Promise<DockerClient | undefined> {
  const docker = await connectTestDocker();
  if (docker) return docker;
  if (process.env.CI === "true") throw new Error("no Docker Engine answers");
  t.diagnostic(SKIP_NO_DOCKER);
  t.skip(SKIP_NO_DOCKER);
  return undefined;
}

/**
 * startBackupHarness starts the Backup controller (and, with `databases`, the Database controller beside it,
 * as berthd runs them) on an in-memory store. Everything made in Docker is removed after the test.
 */
export async function startBackupHarness(t: TestContext, options: { databases?: boolean } = {}): Promise<BackupHarness | undefined> {
  const docker = await requireDocker(t);
  if (!docker) return undefined;
  const namespace = randomNamespace("bk");
  const store = await MemoryStore.open();
  const events = new MemoryEventLog();
  const logger = silentLogger();
  // An instance of its own: another berthd or test on this Docker Engine never takes these containers for orphans.
  const instance = randomNamespace("instance");
  let running: { controller: BackupController; manager: Manager } | undefined;
  const startControllers = async () => {
    const controller = createBackupController({ store, docker, recorder: events, logger });
    const manager = new Manager({ store, logger });
    manager.add(controller);
    if (options.databases) manager.add(createDatabaseController({ store, docker, recorder: events, logger, stopGraceSeconds: 10, resyncMs: 5_000, instance }));
    await manager.start();
    running = { controller, manager };
  };
  const stopControllers = async () => {
    if (!running) return;
    const { controller, manager } = running;
    running = undefined;
    await controller.stop();
    await manager.stop();
  };
  await startControllers();
  const containers: string[] = [];
  t.after(async () => {
    await stopControllers();
    for (const id of containers) await removeContainer(docker, id, 0).catch(() => {});
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
  const apply = async (kind: string, name: string, body: Record<string, unknown>) => {
    const obj = admit({ apiVersion: "berth.dev/v1", kind, metadata: { name, namespace, ...((body.metadata as object) ?? {}) }, ...body, ...(body.metadata ? { metadata: { name, namespace, ...(body.metadata as object) } } : {}) });
    const existing = await get(kind, name);
    if (!existing) return store.create(obj);
    return store.update({ ...obj, metadata: { ...existing.metadata, ...obj.metadata, resourceVersion: existing.metadata.resourceVersion! } });
  };
  const annotate = async (name: string, key: string, value: string) => {
    const existing = (await get("Backup", name))!;
    await store.update({ ...existing, metadata: { ...existing.metadata, annotations: { ...existing.metadata.annotations, [key]: value } } });
  };
  return {
    store, docker, namespace, events, apply, get, stopControllers, startControllers,
    get controller() {
      if (!running) throw new Error("the controllers are stopped");
      return running.controller;
    },
    database: async (engine, name = engine) => {
      const db = await startTestDatabase(docker, namespace, engine, name, apply);
      containers.push(db.container);
      return db;
    },
    runNow: async (backup, timeoutMs = 240_000) => {
      const request = randomBytes(4).toString("hex");
      await annotate(backup, RUN_REQUESTED, request);
      return eventually(async () => {
        const b = await get("Backup", backup);
        const last = b?.status?.lastRun as Record<string, unknown> | undefined;
        if (b?.status?.handledRunRequest !== request || !last || last.result === "Running") throw new Error(`run ${request} not finished: ${JSON.stringify(last)}`);
        return last;
      }, timeoutMs, 200);
    },
    restoreNow: async (backup, database, snapshot, timeoutMs = 240_000) => {
      const id = randomBytes(4).toString("hex");
      await annotate(backup, RESTORE_REQUESTED, JSON.stringify({ id, database, ...(snapshot ? { snapshot } : {}) }));
      return eventually(async () => {
        const last = (await get("Backup", backup))?.status?.lastRestore as Record<string, unknown> | undefined;
        if (last?.id !== id || last.result === "Running") throw new Error(`restore ${id} not finished: ${JSON.stringify(last)}`);
        return last;
      }, timeoutMs, 200);
    },
  };
}

/**
 * startTestDatabase runs `engine`'s image as the Database controller would (its object name, owner labels,
 * namespace network, alias), stores the Database and its `<name>-credentials` Secret, and waits until the
 * engine answers over TCP (the images' init phase listens on the socket only).
 */
export async function startTestDatabase(
  docker: DockerClient, namespace: string, engine: DatabaseImageEngine, name: string,
  apply: (kind: string, name: string, body: Record<string, unknown>) => Promise<Resource>,
): Promise<TestDatabase> {
  const image = await ensureDatabaseImage(docker, engine);
  const password = `pw-${randomBytes(9).toString("hex")}`;
  const rootPassword = `root-${randomBytes(9).toString("hex")}`;
  const user = "app";
  const database = "appdb";
  const env: Record<DatabaseImageEngine, string[]> = {
    postgres: [`POSTGRES_USER=${user}`, `POSTGRES_PASSWORD=${password}`, `POSTGRES_DB=${database}`],
    mariadb: [`MARIADB_ROOT_PASSWORD=${rootPassword}`, `MARIADB_USER=${user}`, `MARIADB_PASSWORD=${password}`, `MARIADB_DATABASE=${database}`],
    redis: [`REDIS_PASSWORD=${password}`],
  };
  // Redis reads its password from a config file written at start, so it is on no command line.
  const cmd = engine === "redis" ? ["sh", "-c", 'printf "requirepass %s\\nappendonly yes\\n" "$REDIS_PASSWORD" > /tmp/berth-redis.conf && exec docker-entrypoint.sh /tmp/berth-redis.conf'] : undefined;
  const owner = { kind: "Database", namespace, name };
  const network = await ensureNamespaceNetwork(docker, namespace);
  const id = await createContainer(docker, {
    name: objectName(owner), Image: image, Env: env[engine], Labels: ownerLabels(owner),
    ...(cmd ? { Entrypoint: [], Cmd: cmd } : {}),
    HostConfig: { NetworkMode: network },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [name] } } },
  });
  await startContainer(docker, id);
  const secretData: Record<string, string> = { user, password, database, ...(engine === "mariadb" ? { "root-password": rootPassword } : {}) };
  await apply("Secret", `${name}-credentials`, { data: Object.fromEntries(Object.entries(secretData).map(([k, v]) => [k, Buffer.from(v).toString("base64")])) });
  await apply("Database", name, { spec: { engine, image } });
  const db: TestDatabase = {
    name, engine, container: id, password,
    sql: (query) =>
      engine === "postgres"
        ? execToString(docker, { container: id, cmd: ["psql", "-h", "127.0.0.1", "-U", user, "-d", database, "-tA", "-v", "ON_ERROR_STOP=1", "-c", query], env: { PGPASSWORD: password } })
        : execToString(docker, { container: id, cmd: ["mariadb", "-h", "127.0.0.1", "-u", user, "-N", "-B", database, "-e", query], env: { MYSQL_PWD: password } }),
    redis: (...args) => execToString(docker, { container: id, cmd: ["redis-cli", ...args], env: { REDISCLI_AUTH: password } }),
  };
  await eventually(async () => {
    if (engine === "redis") {
      if (!(await db.redis("PING")).includes("PONG")) throw new Error("no PONG");
    } else await db.sql("select 1");
  }, 180_000, 500);
  return db;
}

/** eventually polls `check` until it returns without throwing, failing after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs}ms: ${(last as Error)?.message}`, { cause: last });
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
