import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { startDaemon, removeDirs, reapNats, type Daemon } from "../support/daemon.ts";
import { ApiClient } from "../support/https-client.ts";

const ITERATIONS = Number(process.env.BERTH_DAEMON_CRASH_ITERATIONS ?? 25);
const WRITERS = 16;

/**
 * kill -9 of berthd while 16 clients write through the API, at random moments: after every restart, every
 * write the API acknowledged (201, or 200 for updates) is there, at its acknowledged resourceVersion or newer.
 */
test(`berthd killed -9 at ${ITERATIONS} random points loses no acknowledged write`, { timeout: 60_000 + ITERATIONS * 6_000 }, async (t) => {
  let daemon: Daemon = await startDaemon();
  t.after(async () => {
    await daemon.kill9();
    await reapNats(daemon.dataDir);
    await removeDirs(daemon.dataDir, daemon.clientDir);
  });
  const acknowledged = new Map<string, number>();
  let sequence = 0;
  for (let round = 0; round < ITERATIONS; round++) {
    const { token, ca } = parse(await readFile(join(daemon.clientDir, "config.yaml"), "utf8")) as { token: string; ca: string };
    const client = new ApiClient(daemon.url, ca, token, { keepAlive: true });
    let running = true;
    const writer = async () => {
      while (running) {
        const name = `crash-${round}-${sequence++}`;
        const body = { apiVersion: "berth.dev/v1", kind: "App", metadata: { name, labels: { round: String(round) } }, spec: { image: "busybox", port: 8080 } };
        const res = await client.request("/apis/berth.dev/v1/namespaces/default/apps", { method: "POST", body, timeoutMs: 5_000 }).catch(() => undefined);
        if (res?.status === 201) acknowledged.set(name, Number(res.json().metadata.resourceVersion));
        else if (res === undefined) return; // the daemon is gone
      }
    };
    const writers = Array.from({ length: WRITERS }, writer);
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 400));
    await daemon.kill9();
    running = false;
    await Promise.all(writers);
    client.agent.destroy();
    daemon = await startDaemon({ dataDir: daemon.dataDir, clientDir: daemon.clientDir, port: daemon.port });
    const list = await new ApiClient(daemon.url, ca, token).request("/apis/berth.dev/v1/namespaces/default/apps");
    assert.equal(list.status, 200, list.text);
    const stored = new Map<string, number>(list.json().items.map((o: { metadata: { name: string; resourceVersion: string } }) => [o.metadata.name, Number(o.metadata.resourceVersion)]));
    for (const [name, rv] of acknowledged) {
      const found = stored.get(name);
      assert.ok(found !== undefined, `round ${round}: acknowledged write ${name}@${rv} is missing after kill -9`);
      assert.ok(found >= rv, `round ${round}: ${name} went back from ${rv} to ${found}`);
    }
  }
  t.diagnostic(`${acknowledged.size} acknowledged writes over ${ITERATIONS} kill -9 restarts, none lost`);
  assert.ok(acknowledged.size > ITERATIONS, "the writers got writes acknowledged");
});
