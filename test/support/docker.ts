import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import {
  LABELS, createDockerClient, listContainers, listVolumes, pingDocker, removeContainer, removeNamespaceNetwork, removeVolume,
  type DockerClient,
} from "../../controllers/docker/index.ts";

/**
 * connectTestDocker returns a client for the local Engine, or undefined when none answers: Docker tests then
 * call dependencyMissing (test/support/ci.ts), which skips them loudly, or fails them under CI.
 */
export async function connectTestDocker(): Promise<DockerClient | undefined> {
  const docker = await createDockerClient(process.env.BERTH_DOCKER_HOST);
  try {
    await pingDocker(docker, 3_000);
    return docker;
  } catch {
    return undefined;
  }
}

/** SKIP_NO_DOCKER is the skip message of Docker tests on a machine without a Docker Engine. */
export const SKIP_NO_DOCKER = "SKIPPED: no Docker Engine answers (start one with scripts/start-docker.sh)";

/** randomNamespace is a fresh namespace name for one test, so tests never see each other's containers. */
export function randomNamespace(prefix = "t"): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/**
 * cleanupNamespace removes every container and volume labelled with `namespace`, then its network: what a
 * test made, whatever state it left things in.
 */
export async function cleanupNamespace(docker: DockerClient, namespace: string): Promise<void> {
  const label = `${LABELS.namespace}=${namespace}`;
  for (const container of await listContainers(docker, label)) await removeContainer(docker, container.id, 0);
  for (const volume of await listVolumes(docker, label)) await removeVolume(docker, volume);
  await removeNamespaceNetwork(docker, namespace);
}

/** cleanupAfter registers `cleanupNamespace` for the end of test `t`. */
export function cleanupAfter(t: TestContext, docker: DockerClient, namespace: string): void {
  t.after(() => cleanupNamespace(docker, namespace));
}

/**
 * requireTestDocker returns a client for the local Engine, and fails the test (never skips it) when none
 * answers: the test command starts Docker (scripts/start-docker.sh), so a missing Engine is a broken set-up.
 */
export async function requireTestDocker(t: TestContext): Promise<DockerClient> {
  const docker = await connectTestDocker();
  if (!docker) {
    t.diagnostic(SKIP_NO_DOCKER);
    throw new Error("no Docker Engine answers: run scripts/start-docker.sh (the test command does)");
  }
  return docker;
}
