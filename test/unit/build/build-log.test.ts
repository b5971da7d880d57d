import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BuildLog, Redactor, buildName } from "../../../controllers/build/index.ts";
import { isSshUrl, safeUrl } from "../../../controllers/build/git-auth.ts";

test("the redactor removes a secret split across any two chunks, and short values are left alone", () => {
  const secret = "s3cr3t-value";
  const text = `before ${secret} middle ${secret} after abc`;
  for (let cut = 0; cut <= text.length; cut++) {
    const r = new Redactor([secret, "abc"]);
    const out = r.push(text.slice(0, cut)) + r.push(text.slice(cut)) + r.end();
    assert.equal(out, "before [redacted] middle [redacted] after abc", `cut at ${cut}`);
  }
});

test("a build log is capped: what passes the limit is dropped and truncated is set", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-log-test-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = await BuildLog.open(join(dir, "b.log"), { limitBytes: 1000, secrets: ["hunter22"] });
  for (let i = 0; i < 100; i++) await log.write(`line ${i} hunter22\n`);
  await log.close();
  const text = await readFile(join(dir, "b.log"), "utf8");
  assert.equal(log.truncated, true);
  assert.ok(text.length < 1100, `${text.length} bytes kept`);
  assert.match(text, /\[log truncated/);
  assert.ok(!text.includes("hunter22"));
});

test("build names are DNS labels made of the App, the commit and the settings; URLs lose their credentials in messages", () => {
  const name = buildName("a".repeat(63), "0123456789abcdef0123456789abcdef01234567", "deadbeef");
  assert.ok(name.length <= 63, name);
  assert.match(name, /^a+-0123456-dead$/);
  assert.equal(safeUrl("https://user:pw@example.com/r.git"), "https://example.com/r.git");
  assert.ok(isSshUrl("git@example.com:r.git") && isSshUrl("ssh://git@example.com/r.git") && !isSshUrl("https://example.com/r.git"));
});
