import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { connect } from "nats";
import { startDaemon, removeDirs } from "../support/daemon.ts";
import { runCli } from "../support/run-cli.ts";

/** embeddedNats reads what berthd's embedded nats-server runs with, from its data directory. */
async function embeddedNats(dataDir: string): Promise<{ port: number; password: string; cmdline: string }> {
  const dir = join(dataDir, "nats");
  const config = await readFile(join(dir, "nats-server.conf"), "utf8");
  const port = Number(/^port: (\d+)$/m.exec(config)![1]);
  const password = (await readFile(join(dir, "credentials"), "utf8")).trim().split(":").slice(1).join(":");
  const pid = Number((await readFile(join(dir, "nats-server.pid"), "utf8")).trim());
  const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").join(" ");
  return { port, password, cmdline };
}

/**
 * berthd's embedded NATS from the outside: a local user without the credentials can neither read the changes
 * nor publish; the password is in one owner-only file and nowhere else (not in berthd's log, debug included,
 * nor on nats-server's command line); a restarted berthd reuses it and publishes again.
 */
test("berthd's embedded NATS requires credentials that stay private and survive a restart", { timeout: 90_000 }, async (t) => {
  let daemon = await startDaemon({ args: ["--log-level", "debug"] });
  t.after(async () => {
    await daemon.stop();
    await removeDirs(daemon.dataDir, daemon.clientDir);
  });
  const first = await embeddedNats(daemon.dataDir);
  assert.equal((await stat(join(daemon.dataDir, "nats", "credentials"))).mode & 0o777, 0o600);
  assert.ok(!first.cmdline.includes(first.password), "not on the command line");
  await assert.rejects(connect({ servers: `nats://127.0.0.1:${first.port}`, timeout: 3000, maxReconnectAttempts: 0 }), /Authorization Violation/i);

  // berthd publishes a change (it is connected with the credentials).
  const applied = await runCli(["apply", "-f", "-"], { env: daemon.env, stdin: JSON.stringify({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: "s", namespace: "default" }, stringData: { k: "v" } }) });
  assert.equal(applied.code, 0, applied.stderr);
  const nc = await connect({ servers: `nats://127.0.0.1:${first.port}`, user: "berthd", pass: first.password });
  t.after(() => nc.close());
  const jsm = await nc.jetstreamManager();
  assert.ok((await jsm.streams.info("BERTH_CHANGES")).state.messages >= 1, "berthd published the change");

  assert.equal(await daemon.stop(), 0, daemon.logs());
  assert.ok(!daemon.logs().includes(first.password), "the password is not in berthd's log");

  daemon = await startDaemon({ dataDir: daemon.dataDir, clientDir: daemon.clientDir, port: daemon.port, args: ["--log-level", "debug"] });
  const second = await embeddedNats(daemon.dataDir);
  assert.equal(second.password, first.password, "the restarted berthd reuses its credentials");
  const again = await runCli(["apply", "-f", "-"], { env: daemon.env, stdin: JSON.stringify({ apiVersion: "berth.dev/v1", kind: "Secret", metadata: { name: "s2", namespace: "default" }, stringData: { k: "v" } }) });
  assert.equal(again.code, 0, again.stderr);
  assert.ok(!daemon.logs().includes(first.password), "the password is not in the restarted berthd's log");
});
