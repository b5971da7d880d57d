import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { eventually } from "../app/harness.ts";
import type { Resource } from "../../../resources/index.ts";
import type { DockerClient } from "../../../controllers/docker/index.ts";
import { startGitDaemon, processesMentioning } from "../../support/git-server.ts";
import { WEB_PORT } from "../../support/images.ts";
import { LIMIT, phaseOf, reasonOf, startBuildHarness, webDockerfile, type BuildHarness } from "./harness.ts";

/** slowDockerfile has a RUN step that sleeps for 5 minutes, its shell's command line carrying `marker`. */
function slowDockerfile(marker: string): string {
  return webDockerfile("slow", `RUN echo starting ${marker} && sleep 300 && echo ${marker}`);
}

/** leftovers lists what is left of a step that mentions `marker`: processes, and containers (any state). */
async function leftovers(docker: DockerClient, marker: string): Promise<string[]> {
  const containers = await docker.listContainers({ all: true });
  return [...(await processesMentioning(marker)), ...containers.filter((c) => c.Command.includes(marker)).map((c) => `container ${c.Id.slice(0, 12)} ${c.State}`)];
}

/** startSlowApp pushes a slow commit, applies the App, and waits until its build's RUN step is running. */
async function startSlowApp(h: BuildHarness, url: string, marker: string, extra: Record<string, unknown> = {}): Promise<Resource> {
  await h.repo.commit({ Dockerfile: slowDockerfile(marker) });
  await h.apply("App", "web", { spec: { build: { git: { url, ref: "main", ...extra } }, port: WEB_PORT } });
  const build = await eventually(async () => {
    const [b] = await h.builds("web");
    assert.equal(phaseOf(b), "Running");
    return b!;
  }, 60_000, 100);
  await eventually(async () => assert.ok((await processesMentioning(marker)).length > 0, "the RUN step is running"), 60_000, 100);
  return build;
}

async function gone(h: BuildHarness, marker: string): Promise<void> {
  await eventually(async () => assert.deepEqual(await leftovers(h.docker, marker), []), 20_000, 100);
}

test("build cancel: a newer commit supersedes a running build (its RUN process and container are gone) and is built instead", LIMIT, async (t) => {
  const h = await startBuildHarness(t);
  if (!h) return;
  const daemon = await startGitDaemon(h.repo.root);
  t.after(() => daemon.stop());
  const marker = `marker-${randomBytes(6).toString("hex")}`;
  const slow = await startSlowApp(h, daemon.url(h.repo.name), marker, { pollInterval: "1s" });
  await h.repo.commit({ Dockerfile: webDockerfile("fast") });
  await eventually(async () => {
    const b = await h.get("Build", slow.metadata.name);
    assert.equal(phaseOf(b), "Cancelled");
    assert.equal(reasonOf(b), "Superseded");
  }, 30_000, 100);
  await gone(h, marker);
  await eventually(async () => {
    const builds = await h.builds("web");
    assert.ok(builds.some((b) => phaseOf(b) === "Succeeded"), JSON.stringify(builds.map((b) => [b.metadata.name, phaseOf(b)])));
  }, 60_000, 200);
});

test("build cancel: spec.cancelled stops the build process itself; deleting a Build does too", LIMIT, async (t) => {
  const h = await startBuildHarness(t);
  if (!h) return;
  const daemon = await startGitDaemon(h.repo.root);
  t.after(() => daemon.stop());
  const marker = `marker-${randomBytes(6).toString("hex")}`;
  const build = await startSlowApp(h, daemon.url(h.repo.name), marker);
  await h.store.update({ ...build, spec: { ...(build.spec as object), cancelled: true } });
  await eventually(async () => {
    const b = await h.get("Build", build.metadata.name);
    assert.equal(phaseOf(b), "Cancelled");
    assert.equal(reasonOf(b), "Cancelled");
  }, 30_000, 100);
  await gone(h, marker);
  const app = await h.get("App", "web");
  assert.equal(reasonOf(app), "BuildFailed", "the App says its only build did not produce an image");

  // A new commit gives a new Build; deleting it stops its step as well.
  const marker2 = `marker-${randomBytes(6).toString("hex")}`;
  await h.repo.commit({ Dockerfile: slowDockerfile(marker2) });
  await h.apply("App", "web", { spec: { build: { git: { url: daemon.url(h.repo.name), ref: "main", pollInterval: "1s" } }, port: WEB_PORT } });
  const second = await eventually(async () => {
    const b = (await h.builds("web")).find((x) => x.metadata.name !== build.metadata.name);
    assert.equal(phaseOf(b), "Running");
    return b!;
  }, 60_000, 100);
  await eventually(async () => assert.ok((await processesMentioning(marker2)).length > 0), 60_000, 100);
  await h.store.delete({ kind: "Build", namespace: h.namespace, name: second.metadata.name });
  await gone(h, marker2);
});

test("build cancel: a Build left Running by a stopped controller is Failed (Interrupted) on the next start, never Running", LIMIT, async (t) => {
  const h = await startBuildHarness(t);
  if (!h) return;
  const daemon = await startGitDaemon(h.repo.root);
  t.after(() => daemon.stop());
  const marker = `marker-${randomBytes(6).toString("hex")}`;
  const build = await startSlowApp(h, daemon.url(h.repo.name), marker);
  await h.restart();
  await eventually(async () => {
    const b = await h.get("Build", build.metadata.name);
    assert.equal(phaseOf(b), "Failed");
    assert.equal(reasonOf(b), "Interrupted");
  }, 30_000, 100);
  await gone(h, marker);
});
