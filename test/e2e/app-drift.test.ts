import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { startDaemon, eventually, removeDirs } from "../support/daemon.ts";
import { ApiClient } from "../support/https-client.ts";
import { runCli } from "../support/run-cli.ts";
import { connectTestDocker, randomNamespace, cleanupNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { dependencyMissing } from "../support/ci.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";
import { LABELS } from "../../controllers/docker/index.ts";

const exec = promisify(execFile);
/** RECOVERY_MS is "within a few seconds": the most a hand-made change may stay unrepaired. */
const RECOVERY_MS = 8_000;

type Condition = { type: string; status: string };
type Endpoint = { replica: string; host: string; port: number };
type AppObject = { status?: { conditions?: Condition[]; endpoints?: Endpoint[]; readyReplicas?: number } };

/** docker runs the docker CLI, as a user at the shell would, bounded to 30 s. */
async function docker(...args: string[]): Promise<string> {
  const { stdout } = await exec("docker", args, { timeout: 30_000 });
  return stdout.trim();
}

/** serving fetches `/` from every endpoint and returns the bodies, or undefined if one does not answer 200. */
async function serving(endpoints: readonly Endpoint[]): Promise<string[] | undefined> {
  const bodies: string[] = [];
  for (const e of endpoints) {
    const res = await fetch(`http://${e.host}:${e.port}/`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (res?.status !== 200) return undefined;
    bodies.push((await res.text()).trim());
  }
  return bodies;
}

test("containers removed, stopped or made by hand are repaired through berthd within seconds", { timeout: 90_000 }, async (t) => {
  const client = await connectTestDocker();
  if (!client) return dependencyMissing(t, SKIP_NO_DOCKER);
  await ensureTestImages(client, [TEST_IMAGES.webV1]);
  const daemon = await startDaemon();
  const namespace = randomNamespace("e2e-drift");
  t.after(async () => {
    await daemon.stop();
    await cleanupNamespace(client, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir);
  });
  const { token, ca } = parse(await readFile(join(daemon.clientDir, "config.yaml"), "utf8")) as { token: string; ca: string };
  const api = new ApiClient(daemon.url, ca, token);
  t.after(() => api.close());
  const getApp = async () => (await api.get(`/apis/berth.dev/v1/namespaces/${namespace}/apps/web`)).json<AppObject>();
  const replicas = async () => (await docker("ps", "-a", "--filter", `label=${LABELS.owner}=App/${namespace}/web`, "--format", "{{.ID}} {{.State}} {{.Label \"berth.dev/replica\"}}"))
    .split("\n").filter(Boolean).map((line) => {
      const [id, state, replica] = line.split(" ");
      return { id: id!, state: state!, replica: replica! };
    });
  /** recovered waits until the App is Ready with two endpoints that answer "v1", and returns how long it took. */
  const recovered = async (since: number, what: string, check: (ids: string[]) => boolean = () => true) => {
    await eventually(async () => {
      const app = await getApp();
      const ready = app.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
      const endpoints = app.status?.endpoints ?? [];
      if (!ready || endpoints.length !== 2) return false;
      const running = (await replicas()).filter((r) => r.state === "running");
      if (running.length !== 2 || !check(running.map((r) => r.id))) return false;
      return (await serving(endpoints))?.every((b) => b === "v1") ?? false;
    }, { what, timeoutMs: RECOVERY_MS, intervalMs: 25 });
    return Date.now() - since;
  };

  const manifest = { apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web", namespace }, spec: { image: TEST_IMAGES.webV1, replicas: 2, port: WEB_PORT, healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 } } };
  const applied = await runCli(["apply", "-f", "-"], { env: daemon.env, stdin: JSON.stringify(manifest) });
  assert.equal(applied.code, 0, applied.stderr);
  const waited = await runCli(["wait", "--for=condition=Ready", "app/web", "-n", namespace, "--timeout=60s"], { env: daemon.env });
  assert.equal(waited.code, 0, waited.stderr + waited.stdout);
  const before = await replicas();
  assert.equal(before.length, 2);

  // docker rm -f: a new container takes the slot, healthy and listed in the endpoints.
  const victim = before.find((r) => r.replica === "0")!;
  let since = Date.now();
  await docker("rm", "-f", victim.id);
  const afterRemove = await recovered(since, "the removed replica to be replaced and serving", (ids) => !ids.some((id) => victim.id.startsWith(id)));
  t.diagnostic(`docker rm -f → replaced, Ready and serving in ${afterRemove} ms`);
  assert.deepEqual((await replicas()).map((r) => r.replica).sort(), ["0", "1"]);

  // docker stop: the same container is started again.
  const stopped = (await replicas()).find((r) => r.replica === "1")!;
  since = Date.now();
  await docker("stop", "-t", "1", stopped.id);
  const afterStop = await recovered(since, "the stopped replica to run and serve again", (ids) => ids.includes(stopped.id));
  t.diagnostic(`docker stop → started again, Ready and serving in ${afterStop} ms`);

  // A container labelled as a missing App's (an orphan), with the labels berthd puts on its own (so also its
  // instance label, where it sets one), is removed.
  const own = JSON.parse(await docker("inspect", "--format", "{{json .Config.Labels}}", (await replicas())[0]!.id)) as Record<string, string>;
  const instance = own["berth.dev/instance"] === undefined ? [] : ["--label", `berth.dev/instance=${own["berth.dev/instance"]}`];
  since = Date.now();
  const orphan = await docker("run", "-d", "--label", `${LABELS.kind}=App`, "--label", `${LABELS.owner}=App/${namespace}/ghost`, "--label", `${LABELS.namespace}=${namespace}`, "--label", `${LABELS.name}=ghost`, ...instance, TEST_IMAGES.webV1);
  await eventually(async () => (await docker("ps", "-aq", "--no-trunc", "--filter", `id=${orphan}`)) === "", { what: "the orphan to be removed", timeoutMs: RECOVERY_MS, intervalMs: 50 });
  t.diagnostic(`orphan container removed in ${Date.now() - since} ms`);
  assert.equal((await replicas()).length, 2, "the App's own replicas are untouched");
});
