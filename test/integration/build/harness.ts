import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { admit, NotFoundError, type Resource } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { Manager } from "../../../controllers/runtime/index.ts";
import { createAppController } from "../../../controllers/app/index.ts";
import { createGarbageCollector } from "../../../controllers/gc/index.ts";
import { BUILD_APP_LABEL, buildLogPath, createBuildControllers, imageRepository, type BuildSettings, type DetectDockerfile } from "../../../controllers/build/index.ts";
import { type DockerClient } from "../../../controllers/docker/index.ts";
import { MemoryEventLog } from "../../support/memory-event-log.ts";
import { cleanupNamespace, connectTestDocker, randomNamespace, SKIP_NO_DOCKER } from "../../support/docker.ts";
import { dependencyMissing } from "../../support/ci.ts";
import { ensureTestImages, TEST_IMAGES } from "../../support/images.ts";
import { createGitRepo, type GitRepo } from "../../support/git-server.ts";

/** LIMIT bounds every build test. */
export const LIMIT = { timeout: 120_000 } as const;

/** BuildHarness is one test's world: a store, the App, Build and garbage controllers, Docker, a git repository. */
export interface BuildHarness {
  store: MemoryStore;
  docker: DockerClient;
  namespace: string;
  events: MemoryEventLog;
  dataDir: string;
  repo: GitRepo;
  instance: string;
  apply(kind: string, name: string, body: Record<string, unknown>): Promise<Resource>;
  get(kind: string, name: string): Promise<Resource | undefined>;
  builds(app: string): Promise<Resource[]>;
  log(build: string): Promise<string>;
  /** restart stops the controllers and starts new ones, as a restarted berthd would (jobs in memory lost). */
  restart(): Promise<void>;
}

/** webDockerfile is a Dockerfile FROM the busybox web test image serving `body` at `/`, plus extra steps. */
export function webDockerfile(body: string, ...steps: string[]): string {
  return [`FROM ${TEST_IMAGES.webV1}`, ...steps, `RUN echo ${body} > /www/index.html`].join("\n") + "\n";
}

/**
 * startBuildHarness fails under CI=true when Docker is missing (and skips loudly otherwise). Everything made in
 * Docker (containers, images of the App) and on disk is removed in `t.after`.
 */
export async function startBuildHarness(t: TestContext, options: { settings?: Partial<BuildSettings>; detect?: DetectDockerfile } = {}): Promise<BuildHarness | undefined> {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  await ensureTestImages(docker, [TEST_IMAGES.webV1]);
  const namespace = randomNamespace("bld");
  const store = await MemoryStore.open();
  const events = new MemoryEventLog();
  const dataDir = await mkdtemp(join(tmpdir(), "berth-build-data-"));
  const repo = await createGitRepo();
  const instance = `test-${namespace}`;
  const logger = silentLogger();
  const settings: BuildSettings = { parallelism: 1, memory: "512Mi", cpus: 1, timeout: "90s", ...options.settings };
  const launch = async () => {
    const manager = new Manager({ store, logger });
    manager.add(createGarbageCollector(store, logger));
    manager.add(createAppController({ store, docker, recorder: events, logger, instance, stopGraceSeconds: 1 }));
    for (const c of createBuildControllers({ store, docker, recorder: events, logger, dataDir, instance, settings, ...(options.detect ? { detect: options.detect } : {}) })) manager.add(c);
    await manager.start();
    return manager;
  };
  let manager = await launch();
  const apps = new Set<string>();
  t.after(async () => {
    await manager.stop();
    await cleanupNamespace(docker, namespace);
    for (const app of apps) {
      const images = await docker.listImages({ filters: { reference: [imageRepository({ kind: "App", namespace, name: app })] } });
      for (const image of images) await docker.getImage(image.Id).remove({ force: true }).catch(() => {});
    }
    await rm(dataDir, { recursive: true, force: true });
    await repo.remove();
  });
  const get = async (kind: string, name: string) => {
    try {
      return await store.get({ kind, namespace, name });
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  };
  return {
    store, docker, namespace, events, dataDir, repo, instance, get,
    async apply(kind, name, body) {
      if (kind === "App") apps.add(name);
      const obj = admit({ apiVersion: "berth.dev/v1", kind, metadata: { name, namespace, ...(body.metadata as object | undefined) }, ...body });
      const existing = await get(kind, name);
      if (!existing) return store.create(obj);
      return store.update({ ...obj, metadata: { ...existing.metadata, ...obj.metadata, resourceVersion: existing.metadata.resourceVersion! } });
    },
    async builds(app) {
      return (await store.list("Build", { namespace, labelSelector: `${BUILD_APP_LABEL}=${app}` })).items;
    },
    log: (build) => readFile(buildLogPath(dataDir, namespace, build), "utf8"),
    async restart() {
      await manager.stop();
      manager = await launch();
    },
  };
}

/** phaseOf reads a Build's phase. */
export function phaseOf(build: Resource | undefined): string | undefined {
  return build?.status?.phase as string | undefined;
}

/** reasonOf reads the reason of a Build's (or App's) Ready condition. */
export function reasonOf(obj: Resource | undefined): string | undefined {
  return obj?.status?.conditions?.find((c) => c.type === "Ready")?.reason;
}
