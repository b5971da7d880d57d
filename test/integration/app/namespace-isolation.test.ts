import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { admit, NotFoundError, type Resource } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { Manager } from "../../../controllers/runtime/index.ts";
import { createAppController, containerName, volumeName } from "../../../controllers/app/index.ts";
import { createNetworkController } from "../../../controllers/network/index.ts";
import {
  LABELS, NamespaceNetworks, createContainer, ensureNamespaceNetwork, inspectContainer, legacyObjectName, listContainers, listNamespaceNetworks,
  ownerFilter, ownerLabels, parseAddressPool, removeContainer, removeNamespaceNetwork, removeVolume, type DockerClient,
} from "../../../controllers/docker/index.ts";
import { MemoryEventLog } from "../../support/memory-event-log.ts";
import { cleanupNamespace, randomNamespace, requireTestDocker } from "../../support/docker.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../../support/images.ts";
import { condition, eventually, httpGet, isReady } from "./harness.ts";

const INSTANCE = "isolation-test";

/** World is a store with the App and network controllers of one berthd, and the namespaces a test used. */
interface World {
  store: MemoryStore;
  docker: DockerClient;
  events: MemoryEventLog;
  apply(namespace: string, name: string, spec: Record<string, unknown>): Promise<Resource>;
  get(namespace: string, name: string): Promise<Resource | undefined>;
  remove(namespace: string, name: string): Promise<void>;
}

async function startWorld(t: TestContext, namespaces: string[]): Promise<World> {
  const docker = await requireTestDocker(t);
  await ensureTestImages(docker, [TEST_IMAGES.webV1]);
  const store = await MemoryStore.open();
  const events = new MemoryEventLog();
  const logger = silentLogger();
  const networks = new NamespaceNetworks(docker, { instance: INSTANCE });
  const manager = new Manager({ store, logger });
  manager.add(createAppController({ store, docker, recorder: events, logger, instance: INSTANCE, networks, stopGraceSeconds: 1, controller: { maxConcurrentReconciles: 8 } }));
  manager.add(createNetworkController({ store, docker, logger, instance: INSTANCE, resyncMs: 2_000, controller: { maxConcurrentReconciles: 4 } }));
  await manager.start();
  t.after(async () => {
    await manager.stop();
    for (const namespace of namespaces) await cleanupNamespace(docker, namespace);
  });
  const get = async (namespace: string, name: string) => {
    try {
      return await store.get({ kind: "App", namespace, name });
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  };
  return {
    store, docker, events, get,
    async apply(namespace, name, spec) {
      const obj = admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name, namespace }, spec });
      const existing = await get(namespace, name);
      if (!existing) return store.create(obj);
      return store.update({ ...obj, metadata: { ...existing.metadata, ...obj.metadata, resourceVersion: existing.metadata.resourceVersion! } });
    },
    async remove(namespace, name) {
      await store.delete({ kind: "App", namespace, name });
    },
  };
}

const web = (extra: Record<string, unknown> = {}) => ({ image: TEST_IMAGES.webV1, port: WEB_PORT, healthCheck: { http: { path: "/healthz" } }, ...extra });

test("namespace isolation: Apps whose namespace and name join to the same text both run, each with its own containers and volumes", { timeout: 90_000 }, async (t) => {
  const base = randomNamespace("iso");
  const [shop, shopX] = [base, `${base}-x`];
  const w = await startWorld(t, [shop, shopX]);
  // App `c` in `<base>-x` and App `x-c` in `<base>`: the names of earlier releases were the same for both.
  assert.equal(legacyObjectName({ kind: "App", namespace: shopX, name: "c" }, 1, 0), legacyObjectName({ kind: "App", namespace: shop, name: "x-c" }, 1, 0));
  const volumes = [{ name: "data", mountPath: "/data" }];
  await Promise.all([w.apply(shopX, "c", web({ volumes })), w.apply(shop, "x-c", web({ volumes }))]);
  await eventually(async () => isReady(await w.get(shopX, "c")) && isReady(await w.get(shop, "x-c")), 45_000);

  const [mine] = await listContainers(w.docker, ownerFilter({ kind: "App", namespace: shopX, name: "c" }));
  const [theirs] = await listContainers(w.docker, ownerFilter({ kind: "App", namespace: shop, name: "x-c" }));
  assert.ok(mine && theirs);
  assert.equal(mine.name, containerName({ kind: "App", namespace: shopX, name: "c" }, 1, 0));
  assert.notEqual(mine.name, theirs.name);
  const mounts = async (id: string) => (await inspectContainer(w.docker, id))!.Mounts.map((m) => m.Name);
  assert.deepEqual(await mounts(mine.id), [volumeName({ kind: "App", namespace: shopX, name: "c" }, "data")]);
  assert.deepEqual(await mounts(theirs.id), [volumeName({ kind: "App", namespace: shop, name: "x-c" }, "data")]);
  // Each namespace is on a bridge of its own: neither container has an address on the other's network.
  assert.deepEqual(Object.keys(mine.ips), (await listNamespaceNetworks(w.docker, shopX)).map((n) => n.name));
  assert.deepEqual(Object.keys(theirs.ips), (await listNamespaceNetworks(w.docker, shop)).map((n) => n.name));
  // No controller fought the other: each container was created once.
  const created = (await w.events.list({})).filter((e) => e.reason === "ReplicaCreated");
  assert.equal(created.reduce((n, e) => n + e.count, 0), 2, created.map((e) => e.message).join("; "));
  assert.deepEqual((await w.events.list({})).filter((e) => e.reason === "NameConflict").map((e) => e.message), [], "a volume Berth just made is its own");
});

test("a name held by a container or volume Berth does not own is reported as NameConflict and left alone", { timeout: 90_000 }, async (t) => {
  const namespace = randomNamespace("conflict");
  const w = await startWorld(t, [namespace]);
  const app = { kind: "App", namespace, name: "web" };
  // A container made by hand under the name replica 0 of revision 1 will want, with no Berth labels.
  const squatter = await createContainer(w.docker, { name: containerName(app, 1, 0), Image: TEST_IMAGES.webV1, Labels: { [LABELS.namespace]: namespace } });
  t.after(() => removeContainer(w.docker, squatter, 0));
  await w.apply(namespace, "web", web());
  const blocked = await eventually(async () => {
    const obj = await w.get(namespace, "web");
    return condition(obj, "Ready")?.reason === "NameConflict" ? obj : false;
  }, 30_000);
  assert.match(condition(blocked as Resource, "Ready")!.message ?? "", /container .* already exists and does not belong to this object/);
  assert.ok(await inspectContainer(w.docker, squatter), "the squatter is not deleted");
  assert.ok((await w.events.list({})).some((e) => e.reason === "NameConflict" && e.type === "Warning"));
  // Once its owner removes it, the App converges by itself.
  await removeContainer(w.docker, squatter, 0);
  await w.apply(namespace, "web", web({ replicas: 1, env: [{ name: "NUDGE", value: "1" }] }));
  await eventually(async () => isReady(await w.get(namespace, "web")), 40_000);

  // A volume of another owner under the name this App's volume gets: never mounted.
  const other = { kind: "App", namespace: `${namespace}-other`, name: "db" };
  await w.docker.createVolume({ Name: volumeName({ kind: "App", namespace, name: "files" }, "data"), Labels: ownerLabels(other) });
  t.after(() => removeVolume(w.docker, volumeName({ kind: "App", namespace, name: "files" }, "data")));
  await w.apply(namespace, "files", web({ volumes: [{ name: "data", mountPath: "/data" }] }));
  const refused = await eventually(async () => {
    const obj = await w.get(namespace, "files");
    return condition(obj, "Ready")?.reason === "NameConflict" ? obj : false;
  }, 30_000);
  assert.match(condition(refused as Resource, "Ready")!.message ?? "", new RegExp(`volume .* belongs to App/${other.namespace}/db`));
  assert.equal((await listContainers(w.docker, ownerFilter({ kind: "App", namespace, name: "files" }))).length, 0);
});

test("a volume an earlier release made under the old name is kept in use, data and all", { timeout: 60_000 }, async (t) => {
  const namespace = randomNamespace("legacy");
  const w = await startWorld(t, [namespace]);
  const app = { kind: "App", namespace, name: "keep" };
  const legacy = legacyObjectName(app, "data");
  await w.docker.createVolume({ Name: legacy, Labels: ownerLabels(app) });
  await w.apply(namespace, "keep", web({ volumes: [{ name: "data", mountPath: "/data" }] }));
  await eventually(async () => isReady(await w.get(namespace, "keep")), 30_000);
  const [replica] = await listContainers(w.docker, ownerFilter(app));
  assert.deepEqual((await inspectContainer(w.docker, replica!.id))!.Mounts.map((m) => m.Name), [legacy]);
});

test("namespaces come and go: 60 created and deleted leave no network behind, and a new one still works", { timeout: 420_000 }, async (t) => {
  const base = randomNamespace("churn");
  const namespaces = Array.from({ length: 60 }, (_, i) => `${base}-${i}`);
  const fresh = `${base}-new`;
  const w = await startWorld(t, [...namespaces, fresh]);
  for (let i = 0; i < namespaces.length; i += 10) {
    const batch = namespaces.slice(i, i + 10);
    await Promise.all(batch.map((ns) => w.apply(ns, "web", web())));
    await eventually(async () => (await Promise.all(batch.map((ns) => w.get(ns, "web")))).every(isReady), 90_000, 200);
    await Promise.all(batch.map((ns) => w.remove(ns, "web")));
  }
  await eventually(async () => {
    const left = (await listNamespaceNetworks(w.docker)).filter((n) => n.namespace.startsWith(`${base}-`));
    return left.length === 0 || assert.fail(`${left.length} network(s) left: ${left.slice(0, 3).map((n) => n.name).join(", ")}`);
  }, 60_000, 250);
  await w.apply(fresh, "web", web());
  const ready = await eventually(async () => {
    const obj = await w.get(fresh, "web");
    return isReady(obj) ? obj : false;
  }, 30_000);
  const endpoint = ((ready as Resource).status?.endpoints as Array<{ host: string; port: number }>)[0]!;
  assert.equal((await httpGet(endpoint.host, endpoint.port)).body, "v1");
});

test("the address pool holds 250 namespace networks on a stock dockerd, each on its own subnet", { timeout: 300_000 }, async (t) => {
  const docker = await requireTestDocker(t);
  const base = randomNamespace("pool");
  const pool = parseAddressPool("10.213.0.0/16");
  const namespaces = Array.from({ length: 250 }, (_, i) => `${base}-${i}`);
  t.after(async () => {
    for (const ns of namespaces) await removeNamespaceNetwork(docker, ns).catch(() => undefined);
  });
  const networks = new NamespaceNetworks(docker, { pool });
  for (let i = 0; i < namespaces.length; i += 10) await Promise.all(namespaces.slice(i, i + 10).map((ns) => networks.ensure(ns)));
  const made = (await listNamespaceNetworks(docker)).filter((n) => n.namespace.startsWith(`${base}-`));
  assert.equal(made.length, 250);
  const subnets = await Promise.all(made.map(async (n) => (await docker.getNetwork(n.id).inspect()).IPAM?.Config?.[0]?.Subnet as string));
  assert.equal(new Set(subnets).size, 250, "no two namespaces share a subnet");
  assert.ok(subnets.every((s) => s.startsWith("10.213.")), "every subnet comes from the pool");
  // Asking again is a no-op: the same network, not a new subnet.
  assert.equal(await ensureNamespaceNetwork(docker, namespaces[0]!, undefined, { pool }), made.find((n) => n.namespace === namespaces[0])!.name);
});
