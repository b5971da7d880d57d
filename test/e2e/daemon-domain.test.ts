import { test } from "node:test";
import assert from "node:assert/strict";
import { startDaemon, removeDirs, freePort, eventually } from "../support/daemon.ts";
import { runCli } from "../support/run-cli.ts";
import { connectTestDocker, randomNamespace, cleanupNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { dependencyMissing } from "../support/ci.ts";
import { get as getThroughProxy } from "../integration/proxy/support.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";

test("a Domain applied through berth routes its host through berthd's proxy to the App; --base-domain gives the App a generated host too", { timeout: 120_000 }, async (t) => {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  await ensureTestImages(docker, [TEST_IMAGES.webV1]);
  const httpPort = await freePort();
  const daemon = await startDaemon({ args: ["--http-port", String(httpPort), "--base-domain", "apps.test", "--base-domain-tls", "none"] });
  const namespace = randomNamespace("e2e");
  t.after(async () => {
    await daemon.stop();
    await cleanupNamespace(docker, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir);
  });
  const host = `${namespace}.example.test`;

  // Before anything is routed the proxy answers with its own clear 404.
  assert.equal((await getThroughProxy(httpPort, host)).status, 404);

  const manifest = [
    `apiVersion: berth.dev/v1\nkind: App\nmetadata: {name: hello, namespace: ${namespace}}\nspec: {image: "${TEST_IMAGES.webV1}", port: ${WEB_PORT}, replicas: 2}`,
    `apiVersion: berth.dev/v1\nkind: Domain\nmetadata: {name: hello, namespace: ${namespace}}\nspec: {host: ${host}, appRef: {name: hello}, tls: {mode: none}}`,
  ].join("\n---\n");
  const applied = await runCli(["apply", "-f", "-"], { env: daemon.env, stdin: manifest });
  assert.equal(applied.code, 0, applied.stderr);
  const waited = await runCli(["wait", "--for=condition=Ready", "domain/hello", "-n", namespace, "--timeout=60s"], { env: daemon.env });
  assert.equal(waited.code, 0, waited.stderr + waited.stdout);

  const res = await eventually(async () => {
    const r = await getThroughProxy(httpPort, host);
    return r.status === 200 ? r : undefined;
  }, { what: "a 200 through the proxy" }).catch((error: Error) => {
    throw new Error(`${error.message}\nberthd log:\n${daemon.logs()}`);
  });
  assert.equal(res!.body.trim(), "v1");
  const table = await runCli(["get", "domains", "-n", namespace], { env: daemon.env });
  assert.match(table.stdout, new RegExp(`^hello\\s+True\\s+${host.replace(/\./g, "\\.")}\\s+hello`, "m"));

  // The generated Domain serves the App under the base domain; the App's URL is the user's Domain.
  const generated = `hello-${namespace}.apps.test`;
  assert.equal((await runCli(["wait", "--for=condition=Ready", "domain/hello-generated", "-n", namespace, "--timeout=30s"], { env: daemon.env })).code, 0);
  assert.equal((await getThroughProxy(httpPort, generated)).body.trim(), "v1");
  const app = JSON.parse((await runCli(["get", "app", "hello", "-n", namespace, "-o", "json"], { env: daemon.env })).stdout) as { status: { url?: string } };
  assert.equal(app.status.url, `http://${host}:${httpPort}/`);

  // Deleting the Domain takes the route away again.
  assert.equal((await runCli(["delete", "domain", "hello", "-n", namespace], { env: daemon.env })).code, 0);
  await eventually(async () => (await getThroughProxy(httpPort, host)).status === 404, { what: "the route to be gone" });
});
