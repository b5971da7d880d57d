import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { skipUnlessCi } from "../../support/ci.ts";
import { startCliApi, type CliApi } from "../../support/run-cli.ts";

const INSTALLED_KUBECTL = "/opt/berth-kubectl/usr/bin/kubectl";

const exec = promisify(execFile);
/** KUBECTL: $KUBECTL, else the kubectl 1.20 scripts/install.sh puts under /opt/berth-kubectl, else the one on PATH. */
const KUBECTL = process.env.KUBECTL ?? (existsSync(INSTALLED_KUBECTL) ? INSTALLED_KUBECTL : "kubectl");

async function kubectlAvailable(): Promise<boolean> {
  try {
    await exec(KUBECTL, ["version", "--client"], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const available = await kubectlAvailable();
let api: CliApi;
let kubectl: (args: string[]) => Promise<string>;
before(async () => {
  if (!available) return;
  api = await startCliApi();
  const kubeconfig = join(api.work, "kubeconfig");
  await writeFile(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{name: berth, cluster: {server: "${api.url}", certificate-authority-data: ${Buffer.from(api.ca).toString("base64")}}}]
users: [{name: admin, user: {token: "${api.adminToken}"}}]
contexts: [{name: berth, context: {cluster: berth, user: admin}}]
current-context: berth
`);
  // A fresh HOME per run: kubectl caches discovery under it.
  kubectl = async (args) => (await exec(KUBECTL, args, { env: { ...process.env, HOME: api.work, KUBECONFIG: kubeconfig }, timeout: 30_000 })).stdout;
});
after(() => api?.close());

test("berth apply and kubectl apply share the last-applied annotation: each sees the other's apply as unchanged", { skip: skipUnlessCi(available ? undefined : `${KUBECTL} is not installed (scripts/install.sh)`) }, async () => {
  assert.ok(available, `CI=true, and a dependency of this test is missing: ${KUBECTL} does not run (scripts/install.sh installs kubectl 1.20)`);
  const file = join(api.work, "app.yaml");
  const manifest = (replicas: number, extra: string) => `apiVersion: berth.dev/v1\nkind: App\nmetadata:\n  name: shared\nspec:\n  image: nginx\n  replicas: ${replicas}\n${extra}`;
  await writeFile(file, manifest(2, "  args: [serve]\n"));
  assert.equal((await api.run(["apply", "-f", file])).stdout, "app.berth.dev/shared created\n");
  assert.equal(await kubectl(["apply", "-f", file]), "app.berth.dev/shared unchanged\n");

  await writeFile(file, manifest(3, ""));
  assert.equal(await kubectl(["apply", "-f", file]), "app.berth.dev/shared configured\n");
  assert.equal((await api.run(["apply", "-f", file])).stdout, "app.berth.dev/shared unchanged\n");
  const live = await api.store.get({ kind: "App", namespace: "default", name: "shared" });
  assert.equal((live.spec as { replicas: number }).replicas, 3);
  assert.equal((live.spec as { args?: string[] }).args, undefined, "kubectl removed the field berth applied");
});
