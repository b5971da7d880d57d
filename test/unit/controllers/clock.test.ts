import { test } from "node:test";
import { LIMIT } from "./support.ts";
import assert from "node:assert/strict";
import { FakeClock } from "../../../lib/clock.ts";
import { formatDuration } from "../../../controllers/runtime/index.ts";

test("fake clock: timers fire in due order within advance, including timers they set", LIMIT, () => {
  const clock = new FakeClock(0);
  const fired: string[] = [];
  clock.setTimer(30, () => fired.push("c"));
  clock.setTimer(10, () => {
    fired.push("a");
    clock.setTimer(5, () => fired.push(`b@${clock.now()}`));
  });
  const cancelled = clock.setTimer(20, () => fired.push("x"));
  cancelled.cancel();
  clock.advance(29);
  assert.deepEqual(fired, ["a", "b@15"]);
  assert.equal(clock.now(), 29);
  assert.equal(clock.nextTimerIn(), 1);
  clock.advance(1);
  assert.deepEqual(fired, ["a", "b@15", "c"]);
  assert.equal(clock.pendingTimers, 0);
});

test("formatDuration reads like Go durations", LIMIT, () => {
  assert.equal(formatDuration(84), "84ms");
  assert.equal(formatDuration(1_000), "1s");
  assert.equal(formatDuration(2_500), "2.5s");
  assert.equal(formatDuration(300_000), "5m");
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(3_600_000 + 1_800_000), "1h30m");
});
