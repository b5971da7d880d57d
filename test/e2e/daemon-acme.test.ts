import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startDaemon, removeDirs, freePort, eventually } from "../support/daemon.ts";
import { startPebble } from "../support/pebble.ts";
import { runCli } from "../support/run-cli.ts";
import { connectTestDocker, randomNamespace, cleanupNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { dependencyMissing } from "../support/ci.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";
import { httpsThroughProxy } from "../integration/acme/support.ts";

/** The whole path a user takes for TLS: berthd with an ACME directory, an App and a Domain applied with berth, HTTPS served. */
test("berthd issues a certificate from an ACME directory (Pebble) and serves the App over HTTPS, for its own Domain and its generated one", { timeout: 120_000 }, async (t) => {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  await ensureTestImages(docker, [TEST_IMAGES.webV1]);
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const pebble = await startPebble(t, { httpPort });
  const namespace = randomNamespace("acme");
  const caFile = join(await import("node:os").then((os) => os.tmpdir()), `${namespace}-pebble-listener.pem`);
  await writeFile(caFile, pebble.listenerCa);
  const daemon = await startDaemon({ args: ["--http-port", String(httpPort), "--https-port", String(httpsPort), "--acme-directory", pebble.directoryUrl, "--acme-ca", caFile, "--base-domain", "apps.example.test"] });
  t.after(async () => {
    await daemon.stop();
    await cleanupNamespace(docker, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir, caFile);
  });
  const host = `${namespace}.example.test`;
  const manifest = [
    `apiVersion: berth.dev/v1\nkind: App\nmetadata: {name: web, namespace: ${namespace}}\nspec: {image: "${TEST_IMAGES.webV1}", port: ${WEB_PORT}}`,
    `apiVersion: berth.dev/v1\nkind: Domain\nmetadata: {name: web, namespace: ${namespace}}\nspec: {host: ${host}, appRef: {name: web}, tls: {mode: acme, email: ops@example.test}}`,
  ].join("\n---\n");
  const applied = await runCli(["apply", "-f", "-"], { env: daemon.env, stdin: manifest });
  assert.equal(applied.code, 0, applied.stderr);
  const waited = await runCli(["wait", "--for=condition=Ready", "domain/web", "-n", namespace, "--timeout=60s"], { env: daemon.env });
  assert.equal(waited.code, 0, `${waited.stderr}${waited.stdout}\n${daemon.logs()}`);

  const root = await pebble.root();
  const served = await eventually(async () => {
    const r = await httpsThroughProxy(httpsPort, host, root);
    return r.status === 200 ? r : undefined;
  }, { what: "HTTPS through the proxy with the issued certificate" });
  assert.equal(served!.body.trim(), "v1");
  const domain = JSON.parse((await runCli(["get", "domain", "web", "-n", namespace, "-o", "json"], { env: daemon.env })).stdout) as { status: { certificate: { serial: string; notAfter: string } } };
  assert.equal(domain.status.certificate.serial.toLowerCase().replace(/^0+/, ""), served!.serial.toLowerCase().replace(/^0+/, ""));
  // The certificate's key lives in an owned Secret that only admins can read in clear.
  assert.match((await runCli(["get", "secret", "web-tls", "-n", namespace, "-o", "yaml"], { env: daemon.env })).stdout, /type: kubernetes\.io\/tls/);

  // The generated Domain (--base-domain, TLS acme by default) gets its own certificate the same way.
  const generated = `web-${namespace}.apps.example.test`;
  const ready = await runCli(["wait", "--for=condition=Ready", "domain/web-generated", "-n", namespace, "--timeout=15s"], { env: daemon.env });
  assert.equal(ready.code, 0, `${ready.stderr}${ready.stdout}\n${(await runCli(["get", "domain", "web-generated", "-n", namespace, "-o", "yaml"], { env: daemon.env })).stdout}`);
  const viaGenerated = await eventually(async () => {
    const r = await httpsThroughProxy(httpsPort, generated, root);
    return r.status === 200 ? r : undefined;
  }, { what: "HTTPS on the generated host" });
  assert.equal(viaGenerated!.body.trim(), "v1");
  assert.notEqual(viaGenerated!.serial, served!.serial, "each host has its own certificate");
});
