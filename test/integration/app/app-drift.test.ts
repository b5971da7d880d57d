import { test } from "node:test";
import assert from "node:assert/strict";
import { LABELS, createContainer, namespaceNetworkName, ensureNamespaceNetwork, startContainer } from "../../../controllers/docker/index.ts";
import { TEST_IMAGES, WEB_PORT } from "../../support/images.ts";
import { DEFAULT_INSTANCE, containerName } from "../../../controllers/app/index.ts";
import { LIMIT, condition, eventually, httpGet, isReady, startHarness, type Harness } from "./harness.ts";

const spec = { image: TEST_IMAGES.webV1, port: WEB_PORT, healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 } };

async function readyReplica(h: Harness): Promise<{ id: string; host: string }> {
  return eventually(async () => {
    const app = await h.get("web");
    assert.ok(isReady(app));
    const [container] = await h.containers("web");
    assert.equal(container?.state, "running");
    const endpoint = (app!.status!.endpoints as Array<{ host: string }>)[0]!;
    return { id: container!.id, host: endpoint.host };
  });
}

test("app drift: a replica killed, stopped or removed by hand is put back within seconds", LIMIT, async (t) => {
  const h = await startHarness(t);
  if (!h) return;
  await h.apply("web", spec);
  const first = await readyReplica(h);

  for (const [how, act] of [
    ["killed", (id: string) => h.docker.getContainer(id).kill()],
    ["stopped", (id: string) => h.docker.getContainer(id).stop({ t: 1 })],
  ] as const) {
    const before = await readyReplica(h);
    const at = Date.now();
    await act(before.id);
    await eventually(async () => {
      const [c] = await h.containers("web");
      assert.equal(c?.state, "running");
      assert.equal(c.id, first.id, "the same container is started again");
      const app = await h.get("web");
      assert.ok(isReady(app));
      const endpoint = (app!.status!.endpoints as Array<{ host: string; port: number }>)[0]!;
      assert.equal((await httpGet(endpoint.host, endpoint.port)).body, "v1");
    }, 10_000);
    t.diagnostic(`${how} → serving again in ${Date.now() - at}ms`);
  }

  const at = Date.now();
  await h.docker.getContainer(first.id).remove({ force: true });
  await eventually(async () => {
    const containers = await h.containers("web");
    assert.equal(containers.length, 1);
    assert.notEqual(containers[0]!.id, first.id, "a new container replaces the removed one");
    assert.equal(containers[0]!.name, containerName({ kind: "App", namespace: h.namespace, name: "web" }, 1, 0));
    assert.ok(isReady(await h.get("web")));
  }, 10_000);
  t.diagnostic(`removed → serving again in ${Date.now() - at}ms`);
  const reasons = (await h.events.list({})).map((e) => e.reason);
  assert.ok(reasons.includes("ReplicaRestarted"), reasons.join(","));
});

test("app drift: a container labelled as a missing App's is removed", LIMIT, async (t) => {
  const h = await startHarness(t);
  if (!h) return;
  const network = await ensureNamespaceNetwork(h.docker, h.namespace);
  const labels = { [LABELS.owner]: `App/${h.namespace}/ghost`, [LABELS.namespace]: h.namespace, [LABELS.kind]: "App", [LABELS.name]: "ghost", [LABELS.instance]: DEFAULT_INSTANCE };
  const id = await createContainer(h.docker, { name: containerName({ kind: "App", namespace: h.namespace, name: "ghost" }, 1, 0), Image: TEST_IMAGES.webV1, Labels: labels, HostConfig: { NetworkMode: namespaceNetworkName(h.namespace) } });
  assert.equal(network, namespaceNetworkName(h.namespace));
  // The same kind of container made by another Berth installation on this Docker Engine is not ours to remove.
  const theirs = await createContainer(h.docker, { name: containerName({ kind: "App", namespace: h.namespace, name: "ghost2" }, 1, 0), Image: TEST_IMAGES.webV1, Labels: { ...labels, [LABELS.owner]: `App/${h.namespace}/ghost2`, [LABELS.name]: "ghost2", [LABELS.instance]: "another-berthd" }, HostConfig: { NetworkMode: namespaceNetworkName(h.namespace) } });
  await startContainer(h.docker, id);
  await startContainer(h.docker, theirs);
  await eventually(async () => assert.deepEqual(await h.containers("ghost"), []), 10_000);
  assert.ok((await h.events.list({})).some((e) => e.reason === "OrphanRemoved" && e.involvedObject.name === "ghost"));
  assert.equal((await h.containers("ghost2")).length, 1, "another instance's container is left alone");
});

test("app drift: a replica that exits at once is CrashLooping with its exit code and last log lines, restarted with backoff", LIMIT, async (t) => {
  const h = await startHarness(t, { restartBackoff: { baseMs: 500, maxMs: 2_000 } });
  if (!h) return;
  await h.apply("crash", { image: TEST_IMAGES.crash });
  const app = await eventually(async () => {
    const a = await h.get("crash");
    assert.equal(condition(a, "Degraded")?.reason, "CrashLooping", JSON.stringify(a?.status?.conditions));
    return a!;
  }, 15_000);
  const message = condition(app, "Degraded")!.message;
  assert.match(message, /exited with code 3/);
  assert.match(message, /fatal: no configuration found/);
  assert.equal(condition(app, "Ready")?.status, "False");
  const restartsAt = Date.now();
  const countRestarts = async () => (await h.events.list({})).filter((e) => e.reason === "ReplicaRestarted").reduce((n, e) => n + e.count, 0);
  const before = await countRestarts();
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const during = (await countRestarts()) - before;
  t.diagnostic(`${during} restart(s) in ${Date.now() - restartsAt}ms of crash loop`);
  assert.ok(during >= 1 && during <= 4, `backoff should allow a few restarts in 3 s, saw ${during}`);
});
