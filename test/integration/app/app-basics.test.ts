import { test } from "node:test";
import assert from "node:assert/strict";
import { LABELS, listVolumes, namespaceNetworkName, ownerFilter } from "../../../controllers/docker/index.ts";
import { containerName, volumeName } from "../../../controllers/app/index.ts";
import { TEST_IMAGES, WEB_PORT } from "../../support/images.ts";
import { LIMIT, condition, eventually, httpGet, isReady, startHarness } from "./harness.ts";

const web = (image: string, extra: Record<string, unknown> = {}) => ({
  image, port: WEB_PORT, healthCheck: { http: { path: "/healthz" } }, strategy: { type: "Rolling", drainSeconds: 0 }, ...extra,
});

test("app: apply → Ready, and the replica answers HTTP on its address", LIMIT, async (t) => {
  const h = await startHarness(t);
  if (!h) return;
  const started = Date.now();
  await h.apply("web", web(TEST_IMAGES.webV1, { env: [{ name: "GREETING", value: "hello" }] }));
  const app = await eventually(async () => {
    const a = await h.get("web");
    assert.ok(isReady(a), `not ready: ${JSON.stringify(a?.status?.conditions)}`);
    return a!;
  });
  t.diagnostic(`apply → Ready in ${Date.now() - started}ms`);
  const status = app.status!;
  assert.equal(status.replicas, 1);
  assert.equal(status.readyReplicas, 1);
  assert.equal(status.updatedReplicas, 1);
  assert.equal(status.revision, 1);
  assert.equal(status.image, TEST_IMAGES.webV1);
  assert.match(String(status.imageID), /^sha256:/);
  const endpoints = status.endpoints as Array<{ replica: string; host: string; port: number }>;
  assert.equal(endpoints.length, 1);
  assert.equal(endpoints[0]!.replica, containerName({ kind: "App", namespace: h.namespace, name: "web" }, 1, 0));
  assert.deepEqual(await httpGet(endpoints[0]!.host, endpoints[0]!.port), { status: 200, body: "v1" });
  assert.equal(condition(app, "Progressing")?.reason, "RolloutComplete");
  assert.equal(condition(app, "Degraded")?.status, "False");
  assert.deepEqual(app.metadata.finalizers, ["berth.dev/app-cleanup"]);

  const [container] = await h.containers("web");
  assert.equal(container!.labels[LABELS.owner], `App/${h.namespace}/web`);
  assert.equal(container!.labels[LABELS.kind], "App");
  assert.equal(container!.labels[LABELS.revision], "1");
  assert.equal(container!.labels[LABELS.replica], "0");
  assert.match(container!.labels[LABELS.specHash]!, /^[0-9a-f]{12}$/);
  const info = await h.docker.getContainer(container!.id).inspect();
  assert.ok(info.Config.Env.includes("GREETING=hello"));
  assert.deepEqual(info.NetworkSettings.Networks[namespaceNetworkName(h.namespace)]?.Aliases?.includes("web"), true);
  const reasons = (await h.events.list({})).map((e) => e.reason);
  for (const reason of ["RevisionCreated", "ReplicaCreated", "RolloutComplete"]) assert.ok(reasons.includes(reason), `event ${reason} missing from ${reasons.join(",")}`);
});

test("app: scale up to 3 and down to 1", LIMIT, async (t) => {
  const h = await startHarness(t);
  if (!h) return;
  await h.apply("web", web(TEST_IMAGES.webV1));
  await eventually(async () => assert.ok(isReady(await h.get("web"))));
  await h.apply("web", web(TEST_IMAGES.webV1, { replicas: 3 }));
  const scaled = await eventually(async () => {
    const a = await h.get("web");
    assert.ok(isReady(a) && a!.status!.readyReplicas === 3, JSON.stringify(a?.status?.conditions));
    return a!;
  });
  assert.equal(scaled.status!.revision, 1, "scaling is not a new revision");
  const endpoints = scaled.status!.endpoints as Array<{ host: string; port: number }>;
  assert.equal(endpoints.length, 3);
  for (const e of endpoints) assert.equal((await httpGet(e.host, e.port)).body, "v1");
  assert.deepEqual((await h.containers("web")).map((c) => c.name).sort(), [0, 1, 2].map((i) => containerName({ kind: "App", namespace: h.namespace, name: "web" }, 1, i)));

  await h.apply("web", web(TEST_IMAGES.webV1, { replicas: 1 }));
  await eventually(async () => {
    const a = await h.get("web");
    assert.ok(isReady(a) && a!.status!.replicas === 1);
    assert.deepEqual((await h.containers("web")).map((c) => c.name), [containerName({ kind: "App", namespace: h.namespace, name: "web" }, 1, 0)]);
  });
});

test("app: delete removes the containers; volumes stay unless deletionPolicy is Delete", LIMIT, async (t) => {
  const h = await startHarness(t);
  if (!h) return;
  const volumes = [{ name: "data", mountPath: "/data" }];
  await h.apply("keep", web(TEST_IMAGES.webV1, { volumes }));
  await h.apply("drop", web(TEST_IMAGES.webV1, { volumes, deletionPolicy: "Delete" }));
  await eventually(async () => assert.ok(isReady(await h.get("keep")) && isReady(await h.get("drop"))));
  const owner = (name: string) => ownerFilter({ kind: "App", namespace: h.namespace, name });
  assert.deepEqual(await listVolumes(h.docker, owner("keep")), [volumeName({ kind: "App", namespace: h.namespace, name: "keep" }, "data")]);

  await h.store.delete({ kind: "App", namespace: h.namespace, name: "keep" });
  await h.store.delete({ kind: "App", namespace: h.namespace, name: "drop" });
  await eventually(async () => {
    assert.equal(await h.get("keep"), undefined);
    assert.equal(await h.get("drop"), undefined);
  });
  assert.deepEqual(await h.containers("keep"), []);
  assert.deepEqual(await h.containers("drop"), []);
  assert.deepEqual(await listVolumes(h.docker, owner("keep")), [volumeName({ kind: "App", namespace: h.namespace, name: "keep" }, "data")], "Retain keeps the volume");
  assert.deepEqual(await listVolumes(h.docker, owner("drop")), [], "Delete removes it");
});
