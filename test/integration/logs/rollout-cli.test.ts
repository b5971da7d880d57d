import { test } from "node:test";
import assert from "node:assert/strict";
import { TEST_IMAGES, WEB_PORT } from "../../support/images.ts";
import { LIMIT, eventually, httpGet, isReady, revisionOf } from "../app/harness.ts";
import { startWorld, type World } from "./world.ts";

/** web is a test web App; `initialDelaySeconds` makes each new replica take a visible moment to become ready. */
const web = (image: string, extra: Record<string, unknown> = {}) => ({
  image, port: WEB_PORT, replicas: 2,
  healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1, initialDelaySeconds: 1 },
  strategy: { type: "Rolling", maxSurge: 1, maxUnavailable: 0, drainSeconds: 0 },
  ...extra,
});

type Endpoint = { host: string; port: number };

async function ready(w: World, name: string, revision: number): Promise<void> {
  await eventually(async () => {
    const app = await w.get(name);
    assert.ok(isReady(app) && app!.status!.revision === revision, `not ready at revision ${revision}: ${JSON.stringify(app?.status?.conditions)}`);
  }, 40_000);
}

/** bodies fetches `/` from every endpoint in the App's status. */
async function bodies(w: World, name: string): Promise<string[]> {
  const endpoints = ((await w.get(name))!.status!.endpoints as Endpoint[]) ?? [];
  return Promise.all(endpoints.map(async (e) => (await httpGet(e.host, e.port)).body));
}

test("rollout status: prints progress while v2 rolls out, then 'successfully rolled out' with exit 0", LIMIT, async (t) => {
  const w = await startWorld(t);
  if (!w) return;
  await w.apply("web", web(TEST_IMAGES.webV1));
  await ready(w, "web", 1);
  await w.apply("web", web(TEST_IMAGES.webV2));
  const started = Date.now();
  const res = await w.berth(["rollout", "status", "app/web", "--timeout", "40s"], 45_000);
  t.diagnostic(`rollout status followed a 2-replica rolling update for ${Date.now() - started} ms:\n${res.stdout}`);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^Waiting for rollout to finish: /m);
  assert.ok(res.stdout.endsWith(`app "web" successfully rolled out\n`), res.stdout);
  assert.equal(new Set(res.stdout.trimEnd().split("\n")).size, res.stdout.trimEnd().split("\n").length, "a progress line was repeated");
  assert.deepEqual((await w.containers("web")).map(revisionOf), [2, 2]);

  const again = await w.berth(["rollout", "status", "web"]);
  assert.equal(again.code, 0);
  assert.equal(again.stdout, `app "web" successfully rolled out\n`);
  const missing = await w.berth(["rollout", "status", "app/nope"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error from server \(NotFound\)/);
});

test("rollout status: a never-healthy revision fails with exit 1 and the reason (ProgressDeadlineExceeded); v1 keeps serving", LIMIT, async (t) => {
  const w = await startWorld(t);
  if (!w) return;
  const strategy = { type: "Rolling", maxSurge: 1, maxUnavailable: 0, drainSeconds: 0, progressDeadlineSeconds: 3 };
  await w.apply("web", web(TEST_IMAGES.webV1, { strategy }));
  await ready(w, "web", 1);
  await w.apply("web", web(TEST_IMAGES.neverHealthy, { strategy, healthCheck: { tcp: {}, intervalSeconds: 1, timeoutSeconds: 1 } }));
  const timedOut = await w.berth(["rollout", "status", "app/web", "--timeout", "1s"]);
  assert.equal(timedOut.code, 1);
  assert.match(timedOut.stderr, /^error: timed out waiting for the condition/);
  const res = await w.berth(["rollout", "status", "app/web", "--timeout", "30s"], 35_000);
  assert.equal(res.code, 1, res.stdout);
  assert.match(res.stderr, /^error: app "web" rollout failed \(ProgressDeadlineExceeded\): revision 2 did not become ready within 3s/);
  assert.equal(res.stderr.trimEnd().split("\n").length, 1, res.stderr);
  assert.deepEqual(await bodies(w, "web"), ["v1", "v1"]);
});

test("rollout history and undo: v1 → v2 → undo → v1 serving again; --to-revision; unknown revision exits 1", LIMIT, async (t) => {
  const w = await startWorld(t);
  if (!w) return;
  await w.apply("web", web(TEST_IMAGES.webV1));
  await ready(w, "web", 1);
  await w.apply("web", web(TEST_IMAGES.webV2));
  await ready(w, "web", 2);
  assert.deepEqual((await bodies(w, "web")).sort(), ["v2", "v2"]);

  const history = await w.berth(["rollout", "history", "app/web"]);
  assert.equal(history.code, 0, history.stderr);
  const lines = history.stdout.trimEnd().split("\n");
  assert.equal(lines[0], "app.berth.dev/web (current revision 2)");
  assert.match(lines[1]!, /^REVISION\s+IMAGE\s+CHANGE\s+CREATED$/);
  assert.match(lines[2]!, new RegExp(`^1\\s+${TEST_IMAGES.webV1}\\s+initial\\s+\\d+s$`));
  assert.match(lines[3]!, new RegExp(`^2\\s+${TEST_IMAGES.webV2}\\s+image ${TEST_IMAGES.webV1} → ${TEST_IMAGES.webV2}\\s+\\d+s$`));
  const one = await w.berth(["rollout", "history", "app/web", "--revision", "1"]);
  assert.match(one.stdout, /^app\.berth\.dev\/web with revision #1\n/);
  assert.match(one.stdout, new RegExp(`image: ${TEST_IMAGES.webV1}`));

  const generation = (await w.get("web"))!.metadata.generation!;
  const undo = await w.berth(["rollout", "undo", "app/web"]);
  assert.equal(undo.code, 0, undo.stderr);
  assert.equal(undo.stdout, "app.berth.dev/web rolled back to revision 1\n");
  const undone = (await w.get("web"))!;
  assert.equal(undone.metadata.generation, generation + 1, "undo is one spec write");
  assert.equal((undone.spec as { image: string }).image, TEST_IMAGES.webV1);
  const status = await w.berth(["rollout", "status", "app/web", "--timeout", "40s"], 45_000);
  assert.equal(status.code, 0, status.stderr);
  await ready(w, "web", 1);
  assert.deepEqual((await bodies(w, "web")).sort(), ["v1", "v1"]);
  await eventually(async () => assert.deepEqual((await w.containers("web")).map(revisionOf), [1, 1]));

  const same = await w.berth(["rollout", "undo", "app/web", "--to-revision", "1"]);
  assert.equal(same.stdout, "app.berth.dev/web skipped rollback (current template already matches revision 1)\n");
  const missing = await w.berth(["rollout", "undo", "app/web", "--to-revision", "9"]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `error: revision 9 not found in the history of app "web" (revisions kept: 1, 2)\n`);

  const forward = await w.berth(["rollout", "undo", "app/web", "--to-revision", "2"]);
  assert.equal(forward.stdout, "app.berth.dev/web rolled back to revision 2\n");
  await ready(w, "web", 2);
  assert.deepEqual((await bodies(w, "web")).sort(), ["v2", "v2"]);
});

test("rollout undo: an App with one revision has nothing to go back to (exit 1)", LIMIT, async (t) => {
  const w = await startWorld(t);
  if (!w) return;
  await w.apply("web", web(TEST_IMAGES.webV1, { replicas: 1 }));
  await ready(w, "web", 1);
  const res = await w.berth(["rollout", "undo", "app/web"]);
  assert.equal(res.code, 1);
  assert.equal(res.stderr, `error: app "web" has no previous revision to roll back to (revisions kept: 1)\n`);
});
