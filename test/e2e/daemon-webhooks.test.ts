import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { REQUESTED_COMMIT_ANNOTATION } from "../../resources/build-request.ts";
import type { Resource } from "../../resources/index.ts";
import { eventually, removeDirs, startDaemon } from "../support/daemon.ts";
import { ApiClient } from "../support/https-client.ts";
import { randomNamespace } from "../support/docker.ts";
import { fixture, PR_HEAD, PUSHED, SECRET, signedHeaders } from "../unit/api/hooks-support.ts";

test("berthd: a signed GitHub push requests a build, a pull request gets a preview App at pr-7-<app>-<ns>.<base-domain>, and a replay after a restart is ignored", { timeout: 120_000 }, async (t) => {
  let daemon = await startDaemon({ args: ["--base-domain", "apps.test", "--base-domain-tls", "none"] });
  t.after(async () => {
    await daemon.stop();
    await removeDirs(daemon.dataDir, daemon.clientDir);
  });
  const { token, ca } = parse(await readFile(join(daemon.clientDir, "config.yaml"), "utf8")) as { token: string; ca: string };
  let client = new ApiClient(daemon.url, ca, token);
  t.after(() => client.close());
  const namespace = randomNamespace("hooks");
  const objects = `/apis/berth.dev/v1/namespaces/${namespace}`;
  assert.equal((await client.post(`${objects}/secrets`, { metadata: { name: "web-hook" }, stringData: { token: SECRET } })).status, 201);
  const created = await client.post(`${objects}/apps`, {
    metadata: { name: "web" },
    spec: { port: 8080, build: { git: { url: "https://git.example.com/org/web.git", ref: "main" }, webhook: { secretRef: { name: "web-hook", key: "token" } }, previews: { enabled: true } } },
  });
  assert.equal(created.status, 201, created.text);

  const deliver = (event: string, body: string, id?: string) =>
    client.post(`/hooks/github/${namespace}/web`, body, { headers: signedHeaders("github", body, SECRET, event, id), token: null });

  const push = fixture("github-push");
  const pushed = await deliver("push", push, "push-delivery-1");
  assert.equal(pushed.status, 202, pushed.text);
  const app = (await client.get(`${objects}/apps/web`)).json<Resource>();
  assert.equal(app.metadata.annotations?.[REQUESTED_COMMIT_ANNOTATION], PUSHED);

  const opened = await deliver("pull_request", fixture("github-pull-request-opened"));
  assert.equal(opened.status, 202, opened.text);
  const preview = (await client.get(`${objects}/apps/web-pr-7`)).json<Resource>();
  assert.equal(preview.metadata.annotations?.[REQUESTED_COMMIT_ANNOTATION], PR_HEAD);
  const domain = await eventually(async () => {
    const res = await client.get(`${objects}/domains/web-pr-7-generated`);
    return res.status === 200 ? res.json<Resource>() : undefined;
  }, { what: "the preview's generated Domain" });
  assert.equal((domain!.spec as { host: string }).host, `pr-7-web-${namespace}.apps.test`);

  assert.equal((await deliver("pull_request", fixture("github-pull-request-closed"))).status, 202);
  await eventually(async () => (await client.get(`${objects}/apps/web-pr-7`)).status === 404, { what: "the preview App to be gone" });
  await eventually(async () => (await client.get(`${objects}/domains/web-pr-7-generated`)).status === 404, { what: "the preview's Domain to be gone" });

  // A later push, a restart, then the first delivery replayed: the log on disk recognises it.
  const later = push.replaceAll(PUSHED, "4".repeat(40));
  assert.equal((await deliver("push", later, "push-delivery-2")).status, 202);
  assert.equal(await daemon.stop(), 0);
  client.close();
  daemon = await startDaemon({ dataDir: daemon.dataDir, clientDir: daemon.clientDir, args: ["--base-domain", "apps.test", "--base-domain-tls", "none"] });
  client = new ApiClient(daemon.url, ca, token);
  const replay = await deliver("push", push, "push-delivery-1");
  assert.equal(replay.status, 200, replay.text);
  const after = (await client.get(`${objects}/apps/web`)).json<Resource>();
  assert.equal(after.metadata.annotations?.[REQUESTED_COMMIT_ANNOTATION], "4".repeat(40));
});
