import { test } from "node:test";
import assert from "node:assert/strict";
import { TerminalError } from "../../../resources/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { FakeClock } from "../../../lib/clock.ts";
import { ControllerRunner, ManagerStoppedError, ReconcileTimeoutError, getCondition, type Controller, type ControllerOptions, type ReconcileContext, type Result } from "../../../controllers/runtime/index.ts";
import { captureLogger, secret, settle, LIMIT } from "./support.ts";

type Reconcile = (key: string, ctx: ReconcileContext) => Promise<Result>;

async function setup(reconcile: Reconcile, options: ControllerOptions = {}) {
  const store = await MemoryStore.open();
  const clock = new FakeClock();
  const { logger, lines } = captureLogger();
  const calls: string[] = [];
  const controller: Controller = {
    name: "test-controller",
    kind: "Secret",
    options: { backoff: { baseMs: 1_000, maxMs: 60_000, jitter: 0.1, random: () => 0 }, ...options },
    sources: () => [],
    reconcile: (key, ctx) => {
      calls.push(key);
      return reconcile(key, ctx);
    },
  };
  const runner = new ControllerRunner(controller, { store, logger, clock });
  runner.start();
  const closing = () => lines.filter((l) => typeof l.msg === "string" && /^(reconciled|reconcile of)/.test(l.msg)).map((l) => l.msg as string);
  return { store, clock, runner, calls, lines, closing };
}

test("worker: a failure is retried with growing backoff, and success forgets it", LIMIT, async (t) => {
  let failures = 2;
  const { clock, runner, calls, closing } = await setup(async () => {
    if (failures-- > 0) throw new Error("docker is away");
    return {};
  });
  t.after(() => runner.stop(1_000));
  runner.queue.add("Secret/default/a");
  await settle();
  assert.equal(calls.length, 1);
  assert.equal(runner.queue.numRequeues("Secret/default/a"), 1);
  clock.advance(999);
  await settle();
  assert.equal(calls.length, 1, "not before the 1 s backoff");
  clock.advance(1);
  await settle();
  assert.equal(calls.length, 2);
  clock.advance(1_999);
  await settle();
  assert.equal(calls.length, 2, "the second retry waits 2 s");
  clock.advance(1);
  await settle();
  assert.equal(calls.length, 3);
  assert.equal(runner.queue.numRequeues("Secret/default/a"), 0, "success forgets the failures");
  assert.deepEqual(runner.counts, { succeeded: 1, requeued: 0, failed: 2, stalled: 0 });
  assert.deepEqual(closing(), [
    "reconcile of Secret/default/a failed in 0ms, retry in 1s: docker is away",
    "reconcile of Secret/default/a failed in 0ms, retry in 2s: docker is away",
    "reconciled Secret/default/a in 0ms",
  ]);
});

test("worker: a synchronous throw (a panic) is caught and retried", LIMIT, async (t) => {
  const { runner, calls } = await setup(((): Promise<Result> => {
    throw new TypeError("cannot read properties of undefined");
  }) as Reconcile);
  t.after(() => runner.stop(1_000));
  runner.queue.add("Secret/default/a");
  await settle();
  assert.equal(calls.length, 1);
  assert.equal(runner.counts.failed, 1);
  assert.equal(runner.queue.delayedCount, 1);
});

test("worker: TerminalError writes Stalled=True and is not retried; a later success removes it", LIMIT, async (t) => {
  let terminal = true;
  const { store, clock, runner, calls, closing } = await setup(async () => {
    if (terminal) throw new TerminalError("InvalidImage", "image reference has no tag");
    return {};
  });
  t.after(() => runner.stop(1_000));
  const created = await store.create(secret("a"));
  runner.queue.add("Secret/default/a");
  await settle();
  const stalled = await store.get({ kind: "Secret", namespace: "default", name: "a" });
  const condition = getCondition(stalled.status, "Stalled");
  assert.equal(condition?.status, "True");
  assert.equal(condition?.reason, "InvalidImage");
  assert.equal(condition?.message, "image reference has no tag");
  assert.equal(condition?.observedGeneration, created.metadata.generation);
  assert.equal(runner.queue.delayedCount, 0);
  clock.advance(3_600_000);
  await settle();
  assert.equal(calls.length, 1, "no retry");
  assert.equal(runner.queue.numRequeues("Secret/default/a"), 0);
  assert.match(closing()[0]!, /^reconcile of Secret\/default\/a stalled in 0ms: InvalidImage: image reference has no tag$/);
  terminal = false;
  runner.queue.add("Secret/default/a");
  await settle();
  const healed = await store.get({ kind: "Secret", namespace: "default", name: "a" });
  assert.equal(getCondition(healed.status, "Stalled"), undefined);
});

test("worker: TerminalError for an object that is gone is just logged", LIMIT, async (t) => {
  const { runner, calls } = await setup(async () => {
    throw new TerminalError("Invalid", "bad");
  });
  t.after(() => runner.stop(1_000));
  runner.queue.add("Secret/default/missing");
  await settle();
  assert.equal(calls.length, 1);
  assert.equal(runner.counts.stalled, 1);
  assert.equal(runner.queue.delayedCount, 0);
});

test("worker: requeueAfterMs forgets the backoff and adds the key after the delay", LIMIT, async (t) => {
  let fail = true;
  const { clock, runner, calls, closing } = await setup(async () => {
    if (fail) {
      fail = false;
      throw new Error("once");
    }
    return { requeueAfterMs: 300_000 };
  });
  t.after(() => runner.stop(1_000));
  runner.queue.add("Secret/default/a");
  await settle();
  clock.advance(1_000);
  await settle();
  assert.equal(calls.length, 2);
  assert.equal(runner.queue.numRequeues("Secret/default/a"), 0);
  assert.equal(runner.queue.delayedCount, 1);
  clock.advance(299_999);
  await settle();
  assert.equal(calls.length, 2);
  clock.advance(1);
  await settle();
  assert.equal(calls.length, 3);
  assert.equal(closing()[1], "reconciled Secret/default/a in 0ms, next in 5m");
});

test("worker: the timeout aborts the signal and the key is retried", LIMIT, async (t) => {
  const aborted: { reason?: unknown } = {};
  const { clock, runner, calls, closing } = await setup(
    (_key, ctx) =>
      new Promise<Result>((_resolve, reject) => {
        ctx.signal.addEventListener("abort", () => {
          aborted.reason = ctx.signal.reason;
          reject(ctx.signal.reason);
        });
      }),
    { reconcileTimeoutMs: 2_000 },
  );
  t.after(() => runner.stop(1_000));
  runner.queue.add("Secret/default/a");
  await settle();
  clock.advance(1_999);
  await settle();
  assert.equal(aborted.reason === undefined, true, "not aborted before the timeout");
  clock.advance(1);
  await settle();
  assert.ok(aborted.reason instanceof ReconcileTimeoutError);
  assert.equal(runner.counts.failed, 1);
  assert.equal(runner.queue.numRequeues("Secret/default/a"), 1);
  assert.equal(closing()[0], "reconcile of Secret/default/a failed in 2s, retry in 1s: reconcile of Secret/default/a timed out after 2000ms");
  assert.equal(calls.length, 1);
});

test("worker: a reconcile that ignores its aborted signal is abandoned after the grace period", LIMIT, async (t) => {
  const { clock, runner, closing } = await setup(() => new Promise<Result>(() => {}), { reconcileTimeoutMs: 1_000, abortGraceMs: 500 });
  t.after(() => runner.stop(1_000));
  runner.queue.add("Secret/default/a");
  await settle();
  clock.advance(1_000);
  await settle();
  assert.equal(runner.queue.processingCount, 1, "still waiting within the grace period");
  clock.advance(500);
  await settle();
  assert.equal(runner.queue.processingCount, 0, "the key is released");
  assert.equal(runner.counts.failed, 1);
  assert.match(closing().at(-1)!, /timed out after 1000ms$/);
});

test("worker: maxConcurrentReconciles runs different keys in parallel, never the same key twice", LIMIT, async (t) => {
  const running = new Set<string>();
  let peak = 0;
  let overlap = false;
  const gates: Array<() => void> = [];
  const { runner } = await setup(
    async (key) => {
      if (running.has(key)) overlap = true;
      running.add(key);
      peak = Math.max(peak, running.size);
      await new Promise<void>((resolve) => gates.push(resolve));
      running.delete(key);
      return {};
    },
    { maxConcurrentReconciles: 3 },
  );
  t.after(() => runner.stop(1_000));
  for (const k of ["a", "b", "a", "c", "d"]) runner.queue.add(`Secret/default/${k}`);
  await settle();
  assert.equal(peak, 3);
  runner.queue.add("Secret/default/a");
  const deadline = Date.now() + 5_000;
  while ((runner.queue.length > 0 || runner.queue.processingCount > 0) && Date.now() < deadline) {
    gates.splice(0).forEach((open) => open());
    await settle();
  }
  assert.equal(overlap, false);
  assert.equal(runner.queue.processingCount, 0);
});

test("worker: stop aborts running reconciles with ManagerStoppedError and resolves", LIMIT, async () => {
  let reason: unknown;
  const { runner, closing } = await setup(
    (_key, ctx) =>
      new Promise<Result>((_resolve, reject) => {
        ctx.signal.addEventListener("abort", () => reject((reason = ctx.signal.reason)));
      }),
  );
  runner.queue.add("Secret/default/a");
  runner.queue.add("Secret/default/b");
  await settle();
  assert.equal(await runner.stop(1_000), true);
  assert.ok(reason instanceof ManagerStoppedError);
  assert.match(closing()[0]!, /aborted after 0ms: manager stopping/);
  assert.equal(runner.counts.failed, 0);
});

test("worker: stop is bounded when a reconcile hangs", LIMIT, async () => {
  const { runner } = await setup(() => new Promise<Result>(() => {}), { abortGraceMs: 60_000 });
  runner.queue.add("Secret/default/a");
  await settle();
  const started = Date.now();
  assert.equal(await runner.stop(100), false);
  assert.ok(Date.now() - started < 1_000);
});

test("worker: the context carries a logger with controller, key and reconcileId, and the clock's time", LIMIT, async (t) => {
  const seen: Array<{ id: string; now: number }> = [];
  const { clock, runner, lines } = await setup(async (_key, ctx) => {
    ctx.log.info("inside");
    seen.push({ id: ctx.reconcileId, now: ctx.now().getTime() });
    return {};
  });
  t.after(() => runner.stop(1_000));
  runner.queue.add("Secret/default/a");
  await settle();
  runner.queue.add("Secret/default/a");
  await settle();
  const inside = lines.filter((l) => l.msg === "inside");
  assert.equal(inside.length, 2);
  assert.equal(inside[0]!.controller, "test-controller");
  assert.equal(inside[0]!.key, "Secret/default/a");
  assert.equal(inside[0]!.reconcileId, seen[0]!.id);
  assert.notEqual(seen[0]!.id, seen[1]!.id);
  assert.equal(seen[0]!.now, clock.now());
});
