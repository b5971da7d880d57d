import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../../lib/clock.ts";
import { ExponentialBackoff, WorkQueue } from "../../../controllers/runtime/index.ts";
import { settle, LIMIT } from "./support.ts";

function queue(clock = new FakeClock()) {
  return { clock, q: new WorkQueue({ clock, backoff: { baseMs: 1_000, maxMs: 300_000, jitter: 0.1, random: () => 0 } }) };
}

test("workqueue: FIFO and a key is queued at most once", LIMIT, async () => {
  const { q } = queue();
  for (const k of ["a", "b", "a", "c", "b", "a"]) q.add(k);
  assert.equal(q.length, 3);
  assert.deepEqual([await q.get(), await q.get(), await q.get()], ["a", "b", "c"]);
  assert.equal(q.length, 0);
});

test("workqueue: a key being processed is never handed out again until done", LIMIT, async () => {
  const { q } = queue();
  q.add("a");
  assert.equal(await q.get(), "a");
  q.add("a");
  q.add("b");
  assert.equal(q.length, 1, "the re-added key waits outside the queue while processing");
  assert.equal(await q.get(), "b");
  let second: string | undefined;
  void q.get().then((k) => (second = k));
  await settle();
  assert.equal(second, undefined, "no worker may get 'a' while it is processing");
  q.done("b");
  await settle();
  assert.equal(second, undefined);
  q.done("a");
  await settle();
  assert.equal(second, "a", "the add made during processing is queued on done");
});

test("workqueue: done without a re-add does not requeue; adds after done queue again", LIMIT, async () => {
  const { q } = queue();
  q.add("a");
  await q.get();
  q.done("a");
  assert.equal(q.length, 0);
  q.add("a");
  assert.equal(q.length, 1);
});

test("workqueue: concurrent workers never hold the same key", LIMIT, async () => {
  const { q } = queue();
  const running = new Set<string>();
  let overlaps = 0;
  let processed = 0;
  const worker = async () => {
    for (;;) {
      const key = await q.get();
      if (key === undefined) return;
      if (running.has(key)) overlaps++;
      running.add(key);
      await settle(1);
      if (processed < 200) q.add(key); // every run re-adds itself while processing
      processed++;
      running.delete(key);
      q.done(key);
    }
  };
  for (const k of ["a", "b", "c"]) q.add(k);
  const workers = [worker(), worker(), worker(), worker()];
  const deadline = Date.now() + 5_000;
  while (processed < 200 && Date.now() < deadline) await settle(1);
  q.shutDown();
  await Promise.all(workers);
  assert.equal(overlaps, 0);
  assert.ok(processed >= 200, `only ${processed} runs: re-added keys were lost`);
});

test("workqueue: addAfter adds when the delay has passed, and keeps the earliest of several", LIMIT, async () => {
  const { clock, q } = queue();
  q.addAfter("a", 5_000);
  q.addAfter("a", 2_000);
  q.addAfter("a", 9_000);
  assert.equal(q.delayedCount, 1);
  clock.advance(1_999);
  assert.equal(q.length, 0);
  clock.advance(1);
  assert.equal(q.length, 1);
  assert.equal(q.delayedCount, 0);
  clock.advance(10_000);
  assert.equal(q.length, 1, "the later delayed adds were folded into the earliest");
  q.addAfter("b", 0);
  assert.equal(q.length, 2, "a zero delay adds at once");
});

test("workqueue: addRateLimited backs off exponentially per key and forget resets it", LIMIT, async () => {
  const { clock, q } = queue();
  const delays = [1, 2, 3, 4].map(() => q.addRateLimited("a"));
  assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000]);
  assert.equal(q.numRequeues("a"), 4);
  assert.equal(q.addRateLimited("b"), 1_000, "backoff is per key");
  clock.advance(999);
  assert.equal(q.length, 0);
  clock.advance(1);
  assert.deepEqual([await q.get(), await q.get()], ["a", "b"]);
  q.forget("a");
  assert.equal(q.numRequeues("a"), 0);
  assert.equal(q.addRateLimited("a"), 1_000);
});

test("backoff: doubles from the base and caps at the maximum", LIMIT, () => {
  const backoff = new ExponentialBackoff({ baseMs: 1_000, maxMs: 300_000, jitter: 0, random: () => 0.5 });
  const delays = Array.from({ length: 14 }, () => backoff.when("k"));
  assert.deepEqual(delays.slice(0, 9), [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000]);
  assert.ok(delays.slice(9).every((d) => d === 300_000), `capped: ${delays.slice(9).join(",")}`);
  for (let i = 0; i < 2_000; i++) assert.equal(backoff.when("k"), 300_000, "no overflow after many failures");
});

test("backoff: jitter stays within [d, d·(1+jitter)] and never exceeds the cap", LIMIT, () => {
  const randoms = [0, 0.25, 0.5, 0.999999];
  for (const r of randoms) {
    const backoff = new ExponentialBackoff({ baseMs: 1_000, maxMs: 5_000, jitter: 0.2, random: () => r });
    const got = Array.from({ length: 5 }, () => backoff.when("k"));
    const plain = [1_000, 2_000, 4_000, 8_000, 16_000];
    got.forEach((d, i) => {
      const low = Math.min(5_000, plain[i]!);
      const high = Math.min(5_000, Math.round(plain[i]! * 1.2));
      assert.ok(d >= low && d <= high, `failure ${i + 1} with random ${r}: ${d} not in [${low}, ${high}]`);
    });
  }
  const real = new ExponentialBackoff({ baseMs: 1_000, maxMs: 300_000, jitter: 0.1 });
  const spread = new Set(Array.from({ length: 50 }, (_, i) => { real.forget(`k${i}`); return real.when(`k${i}`); }));
  assert.ok(spread.size > 1, "real jitter spreads the first retry of keys that failed together");
  for (const d of spread) assert.ok(d >= 1_000 && d <= 1_100);
});

test("backoff: rejects nonsense options", LIMIT, () => {
  assert.throws(() => new ExponentialBackoff({ baseMs: 0 }), RangeError);
  assert.throws(() => new ExponentialBackoff({ baseMs: 10, maxMs: 5 }), RangeError);
});

test("workqueue: shutDown refuses adds, drops delayed ones, and lets workers drain what is queued", LIMIT, async () => {
  const { clock, q } = queue();
  q.add("a");
  q.add("b");
  q.addAfter("c", 1_000);
  const held = await q.get();
  assert.equal(held, "a");
  q.shutDown();
  q.add("d");
  clock.advance(5_000);
  assert.equal(q.delayedCount, 0);
  assert.equal(clock.pendingTimers, 0, "delayed-add timers are cancelled");
  assert.equal(await q.get(), "b", "queued keys are still handed out");
  assert.equal(await q.get(), undefined, "then get reports the end");
  q.done("a");
  q.done("b");
  await q.idle();
  assert.equal(q.isShuttingDown, true);
});

test("workqueue: a worker blocked in get is released by shutDown", LIMIT, async () => {
  const { q } = queue();
  const pending = q.get();
  q.shutDown();
  assert.equal(await pending, undefined);
});

test("workqueue: idle resolves once nothing is queued or processing", LIMIT, async () => {
  const { q } = queue();
  q.add("a");
  let idle = false;
  void q.idle().then(() => (idle = true));
  const key = await q.get();
  await settle();
  assert.equal(idle, false);
  q.done(key!);
  await settle();
  assert.equal(idle, true);
});
