import { test } from "node:test";
import assert from "node:assert/strict";
import { namespaceNetworkName } from "../../../controllers/docker/index.ts";
import { defaultVolumeName } from "../../../controllers/database/index.ts";
import { LIMIT, eventually, isReady, secretLeaks, startDatabaseHarness, type DatabaseHarness } from "./harness.ts";

/** redis runs a command over TCP on the namespace network, authenticated, from inside the Database's container. */
async function redis(h: DatabaseHarness, name: string, ...args: string[]): Promise<string> {
  const ip = (await h.container(name))!.NetworkSettings.Networks[namespaceNetworkName(h.namespace)]!.IPAddress;
  const password = (await h.secret(name, "password"))!;
  const r = await h.exec(name, ["redis-cli", "-h", ip, ...args], [`REDISCLI_AUTH=${password}`]);
  assert.equal(r.exitCode, 0, r.output);
  return r.output.trim();
}

/** READER reads a key through DATABASE_URL (redis://default:password@host:port) every half second. */
const READER = ["sh", "-c", 'while true; do echo "row: $(redis-cli -u "$DATABASE_URL" get note 2>/dev/null)"; sleep 0.5; done'];

test("database redis: Ready with authentication; an App reads a key through DATABASE_URL; data survives a kill and a re-create; Retain keeps the volume", LIMIT, async (t) => {
  const h = await startDatabaseHarness(t, "redis");
  if (!h) return;
  const started = Date.now();
  await h.apply("Database", "cache", { spec: { engine: "redis", image: h.image } });
  const db = await eventually(async () => {
    const d = await h.get("Database", "cache");
    assert.ok(isReady(d), JSON.stringify(d?.status?.conditions));
    return d!;
  });
  t.diagnostic(`apply → Ready in ${Date.now() - started}ms`);
  assert.deepEqual(db.status!.endpoint, { host: "cache", port: 6379 });
  const password = (await h.secret("cache", "password"))!;
  const info = (await h.container("cache"))!;
  assert.deepEqual(info.Config.Cmd, ["redis-server", "/run/berth/redis.conf"]);

  // Without the password the server refuses; with it, it answers.
  const ip = info.NetworkSettings.Networks[namespaceNetworkName(h.namespace)]!.IPAddress;
  const anonymous = await h.exec("cache", ["redis-cli", "-h", ip, "get", "note"]);
  assert.match(anonymous.output, /NOAUTH/);
  assert.equal(await redis(h, "cache", "set", "note", "kept across restarts"), "OK");

  await h.apply("App", "reader", { spec: { image: h.image, command: READER, env: [{ name: "DATABASE_URL", valueFrom: { databaseRef: { name: "cache", key: "url" } } }] } });
  await eventually(async () => {
    const logs = await h.appLogs("reader");
    assert.ok(logs.includes("row: kept across restarts"), logs.join("\n"));
  });

  // The append-only file is flushed every second: past that, a kill loses nothing.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await h.docker.getContainer(info.Id).kill();
  await eventually(async () => assert.equal(await redis(h, "cache", "get", "note"), "kept across restarts"));
  await h.docker.getContainer(info.Id).remove({ force: true }).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify((await h.events.list({})).map((e) => [e.reason, e.message]))}`);
  });
  await eventually(async () => {
    const c = await h.container("cache");
    assert.ok(c && c.Id !== info.Id, "re-created");
    assert.equal(await redis(h, "cache", "get", "note"), "kept across restarts");
  });
  assert.deepEqual(await secretLeaks(h, "cache", password), []);

  // A restarted berthd finds the engine as it left it: same container, same volume, same data.
  const running = (await h.container("cache"))!;
  await h.restart();
  await eventually(async () => assert.ok((await h.events.list({})).length > 0));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  assert.equal((await h.container("cache"))!.Id, running.Id, "not re-created by a new controller");
  assert.ok(isReady(await h.get("Database", "cache")));
  assert.equal(await redis(h, "cache", "get", "note"), "kept across restarts");

  const volume = defaultVolumeName({ kind: "Database", namespace: h.namespace, name: "cache" });
  await h.remove("Database", "cache");
  await eventually(async () => {
    assert.equal(await h.get("Database", "cache"), undefined);
    assert.equal(await h.container("cache"), undefined);
  });
  await h.docker.getVolume(volume).inspect();
});
