import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { silentLogger } from "../../../lib/logger.ts";
import { PREVIEW_NUMBER_LABEL, PREVIEW_OF_LABEL } from "../../../controllers/previews/index.ts";
import { REQUESTED_COMMIT_ANNOTATION, REQUESTED_REF_ANNOTATION } from "../../../resources/build-request.ts";
import { NotFoundError, type AppSpec, type Resource } from "../../../resources/index.ts";
import { DeliveryLog } from "../../../api/hooks/delivery-log.ts";
import { hookRoutes } from "../../../api/routes/hooks.ts";
import { ApiClient } from "../../support/https-client.ts";
import { withApi } from "./fixtures.ts";
import { createHookedApp, eventName, fixture, FIXTURES_OF, PR_HEAD, PUSHED, SECRET, signedHeaders } from "./hooks-support.ts";

const PROVIDERS = ["github", "gitea", "forgejo", "gitlab", "bitbucket"] as const;

/** world starts the API with webhook routes over a fresh store and makes App `web` in a random namespace. */
async function world(t: { after(fn: () => Promise<void> | void): void }, options: { deliveries?: DeliveryLog; previews?: Record<string, unknown> } = {}) {
  const { api, client } = await withApi(t, {
    hooks: ({ store, eventLog }) => hookRoutes({ store, recorder: eventLog, logger: silentLogger(), ...(options.deliveries ? { deliveries: options.deliveries } : {}) }),
  });
  const namespace = `hooks-${randomBytes(3).toString("hex")}`;
  await createHookedApp(api.store, namespace, "web", options.previews);
  const app = () => api.store.get({ kind: "App", namespace, name: "web" });
  const deliver = (provider: string, body: string, headers: Record<string, string>, name = "web") =>
    client.post(`/hooks/${provider}/${namespace}/${name}`, body, { headers, token: null });
  const warnings = async () => (await api.eventLog.list({ namespace })).filter((e) => e.type === "Warning");
  return { api, namespace, app, deliver, warnings };
}

const annotationsOf = (app: Resource) => app.metadata.annotations ?? {};

for (const provider of PROVIDERS) {
  describe(`webhooks from ${provider}`, () => {
    const files = FIXTURES_OF[provider]!;

    it("a signed push to the App's ref is recorded as a build request (202)", async (t) => {
      const w = await world(t);
      const body = fixture(files.push);
      const res = await w.deliver(provider, body, signedHeaders(provider, body, SECRET, eventName(provider, "push")));
      assert.equal(res.status, 202, res.text);
      assert.equal(res.json().kind, "Status");
      const annotations = annotationsOf(await w.app());
      assert.equal(annotations[REQUESTED_COMMIT_ANNOTATION], PUSHED);
      assert.equal(annotations[REQUESTED_REF_ANNOTATION], "main");
    });

    it("a wrong signature is 401 with a Warning event that shows neither the secret nor the signature", async (t) => {
      const w = await world(t);
      const body = fixture(files.push);
      const headers = signedHeaders(provider, body, "not the secret", eventName(provider, "push"));
      const res = await w.deliver(provider, body, headers);
      assert.equal(res.status, 401);
      assert.equal(res.json().kind, "Status");
      assert.equal(res.json().reason, "Unauthorized");
      assert.equal(annotationsOf(await w.app())[REQUESTED_COMMIT_ANNOTATION], undefined);
      const [warning] = await w.warnings();
      assert.equal(warning?.reason, "WebhookRejected");
      const signature = headers["X-Hub-Signature-256"] ?? headers["X-Gitea-Signature"] ?? headers["X-Forgejo-Signature"] ?? headers["X-Hub-Signature"] ?? headers["X-Gitlab-Token"]!;
      for (const leaked of [SECRET, signature, signature.replace("sha256=", ""), "not the secret"]) assert.ok(!warning!.message.includes(leaked), warning!.message);
    });

    it("a body changed after signing is 401: the signature covers the exact bytes", async (t) => {
      if (provider === "gitlab") return; // GitLab sends the secret itself, which covers no bytes.
      const w = await world(t);
      const body = fixture(files.push);
      const headers = signedHeaders(provider, body, SECRET, eventName(provider, "push"));
      const res = await w.deliver(provider, body.replace(PUSHED, "1".repeat(40)), headers);
      assert.equal(res.status, 401);
      assert.equal(annotationsOf(await w.app())[REQUESTED_COMMIT_ANNOTATION], undefined);
    });

    it("an unsigned delivery is 401", async (t) => {
      const w = await world(t);
      const body = fixture(files.push);
      const res = await w.deliver(provider, body, signedHeaders(provider, body, null, eventName(provider, "push")));
      assert.equal(res.status, 401);
      assert.match((await w.warnings())[0]!.message, /no X-/);
      assert.equal(annotationsOf(await w.app())[REQUESTED_COMMIT_ANNOTATION], undefined);
    });

    it("a replayed delivery id is ignored, even after a later push", async (t) => {
      const w = await world(t);
      const first = fixture(files.push);
      const firstHeaders = signedHeaders(provider, first, SECRET, eventName(provider, "push"), "delivery-1");
      assert.equal((await w.deliver(provider, first, firstHeaders)).status, 202);
      const later = first.replaceAll(PUSHED, "2".repeat(40));
      assert.equal((await w.deliver(provider, later, signedHeaders(provider, later, SECRET, eventName(provider, "push"), "delivery-2"))).status, 202);
      const replay = await w.deliver(provider, first, firstHeaders);
      assert.equal(replay.status, 200);
      assert.match(replay.json().message, /already received/);
      assert.equal(annotationsOf(await w.app())[REQUESTED_COMMIT_ANNOTATION], "2".repeat(40));
    });

    it("a push to another ref does nothing (202 with a message)", async (t) => {
      const w = await world(t);
      const body = fixture(files.push).replaceAll("refs/heads/main", "refs/heads/develop").replace(/"name": "main"/g, '"name": "develop"');
      const res = await w.deliver(provider, body, signedHeaders(provider, body, SECRET, eventName(provider, "push")));
      assert.equal(res.status, 202);
      assert.match(res.json().message, /develop ignored: the App builds main/);
      assert.equal(annotationsOf(await w.app())[REQUESTED_COMMIT_ANNOTATION], undefined);
    });

    it("a body over 1 MiB is 413 and changes nothing", async (t) => {
      const w = await world(t);
      const body = JSON.stringify({ ...JSON.parse(fixture(files.push)), padding: "x".repeat(1024 * 1024) });
      const res = await w.deliver(provider, body, signedHeaders(provider, body, SECRET, eventName(provider, "push")));
      assert.equal(res.status, 413);
      assert.equal(annotationsOf(await w.app())[REQUESTED_COMMIT_ANNOTATION], undefined);
    });

    it("a pull request opened makes a preview App owned by the App; closed or merged removes it", async (t) => {
      const w = await world(t);
      const opened = fixture(files.opened);
      const res = await w.deliver(provider, opened, signedHeaders(provider, opened, SECRET, eventName(provider, "pull")));
      assert.equal(res.status, 202, res.text);
      const parent = await w.app();
      const preview = await w.api.store.get({ kind: "App", namespace: w.namespace, name: "web-pr-7" });
      const spec = preview.spec as AppSpec;
      const expectedRef = { github: "refs/pull/7/head", gitea: "refs/pull/7/head", forgejo: "refs/pull/7/head", gitlab: "refs/merge-requests/7/head", bitbucket: "refs/heads/new-topic" }[provider];
      assert.equal(spec.build?.git.ref, expectedRef);
      assert.equal(spec.build?.webhook, undefined);
      assert.equal(spec.build?.previews?.enabled, false);
      assert.equal(preview.metadata.labels?.[PREVIEW_OF_LABEL], "web");
      assert.equal(preview.metadata.labels?.[PREVIEW_NUMBER_LABEL], "7");
      assert.deepEqual(preview.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]), [["App", "web", parent.metadata.uid, true]]);
      assert.equal(preview.metadata.annotations?.[REQUESTED_COMMIT_ANNOTATION], provider === "bitbucket" ? PR_HEAD.slice(0, 12) : PR_HEAD);
      assert.equal(preview.metadata.annotations?.[REQUESTED_REF_ANNOTATION], expectedRef);
      assert.equal(annotationsOf(parent)[REQUESTED_COMMIT_ANNOTATION], undefined, "a pull request does not build the parent");

      const closed = fixture(files.closed);
      const event = files.closedEvent ?? eventName(provider, "pull");
      assert.equal((await w.deliver(provider, closed, signedHeaders(provider, closed, SECRET, event))).status, 202);
      await assert.rejects(w.api.store.get({ kind: "App", namespace: w.namespace, name: "web-pr-7" }), NotFoundError);
    });
  });
}

describe("webhooks: what every provider shares", () => {
  it("an unknown App, an App without a webhook secret and an unknown provider are the same 404", async (t) => {
    const w = await world(t);
    await w.api.store.create({ apiVersion: "berth.dev/v1", kind: "App", metadata: { name: "plain", namespace: w.namespace }, spec: { image: "nginx:1.27", replicas: 1, env: [], volumes: [], strategy: { type: "Rolling", maxSurge: 1, maxUnavailable: 0, drainSeconds: 5, progressDeadlineSeconds: 120 }, revisionHistoryLimit: 10, paused: false, deletionPolicy: "Retain" } } as Resource);
    const body = fixture("github-push");
    const headers = signedHeaders("github", body, SECRET, "push");
    const answers = await Promise.all([w.deliver("github", body, headers, "nope"), w.deliver("github", body, headers, "plain"), w.deliver("svn", body, headers)]);
    for (const res of answers) {
      assert.equal(res.status, 404);
      assert.equal(res.json().message, "webhook not found");
    }
  });

  it("a Secret without the key is the same 404, with a Warning event on the App", async (t) => {
    const w = await world(t);
    const secret = await w.api.store.get({ kind: "Secret", namespace: w.namespace, name: "web-hook" });
    await w.api.store.update({ ...secret, data: { other: Buffer.from("x").toString("base64") } } as Resource);
    const body = fixture("github-push");
    const res = await w.deliver("github", body, signedHeaders("github", body, SECRET, "push"));
    assert.equal(res.status, 404);
    assert.equal((await w.warnings())[0]?.reason, "WebhookSecretMissing");
  });

  it("a push that deletes the App's branch requests nothing (GitHub deleted: true, Bitbucket new: null)", async (t) => {
    const w = await world(t);
    const github = JSON.stringify({ ...JSON.parse(fixture("github-push")), deleted: true, after: "0".repeat(40) });
    const bitbucketPayload = JSON.parse(fixture("bitbucket-push"));
    bitbucketPayload.push.changes[0].new = null;
    const bitbucket = JSON.stringify(bitbucketPayload);
    for (const [provider, body, event] of [["github", github, "push"], ["bitbucket", bitbucket, "repo:push"]] as const) {
      const res = await w.deliver(provider, body, signedHeaders(provider, body, SECRET, event));
      assert.equal(res.status, 202);
      assert.match(res.json().message, /no ref \(a deletion\)/);
    }
    assert.equal(annotationsOf(await w.app())[REQUESTED_COMMIT_ANNOTATION], undefined);
  });

  it("a GitHub ping is answered 200", async (t) => {
    const w = await world(t);
    const body = fixture("github-ping");
    const res = await w.deliver("github", body, signedHeaders("github", body, SECRET, "ping"));
    assert.equal(res.status, 200);
    assert.equal(res.json().message, "pong");
  });

  it("GitHub's form encoding (payload=...) is verified over the form body and read", async (t) => {
    const w = await world(t);
    const body = new URLSearchParams({ payload: fixture("github-push") }).toString();
    const headers = { ...signedHeaders("github", body, SECRET, "push"), "Content-Type": "application/x-www-form-urlencoded" };
    assert.equal((await w.deliver("github", body, headers)).status, 202);
    assert.equal(annotationsOf(await w.app())[REQUESTED_COMMIT_ANNOTATION], PUSHED);
  });

  it("a GET is 405 and needs no token; other API paths still do", async (t) => {
    const w = await world(t);
    const client = new ApiClient(w.api.url, w.api.ca);
    t.after(() => client.close());
    assert.equal((await client.get(`/hooks/github/${w.namespace}/web`)).status, 405);
    assert.equal((await client.get(`/apis/berth.dev/v1/namespaces/${w.namespace}/apps`)).status, 401);
  });

  it("pull requests are ignored while previews are disabled", async (t) => {
    const w = await world(t, { previews: { enabled: false } });
    const body = fixture("github-pull-request-opened");
    const res = await w.deliver("github", body, signedHeaders("github", body, SECRET, "pull_request"));
    assert.equal(res.status, 202);
    assert.match(res.json().message, /previews are not enabled/);
    await assert.rejects(w.api.store.get({ kind: "App", namespace: w.namespace, name: "web-pr-7" }), NotFoundError);
  });

  it("a synchronize moves the preview to the new head", async (t) => {
    const w = await world(t);
    const opened = fixture("github-pull-request-opened");
    await w.deliver("github", opened, signedHeaders("github", opened, SECRET, "pull_request"));
    const pushed = opened.replace('"action": "opened"', '"action": "synchronize"').replace(PR_HEAD, "3".repeat(40));
    assert.equal((await w.deliver("github", pushed, signedHeaders("github", pushed, SECRET, "pull_request"))).status, 202);
    const preview = await w.api.store.get({ kind: "App", namespace: w.namespace, name: "web-pr-7" });
    assert.equal(preview.metadata.annotations?.[REQUESTED_COMMIT_ANNOTATION], "3".repeat(40));
  });

  it("GitLab: a merge request update moves the preview only when it brings commits (oldrev)", async (t) => {
    const w = await world(t);
    const open = fixture("gitlab-merge-request-open");
    await w.deliver("gitlab", open, signedHeaders("gitlab", open, SECRET, "Merge Request Hook"));
    const retitled = open.replace('"action": "open"', '"action": "update"').replace(PR_HEAD, "5".repeat(40));
    assert.match((await w.deliver("gitlab", retitled, signedHeaders("gitlab", retitled, SECRET, "Merge Request Hook"))).json().message, /ignored/);
    const pushed = retitled.replace('"action": "update"', `"action": "update", "oldrev": "${PR_HEAD}"`);
    assert.equal((await w.deliver("gitlab", pushed, signedHeaders("gitlab", pushed, SECRET, "Merge Request Hook"))).status, 202);
    const preview = await w.api.store.get({ kind: "App", namespace: w.namespace, name: "web-pr-7" });
    assert.equal(preview.metadata.annotations?.[REQUESTED_COMMIT_ANNOTATION], "5".repeat(40));
  });

  it("a replay right after a restart is still caught: the delivery log is kept in a file", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "berth-deliveries-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "webhook-deliveries.json");
    const w = await world(t, { deliveries: new DeliveryLog({ file }) });
    const body = fixture("github-push");
    const headers = signedHeaders("github", body, SECRET, "push", "before-restart");
    assert.equal((await w.deliver("github", body, headers)).status, 202);
    const restarted = new DeliveryLog({ file });
    assert.equal(restarted.claim(`${w.namespace}/web`, "before-restart"), false);
    assert.equal(restarted.claim(`${w.namespace}/web`, "another"), true);
  });
});

describe("DeliveryLog", () => {
  it("keeps a bounded number of ids per App and of Apps, forgetting the least recently used", () => {
    const log = new DeliveryLog({ perApp: 3, apps: 2 });
    for (const id of ["a", "b", "c", "d"]) assert.equal(log.claim("ns/x", id), true);
    assert.equal(log.claim("ns/x", "a"), true, "the oldest id was forgotten");
    assert.equal(log.claim("ns/x", "d"), false);
    log.claim("ns/y", "1");
    log.claim("ns/z", "1");
    assert.equal(log.claim("ns/x", "d"), true, "the least recently delivered App was forgotten");
  });
});
