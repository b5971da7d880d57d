import { test } from "node:test";
import assert from "node:assert/strict";
import { TEST_IMAGES, WEB_PORT } from "../../support/images.ts";
import { containerName } from "../../../controllers/app/index.ts";
import { LIMIT, condition, eventually, httpGet, isReady, revisionOf, startHarness } from "./harness.ts";

const web = (image: string, extra: Record<string, unknown> = {}) => ({
  image, port: WEB_PORT, healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 }, ...extra,
});

type Endpoint = { replica: string; host: string; port: number };

test("app rollout: v1 → v2 rolls replica by replica, never below the ready minimum, every listed endpoint answering", LIMIT, async (t) => {
  const h = await startHarness(t);
  if (!h) return;
  const strategy = { type: "Rolling", maxSurge: 1, maxUnavailable: 0, drainSeconds: 0.3 };
  await h.apply("web", web(TEST_IMAGES.webV1, { replicas: 3, strategy }));
  await eventually(async () => assert.ok(isReady(await h.get("web"))));

  const started = Date.now();
  await h.apply("web", web(TEST_IMAGES.webV2, { replicas: 3, strategy }));
  let samples = 0;
  let minReady = Infinity;
  let failedRequests = 0;
  const bodies = new Set<string>();
  for (;;) {
    const app = await h.get("web");
    const status = app!.status!;
    samples++;
    minReady = Math.min(minReady, Number(status.readyReplicas));
    for (const e of (status.endpoints as Endpoint[]) ?? []) {
      try {
        const res = await httpGet(e.host, e.port);
        if (res.status !== 200) failedRequests++;
        bodies.add(res.body);
      } catch {
        failedRequests++;
      }
    }
    if (isReady(app) && status.revision === 2) break;
    assert.ok(Date.now() - started < 40_000, "rollout did not finish in 40 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  t.diagnostic(`3-replica rolling update in ${Date.now() - started}ms, ${samples} samples, min ready ${minReady}, failed requests ${failedRequests}`);
  assert.ok(minReady >= 3, `ready replicas dropped to ${minReady}`);
  assert.equal(failedRequests, 0, "an endpoint in status did not answer");
  assert.deepEqual([...bodies].sort(), ["v1", "v2"]);
  await eventually(async () => {
    const containers = await h.containers("web");
    assert.deepEqual(containers.map(revisionOf), [2, 2, 2]);
  });
  const app = await h.get("web");
  assert.deepEqual((app!.status!.history as Array<{ revision: number; image: string }>).map((e) => [e.revision, e.image]), [[1, TEST_IMAGES.webV1], [2, TEST_IMAGES.webV2]]);
  for (const e of app!.status!.endpoints as Endpoint[]) assert.equal((await httpGet(e.host, e.port)).body, "v2");
  const reasons = (await h.events.list({})).map((e) => e.reason);
  assert.ok(reasons.includes("ReplicaDraining") && reasons.includes("ReplicaRemoved"), reasons.join(","));
});

test("app rollout: a never-healthy v3 is Degraded (ProgressDeadlineExceeded) while v1 keeps serving; re-applying v1 rolls back", LIMIT, async (t) => {
  const h = await startHarness(t);
  if (!h) return;
  const strategy = { type: "Rolling", progressDeadlineSeconds: 3, drainSeconds: 0 };
  await h.apply("web", web(TEST_IMAGES.webV1, { strategy }));
  await eventually(async () => assert.ok(isReady(await h.get("web"))));

  await h.apply("web", web(TEST_IMAGES.neverHealthy, { strategy }));
  const degraded = await eventually(async () => {
    const a = await h.get("web");
    assert.equal(condition(a, "Degraded")?.reason, "ProgressDeadlineExceeded", JSON.stringify(a?.status?.conditions));
    return a!;
  }, 15_000);
  assert.equal(condition(degraded, "Degraded")?.status, "True");
  assert.equal(condition(degraded, "Progressing")?.status, "False");
  assert.equal(condition(degraded, "Ready")?.status, "False");
  assert.match(condition(degraded, "Degraded")!.message, /revision 2 did not become ready within 3s/);
  assert.equal(degraded.status!.revision, 2);
  assert.equal(degraded.status!.readyReplicas, 1, "v1 still counts as ready");
  const endpoints = degraded.status!.endpoints as Endpoint[];
  assert.deepEqual(endpoints.map((e) => e.replica), [containerName({ kind: "App", namespace: h.namespace, name: "web" }, 1, 0)]);
  assert.equal((await httpGet(endpoints[0]!.host, endpoints[0]!.port)).body, "v1", "v1 keeps serving");
  assert.deepEqual((await h.containers("web")).map(revisionOf).sort(), [1, 2]);
  assert.ok((await h.events.list({})).some((e) => e.reason === "ProgressDeadlineExceeded" && e.type === "Warning"));

  await h.apply("web", web(TEST_IMAGES.webV1, { strategy }));
  const back = await eventually(async () => {
    const a = await h.get("web");
    assert.ok(isReady(a), JSON.stringify(a?.status?.conditions));
    return a!;
  });
  assert.equal(back.status!.revision, 1, "the old spec brings back its revision");
  assert.equal(condition(back, "Degraded")?.status, "False");
  await eventually(async () => assert.deepEqual((await h.containers("web")).map(revisionOf), [1]));
  assert.deepEqual((back.status!.history as Array<{ revision: number }>).map((e) => e.revision), [1, 2]);
});

test("app rollout: Recreate replaces every replica at once; paused keeps the running revision", LIMIT, async (t) => {
  const h = await startHarness(t);
  if (!h) return;
  const strategy = { type: "Recreate" };
  await h.apply("web", web(TEST_IMAGES.webV1, { replicas: 2, strategy }));
  await eventually(async () => assert.ok(isReady(await h.get("web"))));
  await h.apply("web", web(TEST_IMAGES.webV2, { replicas: 2, strategy, paused: true }));
  await eventually(async () => {
    const a = await h.get("web");
    assert.equal(a!.status!.observedGeneration, a!.metadata.generation);
    assert.equal(condition(a, "Progressing")?.reason, "DeploymentPaused");
  });
  assert.deepEqual((await h.containers("web")).map(revisionOf), [1, 1], "paused: nothing rolled");

  await h.apply("web", web(TEST_IMAGES.webV2, { replicas: 2, strategy }));
  const done = await eventually(async () => {
    const a = await h.get("web");
    assert.ok(isReady(a) && a!.status!.revision === 2, JSON.stringify(a?.status?.conditions));
    return a!;
  });
  for (const e of done.status!.endpoints as Endpoint[]) assert.equal((await httpGet(e.host, e.port)).body, "v2");
  assert.deepEqual((await h.containers("web")).map(revisionOf), [2, 2]);
});

test("app rollout: a controller restarted mid-rollout finishes it, with no duplicate or orphan container", LIMIT, async (t) => {
  const h = await startHarness(t);
  if (!h) return;
  const strategy = { type: "Rolling", maxSurge: 1, maxUnavailable: 0, drainSeconds: 1 };
  await h.apply("web", web(TEST_IMAGES.webV1, { replicas: 3, strategy }));
  await eventually(async () => assert.ok(isReady(await h.get("web"))));
  await h.apply("web", web(TEST_IMAGES.webV2, { replicas: 3, strategy }));
  await eventually(async () => assert.ok((await h.containers("web")).some((c) => revisionOf(c) === 2)), 10_000, 5);
  await h.restart();
  const done = await eventually(async () => {
    const a = await h.get("web");
    assert.ok(isReady(a) && a!.status!.revision === 2, JSON.stringify(a?.status?.conditions));
    return a!;
  });
  const containers = await h.containers("web");
  assert.deepEqual(containers.map((c) => c.name).sort(), [0, 1, 2].map((i) => containerName({ kind: "App", namespace: h.namespace, name: "web" }, 2, i)));
  assert.equal(done.status!.readyReplicas, 3);
});
