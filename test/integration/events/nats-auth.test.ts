import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connect } from "nats";
import { generate } from "selfsigned";
import { silentLogger } from "../../../lib/logger.ts";
import { connectBus, connectOptionsFor, loadNatsClientAuth, startEmbeddedNats } from "../../../controllers/events/index.ts";
import { loadDaemonConfig } from "../../../resources/config.ts";
import { startTestNats } from "../../support/nats.ts";
import { teardown, type Teardown } from "./fixtures.ts";

async function tempDir(t: Teardown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-nats-auth-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const mode = async (file: string) => (await stat(file)).mode & 0o777;

test("the embedded nats-server refuses clients without its credentials, keeps them 0600 and off its command line, and reuses them", async (context) => {
  const t = teardown(context);
  const dataDir = await tempDir(t);
  const nats = await startEmbeddedNats({ dataDir, logger: silentLogger() });
  t.after(() => nats.stop());
  const { user, password } = nats.auth;
  assert.ok(user && password && password.length >= 40, "a generated user and a long random password");

  // Anonymous and wrong-password clients are refused.
  await assert.rejects(connect({ servers: nats.url, timeout: 3000, maxReconnectAttempts: 0 }), /Authorization Violation/i);
  await assert.rejects(connect({ servers: nats.url, user, pass: "wrong", timeout: 3000, maxReconnectAttempts: 0 }), /Authorization Violation/i);
  // The right ones work, JetStream included.
  const nc = await connect({ servers: nats.url, ...connectOptionsFor(nats.auth) });
  assert.equal((await (await nc.jetstreamManager()).getAccountInfo()).streams, 0);
  await nc.close();

  // On disk: owner-only files; on the command line (readable by every local user): no password.
  const credentials = join(dataDir, "nats", "credentials");
  assert.equal(await mode(credentials), 0o600);
  assert.equal(await mode(join(dataDir, "nats", "nats-server.conf")), 0o600);
  assert.equal(await mode(join(dataDir, "nats")), 0o700, "the JetStream store is not readable by other users either");
  assert.equal((await readFile(credentials, "utf8")).trim(), `${user}:${password}`);
  const cmdline = (await readFile(`/proc/${nats.pid()}/cmdline`, "utf8")).split("\0").join(" ");
  assert.ok(!cmdline.includes(password), "the password is not on nats-server's command line");
  assert.match(cmdline, /-c \S+nats-server\.conf/);

  // A restart (a new berthd on the same data dir) reuses the same credentials.
  await nats.stop();
  const again = await startEmbeddedNats({ dataDir, logger: silentLogger() });
  t.after(() => again.stop());
  assert.deepEqual(again.auth, nats.auth);
  const bus = await connectBus({ url: again.url, auth: again.auth, logger: silentLogger(), connectTimeoutMs: 5000 });
  await bus.close();
});

test("--nats-creds with user:password connects to a server that requires it; a wrong or missing one is refused", async (context) => {
  const t = teardown(context);
  const dir = await tempDir(t);
  const nats = await startTestNats(t, { users: [{ user: "berth", password: "s3cret:with-colon" }] });
  const good = join(dir, "good.creds");
  await writeFile(good, "# berthd's NATS user\nberth:s3cret:with-colon\n", { mode: 0o600 });
  const bus = await connectBus({ url: nats.url, auth: await loadNatsClientAuth({ credsFile: good }), logger: silentLogger(), connectTimeoutMs: 5000 });
  await bus.close();

  const bad = join(dir, "bad.creds");
  await writeFile(bad, "berth:nope\n");
  await assert.rejects(connectBus({ url: nats.url, auth: await loadNatsClientAuth({ credsFile: bad }), logger: silentLogger(), connectTimeoutMs: 1500 }), (error: Error) => {
    assert.equal(error.name, "EventBusUnavailableError");
    assert.ok(!error.message.includes("nope"), "the password is not in the message");
    return true;
  });
  await assert.rejects(connectBus({ url: nats.url, logger: silentLogger(), connectTimeoutMs: 1500 }), { name: "EventBusUnavailableError" });

  // A file that is neither a .creds file nor user:password is an error naming the flag.
  const garbage = join(dir, "garbage");
  await writeFile(garbage, "just-a-word\n");
  await assert.rejects(loadNatsClientAuth({ credsFile: garbage }), /--nats-creds/);
  await assert.rejects(loadNatsClientAuth({ credsFile: join(dir, "missing") }), /--nats-creds: cannot read/);
});

test("--nats-ca connects over TLS to a server whose certificate that CA signs; without it the connection is refused", async (context) => {
  const t = teardown(context);
  const dir = await tempDir(t);
  const pems = await generate([{ name: "commonName", value: "nats-test" }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + 3600_000),
    extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] }],
  });
  const nats = await startTestNats(t, { tls: { cert: pems.cert, key: pems.private }, users: [{ user: "berth", password: "pw" }] });
  await writeFile(join(dir, "ca.pem"), pems.cert);
  await writeFile(join(dir, "creds"), "berth:pw\n");
  const auth = await loadNatsClientAuth({ credsFile: join(dir, "creds"), caFile: join(dir, "ca.pem") });
  const bus = await connectBus({ url: nats.url, auth, logger: silentLogger(), connectTimeoutMs: 5000 });
  await bus.close();
  // Without the CA, the server's certificate is not trusted.
  const { ca: _ca, ...withoutCa } = auth;
  await assert.rejects(connectBus({ url: nats.url, auth: { ...withoutCa }, logger: silentLogger(), connectTimeoutMs: 1500 }), { name: "EventBusUnavailableError" });
  await writeFile(join(dir, "not-a-ca.pem"), "hello\n");
  await assert.rejects(loadNatsClientAuth({ caFile: join(dir, "not-a-ca.pem") }), /--nats-ca/);
});

test("berthd's --nats-creds and --nats-ca have BERTH_* environment variables", () => {
  const config = loadDaemonConfig(["--nats-url", "nats://nats.internal:4222", "--nats-creds", "/etc/berth/nats.creds"], { BERTH_NATS_CA: "/etc/berth/nats-ca.pem" });
  assert.equal(config.natsCreds, "/etc/berth/nats.creds");
  assert.equal(config.natsCa, "/etc/berth/nats-ca.pem");
});
