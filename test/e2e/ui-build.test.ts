import { test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, seriousViolations, signIn } from "../support/browser.ts";
import { connectTestDocker, randomNamespace, cleanupAfter, SKIP_NO_DOCKER } from "../support/docker.ts";
import { createGitRepo, startGitDaemon } from "../support/git-server.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";
import { startUiWorld } from "../support/ui-world.ts";

/**
 * Builds appear in the UI from discovery like any kind: an App built from git whose Dockerfile fails shows its
 * Build go to Failed live, with the commit, the failed step and the build log.
 */
test("UI builds: a failing Build shows its phase, commit, failed step and log, live", { timeout: 240_000 }, async (t) => {
  const docker = await connectTestDocker();
  if (!docker) {
    if (process.env.CI === "true") throw new Error(SKIP_NO_DOCKER);
    return t.skip(SKIP_NO_DOCKER);
  }
  await ensureTestImages(docker, [TEST_IMAGES.webV1]);
  const repo = await createGitRepo();
  const git = await startGitDaemon(repo.root);
  t.after(async () => {
    await git.stop();
    await repo.remove();
  });
  const world = await startUiWorld(t);
  const namespace = randomNamespace("ui");
  cleanupAfter(t, docker, namespace);
  const commit = await repo.commit({ Dockerfile: `FROM ${TEST_IMAGES.webV1}\nRUN echo compiling the assets && echo "asset pipeline broke" >&2 && exit 7\n` });

  const browser = await launchBrowser(t);
  if (!browser) return;
  t.after(() => browser.close());
  const { page } = browser;
  await signIn(page, world.url, world.adminToken);
  await world.apply(JSON.stringify({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web", namespace }, spec: { build: { git: { url: git.url(repo.name), ref: "main" } }, port: WEB_PORT } }));

  // The Build the App's controller makes shows up in the kind's list, then fails on screen.
  await page.evaluate((ns) => (location.hash = `#/k/builds?ns=${ns}`), namespace);
  const row = page.locator("table.list tbody tr").first();
  await row.waitFor({ timeout: 60_000 });
  assert.match(await row.textContent() ?? "", new RegExp(commit.slice(0, 12)));
  await row.getByRole("link").click();
  await page.locator("[data-phase]").getByText("Failed").waitFor({ timeout: 120_000 });
  assert.equal(await page.locator("[data-commit]").textContent(), commit.slice(0, 12));
  assert.match(await page.locator("[data-failed-step]").textContent() ?? "", /RUN|Step/);
  await page.locator(".title-row [data-health=Failing]").waitFor();
  assert.deepEqual(await seriousViolations(page), [], "the Build's page");
  await page.getByRole("link", { name: "Build log" }).click();
  await page.getByRole("log").getByText("asset pipeline broke").first().waitFor({ timeout: 20_000 });
  await page.getByText("The log is complete.").waitFor();
  assert.deepEqual(await seriousViolations(page), [], "the Build's log");
});
