// Pure tests of the App controller's desired state (no Docker needed); they live beside the integration tests
// because this folder is the App controller's test home.
import { test } from "node:test";
import assert from "node:assert/strict";
import { admit, type AppSpec } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import {
  buildDesiredContainer, buildDesiredVolumes, connectionUrl, containerName, parseCpu, parseMemory, resolveEnv, resolveIntOrPercent,
  specHash, templateOf, StoreDatabaseResolver,
} from "../../../controllers/app/index.ts";

const ref = { kind: "App", namespace: "shop", name: "web" };
const specOf = (spec: Record<string, unknown>) => admit({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web", namespace: "shop" }, spec }).spec as AppSpec;

test("desired: a replica's container has deterministic names, owner labels, limits, volumes and the namespace alias", () => {
  const spec = specOf({ image: "web:1", port: 8080, command: ["/bin/app"], args: ["--serve"], resources: { cpu: "500m", memory: "256Mi" }, volumes: [{ name: "data", mountPath: "/data" }] });
  const template = templateOf(spec);
  const c = buildDesiredContainer({ app: ref, template, env: [{ name: "A", value: "1" }], revision: 3, specHash: "abc123def456", index: 1, network: "berth-shop", instance: "i-1" });
  assert.equal(c.name, "berth-shop-web-1a25a6-3-1");
  assert.equal(c.Image, "web:1");
  assert.deepEqual(c.Entrypoint, ["/bin/app"]);
  assert.deepEqual(c.Cmd, ["--serve"]);
  assert.deepEqual(c.Env, ["A=1"]);
  assert.deepEqual(c.Labels, {
    "berth.dev/owner": "App/shop/web", "berth.dev/namespace": "shop", "berth.dev/kind": "App", "berth.dev/name": "web", "berth.dev/instance": "i-1",
    "berth.dev/spec-hash": "abc123def456", "berth.dev/revision": "3", "berth.dev/replica": "1",
  });
  assert.equal(c.HostConfig?.NanoCpus, 500_000_000);
  assert.equal(c.HostConfig?.Memory, 256 * 1024 * 1024);
  assert.equal(c.HostConfig?.NetworkMode, "berth-shop");
  assert.deepEqual(c.HostConfig?.RestartPolicy, { Name: "no" });
  assert.deepEqual(c.HostConfig?.Mounts, [{ Type: "volume", Source: "berth-shop-web-1a25a6-data", Target: "/data" }]);
  assert.deepEqual(c.NetworkingConfig?.EndpointsConfig?.["berth-shop"]?.Aliases, ["web"]);
  assert.deepEqual(buildDesiredVolumes(ref, template).map((v) => [v.name, v.labels["berth.dev/owner"]]), [["berth-shop-web-1a25a6-data", "App/shop/web"]]);
  assert.equal(containerName(ref, 1, 0), "berth-shop-web-1a25a6-1-0");
});

test("desired: the spec hash covers the template and resolved env, not replicas or strategy", () => {
  const base = specOf({ image: "web:1", port: 8080, env: [{ name: "A", value: "1" }] });
  const hash = specHash(templateOf(base), [{ name: "A", value: "1" }]);
  assert.match(hash, /^[0-9a-f]{12}$/);
  assert.equal(specHash(templateOf(specOf({ image: "web:1", port: 8080, env: [{ name: "A", value: "1" }], replicas: 5, strategy: { type: "Recreate" } })), [{ name: "A", value: "1" }]), hash);
  assert.notEqual(specHash(templateOf(specOf({ image: "web:2", port: 8080, env: [{ name: "A", value: "1" }] })), [{ name: "A", value: "1" }]), hash);
  assert.notEqual(specHash(templateOf(base), [{ name: "A", value: "2" }]), hash, "a changed secret value is a new revision");
});

test("desired: cpu, memory and int-or-percent parsing", () => {
  assert.equal(parseCpu("250m"), 0.25);
  assert.equal(parseCpu("2"), 2);
  assert.equal(parseCpu(1.5), 1.5);
  assert.equal(parseMemory("1G"), 1e9);
  assert.equal(parseMemory("1.5Gi"), 1.5 * 1024 ** 3);
  assert.equal(parseMemory("1048576"), 1048576);
  assert.throws(() => parseMemory("12XB"), RangeError);
  assert.equal(resolveIntOrPercent("25%", 3, true), 1);
  assert.equal(resolveIntOrPercent("25%", 3, false), 0);
  assert.equal(resolveIntOrPercent(2, 3, false), 2);
});

test("desired: env resolves values, Secret keys and Database facts; missing ones say what is missing, never a value", async () => {
  const store = await MemoryStore.open();
  await store.create(admit({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: "creds", namespace: "shop" }, stringData: { token: "s3cret" } }));
  const databases = new StoreDatabaseResolver(store);
  const env = specOf({ image: "x", env: [{ name: "A", value: "1" }, { name: "TOKEN", valueFrom: { secretKeyRef: { name: "creds", key: "token" } } }] }).env;
  assert.deepEqual(await resolveEnv(store, databases, "shop", env), { ready: true, env: [{ name: "A", value: "1" }, { name: "TOKEN", value: "s3cret" }] });
  const missing = specOf({ image: "x", env: [{ name: "T", valueFrom: { secretKeyRef: { name: "creds", key: "nope" } } }] }).env;
  assert.deepEqual(await resolveEnv(store, databases, "shop", missing), { ready: false, reason: "SecretNotFound", message: "env T: Secret creds has no key nope" });

  const dbEnv = specOf({ image: "x", env: [{ name: "DATABASE_URL", valueFrom: { databaseRef: { name: "pg", key: "url" } } }] }).env;
  const notYet = await resolveEnv(store, databases, "shop", dbEnv);
  assert.equal(notYet.ready, false);
  assert.equal(!notYet.ready && notYet.reason, "DatabaseNotFound");
  const db = await store.create(admit({ apiVersion: "berth.dev/v1", kind: "Database", metadata: { name: "pg", namespace: "shop" }, spec: { engine: "postgres" } }));
  assert.equal((await databases.resolve("shop", { name: "pg", key: "url" })).ready, false, "not ready until the Database controller says so");
  await store.create(admit({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: "pg-credentials", namespace: "shop" }, stringData: { user: "pg", password: "p@ss" } }));
  await store.updateStatus({ ...db, status: { endpoint: { host: "pg", port: 5432 }, secretName: "pg-credentials", conditions: [{ type: "Ready", status: "True", reason: "Available", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" }] } });
  assert.deepEqual(await resolveEnv(store, databases, "shop", dbEnv), { ready: true, env: [{ name: "DATABASE_URL", value: "postgres://pg:p%40ss@pg:5432/pg" }] });
  assert.deepEqual(await databases.resolve("shop", { name: "pg", key: "port" }), { ready: true, value: "5432" });
  assert.equal(connectionUrl("redis", { host: "cache", port: 6379 }, "default", "pw", "0"), "redis://default:pw@cache:6379");
  assert.equal(connectionUrl("redis", { host: "cache", port: 6379 }, "", "pw", "0"), "redis://:pw@cache:6379");
  assert.equal(connectionUrl("mongodb", { host: "m", port: 27017 }, "u", "p", "app"), "mongodb://u:p@m:27017/app?authSource=admin");
});
