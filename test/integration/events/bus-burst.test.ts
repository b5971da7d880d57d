import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { test } from "node:test";
import { setImmediate as yieldToIo, setTimeout as sleep } from "node:timers/promises";
import { MemoryStore } from "../../../store/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { connectBus, publishStoreChanges, CHANGES_STREAM, type ChangeMessage, type EventBus } from "../../../controllers/events/index.ts";
import { startTestNats, type TestNats } from "../../support/nats.ts";
import { eventually } from "../../support/daemon.ts";
import { bulkyApp, readStreamFast, teardown, type StoredMessage } from "./fixtures.ts";

const BURST = 20_000;

/** whenSettled polls (every 5 ms, bounded) until the bus has stored or dropped `count` messages and holds none; returns when. */
async function whenSettled(bus: EventBus, count: number, timeoutMs: number): Promise<number> {
  const settled = () => bus.stats().published + bus.stats().dropped >= count && bus.stats().queued === 0;
  await eventually(settled, { timeoutMs, intervalMs: 5, what: `${count} messages stored` });
  return performance.now();
}

/** assertExactlyOnceInOrder checks the stream holds revisions 1..count, each once, in order, on consecutive sequences. */
function assertExactlyOnceInOrder(stored: StoredMessage[], count: number): void {
  assert.equal(stored.length, count, "messages in the stream");
  const revisions = stored.map((m) => (JSON.parse(m.text) as ChangeMessage).revision);
  const outOfPlace = revisions.findIndex((revision, i) => revision !== i + 1);
  assert.equal(outOfPlace, -1, `revision ${revisions[outOfPlace]} stored at position ${outOfPlace + 1}`);
  assert.ok(stored.every((m, i) => m.seq === stored[0]!.seq + i), "stream sequences are consecutive");
  assert.equal(new Set(stored.map((m) => m.subject)).size, count, "one message per object");
}

test("a burst of 20 000 store changes of 1.5 KB is stored exactly once, in revision order, none dropped", async (context) => {
  const t = teardown(context);
  const nats = await startTestNats(t);
  const store = await MemoryStore.open();
  const bus = await connectBus({ url: nats.url, logger: silentLogger() });
  t.after(() => bus.close());
  t.after(publishStoreChanges(store, bus).close);
  const objects = Array.from({ length: BURST }, (_, i) => bulkyApp(`app-${i}`));

  const started = performance.now();
  for (const object of objects) await store.create(object);
  const written = performance.now();
  const stored = await whenSettled(bus, BURST, 60_000);

  const storeRate = Math.round(BURST / ((written - started) / 1000));
  const busRate = Math.round(bus.stats().published / ((stored - started) / 1000));
  // The store's burst never yields to I/O, so the bus sends once it ends: the second phase is the publisher alone.
  const drainRate = Math.round(bus.stats().published / ((stored - written) / 1000));
  context.diagnostic(`store: ${storeRate} writes/s; end to end: ${busRate} messages/s stored (${Math.round(stored - started)} ms for ${BURST}); ` +
    `publisher after the burst: ${drainRate} messages/s; ${bus.stats().dropped} dropped`);
  assert.deepEqual(bus.stats(), { queued: 0, published: BURST, dropped: 0, retries: 0, connected: true });
  const messages = await readStreamFast(bus.connection, CHANGES_STREAM);
  assert.ok(messages[0]!.text.length > 1300 && messages[0]!.text.length < 1700, `a message is ${messages[0]!.text.length} bytes`);
  assertExactlyOnceInOrder(messages, BURST);
});

/** killNats sends SIGKILL to the nats-server this test process started on `nats.storeDir`, found by its command line. */
async function killNats(nats: TestNats): Promise<void> {
  for (const pid of (await readdir("/proc")).filter((name) => /^\d+$/.test(name))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    const parent = (await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "")).split(") ")[1]?.split(" ")[1];
    if (cmdline.includes(nats.storeDir) && Number(parent) === process.pid) {
      process.kill(Number(pid), "SIGKILL");
      return;
    }
  }
  throw new Error(`no nats-server child on ${nats.storeDir}`);
}

for (const how of ["killed (SIGKILL)", "stopped (SIGTERM)"] as const) {
  test(`NATS ${how} in the middle of a burst of 20 000 changes: every change stored exactly once, in order, after the restart`, async (context) => {
    const t = teardown(context);
    const nats = await startTestNats(t);
    const store = await MemoryStore.open();
    const bus = await connectBus({ url: nats.url, logger: silentLogger(), ackTimeoutMs: 1000 });
    t.after(() => bus.close());
    t.after(publishStoreChanges(store, bus).close);
    const objects = Array.from({ length: BURST }, (_, i) => bulkyApp(`app-${i}`));

    let interrupted = false;
    for (let i = 0; i < BURST; i++) {
      await store.create(objects[i]!);
      if (i % 250 !== 249) continue;
      await yieldToIo(); // let the bus send and read acknowledgements while the burst goes on
      if (!interrupted && bus.stats().published >= 5000) {
        interrupted = true;
        await (how === "killed (SIGKILL)" ? killNats(nats) : nats.stop());
      }
    }
    assert.ok(interrupted, "the server went down before the burst ended");
    const publishedWhileDown = bus.stats().published;
    await sleep(300);
    if (how === "killed (SIGKILL)") await nats.stop(); // reaps the killed child
    await nats.start();
    await whenSettled(bus, BURST, 40_000);

    const stats = bus.stats();
    context.diagnostic(`stored before the outage: ${publishedWhileDown}; go-backs: ${stats.retries}`);
    assert.deepEqual({ published: stats.published, dropped: stats.dropped, queued: stats.queued }, { published: BURST, dropped: 0, queued: 0 });
    assert.ok(publishedWhileDown < BURST, "some changes were still unstored when the server went down");
    assertExactlyOnceInOrder(await readStreamFast(bus.connection, CHANGES_STREAM), BURST);
  });
}
