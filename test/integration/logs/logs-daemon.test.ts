import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { cleanupNamespace, connectTestDocker, randomNamespace, SKIP_NO_DOCKER } from "../../support/docker.ts";
import { dependencyMissing } from "../../support/ci.ts";
import { ensureTestImages, TEST_IMAGES } from "../../support/images.ts";
import { removeDirs, startDaemon } from "../../support/daemon.ts";
import { runCli } from "../../support/run-cli.ts";
import { chatty } from "./world.ts";

test("berthd serves App logs and rollouts: berth logs, rollout status/history/undo against the real daemon", { timeout: 120_000 }, async (t) => {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  await ensureTestImages(docker, [TEST_IMAGES.webV1, TEST_IMAGES.webV2]);
  const daemon = await startDaemon();
  const namespace = randomNamespace("logs");
  t.after(async () => {
    await daemon.stop();
    await cleanupNamespace(docker, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir);
  });
  const berth = (...args: string[]) => runCli([...args, "-n", namespace], { env: daemon.env, timeoutMs: 60_000 });
  const manifest = (image: string) => stringify({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "hello", namespace }, spec: chatty({ image, replicas: 2 }) });

  const created = await runCli(["apply", "-f", "-"], { env: daemon.env, stdin: manifest(TEST_IMAGES.webV1) });
  assert.equal(created.code, 0, created.stderr);
  const status = await berth("rollout", "status", "app/hello", "--timeout", "60s");
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /app "hello" successfully rolled out\n$/);

  const logs = await berth("logs", "app/hello");
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /^\[replica-0\] hello from hello-0$/m);
  assert.match(logs.stdout, /^\[replica-1\] hello from hello-1$/m);
  assert.ok(!logs.stdout.includes("hunter2"));

  const updated = await runCli(["apply", "-f", "-"], { env: daemon.env, stdin: manifest(TEST_IMAGES.webV2) });
  assert.equal(updated.stdout.trim(), "app.berth.dev/hello configured", updated.stderr);
  assert.equal((await berth("rollout", "status", "app/hello", "--timeout", "60s")).code, 0);
  const history = await berth("rollout", "history", "app/hello");
  assert.match(history.stdout, /^2\s+berth-test\/web:v2\s+image berth-test\/web:v1 → berth-test\/web:v2\s/m);
  const undo = await berth("rollout", "undo", "app/hello");
  assert.equal(undo.stdout, "app.berth.dev/hello rolled back to revision 1\n", undo.stderr);
  assert.equal((await berth("rollout", "status", "app/hello", "--timeout", "60s")).code, 0);
  const app = JSON.parse((await berth("get", "app", "hello", "-o", "json")).stdout) as { status: { revision: number; endpoints: Array<{ host: string; port: number }> } };
  assert.equal(app.status.revision, 1);
  for (const e of app.status.endpoints) assert.equal((await (await fetch(`http://${e.host}:${e.port}/`, { signal: AbortSignal.timeout(5_000) })).text()).trim(), "v1");
  assert.ok(!daemon.logs().includes("hunter2"), "berthd's own log never carries an env value");
});
