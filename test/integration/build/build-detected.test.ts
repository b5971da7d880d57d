import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually, httpGet, isReady } from "../app/harness.ts";
import { DEFAULT_BASE_IMAGES, detectDockerfile } from "../../../controllers/build/detect/index.ts";
import { startGitDaemon } from "../../support/git-server.ts";
import { TEST_IMAGES, WEB_PORT } from "../../support/images.ts";
import { LIMIT, phaseOf, startBuildHarness } from "./harness.ts";

type Endpoint = { host: string; port: number };

test("builds: a repository without a Dockerfile is built with the detected stack's Dockerfile and served", LIMIT, async (t) => {
  // The static stack serves with busybox's httpd when its base image names busybox: the busybox test image, under such a name.
  const repo = "berth-test/busybox-for-detected-builds";
  const base = `${repo}:${process.pid}`;
  const h = await startBuildHarness(t, { detect: (dir, app) => detectDockerfile(dir, { baseImages: { ...DEFAULT_BASE_IMAGES, static: base }, ...app }) });
  if (!h) return;
  await h.docker.getImage(TEST_IMAGES.webV1).tag({ repo, tag: String(process.pid) });
  t.after(() => h.docker.getImage(base).remove().catch(() => {}));
  const daemon = await startGitDaemon(h.repo.root);
  t.after(() => daemon.stop());
  await h.repo.commit({ "index.html": "detected-site\n" });
  await h.apply("App", "site", { spec: { build: { git: { url: daemon.url(h.repo.name), ref: "main" } }, port: WEB_PORT } });
  await eventually(async () => {
    const a = await h.get("App", "site");
    assert.ok(isReady(a), JSON.stringify(a?.status?.conditions));
    const e = (a!.status!.endpoints as Endpoint[])[0]!;
    assert.equal((await httpGet(e.host, e.port)).body, "detected-site");
  }, 90_000, 200);
  const [build] = await h.builds("site");
  assert.equal(phaseOf(build), "Succeeded");
  assert.equal(build!.status!.stack, "static");
  assert.equal((build!.spec as { strategy: string }).strategy, "detected");
  assert.match(await h.log(build!.metadata.name), /generated one for the detected stack static/);
});
