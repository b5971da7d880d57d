import assert from "node:assert/strict";
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { silentLogger } from "../../../lib/logger.ts";
import { secretValue } from "../../../resources/index.ts";
import { LOCK_FILE, SECRET_KEY_FILE, STORE_DIR, SecretKeyError, StoreLockedError, keyOf, openDurableStore } from "../../../store/index.ts";
import { mutable } from "./contract-helpers.ts";
import { app, secret } from "./fixtures.ts";
import { tempDir } from "./temp-dir.ts";

const open = (dataDir: string, extra: { compactRecords?: number } = {}) => openDurableStore({ dataDir, logger: silentLogger(), ...extra });

test("reopening keeps every object, deletions and the revision", async (t) => {
  const dataDir = await tempDir(t);
  const store = await open(dataDir);
  const web = await store.create(app("web", { labels: { tier: "web" } }));
  const withStatus = await store.updateStatus({ ...mutable(web), status: { observedGeneration: 1, readyReplicas: 2 } });
  const gone = await store.create(app("gone"));
  await store.delete(keyOf(gone));
  const held = await store.delete(keyOf(await store.create(app("held", { finalizers: ["x"] }))));
  const creds = await store.create(secret("creds", { password: "s3cret" }));
  const revision = store.revision();
  await store.close();

  const again = await open(dataDir);
  t.after(() => again.close());
  assert.equal(again.revision(), revision);
  assert.deepEqual(await again.get(keyOf(web)), withStatus);
  assert.deepEqual(await again.get(keyOf(held)), held);
  assert.deepEqual(await again.get(keyOf(creds)), creds);
  assert.equal(secretValue((await again.get(keyOf(creds))) as { data?: unknown }, "password"), "s3cret");
  await assert.rejects(again.get(keyOf(gone)));
  const next = await again.create(app("next"));
  assert.equal(next.metadata.resourceVersion, String(revision + 1), "the revision counter continues");
});

test("a delete as the last write keeps the revision across a reopen", async (t) => {
  const dataDir = await tempDir(t);
  const store = await open(dataDir);
  await store.delete(keyOf(await store.create(app("web"))));
  await store.close();
  const again = await open(dataDir);
  t.after(() => again.close());
  assert.equal(again.revision(), 2);
});

test("Secret values never reach the disk in plain text, in the journal or in the snapshot", async (t) => {
  const dataDir = await tempDir(t);
  const plain = "correct-horse-battery-staple-4471";
  const encoded = Buffer.from(plain).toString("base64");
  const store = await open(dataDir, { compactRecords: 5 });
  const lastApplied = JSON.stringify({ kind: "Secret", stringData: { password: plain } });
  const created = await store.create(secret("db-creds", { password: plain, "api-key-name": "topsecret-key-9913" }, { "kubectl.kubernetes.io/last-applied-configuration": lastApplied }));
  for (let i = 0; i < 12; i++) await store.create(app(`filler-${i}`));
  const rotated = await store.update({ ...mutable(created), data: { password: encoded, other: Buffer.from(`${plain}-2`).toString("base64") } });
  await store.close();

  const files = await allFiles(dataDir);
  assert.ok(files.some((f) => f.endsWith("snapshot.json")), "a snapshot was written");
  assert.ok(files.some((f) => /journal-\d+\.log$/.test(f)), "a journal segment exists");
  for (const file of files) {
    const text = (await readFile(file)).toString("latin1");
    for (const needle of [plain, encoded, "topsecret-key-9913", "api-key-name"]) assert.ok(!text.includes(needle), `${path.relative(dataDir, file)} contains ${needle}`);
  }
  const again = await open(dataDir);
  t.after(() => again.close());
  assert.deepEqual(await again.get(keyOf(created)), rotated);
  assert.equal(secretValue(rotated as { data?: unknown }, "other"), `${plain}-2`);
});

test("the Secret key is 32 random bytes, mode 0600, kept across restarts; a wrong key refuses to start", async (t) => {
  const dataDir = await tempDir(t);
  const store = await open(dataDir);
  await store.create(secret("creds", { password: "p" }));
  await store.close();
  const keyFile = path.join(dataDir, SECRET_KEY_FILE);
  const info = await stat(keyFile);
  assert.equal(info.mode & 0o777, 0o600);
  const key = await readFile(keyFile);
  assert.equal(key.length, 32);
  const again = await open(dataDir);
  await again.close();
  assert.deepEqual(await readFile(keyFile), key, "the key is not regenerated");
  await writeFile(keyFile, Buffer.alloc(32, 7));
  await assert.rejects(open(dataDir), SecretKeyError);
  await writeFile(keyFile, Buffer.alloc(5, 7));
  await assert.rejects(open(dataDir), SecretKeyError);
});

test("a second open of a data directory in use is refused; a stale lock is taken over", async (t) => {
  const dataDir = await tempDir(t);
  const store = await open(dataDir);
  await assert.rejects(open(dataDir), StoreLockedError);
  await store.close();
  const lockFile = path.join(dataDir, STORE_DIR, LOCK_FILE);
  await assert.rejects(stat(lockFile), "close removes the lock");
  // A pid that cannot be alive: pid_max is at most 2^22 on Linux.
  await writeFile(lockFile, JSON.stringify({ pid: 2 ** 22 + 17, started: "1" }));
  const again = await open(dataDir);
  t.after(() => again.close());
  assert.equal(JSON.parse(await readFile(lockFile, "utf8")).pid, process.pid);
});

test("a failed open (a wrong key) releases the lock", async (t) => {
  const dataDir = await tempDir(t);
  const store = await open(dataDir);
  await store.create(secret("creds", { password: "p" }));
  await store.close();
  await writeFile(path.join(dataDir, SECRET_KEY_FILE), Buffer.alloc(32, 1));
  await assert.rejects(open(dataDir), SecretKeyError);
  await assert.rejects(stat(path.join(dataDir, STORE_DIR, LOCK_FILE)));
});

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(full)));
    else out.push(full);
  }
  return out;
}


test("objects loaded from disk are deeply frozen whichever way they are first read: get, list, watch, or a write", async (t) => {
  const dataDir = await tempDir(t);
  const store = await open(dataDir);
  for (const name of ["got", "listed", "watched", "updated"]) await store.create(app(name, { labels: { tier: name } }));
  await store.close();

  const again = await open(dataDir);
  t.after(() => again.close());
  const deeplyFrozen = (obj: { metadata: { labels?: Record<string, string> }; spec?: unknown }) =>
    Object.isFrozen(obj) && Object.isFrozen(obj.metadata) && Object.isFrozen(obj.metadata.labels) && Object.isFrozen(obj.spec);
  const got = await again.get({ kind: "App", namespace: "default", name: "got" });
  assert.ok(deeplyFrozen(got), "get");
  const listed = (await again.list("App", { labelSelector: "tier=listed" })).items;
  assert.equal(listed.length, 1);
  assert.ok(deeplyFrozen(listed[0]!), "list");
  const watched: Array<{ metadata: { name: string; labels?: Record<string, string> }; spec?: unknown }> = [];
  again.watch({ kind: "App", labelSelector: "tier=watched" }, (event) => watched.push(event.object)).close();
  assert.equal(watched.length, 1);
  assert.ok(deeplyFrozen(watched[0]!), "watch");
  // No read first: the write itself looks the stored object up.
  const updated = await again.updateStatus({ ...app("updated", { labels: { tier: "updated" } }), status: { observedGeneration: 1 } });
  assert.ok(deeplyFrozen(updated), "a write shares the stored object's parts, frozen");
  assert.throws(() => {
    (updated.spec as Record<string, unknown>).image = "changed";
  }, TypeError);
});
