import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { once } from "node:events";
import { connect as tcpConnect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connect } from "nats";
import { silentLogger } from "../../../lib/logger.ts";
import { isAlive } from "../../../controllers/events/stale-process.ts";
import { connectBus, connectOptionsFor, publishStoreChanges, startEmbeddedNats, CHANGES_STREAM } from "../../../controllers/events/index.ts";
import { MemoryStore } from "../../../store/index.ts";
import { eventually } from "../../support/daemon.ts";
import { createApp, teardown, waitForStream, type Teardown } from "./fixtures.ts";

async function tempDataDir(t: Teardown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-embedded-nats-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(true));
  });
}

test("the embedded nats-server runs JetStream under <data-dir>/nats and stop() ends it", async (context) => {
  const t = teardown(context);
  const dataDir = await tempDataDir(t);
  const nats = await startEmbeddedNats({ dataDir, logger: silentLogger() });
  t.after(() => nats.stop());
  assert.match(nats.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
  const pid = nats.pid()!;
  assert.ok(isAlive(pid));

  const nc = await connect({ servers: nats.url, ...connectOptionsFor(nats.auth) });
  const account = await (await nc.jetstreamManager()).getAccountInfo();
  assert.equal(account.streams, 0);
  await nc.close();
  assert.ok(existsSync(join(dataDir, "nats", "jetstream")), "the JetStream store lives under the data dir");

  await nats.stop();
  assert.equal(isAlive(pid), false);
  assert.equal(await refusesConnections(nats.port), true);
  await nats.stop(); // idempotent
});

test("a nats-server that dies is restarted on the same port, and the bus reconnects and publishes", async (context) => {
  const t = teardown(context);
  const dataDir = await tempDataDir(t);
  const nats = await startEmbeddedNats({ dataDir, logger: silentLogger() });
  t.after(() => nats.stop());
  const bus = await connectBus({ url: nats.url, auth: nats.auth, logger: silentLogger(), ackTimeoutMs: 1000 });
  t.after(() => bus.close());
  const store = await MemoryStore.open();
  t.after(publishStoreChanges(store, bus).close);

  await createApp(store, "before");
  await waitForStream(bus.connection, CHANGES_STREAM, 1);
  const firstPid = nats.pid()!;
  process.kill(firstPid, "SIGKILL");
  await eventually(() => nats.restarts() === 1 && nats.pid() !== undefined && nats.pid() !== firstPid, { what: "a restarted nats-server" });
  await createApp(store, "after");

  const stored = await waitForStream(bus.connection, CHANGES_STREAM, 2, 15_000);
  assert.deepEqual(stored.map((m) => m.subject), ["berth.changes.default.App.before", "berth.changes.default.App.after"]);
  assert.equal(new URL(nats.url).port, String(nats.port));
});

test("a nats-server left behind by a killed berthd is stopped before a new one starts on the same store", async (context) => {
  const t = teardown(context);
  const dataDir = await tempDataDir(t);
  const storeDir = join(dataDir, "nats");
  await mkdir(storeDir, { recursive: true });
  const orphan = spawn("nats-server", ["-js", "-sd", storeDir, "-a", "127.0.0.1", "-p", "-1", "-P", join(storeDir, "nats-server.pid")], {
    stdio: "ignore",
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` },
  });
  t.after(() => void orphan.kill("SIGKILL"));
  await eventually(() => existsSync(join(storeDir, "nats-server.pid")), { what: "the orphan's pid file" });

  const nats = await startEmbeddedNats({ dataDir, logger: silentLogger() });
  t.after(() => nats.stop());
  assert.notEqual(orphan.exitCode ?? orphan.signalCode, null, "the orphan was stopped");
  assert.notEqual(nats.pid(), orphan.pid);
});

test("startEmbeddedNats fails with NatsServerError when nats-server cannot run", async (context) => {
  const t = teardown(context);
  const dataDir = await tempDataDir(t);
  await assert.rejects(startEmbeddedNats({ dataDir, logger: silentLogger(), binary: "/nonexistent/nats-server" }), { name: "NatsServerError" });
});

test("startEmbeddedNats fails with NatsServerError, leaving nothing running, when its port is taken", async (context) => {
  const t = teardown(context);
  const dataDir = await tempDataDir(t);
  const blocker = createServer().listen(0, "127.0.0.1");
  await once(blocker, "listening");
  t.after(() => new Promise((resolve) => blocker.close(resolve)));
  const port = (blocker.address() as { port: number }).port;
  await assert.rejects(startEmbeddedNats({ dataDir, logger: silentLogger(), port, readyTimeoutMs: 3000 }), { name: "NatsServerError" });
  const pid = Number(await readFile(join(dataDir, "nats", "nats-server.pid"), "utf8").catch(() => "0"));
  assert.ok(pid === 0 || !isAlive(pid), "no nats-server left running");
});
