import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { startDaemon, removeDirs } from "../support/daemon.ts";
import { ApiClient } from "../support/https-client.ts";
import { connectTestDocker, randomNamespace, cleanupNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { dependencyMissing } from "../support/ci.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";

type WatchEvent = { type: string; object: { status?: { conditions?: Array<{ type: string; status: string }> } } };
const isReady = (e: WatchEvent) => e.object.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";

/**
 * One App's slow step must not stall the others: while berthd waits out the 10 s stop grace of a replica that
 * ignores SIGTERM, another App is created and becomes Ready as fast as usual.
 */
test("an App being scaled down slowly does not hold up another App's start", { timeout: 90_000 }, async (t) => {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  await ensureTestImages(docker, [TEST_IMAGES.webV1]);
  const daemon = await startDaemon();
  const namespace = randomNamespace("e2e-iso");
  t.after(async () => {
    await daemon.stop();
    await cleanupNamespace(docker, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir);
  });
  const { token, ca } = parse(await readFile(join(daemon.clientDir, "config.yaml"), "utf8")) as { token: string; ca: string };
  const api = new ApiClient(daemon.url, ca, token, { keepAlive: true });
  t.after(() => api.close());
  const path = `/apis/berth.dev/v1/namespaces/${namespace}/apps`;
  const watchReady = async (name: string, timeoutMs: number) => {
    const watch = await api.watch(`${path}?watch=1&fieldSelector=metadata.name%3D${name}`);
    return { ready: () => watch.nextMatching(isReady, timeoutMs).finally(() => watch.close()) };
  };

  const stubbornReady = await watchReady("stubborn", 60_000);
  const stubborn = {
    apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "stubborn", namespace },
    spec: { image: TEST_IMAGES.webV1, replicas: 2, port: WEB_PORT, command: ["/bin/sh", "-c", `trap '' TERM; httpd -f -p ${WEB_PORT} -h /www`], strategy: { drainSeconds: 0 } },
  };
  assert.equal((await api.post(path, stubborn)).status, 201);
  await stubbornReady.ready();

  // Scaling down stops a replica that ignores SIGTERM: berthd waits the 10 s grace before it is killed.
  const scaled = await api.patch(`${path}/stubborn`, { spec: { replicas: 1 } }, "application/merge-patch+json");
  assert.equal(scaled.status, 200, scaled.text);
  await new Promise((r) => setTimeout(r, 300));

  const otherReady = await watchReady("other", 60_000);
  const started = Date.now();
  assert.equal((await api.post(path, { apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "other", namespace }, spec: { image: TEST_IMAGES.webV1, port: WEB_PORT } })).status, 201);
  await otherReady.ready();
  const elapsed = Date.now() - started;
  t.diagnostic(`another App was Ready ${elapsed} ms after its creation, during the other's 10 s stop`);
  assert.ok(elapsed < 5_000, `another App waited ${elapsed} ms: it was held up by the slow scale-down`);
});
