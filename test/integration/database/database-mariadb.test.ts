import { test } from "node:test";
import assert from "node:assert/strict";
import { namespaceNetworkName } from "../../../controllers/docker/index.ts";
import { defaultVolumeName } from "../../../controllers/database/index.ts";
import { LIMIT, eventually, isReady, secretLeaks, startDatabaseHarness, type DatabaseHarness } from "./harness.ts";

/** sql runs a query as the Database's user over TCP on the namespace network, from inside its container. */
async function sql(h: DatabaseHarness, name: string, query: string): Promise<string> {
  const info = await h.container(name);
  const ip = info!.NetworkSettings.Networks[namespaceNetworkName(h.namespace)]!.IPAddress;
  const user = (await h.secret(name, "user"))!;
  const password = (await h.secret(name, "password"))!;
  const r = await h.exec(name, ["mariadb", "-h", ip, "-u", user, "-N", "-B", "-e", query, name], [`MYSQL_PWD=${password}`]);
  assert.equal(r.exitCode, 0, r.output);
  return r.output.trim();
}

/** READER parses DATABASE_URL (mysql://user:password@host:port/db) and reads a row every half second. */
const READER = [
  "sh", "-c",
  'u=${DATABASE_URL#mysql://}; creds=${u%%@*}; rest=${u#*@}; hostport=${rest%%/*}; db=${rest#*/}; ' +
    'while true; do echo "row: $(MYSQL_PWD=${creds#*:} mariadb -h ${hostport%:*} -P ${hostport##*:} -u ${creds%%:*} -N -B -e "select note from notes limit 1" $db 2>&1)"; sleep 0.5; done',
];

test("database mariadb: Ready with a real connection; an App reads a row through DATABASE_URL; data survives a kill and a re-create; Delete removes the volume", LIMIT, async (t) => {
  const h = await startDatabaseHarness(t, "mariadb");
  if (!h) return;
  const started = Date.now();
  await h.apply("Database", "shop", { spec: { engine: "mariadb", image: h.image, deletionPolicy: "Delete" } });
  const db = await eventually(async () => {
    const d = await h.get("Database", "shop");
    assert.ok(isReady(d), JSON.stringify(d?.status?.conditions));
    return d!;
  }, 120_000);
  t.diagnostic(`apply → Ready in ${Date.now() - started}ms`);
  assert.deepEqual(db.status!.endpoint, { host: "shop", port: 3306 });
  const password = (await h.secret("shop", "password"))!;
  const rootPassword = (await h.secret("shop", "root-password"))!;
  assert.match(rootPassword, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(rootPassword, password);

  await sql(h, "shop", "create table notes (note text); insert into notes values ('kept across restarts')");
  // root can log in over the network with its own password.
  const ip = (await h.container("shop"))!.NetworkSettings.Networks[namespaceNetworkName(h.namespace)]!.IPAddress;
  const root = await h.exec("shop", ["mariadb", "-h", ip, "-u", "root", "-N", "-e", "select 1"], [`MYSQL_PWD=${rootPassword}`]);
  assert.equal(root.exitCode, 0, root.output);

  await h.apply("App", "reader", { spec: { image: h.image, command: READER, env: [{ name: "DATABASE_URL", valueFrom: { databaseRef: { name: "shop", key: "url" } } }] } });
  await eventually(async () => {
    const logs = await h.appLogs("reader");
    assert.ok(logs.includes("row: kept across restarts"), logs.join("\n"));
  });

  const info = (await h.container("shop"))!;
  await h.docker.getContainer(info.Id).kill();
  await eventually(async () => assert.equal(await sql(h, "shop", "select note from notes"), "kept across restarts"), 120_000);
  await h.docker.getContainer(info.Id).remove({ force: true });
  await eventually(async () => {
    const c = await h.container("shop");
    assert.ok(c && c.Id !== info.Id, "re-created");
    assert.equal(await sql(h, "shop", "select note from notes"), "kept across restarts");
  }, 120_000);

  for (const secret of [password, rootPassword]) assert.deepEqual(await secretLeaks(h, "shop", secret), []);

  const volume = defaultVolumeName({ kind: "Database", namespace: h.namespace, name: "shop" });
  await h.remove("Database", "shop");
  await eventually(async () => {
    assert.equal(await h.get("Database", "shop"), undefined);
    await assert.rejects(h.docker.getVolume(volume).inspect(), /no such volume/i);
  });
});
