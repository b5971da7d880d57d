import { test } from "node:test";
import assert from "node:assert/strict";
import { request, Agent } from "node:http";
import { startDaemon, removeDirs, freePort, eventually } from "../support/daemon.ts";
import { runCli } from "../support/run-cli.ts";
import { connectTestDocker, randomNamespace, cleanupNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { dependencyMissing } from "../support/ci.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";

const RATE_PER_SECOND = 100;

function get(port: number, host: string, agent: Agent): Promise<string> {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host }, agent, timeout: 5_000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => (res.statusCode === 200 ? ok(body.trim()) : fail(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 80)}`))));
    });
    req.on("error", fail);
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.end();
  });
}

/**
 * The requirement of docs/architecture.md: a rolling update behind a Domain, under constant load through the proxy,
 * drops nothing; with `drainSeconds: 0` too (an old replica is stopped only once the proxy no longer routes to it).
 */
for (const drainSeconds of [1, 0]) test(`a 3-replica rolling update (drainSeconds ${drainSeconds}) under ${RATE_PER_SECOND} req/s through berthd's proxy fails no request`, { timeout: 180_000 }, async (t) => {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  await ensureTestImages(docker, [TEST_IMAGES.webV1, TEST_IMAGES.webV2]);
  const httpPort = await freePort();
  const daemon = await startDaemon({ args: ["--http-port", String(httpPort)] });
  const namespace = randomNamespace("zd");
  t.after(async () => {
    await daemon.stop();
    await cleanupNamespace(docker, namespace);
    await removeDirs(daemon.dataDir, daemon.clientDir);
  });
  const host = `${namespace}.example.test`;
  const manifest = (image: string) => [
    `apiVersion: berth.dev/v1\nkind: App\nmetadata: {name: web, namespace: ${namespace}}\nspec:\n  image: "${image}"\n  port: ${WEB_PORT}\n  replicas: 3\n  healthCheck: {http: {path: /healthz}}\n  strategy: {type: Rolling, maxSurge: 1, maxUnavailable: 0, drainSeconds: ${drainSeconds}}`,
    `apiVersion: berth.dev/v1\nkind: Domain\nmetadata: {name: web, namespace: ${namespace}}\nspec: {host: ${host}, appRef: {name: web}, tls: {mode: none}}`,
  ].join("\n---\n");
  assert.equal((await runCli(["apply", "-f", "-"], { env: daemon.env, stdin: manifest(TEST_IMAGES.webV1) })).code, 0);
  assert.equal((await runCli(["rollout", "status", "app/web", "-n", namespace, "--timeout=60s"], { env: daemon.env })).code, 0);
  assert.equal((await runCli(["wait", "--for=condition=Ready", "domain/web", "-n", namespace, "--timeout=30s"], { env: daemon.env })).code, 0);

  // Constant load: one request every 10 ms, each on its own schedule, counted by outcome and by version served.
  const agent = new Agent({ keepAlive: true });
  const served = { v1: 0, v2: 0 };
  const failures: string[] = [];
  let running = true;
  const inflight = new Set<Promise<void>>();
  const load = (async () => {
    while (running) {
      const p = get(httpPort, host, agent).then(
        (body) => void (body === "v1" ? served.v1++ : body === "v2" ? served.v2++ : failures.push(`unexpected body ${body}`)),
        (error: Error) => void failures.push(error.message),
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      await new Promise((r) => setTimeout(r, 1000 / RATE_PER_SECOND));
    }
  })();
  await eventually(() => served.v1 > 50, { what: "load to be flowing", timeoutMs: 10_000 });

  const rolled = await runCli(["apply", "-f", "-"], { env: daemon.env, stdin: manifest(TEST_IMAGES.webV2) });
  assert.match(rolled.stdout, /app\.berth\.dev\/web configured/);
  const status = await runCli(["rollout", "status", "app/web", "-n", namespace, "--timeout=90s"], { env: daemon.env, timeoutMs: 100_000 });
  assert.equal(status.code, 0, status.stderr + status.stdout);
  // Keep the load on through the old replicas' drain, until only v2 answers.
  await eventually(async () => {
    const before = served.v1;
    await new Promise((r) => setTimeout(r, 1_500));
    return served.v1 === before && served.v2 > 0;
  }, { what: "only v2 to be served", timeoutMs: 30_000 });
  running = false;
  await load;
  await Promise.all(inflight);
  agent.destroy();
  t.diagnostic(`served v1 ${served.v1}, v2 ${served.v2}, failed ${failures.length}`);
  assert.deepEqual(failures, [], `requests failed during the rolling update: ${failures.slice(0, 5).join("; ")}`);
  assert.ok(served.v2 > 50, "the new version served traffic");
});
