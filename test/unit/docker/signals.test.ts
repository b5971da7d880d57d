import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { withTimeout } from "../../../controllers/docker/index.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("withTimeout: the timeout fires even after garbage collection, combined with a caller's signal or alone", async () => {
  const caller = new AbortController();
  const combined = withTimeout(caller.signal, 150);
  const alone = withTimeout(undefined, 150);
  for (let i = 0; i < 5; i++) {
    gc();
    await sleep(5);
  }
  await sleep(400);
  assert.equal(combined.aborted, true, "the combined signal aborted at its timeout");
  assert.equal((combined.reason as Error).name, "TimeoutError");
  assert.equal(alone.aborted, true);
  assert.equal(caller.signal.aborted, false, "the caller's own signal is untouched");
});

test("withTimeout: the caller's abort reaches the combined signal at once", () => {
  const caller = new AbortController();
  const combined = withTimeout(caller.signal, 60_000);
  caller.abort(new Error("stopped"));
  assert.equal(combined.aborted, true);
  assert.equal((combined.reason as Error).message, "stopped");
});
