import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { LABELS, namespaceNetworkName, objectName, tailLogs } from "../../../controllers/docker/index.ts";
import { DATABASE_LABELS, defaultVolumeName } from "../../../controllers/database/index.ts";
import { TEST_IMAGES, ensureTestImages } from "../../support/images.ts";
import { LIMIT, eventually, isReady, readyCondition, secretLeaks, startDatabaseHarness, type DatabaseHarness } from "./harness.ts";

const PG = (h: DatabaseHarness, extra: Record<string, unknown> = {}) => ({ spec: { engine: "postgres", image: h.image, ...extra } });

/** sql runs a query as the Database's user over TCP on the namespace network (scram auth), from inside its container. */
async function sql(h: DatabaseHarness, name: string, query: string): Promise<string> {
  const info = await h.container(name);
  const ip = info!.NetworkSettings.Networks[namespaceNetworkName(h.namespace)]!.IPAddress;
  const user = (await h.secret(name, "user"))!;
  const password = (await h.secret(name, "password"))!;
  const r = await h.exec(name, ["psql", "-X", "-q", "-w", "-v", "ON_ERROR_STOP=1", "-h", ip, "-U", user, "-d", name, "-tAc", query], [`PGPASSWORD=${password}`]);
  assert.equal(r.exitCode, 0, r.output);
  return r.output.trim();
}

const reader = (db: string) => ({
  spec: {
    image: "",
    command: ["sh", "-c", 'while true; do echo "row: $(psql "$DATABASE_URL" -X -w -tAc "select note from notes order by id limit 1" 2>&1)"; sleep 0.5; done'],
    env: [{ name: "DATABASE_URL", valueFrom: { databaseRef: { name: db, key: "url" } } }],
  },
});

test("database postgres: Ready with a real connection; an App reads a row through DATABASE_URL; data survives a kill and a re-create; no password leaks", LIMIT, async (t) => {
  const h = await startDatabaseHarness(t, "postgres");
  if (!h) return;
  const started = Date.now();
  await h.apply("Database", "pg", PG(h));
  const db = await eventually(async () => {
    const d = await h.get("Database", "pg");
    assert.ok(isReady(d), JSON.stringify(d?.status?.conditions));
    return d!;
  });
  t.diagnostic(`apply → Ready in ${Date.now() - started}ms (container started ${Date.parse((await h.container("pg"))!.State.StartedAt) - started}ms after apply)`);
  assert.deepEqual(db.status!.endpoint, { host: "pg", port: 5432 });
  assert.equal(db.status!.secretName, "pg-credentials");
  assert.equal(db.status!.image, h.image);
  assert.deepEqual(db.metadata.finalizers, ["berth.dev/database-cleanup"]);

  const secret = await h.get("Secret", "pg-credentials");
  assert.equal(secret!.metadata.ownerReferences?.[0]?.uid, db.metadata.uid);
  const password = (await h.secret("pg", "password"))!;
  assert.match(password, /^[A-Za-z0-9_-]{43}$/, "32 random bytes, base64url");
  assert.equal(await h.secret("pg", "user"), "pg");

  const info = (await h.container("pg"))!;
  const ref = { kind: "Database", namespace: h.namespace, name: "pg" };
  assert.equal(info.Name, `/${objectName(ref)}`);
  assert.equal(info.Config.Labels[LABELS.owner], `Database/${h.namespace}/pg`);
  assert.equal(info.Config.Labels[DATABASE_LABELS.uid], db.metadata.uid);
  assert.ok(info.NetworkSettings.Networks[namespaceNetworkName(h.namespace)]?.Aliases?.includes("pg"));
  assert.equal(info.Mounts.find((m) => m.Destination === "/var/lib/postgresql/data")?.Name, defaultVolumeName(ref));
  const volume = await h.docker.getVolume(defaultVolumeName(ref)).inspect();
  assert.equal(volume.Labels[DATABASE_LABELS.engineMajor], "15");

  assert.equal(await sql(h, "pg", "create table notes (id serial primary key, note text); insert into notes (note) values ('kept across restarts') returning note"), "kept across restarts");

  // An App reading DATABASE_URL connects over the namespace network and reads the row.
  await h.apply("App", "reader", { spec: { ...reader("pg").spec, image: h.image } });
  await eventually(async () => {
    const logs = await h.appLogs("reader");
    assert.ok(logs.some((l) => l === "row: kept across restarts"), logs.join("\n"));
  });
  const app = (await h.appContainers("reader"))[0]!;
  const appInfo = await h.docker.getContainer(app.id).inspect();
  assert.ok(appInfo.Config.Env.includes(`DATABASE_URL=postgres://pg:${password}@pg:5432/pg`), "the App gets the postgres URL");

  // Killed: drift repaired, same volume, the row is still there.
  await h.docker.getContainer(info.Id).kill();
  await eventually(async () => {
    const c = await h.container("pg");
    assert.ok(c?.State.Running && c.Id === info.Id, "restarted in place");
    assert.equal(await sql(h, "pg", "select note from notes"), "kept across restarts");
  });
  await eventually(async () => assert.ok(isReady(await h.get("Database", "pg"))));

  // Removed by hand: re-created on the same volume.
  await h.docker.getContainer(info.Id).remove({ force: true });
  await eventually(async () => {
    const c = await h.container("pg");
    assert.ok(c?.State.Running && c.Id !== info.Id, "re-created");
    assert.ok(isReady(await h.get("Database", "pg")));
    assert.equal(await sql(h, "pg", "select note from notes"), "kept across restarts");
  });

  // The password is in no label, Env, Cmd or Entrypoint of the Database's container, nor in an event or its object.
  assert.deepEqual(await secretLeaks(h, "pg", password), []);
  const files = await h.exec("pg", ["sh", "-c", "stat -c '%a %u %n' /run/berth/password"]);
  assert.equal(files.output.trim(), "400 999 /run/berth/password");
  const reasons = (await h.events.list({})).filter((e) => e.involvedObject.kind === "Database").map((e) => e.reason);
  for (const reason of ["Created", "Ready", "Restarted"]) assert.ok(reasons.includes(reason), `event ${reason} missing from ${reasons.join(",")}`);
});

test("database postgres: deletion with Retain keeps the volume and its credentials, and a new Database of that name opens them; Delete removes them", LIMIT, async (t) => {
  const h = await startDatabaseHarness(t, "postgres");
  if (!h) return;
  const ref = { kind: "Database", namespace: h.namespace, name: "keep" };
  await h.apply("Database", "keep", PG(h));
  await eventually(async () => assert.ok(isReady(await h.get("Database", "keep"))));
  await sql(h, "keep", "create table t (v text); insert into t values ('retained')");
  await h.remove("Database", "keep");
  await eventually(async () => {
    assert.equal(await h.get("Database", "keep"), undefined);
    assert.equal(await h.container("keep"), undefined);
  });
  await h.docker.getVolume(defaultVolumeName(ref)).inspect();
  const kept = await h.get("Secret", "keep-credentials");
  assert.ok(kept, "the credentials that open the kept volume are kept");
  assert.equal(kept.metadata.ownerReferences, undefined);

  await h.apply("Database", "keep", PG(h, { deletionPolicy: "Delete" }));
  await eventually(async () => assert.ok(isReady(await h.get("Database", "keep"))));
  assert.equal(await sql(h, "keep", "select v from t"), "retained");
  await h.remove("Database", "keep");
  await eventually(async () => {
    assert.equal(await h.get("Database", "keep"), undefined);
    await assert.rejects(h.docker.getVolume(defaultVolumeName(ref)).inspect(), /no such volume/i);
    assert.equal(await h.get("Secret", "keep-credentials"), undefined, "garbage-collected with its Database");
  });
});

test("database postgres: a name held by a foreign container is NameConflict and the container is untouched; a missing image is a clear condition; a major upgrade is refused", LIMIT, async (t) => {
  const h = await startDatabaseHarness(t, "postgres");
  if (!h) return;
  const foreignName = objectName({ kind: "Database", namespace: h.namespace, name: "taken" });
  const foreign = await h.docker.createContainer({ name: foreignName, Image: h.image, Cmd: ["sleep", "600"], Entrypoint: [], Labels: { [LABELS.namespace]: h.namespace } });
  t.after(() => foreign.remove({ force: true }).catch(() => undefined));
  await foreign.start();
  await h.apply("Database", "taken", PG(h));
  const conflicted = await eventually(async () => {
    const d = await h.get("Database", "taken");
    assert.equal(readyCondition(d)?.reason, "NameConflict", JSON.stringify(d?.status?.conditions));
    return d!;
  });
  assert.match(readyCondition(conflicted)!.message, new RegExp(foreignName));
  const after = await foreign.inspect();
  assert.ok(after.State.Running, "the foreign container still runs");
  assert.equal(after.Config.Labels[LABELS.owner], undefined);

  await h.apply("Database", "ghost", PG(h, { image: `berth-test/no-such-postgres-${randomBytes(3).toString("hex")}:15` }));
  const ghost = await eventually(async () => {
    const d = await h.get("Database", "ghost");
    assert.match(String(readyCondition(d)?.reason), /^Image(NotFound|PullFailed)$/, JSON.stringify(d?.status?.conditions));
    return d!;
  });
  assert.match(readyCondition(ghost)!.message, /no-such-postgres/);
  assert.equal(await h.container("ghost"), undefined);

  // An image that does not run the engine: it exits at once, is restarted twice, then backs off as a crash loop.
  await ensureTestImages(h.docker, [TEST_IMAGES.crash]);
  await h.apply("Database", "crashy", PG(h, { image: TEST_IMAGES.crash }));
  const crashing = await eventually(async () => {
    const d = await h.get("Database", "crashy");
    assert.equal(readyCondition(d)?.reason, "CrashLoop", JSON.stringify(d?.status?.conditions));
    return d!;
  });
  assert.match(readyCondition(crashing)!.message, /exited 3 times.*exit code 3/);

  // postgres 15 → "16": the same image under a 16 tag, enough for the controller to see a major jump.
  const tag = `berth-test/postgres-upgrade-${randomBytes(3).toString("hex")}`;
  await h.docker.getImage(h.image).tag({ repo: tag, tag: "16" });
  t.after(() => h.docker.getImage(`${tag}:16`).remove().catch(() => undefined));
  await h.apply("Database", "up", PG(h));
  await eventually(async () => assert.ok(isReady(await h.get("Database", "up"))));
  const before = (await h.container("up"))!;
  await h.apply("Database", "up", PG(h, { image: `${tag}:16` }));
  const refused = await eventually(async () => {
    const d = await h.get("Database", "up");
    assert.equal(readyCondition(d)?.reason, "UnsupportedUpgrade", JSON.stringify(d?.status?.conditions));
    return d!;
  });
  assert.match(readyCondition(refused)!.message, /postgres 15.*postgres 16/);
  const still = (await h.container("up"))!;
  assert.equal(still.Id, before.Id, "the running engine is left alone");
  assert.ok(still.State.Running);
});

test("database postgres: credentials from spec.credentials.secretRef; a changed password reaches the engine and the App rolls to it", LIMIT, async (t) => {
  const h = await startDatabaseHarness(t, "postgres");
  if (!h) return;
  const first = randomBytes(24).toString("base64url");
  const second = `it's ${randomBytes(24).toString("base64url")}`;
  await h.apply("Secret", "login", { stringData: { user: "app", password: first } });
  await h.apply("Database", "pg", PG(h, { credentials: { secretRef: { name: "login" } } }));
  await eventually(async () => assert.ok(isReady(await h.get("Database", "pg"))));
  assert.equal((await h.get("Database", "pg"))!.status!.secretName, "login");
  assert.equal(await h.get("Secret", "pg-credentials"), undefined, "nothing generated");
  await h.apply("App", "reader", { spec: { image: h.image, command: ["sh", "-c", 'while true; do echo "db: $(psql "$DATABASE_URL" -X -w -tAc "select current_user" 2>&1)"; sleep 0.5; done'], env: [{ name: "DATABASE_URL", valueFrom: { databaseRef: { name: "pg", key: "url" } } }] } });
  await eventually(async () => assert.ok((await h.appLogs("reader")).includes("db: app")));
  const before = (await h.appContainers("reader"))[0]!;

  await h.apply("Secret", "login", { stringData: { user: "app", password: second } });
  await eventually(async () => {
    const [c] = await h.appContainers("reader");
    assert.ok(c && c.id !== before.id, "the App rolled");
    const env = (await h.docker.getContainer(c.id).inspect()).Config.Env;
    assert.ok(env.includes(`DATABASE_URL=postgres://app:${encodeURIComponent(second)}@pg:5432/pg`), env.join(" "));
    const logs = await tailLogs(h.docker, c.id, 20);
    assert.ok(logs.includes("db: app"), `and connects with the new password: ${logs.slice(-3).join("\n")} ${JSON.stringify((await h.events.list({})).map((e) => e.reason))} ${JSON.stringify(readyCondition(await h.get("Database", "pg")))}`);
  }, 120_000);
  assert.ok(isReady(await h.get("Database", "pg")));
  assert.ok((await h.events.list({})).some((e) => e.reason === "PasswordChanged"));
  for (const p of [first, second]) assert.deepEqual(await secretLeaks(h, "pg", p), []);
});
