import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { MemoryStore } from "../../../store/index.ts";
import { ACCOUNT_SECRET, loadAccountKey } from "../../../proxy/acme/index.ts";

test("the ACME account key is created once in berth-system and returned unchanged afterwards, also to racing callers", { timeout: 10_000 }, async () => {
  const store = await MemoryStore.open();
  const racing = await Promise.all([loadAccountKey(store), loadAccountKey(store), loadAccountKey(store)]);
  assert.equal(new Set(racing).size, 1, "every caller got the stored key");
  const key = createPrivateKey(racing[0]!);
  assert.equal(key.asymmetricKeyType, "ec");
  assert.equal(await loadAccountKey(store), racing[0]);
  const secret = await store.get({ kind: "Secret", ...ACCOUNT_SECRET });
  assert.equal(secret.type, "berth.dev/acme-account");
  assert.equal(secret.metadata.ownerReferences, undefined, "not owned: it outlives every Domain");
});
