import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TokenStore } from "../../../api/auth/token-store.ts";
import { AlreadyExistsError, NotFoundError, ValidationError } from "../../../resources/index.ts";

async function tempFile(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-tokens-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, "nested", "tokens.json");
}

test("tokens are stored hashed in a 0600 file and survive a reopen", async (t) => {
  const file = await tempFile(t);
  const store = await TokenStore.open(file);
  const { token } = await store.create("ci", [{ namespace: "prod", role: "deployer" }]);
  assert.match(token, /^berth_[A-Za-z0-9_-]{43}$/);
  const content = await readFile(file, "utf8");
  assert.ok(!content.includes(token), "the plaintext is never written");
  assert.match(content, /"sha256": "[0-9a-f]{64}"/);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const reopened = await TokenStore.open(file);
  assert.deepEqual(reopened.authenticate(token), { name: "ci", bindings: [{ namespace: "prod", role: "deployer" }] });
  assert.equal(reopened.authenticate(`${token}x`), undefined);
  assert.equal(reopened.authenticate(""), undefined);
  assert.deepEqual(reopened.list().map((i) => [i.name, Object.keys(i).sort()]), [["ci", ["bindings", "createdAt", "name"]]]);
});

test("create validates names and bindings and refuses duplicates; revoke removes a token for good", async (t) => {
  const store = await TokenStore.open(await tempFile(t));
  await assert.rejects(store.create("Bad Name", [{ namespace: "*", role: "admin" }]), ValidationError);
  await assert.rejects(store.create("ok", []), ValidationError);
  await assert.rejects(store.create("ok", [{ namespace: "prod/x", role: "viewer" }]), ValidationError);
  await assert.rejects(store.create("ok", [{ namespace: "prod", role: "owner" as "admin" }]), ValidationError);
  const { token } = await store.create("ok", [{ namespace: "*", role: "viewer" }]);
  await assert.rejects(store.create("ok", [{ namespace: "*", role: "viewer" }]), AlreadyExistsError);
  await store.revoke("ok");
  assert.equal(store.authenticate(token), undefined);
  await assert.rejects(store.revoke("ok"), NotFoundError);
});

test("concurrent creates are all persisted", async (t) => {
  const file = await tempFile(t);
  const store = await TokenStore.open(file);
  const created = await Promise.all(Array.from({ length: 20 }, (_, i) => store.create(`t${i}`, [{ namespace: "*", role: "viewer" }])));
  const reopened = await TokenStore.open(file);
  assert.equal(reopened.list().length, 20);
  for (const c of created) assert.equal(reopened.authenticate(c.token)?.name, c.name);
});
