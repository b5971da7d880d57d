import { test } from "node:test";
import assert from "node:assert/strict";
import { LIMIT, eventually, isReady } from "../app/harness.ts";
import { chatty, say, startWorld } from "./world.ts";

test("berth logs: app/NAME prints every replica prefixed; --tail, --replica, --since; errors exit 1 with the server's reason", LIMIT, async (t) => {
  const w = await startWorld(t);
  if (!w) return;
  await w.apply("web", chatty({ replicas: 2 }));
  await eventually(async () => assert.ok(isReady(await w.get("web"))), 30_000);

  const all = await eventually(async () => {
    const res = await w.berth(["logs", "app/web"]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /\[replica-1\] warning on stderr/);
    return res;
  });
  assert.match(all.stdout, /^\[replica-0\] hello from web-0$/m);
  assert.match(all.stdout, /^\[replica-1\] hello from web-1$/m);
  assert.equal(all.stderr, "");

  const tail = await w.berth(["logs", "web", "--tail", "1", "--replica", "0"]);
  assert.equal(tail.code, 0, tail.stderr);
  assert.equal(tail.stdout.split("\n").filter(Boolean).length, 1, tail.stdout);

  const since = await w.berth(["logs", "app/web", "--since", "5m", "--replica", "1"]);
  assert.match(since.stdout, /^hello from web-1$/m);

  const missing = await w.berth(["logs", "app/nope"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error from server \(NotFound\): .*"nope" not found/);
  const wrongKind = await w.berth(["logs", "db/main"]);
  assert.equal(wrongKind.code, 1);
  assert.match(wrongKind.stderr, /only Apps have logs/);
  const badTail = await w.berth(["logs", "app/web", "--tail", "x"]);
  assert.equal(badTail.code, 1);
  assert.match(badTail.stderr, /invalid --tail value/);
});

test("berth logs -f: streams new lines as the container prints them; Ctrl-C exits 0", LIMIT, async (t) => {
  const w = await startWorld(t);
  if (!w) return;
  await w.apply("web", chatty());
  await eventually(async () => assert.ok(isReady(await w.get("web"))), 30_000);
  const [container] = await w.containers("web");
  const follower = w.spawn(["logs", "-f", "app/web"]);
  await follower.waitFor(/\[replica-0\] hello from web-0/);
  for (const n of [1, 2]) {
    await say(w.docker, container!.id, `tick ${n}`);
    await follower.waitFor(new RegExp(`\\[replica-0\\] tick ${n}\\n`));
  }
  follower.child.kill("SIGINT");
  assert.equal(await follower.exited(), 0, follower.stderr);
  assert.equal(follower.stderr, "");
});
