import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { startDaemon, eventually, reapNats, removeDirs, type Daemon } from "../support/daemon.ts";
import { runCli } from "../support/run-cli.ts";
import { connectTestDocker, randomNamespace, cleanupNamespace, SKIP_NO_DOCKER } from "../support/docker.ts";
import { dependencyMissing } from "../support/ci.ts";
import { ensureTestImages, TEST_IMAGES, WEB_PORT } from "../support/images.ts";
import { createGitRepo, processesMentioning, startGitDaemon } from "../support/git-server.ts";
import { imageRepository } from "../../controllers/build/names.ts";

type BuildObject = { metadata: { name: string }; status?: { phase?: string; conditions?: Array<{ type: string; reason: string }> } };
type AppObject = { status?: { conditions?: Array<{ type: string; status: string; reason: string }>; endpoints?: Array<{ host: string; port: number }> } };

const web = (body: string, ...steps: string[]) => [`FROM ${TEST_IMAGES.webV1}`, ...steps, `RUN echo ${body} > /www/index.html`].join("\n") + "\n";

/**
 * A real berthd builds an App from a git:// repository and serves it; the CLI lists builds, prints their logs
 * (followed until the build ends), shows the build and commit of each revision, and cancels a build; berthd
 * killed with -9 in the middle of a build leaves no build process behind and, restarted, no Build Running.
 */
test("berthd builds from git: served, logs, history, rollout cancel; kill -9 mid-build leaves no Build Running after restart", { timeout: 240_000 }, async (t) => {
  const docker = await connectTestDocker();
  if (!docker) return dependencyMissing(t, SKIP_NO_DOCKER);
  await ensureTestImages(docker, [TEST_IMAGES.webV1]);
  const repo = await createGitRepo();
  const git = await startGitDaemon(repo.root);
  let daemon: Daemon = await startDaemon();
  const namespace = randomNamespace("e2e-build");
  t.after(async () => {
    await daemon.stop();
    await reapNats(daemon.dataDir);
    await cleanupNamespace(docker, namespace);
    for (const image of await docker.listImages({ filters: { reference: [imageRepository({ kind: "App", namespace, name: "web" })] } })) await docker.getImage(image.Id).remove({ force: true }).catch(() => {});
    await git.stop();
    await repo.remove();
    await removeDirs(daemon.dataDir, daemon.clientDir);
  });
  const berth = (args: string[], timeoutMs?: number) => runCli([...args, "-n", namespace], { env: daemon.env, ...(timeoutMs ? { timeoutMs } : {}) });
  const builds = async (): Promise<BuildObject[]> => {
    const got = await berth(["get", "builds", "-o", "json"]);
    assert.equal(got.code, 0, got.stderr);
    return (JSON.parse(got.stdout) as { items: BuildObject[] }).items;
  };
  const manifest = JSON.stringify({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "web", namespace }, spec: { build: { git: { url: git.url(repo.name), ref: "main", pollInterval: "1s" } }, port: WEB_PORT, healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 } } });

  const servedBody = (body: string) => eventually(async () => {
    const got = await berth(["get", "app", "web", "-o", "json"]);
    for (const e of (JSON.parse(got.stdout) as AppObject).status?.endpoints ?? []) {
      const res = await fetch(`http://${e.host}:${e.port}/`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      if (res && (await res.text()).trim() === body) return true;
    }
    return false;
  }, { timeoutMs: 90_000, intervalMs: 250, what: `the App to serve ${body}` });
  const c1 = await repo.commit({ Dockerfile: web("e2e1") });
  const applied = await runCli(["apply", "-f", "-"], { env: daemon.env, stdin: manifest });
  assert.equal(applied.code, 0, applied.stderr);
  await eventually(async () => {
    const got = await berth(["get", "app", "web", "-o", "json"]);
    const app = JSON.parse(got.stdout) as AppObject;
    const endpoint = app.status?.endpoints?.[0];
    assert.ok(endpoint, JSON.stringify(app.status?.conditions));
    const res = await fetch(`http://${endpoint.host}:${endpoint.port}/`, { signal: AbortSignal.timeout(2_000) });
    return (await res.text()).trim() === "e2e1";
  }, { timeoutMs: 90_000, intervalMs: 250, what: "the built App to serve e2e1" });
  const table = await berth(["get", "builds"]);
  assert.match(table.stdout, new RegExp(`web\\s+${c1.slice(0, 12)}\\s+Succeeded`));
  const history = await berth(["rollout", "history", "app/web"]);
  assert.match(history.stdout, /REVISION\s+BUILD\s+COMMIT/);
  assert.match(history.stdout, new RegExp(`1\\s+web-${c1.slice(0, 7)}-\\w+\\s+${c1.slice(0, 12)}`));
  const appLog = await berth(["logs", "app/web", "--build"]);
  assert.equal(appLog.code, 0, appLog.stderr);
  assert.match(appLog.stdout, /RUN echo e2e1/);

  // A second commit, then a rollback to the first: its kept image runs again, nothing is rebuilt.
  await repo.commit({ Dockerfile: web("e2e2") });
  await servedBody("e2e2");
  const undo = await berth(["rollout", "undo", "app/web"]);
  assert.equal(undo.code, 0, undo.stderr);
  assert.match(undo.stdout, new RegExp(`rolled back to revision 1 \\(Build web-${c1.slice(0, 7)}`));
  await servedBody("e2e1");
  assert.equal((await builds()).length, 2, "a rollback builds nothing");

  // A slow build, followed live, then cancelled from the CLI.
  const marker = `marker-${randomBytes(6).toString("hex")}`;
  await repo.commit({ Dockerfile: web("slow", `RUN echo starting ${marker} && sleep 300 && echo ${marker}`) });
  const running = await eventually(async () => (await builds()).find((b) => b.status?.phase === "Running")!, { timeoutMs: 60_000, intervalMs: 200, what: "a Running build" });
  const follow = berth(["logs", `build/${running.metadata.name}`, "-f"], 60_000);
  await eventually(async () => (await processesMentioning(marker)).length > 0, { timeoutMs: 60_000, what: "the slow RUN step" });
  const cancelled = await berth(["rollout", "cancel", "app/web"]);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.match(cancelled.stdout, new RegExp(`build.berth.dev/${running.metadata.name} cancelled`));
  const followed = await follow.catch((err: Error) => assert.fail(`${err.message}\n${daemon.logs().split("\n").filter((l) => /build/i.test(l)).slice(-30).join("\n")}`));
  assert.equal(followed.code, 0, followed.stderr);
  assert.match(followed.stdout, new RegExp(`starting ${marker}`));
  assert.match(followed.stdout, /cancelled/);
  await eventually(async () => (await processesMentioning(marker)).length === 0, { timeoutMs: 20_000, what: "the cancelled RUN step to be gone" });

  // kill -9 in the middle of another slow build.
  const marker2 = `marker-${randomBytes(6).toString("hex")}`;
  await repo.commit({ Dockerfile: web("slow2", `RUN echo starting ${marker2} && sleep 300 && echo ${marker2}`) });
  const interrupted = await eventually(async () => (await builds()).find((b) => b.status?.phase === "Running")!, { timeoutMs: 60_000, intervalMs: 200, what: "a Running build" });
  await eventually(async () => (await processesMentioning(marker2)).length > 0, { timeoutMs: 60_000, what: "the second slow RUN step" });
  await daemon.kill9();
  await reapNats(daemon.dataDir);
  await eventually(async () => (await processesMentioning(marker2)).length === 0, { timeoutMs: 20_000, what: "dockerd to stop the build of a killed berthd" });
  daemon = await startDaemon({ dataDir: daemon.dataDir, clientDir: daemon.clientDir, port: daemon.port });
  await eventually(async () => {
    const b = (await builds()).find((x) => x.metadata.name === interrupted.metadata.name);
    return b?.status?.phase === "Failed" && b.status.conditions?.find((c) => c.type === "Ready")?.reason === "Interrupted";
  }, { timeoutMs: 30_000, intervalMs: 250, what: "the interrupted Build to be Failed (Interrupted)" });
  assert.ok((await builds()).every((b) => b.status?.phase !== "Running"), "no Build left Running");
  // The version built first still serves.
  const got = await berth(["get", "app", "web", "-o", "json"]);
  const endpoint = (JSON.parse(got.stdout) as AppObject).status!.endpoints![0]!;
  await eventually(async () => (await (await fetch(`http://${endpoint.host}:${endpoint.port}/`, { signal: AbortSignal.timeout(2_000) })).text()).trim() === "e2e1", { timeoutMs: 20_000, what: "e2e1 still served" });
});
