import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually, httpGet, isReady } from "../app/harness.ts";
import { historyOf } from "../../../resources/app-history.ts";
import { REQUESTED_COMMIT_ANNOTATION, REQUESTED_REF_ANNOTATION } from "../../../controllers/build/index.ts";
import { startGitDaemon, startGitHttpServer, processesMentioning } from "../../support/git-server.ts";
import { WEB_PORT } from "../../support/images.ts";
import { LIMIT, phaseOf, reasonOf, startBuildHarness, webDockerfile } from "./harness.ts";

type Endpoint = { host: string; port: number };

async function served(h: { get: (k: string, n: string) => Promise<import("../../../resources/index.ts").Resource | undefined> }, app: string, body: string): Promise<void> {
  await eventually(async () => {
    const a = await h.get("App", app);
    assert.ok(isReady(a), JSON.stringify(a?.status?.conditions));
    const endpoints = a!.status!.endpoints as Endpoint[];
    assert.ok(endpoints.length > 0);
    for (const e of endpoints) assert.equal((await httpGet(e.host, e.port)).body, body);
  }, 90_000, 200);
}

test("builds: a Dockerfile app from git:// is built and served; a pushed commit is polled, rebuilt and rolled out; history names the builds", LIMIT, async (t) => {
  const h = await startBuildHarness(t);
  if (!h) return;
  const daemon = await startGitDaemon(h.repo.root);
  t.after(() => daemon.stop());
  const c1 = await h.repo.commit({ Dockerfile: webDockerfile("c1") });
  await h.apply("App", "web", { spec: { build: { git: { url: daemon.url(h.repo.name), ref: "main", pollInterval: "1s" } }, port: WEB_PORT, healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 } } });
  await served(h, "web", "c1");
  const [first] = await h.builds("web");
  assert.equal(phaseOf(first), "Succeeded");
  assert.equal((first!.spec as { source: { commit: string } }).source.commit, c1);
  assert.match(await h.log(first!.metadata.name), /Step 2\/\d+ : RUN echo c1/);

  const c2 = await h.repo.commit({ Dockerfile: webDockerfile("c2") });
  await served(h, "web", "c2");
  const app = await h.get("App", "web");
  const history = historyOf(app!.status);
  assert.deepEqual(history.map((e) => e.build?.commit), [c1, c2]);
  assert.equal(history[1]!.image, `${(await h.builds("web")).find((b) => (b.spec as { source: { commit: string } }).source.commit === c2)!.status!.image}`);
  assert.equal((await h.builds("web")).length, 2);
});

test("builds: https with a token from a Secret (never in argv), a webhook-requested commit, a Secret build arg redacted from the log", LIMIT, async (t) => {
  const h = await startBuildHarness(t);
  if (!h) return;
  const token = `tok-${Math.random().toString(36).slice(2)}-secret`;
  const argSecret = `arg-${Math.random().toString(36).slice(2)}-value`;
  const server = await startGitHttpServer(h.repo.root, token);
  t.after(() => server.stop());
  const c1 = await h.repo.commit({ Dockerfile: webDockerfile("h1", "ARG SECRET_ARG", "RUN echo \"the arg is $SECRET_ARG\"") });
  await h.apply("Secret", "git-token", { stringData: { username: "ci", password: token } });
  await h.apply("Secret", "build-args", { stringData: { value: argSecret } });
  server.delayMs = 300;
  // Look for the token in every process's argv while git talks to the server.
  let scanning = true;
  const leaks: string[] = [];
  const scan = (async () => {
    while (scanning) {
      leaks.push(...(await processesMentioning(token)));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await h.apply("App", "web", {
    spec: {
      build: { git: { url: server.url(h.repo.name), ref: "main", secretRef: { name: "git-token" } }, args: { SECRET_ARG: { secretKeyRef: { name: "build-args", key: "value" } } } },
      port: WEB_PORT, healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 },
    },
  });
  await served(h, "web", "h1");
  assert.ok((server.authorizations.Basic ?? 0) > 0, "the token was sent");
  const [build] = await h.builds("web");
  const log = await h.log(build!.metadata.name);
  assert.match(log, /the arg is \[redacted\]/);
  assert.ok(!log.includes(argSecret) && !log.includes(token), "no secret value in the stored log");

  // A webhook delivery records the pushed commit on the App; it is built without waiting for a poll.
  const c2 = await h.repo.commit({ Dockerfile: webDockerfile("h2") });
  const app = await h.get("App", "web");
  await h.store.update({ ...app!, metadata: { ...app!.metadata, annotations: { [REQUESTED_COMMIT_ANNOTATION]: c2, [REQUESTED_REF_ANNOTATION]: "refs/heads/main" } } });
  await served(h, "web", "h2");
  scanning = false;
  await scan;
  assert.deepEqual(leaks, [], "the token appeared in a process's argv");
  assert.notEqual(c1, c2);
});

test("builds: a failing build leaves the old version serving; its log and failedStep name the step", LIMIT, async (t) => {
  const h = await startBuildHarness(t);
  if (!h) return;
  const daemon = await startGitDaemon(h.repo.root);
  t.after(() => daemon.stop());
  await h.repo.commit({ Dockerfile: webDockerfile("ok1") });
  await h.apply("App", "web", { spec: { build: { git: { url: daemon.url(h.repo.name), ref: "main", pollInterval: "1s" } }, port: WEB_PORT, healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 } } });
  await served(h, "web", "ok1");
  await h.repo.commit({ Dockerfile: webDockerfile("bad", "RUN echo compiling && exit 3") });
  const failed = await eventually(async () => {
    const b = (await h.builds("web")).find((x) => phaseOf(x) === "Failed");
    assert.ok(b);
    return b;
  }, 60_000, 200);
  assert.equal(reasonOf(failed), "BuildFailed");
  assert.match(String(failed.status!.failedStep), /^Step 2\/\d+ : RUN echo compiling && exit 3$/);
  const log = await h.log(failed.metadata.name);
  assert.match(log, /compiling/);
  assert.match(log, /failed at Step 2\/\d+ : RUN echo compiling && exit 3/);
  await served(h, "web", "ok1");
  const app = await h.get("App", "web");
  assert.equal(app!.status!.revision, 1);
});

test("builds: an App whose repository has no Dockerfile reports BuildFailed (NoDockerfile) until one is pushed", LIMIT, async (t) => {
  const h = await startBuildHarness(t);
  if (!h) return;
  const daemon = await startGitDaemon(h.repo.root);
  t.after(() => daemon.stop());
  await h.repo.commit({ "README.md": "nothing to build\n" });
  await h.apply("App", "web", { spec: { build: { git: { url: daemon.url(h.repo.name), ref: "main", pollInterval: "1s" } }, port: WEB_PORT } });
  await eventually(async () => {
    const a = await h.get("App", "web");
    assert.equal(reasonOf(a), "BuildFailed", JSON.stringify(a?.status?.conditions));
    const [b] = await h.builds("web");
    assert.equal(reasonOf(b), "NoDockerfile");
  }, 60_000, 200);
  await h.repo.commit({ Dockerfile: webDockerfile("now") });
  await served(h, "web", "now");
});

test("builds: Builds and images beyond revisionHistoryLimit are collected, never one a kept revision runs", LIMIT, async (t) => {
  const h = await startBuildHarness(t);
  if (!h) return;
  const daemon = await startGitDaemon(h.repo.root);
  t.after(() => daemon.stop());
  const spec = { build: { git: { url: daemon.url(h.repo.name), ref: "main", pollInterval: "1s" } }, port: WEB_PORT, revisionHistoryLimit: 1, healthCheck: { http: { path: "/healthz" }, intervalSeconds: 1 }, strategy: { drainSeconds: 0 } };
  await h.repo.commit({ Dockerfile: webDockerfile("g1") });
  await h.apply("App", "web", { spec });
  await served(h, "web", "g1");
  const first = (await h.builds("web"))[0]!;
  const firstImage = first.status!.image as string;
  await h.repo.commit({ Dockerfile: webDockerfile("g2") });
  await served(h, "web", "g2");
  assert.ok(await h.docker.getImage(firstImage).inspect(), "revision 1 is still in the history: its image stays");
  await h.repo.commit({ Dockerfile: webDockerfile("g3") });
  await served(h, "web", "g3");
  await eventually(async () => {
    const names = (await h.builds("web")).map((b) => b.metadata.name);
    assert.equal(names.length, 2, names.join(", "));
    assert.ok(!names.includes(first.metadata.name));
    await assert.rejects(h.docker.getImage(firstImage).inspect(), "the first build's image is removed");
  }, 30_000, 200);
  const history = historyOf((await h.get("App", "web"))!.status);
  for (const entry of history) assert.ok(await h.docker.getImage(entry.image).inspect(), `image of revision ${entry.revision} kept`);
});
