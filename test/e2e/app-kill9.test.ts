import { test } from "node:test";
import assert from "node:assert/strict";
import type Docker from "dockerode";
import { startDaemon, eventually, reapNats, removeDirs, type Daemon } from "../support/daemon.ts";
import { runCli } from "../support/run-cli.ts";
import { connectTestDocker, randomNamespace, cleanupNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { dependencyMissing } from "../support/ci.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";
import { LABELS } from "../../controllers/docker/index.ts";

/** KILL_AT_MS pins the kill point (ms after the first new replica appeared), to replay a failure; random otherwise. */
const KILL_AT_MS = process.env.BERTH_E2E_KILL_AT_MS === undefined ? undefined : Number(process.env.BERTH_E2E_KILL_AT_MS);
const REPLICAS = 3;

type Condition = { type: string; status: string; reason?: string };
type AppObject = {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; revision?: number; conditions?: Condition[]; endpoints?: Array<{ replica: string; host: string; port: number }> };
};

/**
 * Each new replica takes at least a second to turn healthy and each old one drains for two, so a 3-replica
 * rollout lasts about five seconds: long enough to kill berthd in the middle of it.
 */
function manifest(namespace: string, image: string): string {
  return JSON.stringify({
    apiVersion: "berth.dev/v1",
    kind: "App",
    metadata: { name: "web", namespace },
    spec: {
      image,
      replicas: REPLICAS,
      port: WEB_PORT,
      healthCheck: { http: { path: "/healthz" }, initialDelaySeconds: 1, intervalSeconds: 1 },
      strategy: { type: "Rolling", maxSurge: 1, maxUnavailable: 0, drainSeconds: 2 },
    },
  });
}

/** kill -9 of berthd in the middle of a rolling update, twice (v1 → v2, then back to v1), each at a random moment. */
test("berthd killed -9 mid-rollout converges after restart: exactly the replicas of the target revision, no duplicates, no orphans", { timeout: 150_000 }, async (t) => {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  await ensureTestImages(docker, [TEST_IMAGES.webV1, TEST_IMAGES.webV2]);
  let daemon: Daemon = await startDaemon();
  const namespace = randomNamespace("e2e-kill");
  // One hook, in this order: a daemon still running would put back what the cleanup removes.
  t.after(async () => {
    await daemon.stop();
    await reapNats(daemon.dataDir);
    await cleanupNamespace(docker, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir);
  });
  const berth = (args: string[], stdin?: string) => runCli(args, { env: daemon.env, ...(stdin !== undefined ? { stdin } : {}) });
  const getApp = async (): Promise<AppObject> => {
    const got = await berth(["get", "app", "web", "-n", namespace, "-o", "json"]);
    assert.equal(got.code, 0, got.stderr);
    return JSON.parse(got.stdout) as AppObject;
  };
  const containers = () => docker.listContainers({ all: true, filters: { label: [`${LABELS.namespace}=${namespace}`] } });

  const applied = await berth(["apply", "-f", "-"], manifest(namespace, TEST_IMAGES.webV1));
  assert.equal(applied.code, 0, applied.stderr);
  const waited = await berth(["wait", "--for=condition=Ready", "app/web", "-n", namespace, "--timeout=60s"], undefined);
  assert.equal(waited.code, 0, waited.stderr + waited.stdout);

  const rounds = [
    { image: TEST_IMAGES.webV2, revision: 2, body: "v2", from: 1 },
    { image: TEST_IMAGES.webV1, revision: 1, body: "v1", from: 2 },
  ];
  for (const round of rounds) {
    const updated = await berth(["apply", "-f", "-"], manifest(namespace, round.image));
    assert.equal(updated.stdout.trim(), "app.berth.dev/web configured", updated.stderr);
    await eventually(async () => (await containers()).some((c) => c.Labels[LABELS.revision] === String(round.revision)), { what: `a replica of revision ${round.revision}`, timeoutMs: 15_000, intervalMs: 20 });
    const killAt = KILL_AT_MS ?? Math.floor(Math.random() * 3_000);
    await new Promise((r) => setTimeout(r, killAt));
    await daemon.kill9();
    const atKill = await containers();
    t.diagnostic(`revision ${round.from} → ${round.revision}: killed berthd ${killAt} ms after the first new replica appeared, with ${describe(atKill)}`);
    assert.ok(atKill.some((c) => c.Labels[LABELS.revision] === String(round.from)), `the rollout was already over at the kill (${describe(atKill)}): the test must kill mid-rollout`);

    daemon = await startDaemon({ dataDir: daemon.dataDir, clientDir: daemon.clientDir, port: daemon.port });
    const started = Date.now();
    const app = (await eventually(async () => {
      const a = await getApp();
      const ready = a.status?.conditions?.find((c) => c.type === "Ready");
      return ready?.status === "True" && a.status?.revision === round.revision && a.status.observedGeneration === a.metadata.generation ? a : undefined;
    }, { what: `Ready=True at revision ${round.revision} after the restart`, timeoutMs: 60_000, intervalMs: 200 }))!;
    t.diagnostic(`converged ${Date.now() - started} ms after berthd was healthy again`);

    const settled = await assertExactly(await containers(), round.revision);
    // Nothing else appears afterwards: no late duplicate from a half-done step, no orphan put back.
    await new Promise((r) => setTimeout(r, 2_500));
    const later = await assertExactly(await containers(), round.revision);
    assert.deepEqual(later.map((c) => c.Id).sort(), settled.map((c) => c.Id).sort(), "the replica set changed after convergence");

    const endpoints = app.status!.endpoints ?? [];
    assert.equal(endpoints.length, REPLICAS, JSON.stringify(endpoints));
    for (const e of endpoints) {
      const res = await fetch(`http://${e.host}:${e.port}/`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(res.status, 200);
      assert.equal((await res.text()).trim(), round.body, `${e.replica} serves the target version`);
    }
  }
});

/**
 * assertExactly checks the namespace holds REPLICAS containers, all running, all the App's, all of `revision`
 * with one spec hash, one per replica slot: no duplicate and no orphan.
 */
async function assertExactly(list: Docker.ContainerInfo[], revision: number): Promise<Docker.ContainerInfo[]> {
  assert.equal(list.length, REPLICAS, `expected ${REPLICAS} containers, found ${describe(list)}`);
  for (const c of list) {
    assert.equal(c.State, "running", `${c.Names[0]} is ${c.State}`);
    assert.equal(c.Labels[LABELS.owner], `App/${c.Labels[LABELS.namespace]}/web`, `${c.Names[0]} belongs to the App`);
    assert.equal(c.Labels[LABELS.revision], String(revision), `${c.Names[0]} is of revision ${revision}`);
  }
  assert.equal(new Set(list.map((c) => c.Labels[LABELS.specHash])).size, 1, "one spec hash");
  assert.deepEqual(list.map((c) => c.Labels[LABELS.replica]).sort(), ["0", "1", "2"], "one container per replica slot");
  return list;
}

function describe(list: Docker.ContainerInfo[]): string {
  const parts = list.map((c) => `r${c.Labels[LABELS.revision]}/${c.Labels[LABELS.replica]}:${c.State}`).sort();
  return `${list.length} container(s) [${parts.join(", ")}]`;
}
